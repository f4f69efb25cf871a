// The plan side of context.db, for the sync service: load the last synced plan, find what the engine changed since,
// and apply one sync (epics, features, tasks, dependencies, archive/restore, the v2_plan_sync row) in ONE transaction.
// Plan columns (title, priority, estimate, agent, verify, blockers, dependencies…) are written only here; the
// engine (TaskStore) writes status and run-time columns only. `synced_status` is the merge base of the status.
import type Database from 'better-sqlite3';
import type { FieldDependency, MergeConflict, TaskFields } from '../../core/merge';
import type { Priority, TaskStatus } from '../../core/model';
import type { DatabaseHandle } from './database';

/** Plan facts of a task that are not merged (the markdown owns them). */
export interface TaskExtras {
  epicId: string;
  featureId: string;
  idExplicit: boolean;
  tags: string[];
  parallel: boolean;
  timeoutMinutes?: number;
}

/** A task as the last sync left it. `fields.status` is the synced status (the merge base), `status` the current one when loaded. */
export interface StoredTask {
  id: string;
  fields: TaskFields;
  extras: TaskExtras;
  status: TaskStatus;
  retryCount: number;
  archived: boolean;
}

/** An epic or feature row. */
export interface StoredGroup {
  id: string;
  title: string;
  priority?: Priority;
  idExplicit: boolean;
  position: number;
  /** Features only. */
  epicId?: string;
  /** Epics only: a Spec Kit phase. */
  isPhase?: boolean;
  archived: boolean;
}

/**
 * A task to insert, or to update (plan columns, synced status, and optionally its status by compare-and-set).
 * `fields` and `extras` may be getters computing them on demand; apply() reads each once per row.
 */
export interface TaskWrite {
  id: string;
  /** Plan fields to store; `fields.status` becomes `synced_status` (and `status` of a new row). */
  readonly fields: TaskFields;
  readonly extras: TaskExtras;
  /** Insert only: the row's current status when it differs from `fields.status` (the synced one). */
  status?: TaskStatus;
  /**
   * Update only: change `status` from `expected` to `next`, only if it still is `expected` (the engine may have moved
   * it meanwhile). When the set does not take, `synced_status` is left as it was too, so the next sync still sees
   * this side's change and merges it against the engine's newer status.
   */
  statusCas?: { expected: TaskStatus; next: TaskStatus };
  /** Update only: un-archive (the task is back in the markdown). */
  restore?: boolean;
  /** Replace the task's dependency rows. Always done for inserts. */
  writeDeps?: boolean;
}

/** What one sync changed, task by task (in the audit row and in the sync's outcome). */
export interface SyncCounts {
  tasksAdded: number;
  tasksUpdated: number;
  tasksArchived: number;
  tasksRestored: number;
  statusesToDb: number;
  statusesToMd: number;
  idsAssigned: number;
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

/** Reads and writes the plan tables for the sync service. */
export class PlanStore {
  private readonly db: Database.Database;
  private readonly st;

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
      insertTask: db.prepare(
        `INSERT INTO v2_tasks (task_id, epic_id, feature_id, title, status, synced_status, priority, estimated_hours, agent, verify,
           blockers, tags, parallel, timeout_minutes, id_explicit, completed_at, created_at, updated_at)
         VALUES (@id, @epic_id, @feature_id, @title, @status, @synced_status, @priority, @estimated_hours, @agent, @verify,
           @blockers, @tags, @parallel, @timeout_minutes, @id_explicit,
           CASE WHEN @status = 'completed' THEN @now END, @now, @now)`,
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
      insertDep: db.prepare<[string, string, string, string, number, string]>(
        `INSERT OR IGNORE INTO task_dependencies (task_id, dependency_task_id, dependency_type, source, position, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
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
      for (const t of change.insertTasks) {
        // `fields` read once per row: a write may compute it on demand (see TaskWrite).
        const f = t.fields;
        this.st.insertTask.run(taskParams(t, f, now));
        this.writeDeps(t.id, f.dependsOn, now);
      }
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
          this.writeDeps(t.id, f.dependsOn, now);
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

  private writeDeps(taskId: string, deps: FieldDependency[], now: string): void {
    for (let i = 0; i < deps.length; i++) {
      const d = deps[i];
      this.st.insertDep.run(taskId, d.id, d.type === 'soft' ? 'soft_dependency' : 'blocks', d.source, i, now);
    }
  }
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
    blockers: JSON.stringify(f.blockers),
    tags: JSON.stringify(e.tags),
    parallel: e.parallel ? 1 : 0,
    timeout_minutes: e.timeoutMinutes ?? null,
    id_explicit: e.idExplicit ? 1 : 0,
    now,
  };
}
