-- The plan's DDL ("Database Schema Enhancements"), verbatim: test/unit/db/schema.test.ts checks context.db against it.
-- Only the plan's section titles ("New Table: …") are turned into comments.
CREATE TABLE IF NOT EXISTS task_dependencies (
dependency_id INTEGER PRIMARY KEY AUTOINCREMENT,
task_id TEXT NOT NULL,
dependency_task_id TEXT NOT NULL,
dependency_type TEXT DEFAULT 'blocks', -- blocks, soft_dependency
created_at TEXT DEFAULT (datetime('now', 'utc')),
FOREIGN KEY (task_id) REFERENCES v2_tasks(task_id),
FOREIGN KEY (dependency_task_id) REFERENCES v2_tasks(task_id),
UNIQUE(task_id, dependency_task_id)
);
CREATE INDEX idx_task_deps_task ON task_dependencies(task_id);
CREATE INDEX idx_task_deps_dependency ON task_dependencies(dependency_task_id);
-- New Table: orchestrator_state
CREATE TABLE IF NOT EXISTS orchestrator_state (
state_id INTEGER PRIMARY KEY AUTOINCREMENT,
timestamp TEXT DEFAULT (datetime('now', 'utc')),
active_agents INTEGER DEFAULT 0,
pending_tasks INTEGER DEFAULT 0,
completed_tasks INTEGER DEFAULT 0,
failed_tasks INTEGER DEFAULT 0,
tasks_per_hour REAL DEFAULT 0,
uptime_seconds INTEGER DEFAULT 0,
metrics_json TEXT, -- JSON blob with detailed metrics
CHECK(active_agents >= 0),
CHECK(pending_tasks >= 0)
);
CREATE INDEX idx_orchestrator_state_timestamp ON orchestrator_state(timestamp);
-- New Table: agent_execution_log
CREATE TABLE IF NOT EXISTS agent_execution_log (
log_id INTEGER PRIMARY KEY AUTOINCREMENT,
task_id TEXT NOT NULL,
agent_type TEXT NOT NULL,
started_at TEXT DEFAULT (datetime('now', 'utc')),
completed_at TEXT,
status TEXT DEFAULT 'running', -- running, completed, failed, timeout
exit_code INTEGER,
stdout TEXT,
stderr TEXT,
execution_time_seconds REAL,
retry_count INTEGER DEFAULT 0,
FOREIGN KEY (task_id) REFERENCES v2_tasks(task_id)
);
CREATE INDEX idx_agent_log_task ON agent_execution_log(task_id);
CREATE INDEX idx_agent_log_agent_type ON agent_execution_log(agent_type);
CREATE INDEX idx_agent_log_status ON agent_execution_log(status, started_at);
