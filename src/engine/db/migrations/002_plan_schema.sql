-- 002: the plan's DDL, column for column. The plan (docs/schema.md) names the columns of context.db and teams already
-- query them: `v2_tasks.task_id`, `task_dependencies.dependency_task_id`, the row-per-snapshot `orchestrator_state`,
-- `agent_execution_log.agent_type/status/completed_at/execution_time_seconds`. Its next-task SQL and its /api/status
-- queries run unchanged against this schema. The project's own columns sit beside the plan's.
-- Every table is rebuilt (create new → copy → drop old → rename): SQLite cannot change a primary key in place. The
-- migration runner turns foreign keys off around migrations and checks them (PRAGMA foreign_key_check) before commit.
-- Nothing is lost: every row and every column value of 001 is copied; `orchestrator_state` key/value rows move to
-- `engine_state` (checkpoints become rows of the plan's snapshot table, their JSON kept in `metrics_json`).

-- ---- v2_epics / v2_features: keyed by epic_id / feature_id (the plan's `get_epic_for_task` returns an epic_id) ----
CREATE TABLE new_v2_epics (
  epic_id      TEXT PRIMARY KEY,
  title        TEXT NOT NULL,
  priority     TEXT CHECK (priority IN ('P0', 'P1', 'P2', 'P3')),
  is_phase     INTEGER NOT NULL DEFAULT 0 CHECK (is_phase IN (0, 1)),
  -- 0 when the id was derived (no id written in the heading).
  id_explicit  INTEGER NOT NULL DEFAULT 1 CHECK (id_explicit IN (0, 1)),
  -- Order of the epic in the document.
  position     INTEGER NOT NULL DEFAULT 0,
  archived_at  TEXT,
  created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO new_v2_epics (epic_id, title, priority, is_phase, id_explicit, position, archived_at, created_at, updated_at)
  SELECT id, title, priority, is_phase, id_explicit, position, archived_at, created_at, updated_at FROM v2_epics;

CREATE TABLE new_v2_features (
  feature_id   TEXT PRIMARY KEY,
  epic_id      TEXT NOT NULL REFERENCES v2_epics (epic_id),
  title        TEXT NOT NULL,
  priority     TEXT CHECK (priority IN ('P0', 'P1', 'P2', 'P3')),
  id_explicit  INTEGER NOT NULL DEFAULT 1 CHECK (id_explicit IN (0, 1)),
  position     INTEGER NOT NULL DEFAULT 0,
  archived_at  TEXT,
  created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO new_v2_features (feature_id, epic_id, title, priority, id_explicit, position, archived_at, created_at, updated_at)
  SELECT id, epic_id, title, priority, id_explicit, position, archived_at, created_at, updated_at FROM v2_features;

-- ---- v2_tasks: keyed by task_id; the plan reads task_id, status, priority, created_at, description, estimated_hours ----
CREATE TABLE new_v2_tasks (
  task_id          TEXT PRIMARY KEY,
  epic_id          TEXT NOT NULL REFERENCES v2_epics (epic_id),
  feature_id       TEXT NOT NULL REFERENCES v2_features (feature_id),
  title            TEXT NOT NULL,
  -- The plan's dispatcher and prompt read `description`; the markdown has one text per task, its title.
  description      TEXT GENERATED ALWAYS AS (title) VIRTUAL,
  -- Current status (the engine and sync write it; another program may too: the sync merges it into the markdown).
  status           TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'in_progress', 'completed', 'blocked', 'failed', 'timeout', 'cancelled', 'skipped')),
  -- Status both sides agreed on at the last sync: the base of the three-way merge. A row whose status differs
  -- from it was changed outside the markdown since (see idx_v2_tasks_unsynced).
  synced_status    TEXT NOT NULL DEFAULT 'pending'
                   CHECK (synced_status IN ('pending', 'in_progress', 'completed', 'blocked', 'failed', 'timeout', 'cancelled', 'skipped')),
  priority         TEXT CHECK (priority IN ('P0', 'P1', 'P2', 'P3')),
  estimated_hours  REAL,
  -- Routing override from the markdown's `Agent:` line (NULL: routed by the keyword table).
  agent            TEXT,
  verify           TEXT,
  -- JSON array of external blockers (free text).
  blockers         TEXT NOT NULL DEFAULT '[]',
  -- JSON array of bracketed tags (Spec Kit story labels…).
  tags             TEXT NOT NULL DEFAULT '[]',
  parallel         INTEGER NOT NULL DEFAULT 0 CHECK (parallel IN (0, 1)),
  timeout_minutes  REAL,
  id_explicit      INTEGER NOT NULL DEFAULT 1 CHECK (id_explicit IN (0, 1)),
  -- Run-time state (the engine's): failed attempts retried so far, the lease while in_progress.
  retry_count      INTEGER NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  started_at       TEXT,
  completed_at     TEXT,
  result_summary   TEXT,
  archived_at      TEXT,
  created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO new_v2_tasks (task_id, epic_id, feature_id, title, status, synced_status, priority, estimated_hours, agent, verify,
    blockers, tags, parallel, timeout_minutes, id_explicit, retry_count, lease_owner, lease_expires_at, started_at,
    completed_at, result_summary, archived_at, created_at, updated_at)
  SELECT id, epic_id, feature_id, title, status, synced_status, priority, estimate_hours, agent, verify,
    blockers, tags, parallel, timeout_minutes, id_explicit, retry_count, lease_owner, lease_expires_at, started_at,
    completed_at, result_summary, archived_at, created_at, updated_at FROM v2_tasks;

-- ---- task_dependencies: the plan's DDL ----
-- One deliberate difference: `dependency_task_id` is not a foreign key. A markdown may name an id that does not exist
-- (yet); the reference is kept as written and the graph reports it, instead of the sync failing.
CREATE TABLE new_task_dependencies (
  dependency_id       INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id             TEXT NOT NULL,
  dependency_task_id  TEXT NOT NULL,
  -- blocks: the dependent cannot start before the dependency completes; soft_dependency: informational only.
  dependency_type     TEXT DEFAULT 'blocks' CHECK (dependency_type IN ('blocks', 'soft_dependency')),
  created_at          TEXT DEFAULT (datetime('now', 'utc')),
  -- Project columns: where the reference came from, and its writing order within the task.
  source              TEXT NOT NULL DEFAULT 'explicit' CHECK (source IN ('explicit', 'implicit', 'phase')),
  position            INTEGER NOT NULL DEFAULT 0,
  FOREIGN KEY (task_id) REFERENCES v2_tasks (task_id),
  UNIQUE (task_id, dependency_task_id)
);
INSERT INTO new_task_dependencies (task_id, dependency_task_id, dependency_type, created_at, source, position)
  SELECT task_id, depends_on_id, CASE dependency_type WHEN 'soft' THEN 'soft_dependency' ELSE 'blocks' END, created_at, source, position
    FROM task_dependencies ORDER BY task_id, position;

-- ---- v2_plan_sync: the audit log, keyed by sync_id ----
CREATE TABLE new_v2_plan_sync (
  sync_id             INTEGER PRIMARY KEY AUTOINCREMENT,
  synced_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  -- md_to_db: only the database changed; db_to_md: only the markdown; both: both.
  direction           TEXT NOT NULL CHECK (direction IN ('md_to_db', 'db_to_md', 'both')),
  -- disk: the file; editor: an open (possibly unsaved) editor buffer.
  source              TEXT NOT NULL CHECK (source IN ('disk', 'editor')),
  tasklist_path       TEXT NOT NULL,
  -- sha256 of the markdown text as read, and after the write-back (equal when nothing was written).
  md_checksum_before  TEXT NOT NULL,
  md_checksum_after   TEXT NOT NULL,
  -- sha256 of the database-side changes merged (ids and statuses changed outside the markdown since the last sync).
  db_checksum         TEXT NOT NULL,
  epics_changed       INTEGER NOT NULL DEFAULT 0,
  features_changed    INTEGER NOT NULL DEFAULT 0,
  tasks_added         INTEGER NOT NULL DEFAULT 0,
  tasks_updated       INTEGER NOT NULL DEFAULT 0,
  tasks_archived      INTEGER NOT NULL DEFAULT 0,
  tasks_restored      INTEGER NOT NULL DEFAULT 0,
  statuses_to_db      INTEGER NOT NULL DEFAULT 0,
  statuses_to_md      INTEGER NOT NULL DEFAULT 0,
  ids_assigned        INTEGER NOT NULL DEFAULT 0,
  conflict_count      INTEGER NOT NULL DEFAULT 0,
  -- JSON array of {taskId, field, base, markdown, database, resolved, winner, rule}.
  conflicts           TEXT NOT NULL DEFAULT '[]',
  duration_ms         INTEGER NOT NULL DEFAULT 0
);
INSERT INTO new_v2_plan_sync (sync_id, synced_at, direction, source, tasklist_path, md_checksum_before, md_checksum_after,
    db_checksum, epics_changed, features_changed, tasks_added, tasks_updated, tasks_archived, tasks_restored,
    statuses_to_db, statuses_to_md, ids_assigned, conflict_count, conflicts, duration_ms)
  SELECT id, synced_at, direction, source, tasklist_path, md_checksum_before, md_checksum_after,
    db_checksum, epics_changed, features_changed, tasks_added, tasks_updated, tasks_archived, tasks_restored,
    statuses_to_db, statuses_to_md, ids_assigned, conflict_count, conflicts, duration_ms FROM v2_plan_sync;

-- ---- orchestrator_state: the plan's table, one row per snapshot ----
CREATE TABLE new_orchestrator_state (
  state_id         INTEGER PRIMARY KEY AUTOINCREMENT,
  timestamp        TEXT DEFAULT (datetime('now', 'utc')),
  active_agents    INTEGER DEFAULT 0,
  pending_tasks    INTEGER DEFAULT 0,
  completed_tasks  INTEGER DEFAULT 0,
  failed_tasks     INTEGER DEFAULT 0,
  tasks_per_hour   REAL DEFAULT 0,
  uptime_seconds   INTEGER DEFAULT 0,
  -- JSON blob with detailed metrics.
  metrics_json     TEXT,
  -- Project columns: why the row was written (a periodic heartbeat, a feature/epic checkpoint, any other snapshot),
  -- and for a checkpoint the feature or epic that completed.
  kind             TEXT NOT NULL DEFAULT 'snapshot' CHECK (kind IN ('snapshot', 'heartbeat', 'checkpoint')),
  milestone_id     TEXT,
  CHECK (active_agents >= 0),
  CHECK (pending_tasks >= 0)
);
-- Checkpoints of 001 (`checkpoint:<id>` keys) become checkpoint rows, in the order they were written.
INSERT INTO new_orchestrator_state (timestamp, active_agents, pending_tasks, completed_tasks, failed_tasks, tasks_per_hour,
    uptime_seconds, metrics_json, kind, milestone_id)
  SELECT COALESCE(json_extract(value, '$.at'), updated_at),
    0,
    MAX(0, COALESCE(json_extract(value, '$.counts.pending'), 0)),
    COALESCE(json_extract(value, '$.counts.completed'), 0),
    COALESCE(json_extract(value, '$.counts.failed'), 0),
    COALESCE(json_extract(value, '$.tasksPerHour'), 0),
    CAST(COALESCE(json_extract(value, '$.metrics.uptimeSeconds'), 0) AS INTEGER),
    value, 'checkpoint', substr(key, 12)
  FROM orchestrator_state WHERE key LIKE 'checkpoint:%' AND json_valid(value)
  ORDER BY updated_at;

-- The engine's own key/value state (JSON values).
CREATE TABLE engine_state (
  key         TEXT PRIMARY KEY,
  value       TEXT NOT NULL,
  updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO engine_state (key, value, updated_at)
  SELECT key, value, updated_at FROM orchestrator_state WHERE NOT (key LIKE 'checkpoint:%' AND json_valid(value));

-- ---- agent_execution_log: the plan's DDL ----
CREATE TABLE new_agent_execution_log (
  log_id                  INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id                 TEXT NOT NULL,
  agent_type              TEXT NOT NULL,
  started_at              TEXT DEFAULT (datetime('now', 'utc')),
  completed_at            TEXT,
  -- running, completed, failed, timeout (the plan's), and the engine's cancelled, released, verify_failed.
  status                  TEXT DEFAULT 'running',
  exit_code               INTEGER,
  -- Capped by the store (MAX_OUTPUT_CHARS in taskStore.ts).
  stdout                  TEXT,
  stderr                  TEXT,
  execution_time_seconds  REAL,
  -- Retries of the task before this attempt.
  retry_count             INTEGER DEFAULT 0,
  -- Project columns.
  attempt                 INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  route_rule              TEXT,
  -- Epoch ms of started_at (durations are computed from it).
  started_ms              INTEGER,
  error                   TEXT,
  error_kind              TEXT,
  tokens_in               INTEGER,
  tokens_out              INTEGER,
  cost_usd                REAL,
  session_id              TEXT,
  summary                 TEXT,
  verify_output           TEXT,
  FOREIGN KEY (task_id) REFERENCES v2_tasks (task_id)
);
INSERT INTO new_agent_execution_log (log_id, task_id, agent_type, started_at, completed_at, status, exit_code, stdout, stderr,
    execution_time_seconds, retry_count, attempt, route_rule, started_ms, error, error_kind, tokens_in, tokens_out, cost_usd,
    session_id, summary, verify_output)
  SELECT id, task_id, agent, started_at, ended_at, COALESCE(outcome, 'running'), exit_code, stdout, stderr,
    duration_ms / 1000.0, retry_count, attempt, route_rule, started_ms, error, error_kind, tokens_in, tokens_out, cost_usd,
    session_id, summary, verify_output FROM agent_execution_log;

-- ---- swap: drop 001's tables, give the new ones their names (references are by name and resolve afterwards) ----
DROP TABLE agent_execution_log;
DROP TABLE orchestrator_state;
DROP TABLE v2_plan_sync;
DROP TABLE task_dependencies;
DROP TABLE v2_tasks;
DROP TABLE v2_features;
DROP TABLE v2_epics;
ALTER TABLE new_v2_epics RENAME TO v2_epics;
ALTER TABLE new_v2_features RENAME TO v2_features;
ALTER TABLE new_v2_tasks RENAME TO v2_tasks;
ALTER TABLE new_task_dependencies RENAME TO task_dependencies;
ALTER TABLE new_v2_plan_sync RENAME TO v2_plan_sync;
ALTER TABLE new_orchestrator_state RENAME TO orchestrator_state;
ALTER TABLE new_agent_execution_log RENAME TO agent_execution_log;

-- ---- indexes: the plan's, by its names, and the project's ----
CREATE INDEX idx_task_deps_task ON task_dependencies (task_id);
CREATE INDEX idx_task_deps_dependency ON task_dependencies (dependency_task_id);
CREATE INDEX idx_orchestrator_state_timestamp ON orchestrator_state (timestamp);
CREATE INDEX idx_agent_log_task ON agent_execution_log (task_id);
CREATE INDEX idx_agent_log_agent_type ON agent_execution_log (agent_type);
CREATE INDEX idx_agent_log_status ON agent_execution_log (status, started_at);

CREATE INDEX idx_v2_features_epic ON v2_features (epic_id);
CREATE INDEX idx_v2_tasks_status_priority ON v2_tasks (status, priority) WHERE archived_at IS NULL;
CREATE INDEX idx_v2_tasks_feature ON v2_tasks (feature_id);
CREATE INDEX idx_v2_tasks_epic ON v2_tasks (epic_id);
CREATE INDEX idx_v2_tasks_lease ON v2_tasks (lease_owner, lease_expires_at) WHERE status = 'in_progress';
-- Rows changed outside the markdown since the last sync; empty (and free to query) when there is nothing to write back.
CREATE INDEX idx_v2_tasks_unsynced ON v2_tasks (task_id) WHERE status IS NOT synced_status;
CREATE INDEX idx_v2_plan_sync_at ON v2_plan_sync (synced_at);
CREATE INDEX idx_orchestrator_state_kind ON orchestrator_state (kind, state_id);
-- Open attempts (the engine closes them as `released` on recovery).
CREATE INDEX idx_agent_log_open ON agent_execution_log (task_id) WHERE completed_at IS NULL;
