-- 003: v2_plan_sync rows that CODITECT did not write. A context.db adopted from another sync tool (see adopt.ts) keeps
-- its audit rows, and those never recorded a direction, a source or checksums: NULL says "not recorded" instead of an
-- invented value. Rows written by CODITECT always fill them (PlanStore.apply). Rebuilt: SQLite cannot drop NOT NULL.
CREATE TABLE new_v2_plan_sync (
  sync_id             INTEGER PRIMARY KEY AUTOINCREMENT,
  synced_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  -- md_to_db: only the database changed; db_to_md: only the markdown; both: both. NULL: not recorded (adopted row).
  direction           TEXT CHECK (direction IN ('md_to_db', 'db_to_md', 'both')),
  -- disk: the file; editor: an open (possibly unsaved) editor buffer.
  source              TEXT CHECK (source IN ('disk', 'editor')),
  tasklist_path       TEXT,
  -- sha256 of the markdown text as read, and after the write-back (equal when nothing was written).
  md_checksum_before  TEXT,
  md_checksum_after   TEXT,
  -- sha256 of the database-side changes merged (ids and statuses changed outside the markdown since the last sync).
  db_checksum         TEXT,
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
INSERT INTO new_v2_plan_sync SELECT * FROM v2_plan_sync;
DROP TABLE v2_plan_sync;
ALTER TABLE new_v2_plan_sync RENAME TO v2_plan_sync;
CREATE INDEX idx_v2_plan_sync_at ON v2_plan_sync (synced_at);
