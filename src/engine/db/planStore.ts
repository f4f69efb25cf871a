// The plan side of context.db, for the sync service: load the last synced plan, find what the engine changed since,
// and apply one sync (epics, features, tasks, dependencies, archive/restore, the v2_plan_sync row) in ONE transaction.
// Plan columns (title, priority, estimate, agent, verify, blockers, dependencies…) are written only here; the
// engine (TaskStore) writes status and run-time columns only. `synced_status` is the merge base of the status.
import type Database from 'better-sqlite3';
import type { FieldDependency, MergeConflict, TaskFields } from '../../core/merge';
import type { Priority, TaskStatus } from '../../core/model';
import type { StoredGroup, SyncCounts, TaskExtras, TaskWrite } from '../../core/syncPlan';
import type { DatabaseHandle } from './database';

/** A task as the last sync left it. `fields.status` is the synced status (the merge base), `status` the current one when loaded. */
export interface StoredTask {
  id: string;
  fields: TaskFields;
  extras: TaskExtras;
  status: TaskStatus;
  retryCount: number;
  archived: boolean;
}

/** The audit row of one applied sync. */
export interface SyncRecord extends SyncCounts {
  direction: 'md_to_db' | 'db_to_md' | 'both';
  source: 'disk' | 'editor';
  tasklistPath: string;
  mdChecksumBefore: string;
  mdChecksumAfter: string;
  dbChecksum: string;
  epicsChanged: number;
  featuresChanged: number;
  conflicts: MergeConflict[];
  durationMs: number;
}

/** Everything one sync writes. */
export interface PlanChange {
  /** ISO time of the sync. */
  now: string;
  upsertEpics: StoredGroup[];
  archiveEpics: string[];
  upsertFeatures: StoredGroup[];
  archiveFeatures: string[];
  insertTasks: TaskWrite[];
  updateTasks: TaskWrite[];
  archiveTasks: string[];
  record: SyncRecord;
}

/** A stored v2_plan_sync row. */
export interface SyncRecordRow extends SyncRecord {
  id: number;
  syncedAt: string;
}

interface TaskRow {
  task_id: string;
  epic_id: string;
  feature_id: string;
  title: string;
  status: TaskStatus;
  synced_status: TaskStatus;
  priority: Priority | null;
  estimated_hours: number | null;
  agent: string | null;
  verify: string | null;
  blockers: string;
  tags: string;
  parallel: number;
  timeout_minutes: number | null;
  id_explicit: number;
  retry_count: number;
  archived_at: string | null;
}

interface GroupRow {
  id: string;
  title: string;
  priority: Priority | null;
  id_explicit: number;
  position: number;
  archived_at: string | null;
  epic_id?: string;
  is_phase?: number;
}

interface DepRow {
  task_id: string;
  dependency_task_id: string;
  dependency_type: string | null;
  source: 'explicit' | 'implicit' | 'phase';
}

const SELECT_TASKS = `SELECT task_id, epic_id, feature_id, title, status, synced_status, priority, estimated_hours, agent, verify,
  blockers, tags, parallel, timeout_minutes, id_explicit, retry_count, archived_at FROM v2_tasks`;
const SELECT_DEPS = `SELECT task_id, dependency_task_id, dependency_type, source FROM task_dependencies ORDER BY task_id, position, dependency_id`;
const SELECT_EPICS = `SELECT epic_id AS id, title, priority, id_explicit, position, archived_at, is_phase FROM v2_epics`;
const SELECT_FEATURES = `SELECT feature_id AS id, epic_id, title, priority, id_explicit, position, archived_at FROM v2_features`;

/** The plan as the last sync stored it, read through any connection (a read-only one too: `coditect reconcile`). */
export function readStoredPlan(db: Database.Database): { tasks: Map<string, StoredTask>; epics: Map<string, StoredGroup>; features: Map<string, StoredGroup> } {
  return {
    tasks: storedTasks(db.prepare<[], TaskRow>(SELECT_TASKS).iterate(), db.prepare<[], DepRow>(SELECT_DEPS).iterate()),
    epics: new Map(
      db
        .prepare<[], GroupRow>(SELECT_EPICS)
        .all()
        .map((r) => [r.id, group(r)]),
    ),
    features: new Map(
      db
        .prepare<[], GroupRow>(SELECT_FEATURES)
        .all()
        .map((r) => [r.id, group(r)]),
    ),
  };
}

function storedTasks(rows: Iterable<TaskRow>, depRows: Iterable<DepRow>): Map<string, StoredTask> {
  const deps = new Map<string, FieldDependency[]>();
  for (const d of depRows) {
    let list = deps.get(d.task_id);
    if (!list) deps.set(d.task_id, (list = []));
    list.push({ id: d.dependency_task_id, type: d.dependency_type === 'soft_dependency' ? 'soft' : 'blocks', source: d.source });
  }
  const out = new Map<string, StoredTask>();
  for (const r of rows) {
    const fields: TaskFields = {
      status: r.synced_status,
      title: r.title,
      blockers: JSON.parse(r.blockers) as string[],
      dependsOn: deps.get(r.task_id) ?? [],
    };
    if (r.priority !== null) fields.priority = r.priority;
    if (r.estimated_hours !== null) fields.estimateHours = r.estimated_hours;
    if (r.agent !== null) fields.agent = r.agent;
    if (r.verify !== null) fields.verify = r.verify;
    const extras: TaskExtras = {
      epicId: r.epic_id,
      featureId: r.feature_id,
      idExplicit: r.id_explicit === 1,
      tags: JSON.parse(r.tags) as string[],
      parallel: r.parallel === 1,
    };
    if (r.timeout_minutes !== null) extras.timeoutMinutes = r.timeout_minutes;
    out.set(r.task_id, { id: r.task_id, fields, extras, status: r.status, retryCount: r.retry_count, archived: r.archived_at !== null });
  }
  return out;
}

// New tasks and their dependency rows are inserted ROWS_PER_INSERT rows per statement run, each table in the order of
// the single-row inserts they replace (same rowids, same dependency_ids, a task's row before its dependency rows, the
// first of a repeated (task, dependency) pair kept by OR IGNORE). Per run, SQLite opens a cursor on the table and on
// each of its indexes, and evaluates each CHECK with an IN list of more than two values by building a temporary index
// of the list (status, synced_status, priority; source): per row, that cost ~25 µs of a first sync's ~35 µs per task.
// 10,000 tasks: `npm run bench`, sync scenario. 200 rows (3,600 parameters, far under SQLite's 32,766) took 0.8 of
// the time 50 did in that write, with statements run a quarter as often.
const ROWS_PER_INSERT = 200;
const TASK_INSERT = `INSERT INTO v2_tasks (task_id, epic_id, feature_id, title, status, synced_status, priority, estimated_hours, agent,
  verify, blockers, tags, parallel, timeout_minutes, id_explicit, completed_at, created_at, updated_at) VALUES`;
// created_at and updated_at are the sync's time, one named parameter bound once per statement run instead of twice a
// row (20,000 strings fewer to convert and copy on a first sync of 10,000 tasks).
const TASK_INSERT_ROW = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, @now, @now)`;
const DEP_INSERT = `INSERT OR IGNORE INTO task_dependencies (task_id, dependency_task_id, dependency_type, source, position, created_at) VALUES`;
const DEP_INSERT_ROW = `(?, ?, ?, ?, ?, ?)`;

/** Reads and writes the plan tables for the sync service. */
export class PlanStore {
  private readonly db: Database.Database;
  private readonly st;
  /** Multi-row inserts by row count (prepared when first needed). */
  private readonly taskInserts = new Map<number, Database.Statement>();
  private readonly depInserts = new Map<number, Database.Statement>();

  constructor(handle: DatabaseHandle) {
    if (handle.readonly) throw new Error(`PlanStore needs a writable database; ${handle.path} was opened read-only`);
    const db = (this.db = handle.db);
    const taskCols = `epic_id = @epic_id, feature_id = @feature_id, title = @title, priority = @priority,
      estimated_hours = @estimated_hours, agent = @agent, verify = @verify, blockers = @blockers, tags = @tags,
      parallel = @parallel, timeout_minutes = @timeout_minutes, id_explicit = @id_explicit`;
    // `applies` = the compare-and-set condition; every SET expression sees the row as it was before the UPDATE.
    const applies = `(@cas AND status IS @expected)`;
    this.st = {
      tasks: db.prepare<[], TaskRow>(SELECT_TASKS),
      deps: db.prepare<[], DepRow>(SELECT_DEPS),
      epics: db.prepare<[], GroupRow>(SELECT_EPICS),
      features: db.prepare<[], GroupRow>(SELECT_FEATURES),
      unsynced: db.prepare<[], { task_id: string; status: TaskStatus }>(
        `SELECT task_id, status FROM v2_tasks WHERE status IS NOT synced_status AND archived_at IS NULL`,
      ),
      statusOf: db.prepare<[string], { status: TaskStatus }>(`SELECT status FROM v2_tasks WHERE task_id = ?`),
      // Completed by an agent: the task's last attempt ended completed (a tick typed by a person, a status set by a
      // command or another program has none). unixepoch() reads the engine's ISO stamps and the datetime('now') ones
      // other programs write; NULL otherwise.
      agentCompletions: db.prepare<[], { task_id: string; completed_ms: number | null }>(
        `SELECT t.task_id, CAST(unixepoch(t.completed_at, 'subsec') * 1000 AS INTEGER) AS completed_ms FROM v2_tasks t
          WHERE t.status = 'completed' AND t.synced_status = 'completed' AND t.archived_at IS NULL
            AND (SELECT a.status FROM agent_execution_log a WHERE a.task_id = t.task_id ORDER BY a.log_id DESC LIMIT 1) = 'completed'`,
      ),
      // Failed for good by an agent: the task's status is failed or timeout and so is the badge the last sync saw, and
      // its last attempt ended with a failure; when that attempt ended.
      addedAt: db.prepare<[], { task_id: string; added_ms: number | null }>(
        `SELECT task_id, CAST(unixepoch(created_at, 'subsec') * 1000 AS INTEGER) AS added_ms FROM v2_tasks WHERE archived_at IS NULL`,
      ),
      agentFailures: db.prepare<[], { task_id: string; ended_ms: number | null }>(
        `SELECT t.task_id, CAST(unixepoch(a.completed_at, 'subsec') * 1000 AS INTEGER) AS ended_ms FROM v2_tasks t
           JOIN agent_execution_log a ON a.log_id = (SELECT MAX(log_id) FROM agent_execution_log WHERE task_id = t.task_id)
          WHERE t.status IN ('failed', 'timeout') AND t.synced_status = t.status AND t.archived_at IS NULL
            AND a.status IN ('failed', 'timeout', 'verify_failed')`,
      ),
      liveRuntime: db.prepare<[], { task_id: string; status: TaskStatus; retry_count: number }>(
        `SELECT task_id, status, retry_count FROM v2_tasks WHERE archived_at IS NULL`,
      ),
      upsertEpic: db.prepare(
        `INSERT INTO v2_epics (epic_id, title, priority, is_phase, id_explicit, position, archived_at, created_at, updated_at)
         VALUES (@id, @title, @priority, @is_phase, @id_explicit, @position, NULL, @now, @now)
         ON CONFLICT (epic_id) DO UPDATE SET title = excluded.title, priority = excluded.priority, is_phase = excluded.is_phase,
           id_explicit = excluded.id_explicit, position = excluded.position, archived_at = NULL, updated_at = excluded.updated_at`,
      ),
      archiveEpic: db.prepare<[string, string, string]>(`UPDATE v2_epics SET archived_at = ?, updated_at = ? WHERE epic_id = ? AND archived_at IS NULL`),
      upsertFeature: db.prepare(
        `INSERT INTO v2_features (feature_id, epic_id, title, priority, id_explicit, position, archived_at, created_at, updated_at)
         VALUES (@id, @epic_id, @title, @priority, @id_explicit, @position, NULL, @now, @now)
         ON CONFLICT (feature_id) DO UPDATE SET epic_id = excluded.epic_id, title = excluded.title, priority = excluded.priority,
           id_explicit = excluded.id_explicit, position = excluded.position, archived_at = NULL, updated_at = excluded.updated_at`,
      ),
      archiveFeature: db.prepare<[string, string, string]>(
        `UPDATE v2_features SET archived_at = ?, updated_at = ? WHERE feature_id = ? AND archived_at IS NULL`,
      ),
      updateTask: db.prepare<Record<string, unknown>, { status: TaskStatus }>(
        `UPDATE v2_tasks SET ${taskCols},
           synced_status = CASE WHEN @cas AND status IS NOT @expected THEN synced_status ELSE @synced_status END,
           status = CASE WHEN ${applies} THEN @next ELSE status END,
           lease_owner = CASE WHEN ${applies} AND @next != 'in_progress' THEN NULL ELSE lease_owner END,
           lease_expires_at = CASE WHEN ${applies} AND @next != 'in_progress' THEN NULL ELSE lease_expires_at END,
           completed_at = CASE WHEN ${applies} THEN (CASE WHEN @next = 'completed' THEN COALESCE(completed_at, @now) END)
                               ELSE completed_at END,
           archived_at = CASE WHEN @restore THEN NULL ELSE archived_at END,
           updated_at = @now
         WHERE task_id = @id
         RETURNING status`,
      ),
      archiveTask: db.prepare<[string, string, string]>(`UPDATE v2_tasks SET archived_at = ?, updated_at = ? WHERE task_id = ? AND archived_at IS NULL`),
      deleteDeps: db.prepare<[string]>(`DELETE FROM task_dependencies WHERE task_id = ?`),
      insertRecord: db.prepare(
        `INSERT INTO v2_plan_sync (synced_at, direction, source, tasklist_path, md_checksum_before, md_checksum_after,
           db_checksum, epics_changed, features_changed, tasks_added, tasks_updated, tasks_archived, tasks_restored,
           statuses_to_db, statuses_to_md, ids_assigned, conflict_count, conflicts, duration_ms)
         VALUES (@now, @direction, @source, @tasklistPath, @mdChecksumBefore, @mdChecksumAfter, @dbChecksum,
           @epicsChanged, @featuresChanged, @tasksAdded, @tasksUpdated, @tasksArchived, @tasksRestored,
           @statusesToDb, @statusesToMd, @idsAssigned, @conflictCount, @conflictsJson, @durationMs)`,
      ),
      records: db.prepare<[number], Record<string, unknown>>(`SELECT * FROM v2_plan_sync ORDER BY sync_id DESC LIMIT ?`),
    };
  }

  /** Every task row (archived ones included), with its dependencies. */
  loadTasks(): Map<string, StoredTask> {
    return storedTasks(this.st.tasks.iterate(), this.st.deps.iterate());
  }

  /** Every epic row, archived ones included. */
  loadEpics(): Map<string, StoredGroup> {
    return new Map(this.st.epics.all().map((r) => [r.id, group(r)]));
  }

  /** Every feature row, archived ones included. */
  loadFeatures(): Map<string, StoredGroup> {
    return new Map(this.st.features.all().map((r) => [r.id, group(r)]));
  }

  /** Live tasks whose status the engine changed since the last sync, with their current status (a partial index makes this free when empty). */
  unsyncedStatuses(): Map<string, TaskStatus> {
    return new Map(this.st.unsynced.all().map((r) => [r.task_id, r.status]));
  }

  /** Current status of one task (archived ones included). */
  statusOf(id: string): TaskStatus | undefined {
    return this.st.statusOf.get(id)?.status;
  }

  /**
   * Live tasks an agent completed (their last attempt ended completed) whose tick the last sync saw in the markdown,
   * with when they were completed (ms since the epoch; undefined: unknown).
   */
  agentCompletions(): { id: string; completedAt: number | undefined }[] {
    return this.st.agentCompletions.all().map((r) => ({ id: r.task_id, completedAt: r.completed_ms ?? undefined }));
  }

  /**
   * Live tasks an agent failed for good (failed or timeout, their last attempt a failure) whose badge the last sync
   * saw in the markdown, with when that attempt ended (ms since the epoch; undefined: unknown).
   */
  /** When each live task's row was made (its line first synced), ms since the epoch (undefined: unknown). */
  addedAt(): Map<string, number | undefined> {
    return new Map(this.st.addedAt.all().map((r) => [r.task_id, r.added_ms ?? undefined]));
  }

  agentFailures(): { id: string; endedAt: number | undefined }[] {
    return this.st.agentFailures.all().map((r) => ({ id: r.task_id, endedAt: r.ended_ms ?? undefined }));
  }

  /** Current status and retry count of every live task. */
  liveRuntime(): Map<string, { status: TaskStatus; retryCount: number }> {
    return new Map(this.st.liveRuntime.all().map((r) => [r.task_id, { status: r.status, retryCount: r.retry_count }]));
  }

  /**
   * Applies one sync in one transaction. Returns the v2_plan_sync row id and, for each updated task with a status
   * compare-and-set, the status the row has afterwards (`next` when the set took, else the engine's newer status).
   */
  apply(change: PlanChange): { recordId: number; statusAfter: Map<string, TaskStatus> } {
    const after = new Map<string, TaskStatus>();
    let recordId = 0;
    this.db.transaction(() => {
      const now = change.now;
      for (const e of change.upsertEpics) {
        this.st.upsertEpic.run({
          id: e.id,
          title: e.title,
          priority: e.priority ?? null,
          is_phase: e.isPhase ? 1 : 0,
          id_explicit: e.idExplicit ? 1 : 0,
          position: e.position,
          now,
        });
      }
      for (const f of change.upsertFeatures) {
        this.st.upsertFeature.run({
          id: f.id,
          epic_id: f.epicId,
          title: f.title,
          priority: f.priority ?? null,
          id_explicit: f.idExplicit ? 1 : 0,
          position: f.position,
          now,
        });
      }
      // All new rows, then all their dependency rows (each names a task inserted before it; same order as ever).
      const tasks = change.insertTasks;
      const depValues: unknown[] = [];
      for (let start = 0; start < tasks.length; start += ROWS_PER_INSERT) {
        const end = Math.min(tasks.length, start + ROWS_PER_INSERT);
        const taskValues: unknown[] = [];
        for (let i = start; i < end; i++) {
          const t = tasks[i];
          // `fields` read once per row: a write may compute it on demand (see TaskWrite); a node says the same.
          const f: RowFields = t.node ?? t.fields;
          const e: TaskExtras = t.node ?? t.extras;
          const status = t.status ?? f.status;
          taskValues.push(
            t.id,
            e.epicId,
            e.featureId,
            f.title,
            status,
            f.status,
            f.priority ?? null,
            f.estimateHours ?? null,
            f.agent ?? null,
            f.verify ?? null,
            jsonList(f.blockers),
            jsonList(e.tags),
            e.parallel ? 1 : 0,
            e.timeoutMinutes ?? null,
            e.idExplicit ? 1 : 0,
            status === 'completed' ? now : null,
          );
          pushDeps(depValues, t.id, f.dependsOn, now);
        }
        this.insertRows(this.taskInserts, TASK_INSERT, TASK_INSERT_ROW, end - start, taskValues, { now });
      }
      this.insertRows(this.depInserts, DEP_INSERT, DEP_INSERT_ROW, depValues.length / DEP_INSERT_WIDTH, depValues);
      for (const t of change.updateTasks) {
        const f = t.fields;
        const row = this.st.updateTask.get({
          ...taskParams(t, f, now),
          cas: t.statusCas ? 1 : 0,
          expected: t.statusCas?.expected ?? null,
          next: t.statusCas?.next ?? null,
          restore: t.restore ? 1 : 0,
        });
        if (!row) throw new Error(`sync: task ${t.id} vanished from the database during the sync`);
        if (t.statusCas) after.set(t.id, row.status);
        if (t.writeDeps) {
          this.st.deleteDeps.run(t.id);
          const depValues: unknown[] = [];
          pushDeps(depValues, t.id, f.dependsOn, now);
          this.insertRows(this.depInserts, DEP_INSERT, DEP_INSERT_ROW, depValues.length / DEP_INSERT_WIDTH, depValues);
        }
      }
      for (const id of change.archiveTasks) this.st.archiveTask.run(now, now, id);
      for (const id of change.archiveFeatures) this.st.archiveFeature.run(now, now, id);
      for (const id of change.archiveEpics) this.st.archiveEpic.run(now, now, id);
      const r = change.record;
      recordId = Number(
        this.st.insertRecord.run({ ...r, now, conflictCount: r.conflicts.length, conflictsJson: JSON.stringify(r.conflicts), conflicts: undefined })
          .lastInsertRowid,
      );
    })();
    return { recordId, statusAfter: after };
  }

  /** The most recent v2_plan_sync rows, newest first. */
  syncRecords(limit = 20): SyncRecordRow[] {
    return this.st.records.all(limit).map((r) => ({
      id: r.sync_id as number,
      syncedAt: r.synced_at as string,
      direction: r.direction as SyncRecord['direction'],
      source: r.source as SyncRecord['source'],
      tasklistPath: r.tasklist_path as string,
      mdChecksumBefore: r.md_checksum_before as string,
      mdChecksumAfter: r.md_checksum_after as string,
      dbChecksum: r.db_checksum as string,
      epicsChanged: r.epics_changed as number,
      featuresChanged: r.features_changed as number,
      tasksAdded: r.tasks_added as number,
      tasksUpdated: r.tasks_updated as number,
      tasksArchived: r.tasks_archived as number,
      tasksRestored: r.tasks_restored as number,
      statusesToDb: r.statuses_to_db as number,
      statusesToMd: r.statuses_to_md as number,
      idsAssigned: r.ids_assigned as number,
      conflicts: JSON.parse(r.conflicts as string) as MergeConflict[],
      durationMs: r.duration_ms as number,
    }));
  }

  /**
   * Runs `insert` (an INSERT … VALUES) for `rows` rows (`values`: their parameters, row after row), ROWS_PER_INSERT
   * rows per statement run, through statements prepared once per row count.
   */
  private insertRows(
    cache: Map<number, Database.Statement>,
    insert: string,
    row: string,
    rows: number,
    values: unknown[],
    named?: Record<string, unknown>,
  ): void {
    if (rows === 0) return;
    const width = values.length / rows;
    for (let start = 0; start < rows; start += ROWS_PER_INSERT) {
      const n = Math.min(ROWS_PER_INSERT, rows - start);
      let st = cache.get(n);
      if (!st) cache.set(n, (st = this.db.prepare(`${insert} ${Array<string>(n).fill(row).join(', ')}`)));
      const part = n === rows ? values : values.slice(start * width, (start + n) * width);
      if (named) st.run(part, named);
      else st.run(part);
    }
  }
}

/** What a new row is written from: a task's fields, or its parsed node (the same values). */
type RowFields = Omit<TaskFields, 'dependsOn'> & { dependsOn: readonly FieldDependency[] };

/** The dependency rows of task `taskId` as DEP_INSERT parameters, in writing order. */
function pushDeps(out: unknown[], taskId: string, deps: readonly FieldDependency[], now: string): void {
  for (let i = 0; i < deps.length; i++) {
    const d = deps[i];
    out.push(taskId, d.id, d.type === 'soft' ? 'soft_dependency' : 'blocks', d.source, i, now);
  }
}
const DEP_INSERT_WIDTH = 6;

/** A list of strings as its JSON column holds it; most are empty (a call to JSON.stringify per row saved). */
function jsonList(list: readonly string[]): string {
  return list.length === 0 ? '[]' : JSON.stringify(list);
}

function group(r: GroupRow): StoredGroup {
  const g: StoredGroup = { id: r.id, title: r.title, idExplicit: r.id_explicit === 1, position: r.position, archived: r.archived_at !== null };
  if (r.priority !== null) g.priority = r.priority;
  if (r.epic_id !== undefined) g.epicId = r.epic_id;
  if (r.is_phase !== undefined) g.isPhase = r.is_phase === 1;
  return g;
}

function taskParams(t: TaskWrite, f: TaskFields, now: string): Record<string, unknown> {
  const e = t.extras;
  return {
    id: t.id,
    epic_id: e.epicId,
    feature_id: e.featureId,
    title: f.title,
    synced_status: f.status,
    status: t.status ?? f.status,
    priority: f.priority ?? null,
    estimated_hours: f.estimateHours ?? null,
    agent: f.agent ?? null,
    verify: f.verify ?? null,
    blockers: jsonList(f.blockers),
    tags: jsonList(e.tags),
    parallel: e.parallel ? 1 : 0,
    timeout_minutes: e.timeoutMinutes ?? null,
    id_explicit: e.idExplicit ? 1 : 0,
    now,
  };
}
