-- What ran an attempt: the agent implementation (anthropic, claude-code, command, codex, gemini, dry-run) beside the
-- agent type the plan routed to (agent_type), and whether it was a simulation. A simulated attempt's "completed" means
-- nothing was executed; the editor's lens, tree and log say so (docs/extension.md). Rows from before this migration
-- have no provider and count as not simulated.
ALTER TABLE agent_execution_log ADD COLUMN provider TEXT;
ALTER TABLE agent_execution_log ADD COLUMN simulated INTEGER NOT NULL DEFAULT 0 CHECK (simulated IN (0, 1));
