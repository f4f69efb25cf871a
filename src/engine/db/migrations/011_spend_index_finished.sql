-- 011: the cost ledger's covering index (009) holds finished attempts only. Every sum reads it with
-- `completed_at IS NOT NULL` (src/engine/spend/costReport.ts: where()), so a running attempt's entry was never read;
-- it was written as the row was opened and moved as it ended: two more pages in the WAL per attempt, of about 21
-- (npm run bench, throughput scenario: README footnote 9). Same columns, same name: the INDEXED BY of the sums still
-- finds it, and SQLite uses a partial index only for a query whose WHERE implies its own, which each of them does.
-- Open attempts (completed_at IS NULL, a coordinator's restart: TaskStore.openAttempts) are found by idx_agent_log_open,
-- named there: the planner would otherwise scan the table.
DROP INDEX idx_agent_log_spend;
CREATE INDEX idx_agent_log_spend ON agent_execution_log (
  completed_at, task_id, agent_type, model, provider, run_id,
  cost_usd, cost_estimated, tokens_in, tokens_out, tokens_cache_read, tokens_cache_write
) WHERE completed_at IS NOT NULL;
