-- 009: the cost ledger's sums read an index, not the attempt rows. An attempt row carries its stdout, stderr and
-- summary (kilobytes each), so summing 100,000 of them read ~400 MB of pages; every column the sums and their
-- groupings use (src/engine/spend/costReport.ts) is in this index, which SQLite scans instead of the table
-- (npm run bench: "cost report on 100000 attempt rows"). It starts with completed_at, so it also serves what
-- idx_agent_log_completed served (a day's or a run's spend since a time): that one goes.
CREATE INDEX idx_agent_log_spend ON agent_execution_log (
  completed_at, task_id, agent_type, model, provider, run_id,
  cost_usd, cost_estimated, tokens_in, tokens_out, tokens_cache_read, tokens_cache_write
);
DROP INDEX idx_agent_log_completed;
