-- The plan's four-point agent report ("Execute this task and report: 1. What you did 2. Files changed 3. Tests run
-- 4. Completion status"), read from the agent's answer (src/core/agentReport.ts) into its attempt row. What it did
-- stays in `summary` (the whole answer); the three others get columns. Lists are JSON arrays of strings. The agent's
-- own words, recorded and shown, never trusted: a reported "complete" completes nothing. NULL: the answer had no
-- such point (or the row is from before this migration).
ALTER TABLE agent_execution_log ADD COLUMN files_changed TEXT;
ALTER TABLE agent_execution_log ADD COLUMN tests_run TEXT;
ALTER TABLE agent_execution_log ADD COLUMN completion_status TEXT;
