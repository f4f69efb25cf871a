-- 005: one cost ledger across providers (docs/costs-and-gates.md). Every attempt row already carries its tokens and
-- cost; this adds what a ledger needs to sum and price them: the model the attempt ran on, how many of its input
-- tokens were prompt-cache reads and writes (`tokens_in` keeps counting them: it is the prompt's size), and whether
-- `cost_usd` was reported by the provider (0) or computed here from tokens × the price table (1, "estimated"), and
-- the engine run that made it.
-- Columns are added, never rebuilt: an adopted database's own columns stay as they are. Rows from before this
-- migration have no model, no cache split, and count as reported.
ALTER TABLE agent_execution_log ADD COLUMN model TEXT;
ALTER TABLE agent_execution_log ADD COLUMN tokens_cache_read INTEGER;
ALTER TABLE agent_execution_log ADD COLUMN tokens_cache_write INTEGER;
ALTER TABLE agent_execution_log ADD COLUMN cost_estimated INTEGER NOT NULL DEFAULT 0 CHECK (cost_estimated IN (0, 1));
-- The engine run that made the attempt (its lease owner id, host:pid:nonce): what a run spent is summed by it.
ALTER TABLE agent_execution_log ADD COLUMN run_id TEXT;
-- Spend of a day (or since a run started) is summed over the attempts that ended in it.
CREATE INDEX idx_agent_log_completed ON agent_execution_log (completed_at);
