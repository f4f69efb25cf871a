-- The plan's KPI "Dispatch Latency: time from task ready → agent assignment" (target < 5 s), kept per attempt so it
-- survives restarts and every reader computes it from the database (src/engine/kpis.ts; the live histogram
-- coditect_dispatch_latency_seconds restarts from zero with the engine). Milliseconds; NULL for attempts started by a
-- person's run-task, by another program, or before this migration.
ALTER TABLE agent_execution_log ADD COLUMN dispatch_latency_ms INTEGER CHECK (dispatch_latency_ms IS NULL OR dispatch_latency_ms >= 0);
