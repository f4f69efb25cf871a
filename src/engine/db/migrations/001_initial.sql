-- 001: the plan (epics, features, tasks, dependencies), the sync audit log, orchestrator state, the agent log.
-- Conventions: `*_at` columns are ISO-8601 UTC text; `*_ms` / `lease_expires_at` are epoch milliseconds.
-- Rows of the plan are never deleted: a task removed from the markdown gets `archived_at` and keeps its history.

CREATE TABLE v2_epics (
  id           TEXT PRIMARY KEY,
  title        TEXT NOT NULL,
  priority     TEXT CHECK (priority IN ('P0', 'P1', 'P2', 'P3')),
  is_phase     INTEGER NOT NULL DEFAULT 0 CHECK (is_phase IN (0, 1)),
  -- 0 when the id was derived (no id written in the heading).
  id_explicit  INTEGER NOT NULL DEFAULT 1 CHECK (id_explicit IN (0, 1)),
  -- Order of the epic in the document.
  position     INTEGER NOT NULL DEFAULT 0,
  archived_at  TEXT,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);

CREATE TABLE v2_features (
  id           TEXT PRIMARY KEY,
  epic_id      TEXT NOT NULL REFERENCES v2_epics (id),
  title        TEXT NOT NULL,
  priority     TEXT CHECK (priority IN ('P0', 'P1', 'P2', 'P3')),
  id_explicit  INTEGER NOT NULL DEFAULT 1 CHECK (id_explicit IN (0, 1)),
  position     INTEGER NOT NULL DEFAULT 0,
  archived_at  TEXT,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
CREATE INDEX idx_v2_features_epic ON v2_features (epic_id);

CREATE TABLE v2_tasks (
  id               TEXT PRIMARY KEY,
  epic_id          TEXT NOT NULL REFERENCES v2_epics (id),
  feature_id       TEXT NOT NULL REFERENCES v2_features (id),
  title            TEXT NOT NULL,
  -- Current status (the engine and sync write it).
  status           TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'in_progress', 'completed', 'blocked', 'failed', 'timeout', 'cancelled', 'skipped')),
  -- Status both sides agreed on at the last sync: the base of the three-way merge. A row whose status differs
  -- from it was changed by the engine since (see idx_v2_tasks_unsynced).
  synced_status    TEXT NOT NULL DEFAULT 'pending'
                   CHECK (synced_status IN ('pending', 'in_progress', 'completed', 'blocked', 'failed', 'timeout', 'cancelled', 'skipped')),
  priority         TEXT CHECK (priority IN ('P0', 'P1', 'P2', 'P3')),
  estimate_hours   REAL,
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
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
CREATE INDEX idx_v2_tasks_status_priority ON v2_tasks (status, priority) WHERE archived_at IS NULL;
CREATE INDEX idx_v2_tasks_feature ON v2_tasks (feature_id);
CREATE INDEX idx_v2_tasks_epic ON v2_tasks (epic_id);
CREATE INDEX idx_v2_tasks_lease ON v2_tasks (lease_owner, lease_expires_at) WHERE status = 'in_progress';
-- Rows the engine changed since the last sync; empty (and free to query) when there is nothing to write back.
CREATE INDEX idx_v2_tasks_unsynced ON v2_tasks (id) WHERE status IS NOT synced_status;

CREATE TABLE task_dependencies (
  task_id          TEXT NOT NULL REFERENCES v2_tasks (id),
  -- Not a foreign key: a reference to an unknown id is kept as written (the graph reports it).
  depends_on_id    TEXT NOT NULL,
  dependency_type  TEXT NOT NULL DEFAULT 'blocks' CHECK (dependency_type IN ('blocks', 'soft')),
  source           TEXT NOT NULL DEFAULT 'explicit' CHECK (source IN ('explicit', 'implicit', 'phase')),
  -- Writing order of the reference within the task.
  position         INTEGER NOT NULL,
  created_at       TEXT NOT NULL,
  PRIMARY KEY (task_id, depends_on_id)
) WITHOUT ROWID;
CREATE INDEX idx_task_dependencies_on ON task_dependencies (depends_on_id, dependency_type);

-- Audit log: one row per applied sync (a sync that found nothing to change writes none).
CREATE TABLE v2_plan_sync (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT,
  synced_at           TEXT NOT NULL,
  -- md_to_db: only the database changed; db_to_md: only the markdown; both: both.
  direction           TEXT NOT NULL CHECK (direction IN ('md_to_db', 'db_to_md', 'both')),
  -- disk: the file; editor: an open (possibly unsaved) editor buffer.
  source              TEXT NOT NULL CHECK (source IN ('disk', 'editor')),
  tasklist_path       TEXT NOT NULL,
  -- sha256 of the markdown text as read, and after the write-back (equal when nothing was written).
  md_checksum_before  TEXT NOT NULL,
  md_checksum_after   TEXT NOT NULL,
  -- sha256 of the database-side changes merged (ids and statuses changed by the engine since the last sync).
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
CREATE INDEX idx_v2_plan_sync_at ON v2_plan_sync (synced_at);

CREATE TABLE orchestrator_state (
  key         TEXT PRIMARY KEY,
  -- JSON.
  value       TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

-- One row per agent attempt; `ended_at IS NULL` while it runs.
CREATE TABLE agent_execution_log (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id        TEXT NOT NULL REFERENCES v2_tasks (id),
  agent          TEXT NOT NULL,
  attempt        INTEGER NOT NULL CHECK (attempt >= 1),
  route_rule     TEXT,
  started_at     TEXT NOT NULL,
  started_ms     INTEGER NOT NULL,
  ended_at       TEXT,
  duration_ms    INTEGER,
  outcome        TEXT CHECK (outcome IS NULL OR outcome IN ('completed', 'failed', 'timeout', 'cancelled', 'released', 'verify_failed')),
  exit_code      INTEGER,
  -- Capped by the store (MAX_OUTPUT_CHARS in taskStore.ts).
  stdout         TEXT,
  stderr         TEXT,
  error          TEXT,
  error_kind     TEXT,
  -- Retries of the task before this attempt.
  retry_count    INTEGER NOT NULL DEFAULT 0,
  tokens_in      INTEGER,
  tokens_out     INTEGER,
  cost_usd       REAL,
  session_id     TEXT,
  summary        TEXT,
  verify_output  TEXT
);
CREATE INDEX idx_agent_execution_log_task ON agent_execution_log (task_id, id);
CREATE INDEX idx_agent_execution_log_open ON agent_execution_log (task_id) WHERE ended_at IS NULL;
CREATE INDEX idx_agent_execution_log_started ON agent_execution_log (started_at);
