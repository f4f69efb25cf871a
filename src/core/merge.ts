// Three-way merge of one task's fields between the last synced snapshot (base), the markdown and the database.
// Pure: no I/O. Used by the sync service when a person edits the file while the engine changes statuses.
//
// Rules, per field of MERGED_TASK_FIELDS:
//   - a side equal to the base did not change: the other side's value is taken (both sides' changes survive when
//     they touch different fields);
//   - both sides changed to the same value: taken, no conflict;
//   - lists (`blockers`, `dependsOn` keyed by task id) merge as sets: an element added on either side is kept, an
//     element removed on either side is dropped, order follows the markdown; only a dependency whose attributes
//     (type/source) changed differently on both sides is a conflict;
//   - a true conflict (both sides changed the same field to different values) is resolved and reported:
//       status  1. `completed` on either side wins (a finished result is never lost, and a person's `[x]` is final);
//               2. otherwise a database `in_progress` wins (an agent holds a lease and is working on it right now);
//               3. otherwise the markdown wins (a person's explicit edit beats the engine's non-final outcome:
//                  `[ ]` after an engine `failed` means "run it again", a `skipped` badge means skip).
//       others  the markdown wins: the file is where people write the plan (the engine never edits these fields).
//   - without a base (no snapshot yet) nothing is known to be unchanged: differing scalar fields are resolved by the
//     rules above and reported; lists become the union of both sides.
import { MERGED_TASK_FIELDS, type DependencySource, type DependencyType, type MergedTaskField, type Priority, type TaskNode, type TaskStatus } from './model';

/** A dependency as merged: where it was written (line) is not part of its value. */
export interface FieldDependency {
  id: string;
  type: DependencyType;
  source: DependencySource;
}

/** The merged fields of one task (MERGED_TASK_FIELDS), normalised for comparison. */
export interface TaskFields {
  status: TaskStatus;
  title: string;
  priority?: Priority;
  estimateHours?: number;
  agent?: string;
  verify?: string;
  /** External blockers, without duplicates, in writing order. */
  blockers: string[];
  /** Dependencies, one per id (the first written wins), in writing order. */
  dependsOn: FieldDependency[];
}

// Compile-time check that TaskFields covers exactly the model's merged fields.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const FIELDS_MATCH: Exact<keyof TaskFields, MergedTaskField> = true;
void FIELDS_MATCH;

/** Which side a resolved conflict took. */
export type MergeWinner = 'markdown' | 'database';

/** One field changed on both sides to different values, and how it was resolved. */
export interface MergeConflict {
  taskId: string;
  field: MergedTaskField;
  base: unknown;
  markdown: unknown;
  database: unknown;
  resolved: unknown;
  winner: MergeWinner;
  /** Rule applied: `completed-wins`, `running-wins`, `markdown-wins`, `markdown-owns-field`, or an EngineStatusRule. */
  rule: string;
}

/** Result of merging one task. */
export interface TaskMerge {
  fields: TaskFields;
  conflicts: MergeConflict[];
}

/** The merged fields of a parsed task, normalised (dependencies deduplicated by id, blockers deduplicated). */
export function taskFields(task: TaskNode): TaskFields {
  // Exact-size arrays, and a Set only for long lists: sync calls this for every task of a plan on its first sync.
  const src = task.dependsOn;
  const seen = src.length > 16 ? new Set<string>() : undefined;
  let deps: FieldDependency[] = [];
  for (const d of src) {
    if (seen ? seen.has(d.id) : deps.some((x) => x.id === d.id)) continue;
    seen?.add(d.id);
    deps.push({ id: d.id, type: d.type, source: d.source });
  }
  if (deps.length > 0) deps = deps.slice();
  const f: TaskFields = { status: task.status, title: task.title, blockers: uniqueStrings(task.blockers), dependsOn: deps };
  if (task.priority !== undefined) f.priority = task.priority;
  if (task.estimateHours !== undefined) f.estimateHours = task.estimateHours;
  if (task.agent !== undefined) f.agent = task.agent;
  if (task.verify !== undefined) f.verify = task.verify;
  return f;
}

/** The strings without repeats, first occurrence first (a task has a handful: no Set needed). */
function uniqueStrings(a: readonly string[]): string[] {
  if (a.length === 0) return [];
  if (a.length > 16) return [...new Set(a)];
  const out: string[] = [];
  for (const v of a) if (!out.includes(v)) out.push(v);
  return out.slice();
}

const sameDep = (a: FieldDependency, b: FieldDependency): boolean => a.id === b.id && a.type === b.type && a.source === b.source;

/** Field-wise equality of two values of the same merged field. */
export function sameFieldValue(field: MergedTaskField, a: TaskFields[MergedTaskField], b: TaskFields[MergedTaskField]): boolean {
  if (field === 'blockers') {
    const x = a as string[];
    const y = b as string[];
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  if (field === 'dependsOn') {
    const x = a as FieldDependency[];
    const y = b as FieldDependency[];
    return x.length === y.length && x.every((v, i) => sameDep(v, y[i]));
  }
  return a === b;
}

/** True when every merged field is equal. */
export function sameTaskFields(a: TaskFields, b: TaskFields): boolean {
  for (const f of MERGED_TASK_FIELDS) if (!sameFieldValue(f, a[f], b[f])) return false;
  return true;
}

/** Resolves a status changed differently on both sides (see the rules at the top of this file). */
export function resolveStatusConflict(markdown: TaskStatus, database: TaskStatus): { status: TaskStatus; winner: MergeWinner; rule: string } {
  if (markdown === 'completed') return { status: 'completed', winner: 'markdown', rule: 'completed-wins' };
  if (database === 'completed') return { status: 'completed', winner: 'database', rule: 'completed-wins' };
  if (database === 'in_progress') return { status: 'in_progress', winner: 'database', rule: 'running-wins' };
  return { status: markdown, winner: 'markdown', rule: 'markdown-wins' };
}

/** Rules by which the database's status stands whatever the merge settled on (docs/sync.md): leases are the engine's. */
export type EngineStatusRule = 'engine-starts-tasks' | 'running-wins' | 'engine-ends-tasks';

/**
 * The rule, if any, that keeps the database's status `db` over `merged` (the three-way merge's status), given the
 * base (last synced) and the markdown's status:
 * - `engine-starts-tasks`: a markdown in_progress is never taken, only the engine holds leases;
 * - `running-wins`: nor does a line without its running badge stop a task an agent works on (a tick still completes);
 * - `engine-ends-tasks`: nor does a line that only lost its running badge undo how the engine ended the run since
 *   (awaiting review, failed, …). That text is one read before the engine's write-back of the start (an editor's
 *   buffer or save that crossed it), or the badge of a run deleted by hand, which running-wins also refuses while it
 *   runs. Taken as a person's "run it again", it reset a branch waiting for review to pending, to be run (and paid
 *   for) once more.
 */
export function engineStatusRule(base: TaskStatus | undefined, md: TaskStatus, merged: TaskStatus, db: TaskStatus): EngineStatusRule | undefined {
  if (merged === 'in_progress' && db !== 'in_progress') return 'engine-starts-tasks';
  if (db === 'in_progress' && merged !== 'in_progress' && merged !== 'completed' && merged !== 'skipped') return 'running-wins';
  if (base === 'in_progress' && md === 'pending' && merged === 'pending' && db !== 'pending') return 'engine-ends-tasks';
  return undefined;
}

/** Three-way set merge of keyed lists; order follows `md`, then elements only the database added. */
function mergeList<T>(base: T[], md: T[], db: T[], key: (v: T) => string): { merged: T[]; both: [T, T | undefined, T][] } {
  const bk = new Map(base.map((v) => [key(v), v]));
  const mk = new Map(md.map((v) => [key(v), v]));
  const dk = new Map(db.map((v) => [key(v), v]));
  const merged: T[] = [];
  // Elements present on both sides: their attributes may still need a three-way merge (dependencies).
  const both: [T, T | undefined, T][] = [];
  for (const v of md) {
    const k = key(v);
    const inBase = bk.has(k);
    const inDb = dk.has(k);
    // Kept when both sides have it, or when markdown added it (absent from the base) — unless the database removed it.
    if (inDb) {
      merged.push(v);
      both.push([v, bk.get(k), dk.get(k)!]);
    } else if (!inBase) merged.push(v);
  }
  for (const v of db) {
    const k = key(v);
    if (!mk.has(k) && !bk.has(k)) merged.push(v); // added by the database
  }
  return { merged, both };
}

/**
 * Merges one task three-way. `base` is the snapshot both sides agreed on at the last sync (undefined: none yet).
 * Non-conflicting changes of both sides survive; conflicts are resolved by the documented rules and returned.
 */
export function mergeTask(taskId: string, base: TaskFields | undefined, markdown: TaskFields, database: TaskFields): TaskMerge {
  const conflicts: MergeConflict[] = [];
  const out = { ...markdown } as TaskFields;
  for (const field of MERGED_TASK_FIELDS) {
    const m = markdown[field];
    const d = database[field];
    if (sameFieldValue(field, m, d)) continue; // out already holds the markdown value
    if (field === 'blockers' || field === 'dependsOn') {
      mergeListField(taskId, field, base, markdown, database, out, conflicts);
      continue;
    }
    const b = base?.[field];
    if (base && sameFieldValue(field, m, b as never)) {
      setField(out, field, d as never);
      continue;
    }
    if (base && sameFieldValue(field, d, b as never)) continue;
    // A true conflict.
    if (field === 'status') {
      const r = resolveStatusConflict(markdown.status, database.status);
      out.status = r.status;
      conflicts.push({ taskId, field, base: b, markdown: m, database: d, resolved: r.status, winner: r.winner, rule: r.rule });
    } else {
      conflicts.push({ taskId, field, base: b, markdown: m, database: d, resolved: m, winner: 'markdown', rule: 'markdown-owns-field' });
    }
  }
  return { fields: out, conflicts };
}

function setField<K extends MergedTaskField>(out: TaskFields, field: K, value: TaskFields[K]): void {
  if (value === undefined) delete out[field];
  else out[field] = value;
}

function mergeListField(
  taskId: string,
  field: 'blockers' | 'dependsOn',
  base: TaskFields | undefined,
  markdown: TaskFields,
  database: TaskFields,
  out: TaskFields,
  conflicts: MergeConflict[],
): void {
  if (field === 'blockers') {
    // Without a base, nothing is known to be removed: the union keeps everything either side has.
    out.blockers = mergeList(base?.blockers ?? [], markdown.blockers, database.blockers, (s) => s).merged;
    return;
  }
  const { merged, both } = mergeList(base?.dependsOn ?? [], markdown.dependsOn, database.dependsOn, (d) => d.id);
  const resolved = new Map<string, FieldDependency>();
  for (const [m, b, d] of both) {
    if (sameDep(m, d)) continue;
    if (b && sameDep(m, b)) resolved.set(m.id, d);
    else if (b && sameDep(d, b)) continue;
    else conflicts.push({ taskId, field, base: b, markdown: m, database: d, resolved: m, winner: 'markdown', rule: 'markdown-owns-field' });
  }
  out.dependsOn = merged.map((v) => resolved.get(v.id) ?? v);
}
