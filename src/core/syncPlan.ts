// Sync planning, pure: what one sync must change in the database and the markdown, decided from the parsed list,
// the last synced snapshot of every task (kept in memory between syncs) and the statuses the engine changed since.
// Nothing here reads or writes a file or the database: SyncService (src/engine/sync/syncService.ts) reads the
// markdown, asks a SyncPlanner for the merge (mergeAll), the group rows (diffGroups) and the identities to resolve
// against (knownTasks), writes both sides, and tells the planner what was written (applied) so the next sync starts
// from it. The three-way merge of one task is src/core/merge.ts; this file runs it over a whole list, and skips the
// tasks that cannot have changed (see MergedBase) so a one-line edit costs a pass over pointers.
import { headingPath, type KnownTask } from './identity';
import { tasksChangedSince } from './incremental';
import { engineStatusRule, mergeTask, sameFieldValue, taskFields, type MergeConflict, type TaskFields } from './merge';
import { MERGED_TASK_FIELDS, type Diagnostic, type Priority, type TaskList, type TaskNode, type TaskStatus } from './model';
import type { TaskEdit } from './writer';

/** Plan facts of a task that are not merged (the markdown owns them). */
export interface TaskExtras {
  epicId: string;
  featureId: string;
  idExplicit: boolean;
  tags: string[];
  parallel: boolean;
  timeoutMinutes?: number;
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
  /**
   * The parsed task itself when `fields` and `extras` say exactly what it says (a new task without a repeated
   * dependency or blocker): apply() reads the row from it instead of building both for every row of a first sync.
   */
  readonly node?: TaskNode;
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

/** What merging every task of a list produced. */
export interface MergePlan {
  inserts: TaskWrite[];
  updates: TaskWrite[];
  archives: string[];
  restored: number;
  planUpdates: number;
  statusesToDb: number;
  mdEdits: TaskEdit[];
  /** New markdown status of each task whose line gets a status edit. */
  mdStatus: Map<string, TaskStatus>;
  conflicts: MergeConflict[];
  conflictDiagnostics: Diagnostic[];
  /**
   * Tasks completed, or failed for good (failed, timeout), on both sides at the last sync whose tick or badge this
   * markdown no longer shows: the merge reopens them.
   */
  reverted: string[];
  /** Tasks kept completed against an older copy of the file (mergeAll's `keep`). */
  kept: ReadonlySet<string>;
  /** The list merged and, per task, what the next sync may skip (see MergedBase). */
  list: TaskList;
  state: Uint8Array;
  /** The task node of each insert and update, in the same order. */
  insertNodes: TaskNode[];
  updateNodes: TaskNode[];
}

// Per task of the last merged list. 0: merged, compare again next time; CLEAN: nothing was left to do (its snapshot
// equals it); IGNORED: no written id yet, or a later duplicate of an id (left out of the database until fixed).
const CLEAN = 1;
const IGNORED = 2;

/**
 * The list the last sync merged, and what it found per task. The next sync gets its list from the incremental
 * parser, which hands back the SAME task objects for every line not edited; a task object seen again, CLEAN last
 * time, with no status change from the engine, needs no comparison at all: its snapshot (written only by sync) and
 * the object are both as they were. So a one-line edit costs a pass over pointers, not 10,000 field comparisons,
 * and no set or map of all ids is rebuilt.
 */
interface MergedBase {
  list: TaskList;
  state: Uint8Array;
}

const NONE: ReadonlySet<string> = new Set();
/** Statuses a ticked box shows (`[x]`, `[x]` + `status:skipped`). */
const TICKED: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['completed', 'skipped']);
/** What an agent's last attempt can leave a task as when it failed for good; the engine writes it as a badge. */
export const FAILED_FOR_GOOD: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['failed', 'timeout']);

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  // A loop, not every(): this runs for every task on every sync and must not allocate.
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function extrasOf(t: TaskNode): TaskExtras {
  // The node's own tags array: nothing here or in the database layer mutates it.
  const e: TaskExtras = { epicId: t.epicId, featureId: t.featureId, idExplicit: t.idExplicit, tags: t.tags, parallel: t.parallel };
  if (t.timeoutMinutes !== undefined) e.timeoutMinutes = t.timeoutMinutes;
  return e;
}

function sameExtras(a: TaskExtras, b: TaskExtras): boolean {
  return (
    a.epicId === b.epicId &&
    a.featureId === b.featureId &&
    a.idExplicit === b.idExplicit &&
    a.parallel === b.parallel &&
    a.timeoutMinutes === b.timeoutMinutes &&
    sameStrings(a.tags, b.tags)
  );
}

/**
 * The last synced snapshot of a task as the sync caches it: usually the parsed task node itself — after a clean sync
 * the snapshot says exactly what the node says (no duplicate dependencies or blockers to normalise away), and the
 * node is kept by the current list anyway, so a 10,000-task plan keeps no second copy of every task's fields.
 * Otherwise (a conflict resolved, a status not written into the markdown yet, a row loaded from the database, an
 * archived task) the snapshot's own fields. `status`/`retryCount` of a loaded row are not read by sync.
 */
export type Snapshot = TaskNode | { fields: TaskFields; extras: TaskExtras; archived: boolean };

function isNode(s: Snapshot): s is TaskNode {
  return !('fields' in s);
}

export function fieldsOf(s: Snapshot): TaskFields {
  return isNode(s) ? taskFields(s) : s.fields;
}

function snapshotExtras(s: Snapshot): TaskExtras {
  return isNode(s) ? extrasOf(s) : s.extras;
}

function archivedSnapshot(s: Snapshot): boolean {
  return !isNode(s) && s.archived;
}

function hasDuplicates(t: TaskNode): boolean {
  const d = t.dependsOn;
  for (let i = 1; i < d.length; i++) for (let j = 0; j < i; j++) if (d[i].id === d[j].id) return true;
  const b = t.blockers;
  for (let i = 1; i < b.length; i++) for (let j = 0; j < i; j++) if (b[i] === b[j]) return true;
  return false;
}

/** The snapshot to cache for `node` after writing `fields`/`extras`: the node itself when they say the same. */
function snapshotFor(node: TaskNode | undefined, fields: TaskFields, extras: TaskExtras): Snapshot {
  return node && !hasDuplicates(node) && sameAsFields(node, fields, extras) ? node : { fields, extras, archived: false };
}

/**
 * The insert of a new task whose snapshot is exactly what its node says (the common case: a first sync inserts
 * every task so). Its fields are computed when its row is written and not kept: a first sync of 10,000 tasks holds
 * no second copy of every task's fields while it runs.
 */
class NodeWrite implements TaskWrite {
  readonly writeDeps = true;
  constructor(readonly node: TaskNode) {}
  get id(): string {
    return this.node.id;
  }
  get fields(): TaskFields {
    return taskFields(this.node);
  }
  get extras(): TaskExtras {
    return extrasOf(this.node);
  }
  get status(): TaskStatus {
    return this.node.status;
  }
}

/** True when the parsed task equals its snapshot in every stored field (so neither side has anything to merge). */
function unchangedSince(t: TaskNode, s: Snapshot): boolean {
  return isNode(s) ? sameAsNode(t, s) : sameAsFields(t, s.fields, s.extras);
}

function sameAsFields(t: TaskNode, f: TaskFields, e: TaskExtras): boolean {
  if (t.status !== f.status || t.title !== f.title || t.priority !== f.priority || t.estimateHours !== f.estimateHours) return false;
  if (t.agent !== f.agent || t.verify !== f.verify || t.epicId !== e.epicId || t.featureId !== e.featureId) return false;
  if (t.idExplicit !== e.idExplicit || t.parallel !== e.parallel || t.timeoutMinutes !== e.timeoutMinutes || !sameStrings(t.tags, e.tags)) return false;
  // Lists compare as written; a list with duplicates (which the snapshot never has) takes the slow path.
  if (!sameStrings(t.blockers, f.blockers) || t.dependsOn.length !== f.dependsOn.length) return false;
  for (let i = 0; i < t.dependsOn.length; i++) {
    const a = t.dependsOn[i];
    const b = f.dependsOn[i];
    if (a.id !== b.id || a.type !== b.type || a.source !== b.source) return false;
  }
  return true;
}

/** unchangedSince for a snapshot kept as a node: a node carries every field and extra itself (no allocation). */
function sameAsNode(t: TaskNode, n: TaskNode): boolean {
  return t === n || sameAsFields(t, n, n);
}

/** Plan fields equal, status aside. */
function samePlanFields(a: TaskFields, b: TaskFields): boolean {
  for (const f of MERGED_TASK_FIELDS) if (f !== 'status' && !sameFieldValue(f, a[f], b[f])) return false;
  return true;
}

function describe(v: unknown): string {
  if (v === undefined) return '(none)';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

export function conflictDiagnostic(c: MergeConflict, line: number): Diagnostic {
  return {
    line,
    column: 0,
    severity: 'warning',
    code: 'sync-conflict',
    message:
      `${c.taskId}: ${c.field} was changed in the markdown (${describe(c.markdown)}) and in the database (${describe(c.database)}) ` +
      `since the last sync (was ${describe(c.base)}); kept ${describe(c.resolved)} from the ${c.winner} (rule ${c.rule})`,
    data: { ...c },
  };
}

/**
 * Above this share of a list's tasks (or 64 tasks, for small lists), mergeOnly gives up: walking every task is then
 * as cheap as listing those few.
 */
const MERGE_ONLY_MAX_SHARE = 1 / 16;

/**
 * The indices of `tasks` mergeAll must look at against `base` when the engine changed no status, in order, or
 * undefined (look at all): the tasks the incremental parser replaced since the base (tasksChangedSince) and those
 * the last merge did not leave CLEAN or IGNORED (state 0: merged, compare again). Every other task is the same object
 * as last time, CLEAN or IGNORED, and mergeAll would only copy its state. After a one-line edit of a 10,000-task
 * plan that is a scan of 10,000 bytes for zeros instead of a pass over 10,000 task objects.
 */
function mergeOnly(tasks: readonly TaskNode[], base: MergedBase): number[] | undefined {
  const changed = tasksChangedSince(tasks, base.list.tasks);
  if (!changed) return undefined;
  const max = Math.max(64, tasks.length * MERGE_ONLY_MAX_SHARE);
  const state = base.state;
  const out: number[] = [];
  for (let i = state.indexOf(0); i >= 0; i = state.indexOf(0, i + 1)) {
    if (out.length >= max) return undefined;
    out.push(i);
  }
  for (const i of changed) if (state[i] !== 0) out.push(i);
  if (out.length > max) return undefined;
  out.sort((a, b) => a - b);
  // A task patched twice since the base is listed once.
  let w = 0;
  for (let r = 0; r < out.length; r++) if (r === 0 || out[r] !== out[r - 1]) out[w++] = out[r];
  out.length = w;
  return out;
}

/** Epics and features to upsert or archive so the tables match a list. */
export interface GroupChanges {
  upsertEpics: StoredGroup[];
  archiveEpics: string[];
  upsertFeatures: StoredGroup[];
  archiveFeatures: string[];
}

/** Task rows to write. */
export interface TaskChanges {
  insertTasks: TaskWrite[];
  updateTasks: TaskWrite[];
  archiveTasks: string[];
}

/** The last synced state as the database stores it (PlanStore.loadTasks, loadEpics, loadFeatures). */
export interface StoredPlan {
  tasks: Map<string, Snapshot>;
  epics: Map<string, StoredGroup>;
  features: Map<string, StoredGroup>;
}

/**
 * The last synced state of the plan, in memory, and the planning of the next sync against it. The caches mirror the
 * plan tables (only the sync writes plan columns): loaded once from the database, then kept up to date by applied().
 */
export class SyncPlanner {
  private readonly tasks: Map<string, Snapshot>;
  private readonly epics: Map<string, StoredGroup>;
  private readonly features: Map<string, StoredGroup>;
  private mergedBase?: MergedBase;
  /** The last list's tasks and whether every one had its id written (everyIdWritten). */
  private idsWritten?: { tasks: readonly TaskNode[]; all: boolean };

  constructor(stored: StoredPlan) {
    this.tasks = stored.tasks;
    this.epics = stored.epics;
    this.features = stored.features;
  }

  /** The synced status (the merge base) of a known task. */
  syncedStatus(id: string): TaskStatus | undefined {
    const s = this.tasks.get(id);
    return s && fieldsOf(s).status;
  }

  /** Every task the database knows, as identity resolution matches tasks written without an id (src/core/identity.ts). */
  knownTasks(): KnownTask[] {
    const known: KnownTask[] = [];
    for (const [id, snap] of this.tasks) {
      const extras = snapshotExtras(snap);
      const path = headingPath(this.epics.get(extras.epicId)?.title, this.features.get(extras.featureId)?.title);
      known.push({ id, idExplicit: extras.idExplicit, title: fieldsOf(snap).title, path, archived: archivedSnapshot(snap) });
    }
    return known;
  }

  /** The merge a sync settled on (written or not): the next sync compares against it (see MergedBase). */
  settled(merged: MergePlan): void {
    this.mergedBase = { list: merged.list, state: merged.state };
  }

  /**
   * True when every task of `list` has its id written (nothing to resolve, no id to write). Derived from the last
   * answer where it can: the incremental parser hands back the same task objects for every line not edited, so only
   * the tasks that are new objects are read. Reading `idExplicit` from each of 10,000 task nodes (whose shapes vary
   * with their optional fields) twice a sync was ~1 ms of a one-line sync's ~6 (npm run bench, sync scenario). Task
   * nodes are never changed once parsed.
   */
  everyIdWritten(list: TaskList): boolean {
    const tasks = list.tasks;
    const last = this.idsWritten;
    if (last?.tasks === tasks) return last.all;
    let all = true;
    // Patched by the incremental parser from the last list: only the tasks it replaced are new objects.
    const changed = last?.all ? tasksChangedSince(tasks, last.tasks) : undefined;
    if (changed) {
      for (const i of changed) {
        if (!tasks[i].idExplicit) {
          all = false;
          break;
        }
      }
    } else if (last?.all && last.tasks.length === tasks.length) {
      const before = last.tasks;
      for (let i = 0; i < tasks.length; i++) {
        if (tasks[i] !== before[i] && !tasks[i].idExplicit) {
          all = false;
          break;
        }
      }
    } else {
      for (const t of tasks) {
        if (!t.idExplicit) {
          all = false;
          break;
        }
      }
    }
    this.idsWritten = { tasks, all };
    return all;
  }

  /**
   * Merges every task of `list`; `writable(id)` says whether that task's markdown line may be edited; the tasks in
   * `keep` stay completed whatever their box shows (an older copy unticked them: olderCopyTasks). `archivedStatus(id)`:
   * the database's status of an archived task coming back (read only for those).
   */
  mergeAll(
    list: TaskList,
    unsynced: ReadonlyMap<string, TaskStatus>,
    writable: (id: string) => boolean,
    archivedStatus: (id: string) => TaskStatus | undefined,
    keep: ReadonlySet<string> = NONE,
  ): MergePlan {
    const tasks = this.tasks;
    const state = new Uint8Array(list.tasks.length);
    const out: MergePlan = {
      inserts: [],
      updates: [],
      archives: [],
      restored: 0,
      planUpdates: 0,
      statusesToDb: 0,
      mdEdits: [],
      mdStatus: new Map(),
      conflicts: [],
      conflictDiagnostics: [],
      reverted: [],
      kept: keep,
      list,
      state,
      insertNodes: [],
      updateNodes: [],
    };
    const base = this.sameShapeBase(list);
    // Without a base: tasks still without an id are left out until their id is written, and a duplicate id counts
    // once (the parser reports it). With one, the same tasks are left out as last time.
    const seen = base ? undefined : new Set<string>();
    const anyUnsynced = unsynced.size > 0;
    // Only the tasks that can need work, when few: see mergeOnly.
    const only = base && !anyUnsynced ? mergeOnly(list.tasks, base) : undefined;
    if (only) state.set(base!.state);
    const n = only ? only.length : list.tasks.length;
    for (let j = 0; j < n; j++) {
      const i = only ? only[j] : j;
      const task = list.tasks[i];
      // Copied from the base above; each path below sets it again, or leaves 0 as a fresh array would be.
      if (only) state[i] = 0;
      if (base) {
        const was = base.state[i];
        if (was === IGNORED || (was === CLEAN && task === base.list.tasks[i] && !(anyUnsynced && unsynced.has(task.id)))) {
          state[i] = was;
          continue;
        }
      } else {
        // A later task with the same written id (the parser reports it): the first one owns the row.
        if (seen!.has(task.id)) {
          state[i] = IGNORED;
          continue;
        }
        seen!.add(task.id);
      }
      const snap = tasks.get(task.id);
      // Fast path, no allocation: nothing changed on either side (the common case for all but a few tasks).
      if (snap && !archivedSnapshot(snap) && !(anyUnsynced && unsynced.has(task.id)) && unchangedSince(task, snap)) {
        state[i] = CLEAN;
        // A snapshot loaded from the database, equal to this node: keep the node instead (same value, less memory).
        if (!isNode(snap) && !hasDuplicates(task)) tasks.set(task.id, task);
        continue;
      }
      if (!snap && task.status !== 'in_progress' && !hasDuplicates(task)) {
        // New, and nothing to merge or resolve: the row says what the node says.
        out.inserts.push(new NodeWrite(task));
        out.insertNodes.push(task);
        if (task.status !== 'pending') out.statusesToDb++;
        continue;
      }
      const stored = snap && { fields: fieldsOf(snap), extras: snapshotExtras(snap), archived: archivedSnapshot(snap) };
      const md = taskFields(task);
      const extras = extrasOf(task);
      const canWrite = writable(task.id);
      const conflicts: MergeConflict[] = [];
      let mergedFields: TaskFields;
      let dbStatus: TaskStatus;
      if (!stored) {
        dbStatus = 'pending';
        mergedFields = md;
        if (md.status === 'in_progress') {
          mergedFields = { ...md, status: 'pending' };
          conflicts.push({
            taskId: task.id,
            field: 'status',
            base: undefined,
            markdown: md.status,
            database: undefined,
            resolved: 'pending',
            winner: 'database',
            rule: 'engine-starts-tasks',
          });
        }
      } else {
        dbStatus = stored.archived ? (archivedStatus(task.id) ?? stored.fields.status) : (unsynced.get(task.id) ?? stored.fields.status);
        const was = stored.fields.status;
        // An outcome both sides agreed on that this markdown no longer shows: a tick gone, or a failed/timeout badge
        // gone from a line not ticked (a tick on a failed task is a person marking it done).
        const reopens =
          !stored.archived && dbStatus === was && !TICKED.has(md.status) && (was === 'completed' || (FAILED_FOR_GOOD.has(was) && md.status !== was));
        if (reopens) out.reverted.push(task.id);
        // Kept: merged as if its line still showed what both sides agreed on, so the database's status stands and
        // the tick or badge is written again below (mdStatus differs from what the line shows).
        const mdSide = reopens && keep.has(task.id) ? { ...md, status: was } : md;
        const r = mergeTask(task.id, stored.fields, mdSide, { ...stored.fields, status: dbStatus });
        mergedFields = r.fields;
        conflicts.push(...r.conflicts);
        // Only the engine moves a task into or out of in_progress (it holds the lease), nor does a line that lost its
        // running badge undo how a run ended (engineStatusRule): a text older than the engine's write-back would take
        // the task from its agent (its finished result thrown away) or run it again.
        const rule = engineStatusRule(was, md.status, mergedFields.status, dbStatus);
        if (rule) {
          // This rule decides the status: a status conflict the field merge reported (and resolved otherwise) is not one.
          const other = conflicts.findIndex((c) => c.field === 'status');
          if (other >= 0) conflicts.splice(other, 1);
          conflicts.push({
            taskId: task.id,
            field: 'status',
            base: stored.fields.status,
            markdown: md.status,
            database: dbStatus,
            resolved: dbStatus,
            winner: 'database',
            rule,
          });
          mergedFields = { ...mergedFields, status: dbStatus };
        }
      }
      for (const c of conflicts) {
        out.conflicts.push(c);
        out.conflictDiagnostics.push(conflictDiagnostic(c, task.line));
      }
      // What the markdown will show, and so what the snapshot records.
      const mdStatus = canWrite ? mergedFields.status : md.status;
      if (mdStatus !== md.status) {
        out.mdEdits.push({ taskId: task.id, status: mdStatus });
        out.mdStatus.set(task.id, mdStatus);
      }
      const snapshot: TaskFields = mdStatus === mergedFields.status ? mergedFields : { ...mergedFields, status: mdStatus };
      if (!stored) {
        out.inserts.push({ id: task.id, fields: snapshot, extras, status: mergedFields.status, writeDeps: true });
        out.insertNodes.push(task);
        if (mergedFields.status !== 'pending') out.statusesToDb++;
        continue;
      }
      const planChanged = !samePlanFields(mergedFields, stored.fields) || !sameExtras(extras, stored.extras);
      const statusChanged = mergedFields.status !== dbStatus;
      if (planChanged || statusChanged || mdStatus !== stored.fields.status || stored.archived) {
        out.updates.push({
          id: task.id,
          fields: snapshot,
          extras,
          statusCas: statusChanged ? { expected: dbStatus, next: mergedFields.status } : undefined,
          restore: stored.archived,
          writeDeps: !sameFieldValue('dependsOn', mergedFields.dependsOn, stored.fields.dependsOn),
        });
        out.updateNodes.push(task);
        if (planChanged) out.planUpdates++;
        if (statusChanged) out.statusesToDb++;
        if (stored.archived) out.restored++;
      }
    }
    // With a base, every task of the last list is in this one, and those missing from that were archived then.
    if (seen) for (const [id, t] of tasks) if (!archivedSnapshot(t) && !seen.has(id)) out.archives.push(id);
    return out;
  }

  /** Epics and features to upsert or archive so the tables match `list` (the markdown owns them; no merge). */
  diffGroups(list: TaskList): GroupChanges {
    // The same epic and feature objects as the last sync (the incremental parser shares them) and the same tasks in
    // the same groups: the tables already match (the last sync wrote whatever differed).
    const base = this.mergedBase;
    if (base && list.epics === base.list.epics && list.features === base.list.features && this.sameShapeBase(list)) {
      return { upsertEpics: [], archiveEpics: [], upsertFeatures: [], archiveFeatures: [] };
    }
    const epics: StoredGroup[] = [];
    const features: StoredGroup[] = [];
    const epicIds = new Set<string>();
    const featureIds = new Set<string>();
    for (const e of list.epics) {
      if (epicIds.has(e.id)) continue;
      epicIds.add(e.id);
      const g: StoredGroup = { id: e.id, title: e.title, idExplicit: e.idExplicit, position: epics.length, isPhase: e.phase ?? false, archived: false };
      if (e.priority) g.priority = e.priority;
      epics.push(g);
    }
    for (const f of list.features) {
      if (featureIds.has(f.id)) continue;
      featureIds.add(f.id);
      const g: StoredGroup = { id: f.id, epicId: f.epicId, title: f.title, idExplicit: f.idExplicit, position: features.length, archived: false };
      if (f.priority) g.priority = f.priority;
      features.push(g);
    }
    // Tasks may sit in groups the list does not declare (tasks directly under an epic, before any heading): the
    // foreign keys need a row for each.
    for (const t of list.tasks) {
      if (!epicIds.has(t.epicId)) {
        epicIds.add(t.epicId);
        epics.push({ id: t.epicId, title: t.epicId, idExplicit: false, position: epics.length, isPhase: false, archived: false });
      }
      if (!featureIds.has(t.featureId)) {
        featureIds.add(t.featureId);
        features.push({ id: t.featureId, epicId: t.epicId, title: t.featureId, idExplicit: false, position: features.length, archived: false });
      }
    }
    for (const f of features)
      if (f.epicId !== undefined && !epicIds.has(f.epicId)) {
        epicIds.add(f.epicId);
        epics.push({ id: f.epicId, title: f.epicId, idExplicit: false, position: epics.length, isPhase: false, archived: false });
      }
    const changed = (a: StoredGroup, b: StoredGroup | undefined): boolean =>
      !b ||
      b.archived ||
      a.title !== b.title ||
      a.priority !== b.priority ||
      a.idExplicit !== b.idExplicit ||
      a.position !== b.position ||
      (a.isPhase ?? false) !== (b.isPhase ?? false) ||
      a.epicId !== b.epicId;
    return {
      upsertEpics: epics.filter((e) => changed(e, this.epics.get(e.id))),
      archiveEpics: [...this.epics.values()].filter((e) => !e.archived && !epicIds.has(e.id)).map((e) => e.id),
      upsertFeatures: features.filter((f) => changed(f, this.features.get(f.id))),
      archiveFeatures: [...this.features.values()].filter((f) => !f.archived && !featureIds.has(f.id)).map((f) => f.id),
    };
  }

  /**
   * Records what a sync wrote to the database: the snapshots and groups the next sync merges against.
   * `statusAfter`: the status of each compare-and-set row after the write (see TaskWrite.statusCas).
   */
  applied(change: GroupChanges & TaskChanges, statusAfter: ReadonlyMap<string, TaskStatus>, merged: MergePlan): void {
    const tasks = this.tasks;
    for (const g of change.upsertEpics) this.epics.set(g.id, { ...g, archived: false });
    for (const g of change.upsertFeatures) this.features.set(g.id, { ...g, archived: false });
    for (const id of change.archiveEpics) this.epics.set(id, { ...this.epics.get(id)!, archived: true });
    for (const id of change.archiveFeatures) this.features.set(id, { ...this.features.get(id)!, archived: true });
    change.insertTasks.forEach((w, i) => tasks.set(w.id, w instanceof NodeWrite ? w.node : snapshotFor(merged.insertNodes[i], w.fields, w.extras)));
    change.updateTasks.forEach((w, i) => {
      const prev = tasks.get(w.id)!;
      // A compare-and-set that did not take left synced_status as it was (see TaskWrite.statusCas).
      const lost = w.statusCas !== undefined && statusAfter.get(w.id) !== w.statusCas.next;
      const fields = lost ? { ...w.fields, status: fieldsOf(prev).status } : w.fields;
      tasks.set(w.id, snapshotFor(merged.updateNodes[i], fields, w.extras));
    });
    for (const id of change.archiveTasks) {
      const prev = tasks.get(id)!;
      tasks.set(id, { fields: fieldsOf(prev), extras: snapshotExtras(prev), archived: true });
    }
  }

  /**
   * The last merged list when `list` has the same tasks in the same places (same ids, written or not, and groups):
   * true of every list the incremental parser returns, and then duplicates, archives and groups are as they were.
   */
  private sameShapeBase(list: TaskList): MergedBase | undefined {
    const base = this.mergedBase;
    if (!base) return undefined;
    const a = list.tasks;
    const b = base.list.tasks;
    if (a.length !== b.length) return undefined;
    const same = (x: TaskNode, y: TaskNode): boolean =>
      x === y || (x.id === y.id && x.idExplicit === y.idExplicit && x.epicId === y.epicId && x.featureId === y.featureId);
    // Patched by the incremental parser from the last list: only the tasks it replaced can differ.
    const changed = tasksChangedSince(a, b);
    if (changed) {
      for (const i of changed) if (!same(a[i], b[i])) return undefined;
      return base;
    }
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return undefined;
    return base;
  }
}
