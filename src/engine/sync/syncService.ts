// Two-way sync between the markdown task list and context.db.
//
// One sync: read the markdown (the file, or an open editor's unsaved buffer), find what the engine changed in the
// database since the last sync (rows whose status differs from `synced_status`), and if neither side changed
// (same markdown checksum, no such rows) stop there. Otherwise: parse, give id-less tasks their ids, merge every task
// three-way against the last synced snapshot (src/core/merge.ts: both sides' changes survive, true conflicts follow
// the documented rules and are reported), write the markdown's new statuses surgically (only those lines change),
// then write the database — plan rows, archive/restore, statuses, the new snapshot and one v2_plan_sync row — in ONE
// transaction. A sync that changes nothing in either place writes no row.
//
// Invariants:
//   - syncs never overlap: every public entry point queues behind the previous one;
//   - the markdown is written before the database, and the snapshot records only what the markdown really shows:
//     when a markdown write could not happen (stale editor buffer, write error), those rows keep their old snapshot
//     so the next sync writes them again — nothing is lost;
//   - a file changed by someone between our read and our write is never overwritten: the write is abandoned and the
//     sync starts over from the new file;
//   - the markdown cannot start a task: an `in_progress` badge a person typed is reverted to the engine's status
//     (reported as a conflict), because only the engine holds leases; nor stop a running one (only a tick, `[x]`,
//     changes it: a line read without its badge keeps the task with its agent, reported as running-wins);
//   - a zero-byte file is treated as a save in progress (editors that truncate then write), not as "delete every
//     task": nothing is archived, the sync waits for the next change.
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeTaskList, type TaskListEncoding } from '../../core/decode';
import { missingIdEdits, writesIds, type WriteIds } from '../../core/ids';
import { headingPath, resolveIdentities, type KnownTask } from '../../core/identity';
import { mergeTask, sameFieldValue, taskFields, type MergeConflict, type TaskFields } from '../../core/merge';
import { OLDER_COPY_MIN_REVERTS, olderCopyReverts } from '../../core/olderCopy';
import { MERGED_TASK_FIELDS, type Diagnostic, type MergedTaskField, type TaskList, type TaskNode, type TaskStatus } from '../../core/model';
import type { ParseOptions } from '../../core/parser';
import { applyLineEdits, planTaskEdits, type TaskEdit } from '../../core/writer';
import type { ApplyEditsResult, LineEditView, SyncResult } from '../../protocol/engineProtocol';
import { olderCopyText } from '../../protocol/presentation';
import type { DatabaseHandle } from '../db/database';
import { PlanStore, type PlanChange, type StoredGroup, type SyncCounts, type TaskExtras, type TaskWrite } from '../db/planStore';
import type { TaskStore } from '../db/taskStore';
import type { EditApplier } from '../engineApi';
import { sha256, writeFileAtomic, writeFileInPlace } from './atomicWrite';
import { ReusableFileReader } from './fileReader';
import { errorMessage } from '../../core/describe';
import { IncrementalSource, type Source } from './incrementalSource';
import { workItemsDocument, writeWorkItems } from './workItems';

/** Options of SyncService. */
export interface SyncServiceOptions {
  /** The open, writable database (the caller owns it and closes it). */
  handle: DatabaseHandle;
  /** Not needed by sync (it writes plan rows through its own PlanStore on the same handle); accepted so a composition may pass it. */
  store?: TaskStore;
  /** The markdown task list. */
  tasklistPath: string;
  /** Clock (epoch ms). Default Date.now. */
  now?: () => number;
  /** Applies line edits to the document open in an editor (see ApplyEdits in the protocol). Default: none (files only). */
  applyEdits?: EditApplier;
  /**
   * Never write the markdown (an untrusted workspace shows the plan read-only): ids and statuses reach the database
   * only, and the edits stay pending. Default false.
   */
  readOnly?: boolean;
  /** How many times a disk sync starts over when the file keeps changing under it. Default 5. */
  maxRetries?: number;
  /**
   * Which files get the ids of tasks written without one (`sync.write_ids`): `dialect` (default: only files in the
   * CODITECT dialect), `always`, `never`. Other tasks keep their identity in the database.
   */
  writeIds?: WriteIds;
  /**
   * Write the markdown in place (same inode) instead of replacing it by a rename: true while agents run sandboxed,
   * whose read-only view of the plan a rename would lift (atomicWrite.ts, writeFileInPlace). Default: never.
   */
  writeInPlace?: () => boolean;
  /** Where an in-place write keeps its crash record; required with writeInPlace. Must be out of agents' reach. */
  pendingWritePath?: string;
  /**
   * Headings and labels whose checkboxes are criteria (`sync.criteria_headings`, ParseOptions.criteriaHeadings).
   * Default: the parser's DEFAULT_CRITERIA_HEADINGS.
   */
  criteriaHeadings?: readonly string[];
}

/** What one sync did. Extends the protocol's SyncResult (`applied`, `direction`, `conflicts` count, `diagnostics`). */
export interface SyncOutcome extends SyncResult, SyncCounts {
  /** Nothing changed on either side (checksums equal): nothing was parsed or written. */
  skipped: boolean;
  source: 'disk' | 'editor';
  conflictList: MergeConflict[];
  /** v2_plan_sync row of an applied sync. */
  recordId?: number;
  /** Some markdown edits could not be made now (stale editor buffer, write error); the next sync retries them. */
  pendingWriteBack: boolean;
  /** sha256 of the markdown text (UTF-8) after this sync. */
  checksum: string;
  /**
   * Tasks this sync kept completed although the markdown unticked them, because the write was another program's older
   * copy of the file (src/core/olderCopy.ts), in plan order; their boxes are ticked again. Empty almost always.
   */
  olderCopy: string[];
}

/** Events of SyncService. */
export interface SyncEvents {
  /** After every sync that read a changed markdown or applied changes: the current list and all diagnostics. */
  'plan:synced': { list: TaskList; diagnostics: Diagnostic[]; result: SyncOutcome };
  /** One per conflict found by a sync (also in `plan:synced` diagnostics and in the v2_plan_sync row). */
  'sync:conflict': { taskId: string; field: MergedTaskField; message: string; conflict: MergeConflict; diagnostic: Diagnostic };
}

type Attempt = SyncOutcome | 'retry' | 'use-disk';
type WriteResult = 'applied' | 'not-applied' | 'retry' | 'use-disk';

/** What merging every task of a list produced. */
interface MergePlan {
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
  /** Tasks completed on both sides at the last sync whose box this markdown shows unticked: the merge reopens them. */
  unticked: string[];
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

const EMPTY_LIST: TaskList = { dialect: 'markdown', eol: '\n', epics: [], features: [], tasks: [], diagnostics: [] };

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
type Snapshot = TaskNode | { fields: TaskFields; extras: TaskExtras; archived: boolean };

function isNode(s: Snapshot): s is TaskNode {
  return !('fields' in s);
}

function fieldsOf(s: Snapshot): TaskFields {
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

const LINE_BREAK = /\r\n|\n|\r/;

/** The changed lines between two texts with the same line count, as the editor protocol carries them. */
export function lineEditViews(before: string, after: string): LineEditView[] | undefined {
  const a = before.split(LINE_BREAK);
  const b = after.split(LINE_BREAK);
  if (a.length !== b.length) return undefined;
  const out: LineEditView[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push({ line: i, text: b[i], expected: a[i] });
  return out;
}

function describe(v: unknown): string {
  if (v === undefined) return '(none)';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function conflictDiagnostic(c: MergeConflict, line: number): Diagnostic {
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

/** Keeps context.db and the markdown task list in sync (see the top of this file). */
const NO_COUNTS: Readonly<SyncCounts> = {
  tasksAdded: 0,
  tasksUpdated: 0,
  tasksArchived: 0,
  tasksRestored: 0,
  statusesToDb: 0,
  statusesToMd: 0,
  idsAssigned: 0,
};

export class SyncService {
  readonly tasklistPath: string;
  private readonly plan: PlanStore;
  private readonly now: () => number;
  private readonly maxRetries: number;
  private readonly reader = new ReusableFileReader();
  private applyEdits?: EditApplier;
  private readonly readOnly: boolean;
  private readonly writeIds: WriteIds;
  private readonly inPlace?: { when: () => boolean; pendingPath: string };
  /** The markdown as a sync reads it, parsed incrementally from the last one (incrementalSource.ts). */
  private readonly source: IncrementalSource;

  // Last synced state. The caches mirror the plan tables: only this class writes plan columns.
  private tasks?: Map<string, Snapshot>;
  private epics = new Map<string, StoredGroup>();
  private features = new Map<string, StoredGroup>();
  private list: TaskList = EMPTY_LIST;
  private encoding: TaskListEncoding = 'utf8';
  private syncedChecksum?: string;
  private fileChecksum?: string;
  private lastDiagnostics: Diagnostic[] = [];
  private editorText?: string;
  private editorVersion = -Infinity;
  private mergedBase?: MergedBase;

  private tail: Promise<unknown> = Promise.resolve();
  private running = 0;
  private closed = false;
  private readonly listeners = new Map<keyof SyncEvents, Set<(p: never) => void>>();

  constructor(opts: SyncServiceOptions) {
    if (!opts || !opts.handle) throw new Error('SyncService: handle (an open DatabaseHandle) is required');
    if (typeof opts.tasklistPath !== 'string' || opts.tasklistPath === '')
      throw new Error(`SyncService: tasklistPath must be a non-empty path, got ${String(opts.tasklistPath)}`);
    if (opts.maxRetries !== undefined && (!Number.isInteger(opts.maxRetries) || opts.maxRetries < 0)) {
      throw new Error(`SyncService: maxRetries must be a non-negative integer, got ${String(opts.maxRetries)}`);
    }
    if (opts.applyEdits !== undefined && typeof opts.applyEdits !== 'function')
      throw new Error(`SyncService: applyEdits must be a function, got ${typeof opts.applyEdits}`);
    this.tasklistPath = resolve(opts.tasklistPath);
    this.plan = new PlanStore(opts.handle);
    this.now = opts.now ?? Date.now;
    this.maxRetries = opts.maxRetries ?? 5;
    this.applyEdits = opts.applyEdits;
    this.readOnly = opts.readOnly === true;
    if (opts.writeIds !== undefined && !['dialect', 'always', 'never'].includes(opts.writeIds)) {
      throw new Error(`sync.write_ids must be dialect, always or never, got ${JSON.stringify(opts.writeIds)}`);
    }
    this.writeIds = opts.writeIds ?? 'dialect';
    if (opts.writeInPlace && !opts.pendingWritePath) throw new Error('SyncService: writeInPlace needs pendingWritePath (where its crash record goes)');
    if (opts.writeInPlace && opts.pendingWritePath) this.inPlace = { when: opts.writeInPlace, pendingPath: resolve(opts.pendingWritePath) };
    const parseOptions: ParseOptions = {};
    if (opts.criteriaHeadings !== undefined) {
      if (!Array.isArray(opts.criteriaHeadings) || opts.criteriaHeadings.some((h) => typeof h !== 'string'))
        throw new Error(`sync.criteria_headings must be an array of strings, got ${JSON.stringify(opts.criteriaHeadings)}`);
      parseOptions.criteriaHeadings = [...opts.criteriaHeadings];
    }
    this.source = new IncrementalSource(parseOptions);
  }

  /** Syncs with the file on disk. `force`: merge even when the checksums say nothing changed. */
  syncFromDisk(opts: { force?: boolean } = {}): Promise<SyncOutcome> {
    return this.serial(() => this.runDisk(opts.force === true));
  }

  /**
   * Syncs with an open editor's (possibly unsaved) text. Markdown edits go to the editor through `applyEdits`;
   * `not-open` falls back to the file, `stale` leaves them for the next sync. Older versions than one seen are ignored.
   */
  syncFromText(text: string, version: number): Promise<SyncOutcome> {
    if (typeof text !== 'string') return Promise.reject(new Error(`syncFromText: text must be a string, got ${typeof text}`));
    return this.serial(async () => {
      if (version < this.editorVersion) return this.skipped('editor');
      this.editorText = text;
      this.editorVersion = version;
      const r = await this.runSync({ kind: 'editor', text, encoding: this.encoding, decodeDiagnostics: [] });
      if (r === 'use-disk') return this.runDisk();
      if (r === 'retry') throw new Error('internal: an editor sync cannot ask for a retry');
      return r;
    });
  }

  /** After the engine changed statuses: writes them to the markdown (the open editor's buffer if any, else the file). */
  writeBack(): Promise<SyncOutcome> {
    return this.serial(async () => {
      if (this.editorText !== undefined && this.applyEdits) {
        const r = await this.runSync({ kind: 'editor', text: this.editorText, encoding: this.encoding, decodeDiagnostics: [] });
        if (r !== 'use-disk' && r !== 'retry') return r;
      }
      return this.runDisk();
    });
  }

  /** The task list as last synced (statuses as the markdown shows them). */
  current(): TaskList {
    return this.list;
  }

  /** Every diagnostic of the last sync: decoding, parsing, conflicts, write problems. */
  diagnostics(): Diagnostic[] {
    return this.lastDiagnostics;
  }

  /** sha256 of the task-list file's bytes as this service last read or wrote them (the watcher skips its own writes by it). */
  lastFileChecksum(): string | undefined {
    return this.fileChecksum;
  }

  /** True while a sync runs or is queued. */
  get busy(): boolean {
    return this.running > 0;
  }

  /** Attaches (or with `undefined` detaches) the editor's edit applier. Detaching forgets the editor buffer. */
  setEditApplier(applier: EditApplier | undefined): void {
    this.applyEdits = applier;
    if (!applier) {
      this.editorText = undefined;
      this.editorVersion = -Infinity;
    }
  }

  /** The editor closed the document: the file is the markdown again. */
  editorClosed(): void {
    this.editorText = undefined;
    this.editorVersion = -Infinity;
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof SyncEvents>(event: K, listener: (payload: SyncEvents[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (p: never) => void);
    return () => set!.delete(listener as (p: never) => void);
  }

  /** Waits for queued syncs and refuses new ones. Idempotent. Does not close the database (its owner does). */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail.catch(() => undefined);
    this.listeners.clear();
  }

  /** Writes v2-work-items.json (workItems.ts) from the current list and the database's statuses; returns the path and item count. */
  exportWorkItems(outPath: string): { path: string; count: number } {
    return writeWorkItems(outPath, workItemsDocument(this.list, this.plan.liveRuntime(), this.now(), this.tasklistPath));
  }

  // ------------------------------------------------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('SyncService is closed'));
    this.running++;
    const run = this.tail.then(fn, fn).finally(() => this.running--);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async runDisk(force = false): Promise<SyncOutcome> {
    for (let attempt = 0; ; attempt++) {
      let bytes: Uint8Array;
      try {
        bytes = this.reader.read(this.tasklistPath);
      } catch (e) {
        throw new Error(`cannot read task list ${this.tasklistPath}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`, { cause: e });
      }
      if (bytes.length === 0) {
        this.fileChecksum = sha256(bytes);
        // A save in progress (truncate, then write) or a file emptied by mistake: never a reason to archive every task.
        const out = this.skipped('disk');
        out.diagnostics = [
          ...out.diagnostics.filter((d) => d.code !== 'tasklist-empty'),
          {
            line: 0,
            column: 0,
            severity: 'info',
            code: 'tasklist-empty',
            message: `${this.tasklistPath} is empty; nothing was synced (tasks are archived only when removed from a non-empty file)`,
          },
        ];
        return out;
      }
      const src = this.source.fromDisk(bytes, sha256(bytes));
      const r = await this.runSync(src, force);
      if (r !== 'retry' && r !== 'use-disk' && !src.wroteFile) this.fileChecksum = src.bytesChecksum;
      if (r !== 'retry' && r !== 'use-disk') return r;
      if (attempt >= this.maxRetries) throw new Error(`${this.tasklistPath} kept changing while it was being synced (${attempt + 1} attempts); try again`);
    }
  }

  private skipped(source: 'disk' | 'editor'): SyncOutcome {
    return {
      applied: false,
      skipped: true,
      source,
      conflicts: 0,
      conflictList: [],
      diagnostics: this.lastDiagnostics,
      ...NO_COUNTS,
      pendingWriteBack: false,
      checksum: this.syncedChecksum ?? '',
      olderCopy: [],
    };
  }

  private ensureLoaded(): Map<string, Snapshot> {
    if (!this.tasks) {
      this.tasks = this.plan.loadTasks();
      this.epics = this.plan.loadEpics();
      this.features = this.plan.loadFeatures();
    }
    return this.tasks;
  }

  /**
   * `list` with every task written without an id known by the row it was synced as (heading path and title, then a
   * similar title; src/core/identity.ts), so its history follows it when lines move or its title is edited.
   */
  private resolve(list: TaskList): TaskList {
    if (!list.tasks.some((t) => !t.idExplicit)) return list;
    const known: KnownTask[] = [];
    for (const [id, snap] of this.tasks!) {
      const extras = snapshotExtras(snap);
      const path = headingPath(this.epics.get(extras.epicId)?.title, this.features.get(extras.featureId)?.title);
      known.push({ id, idExplicit: extras.idExplicit, title: fieldsOf(snap).title, path, archived: archivedSnapshot(snap) });
    }
    return resolveIdentities(list, known);
  }

  private async runSync(src: Source, force = false): Promise<Attempt> {
    const started = performance.now();
    this.ensureLoaded();
    const checksum = src.textChecksum ?? sha256(src.text);
    const unsynced = this.plan.unsyncedStatuses();
    if (!force && checksum === this.syncedChecksum && unsynced.size === 0) return this.skipped(src.kind);
    // raw*: the parser's lists (the incremental parser's bases); list*: the same with the identity of every task
    // written without an id resolved against the database (src/core/identity.ts).
    const raw0 = !force && checksum === this.syncedChecksum ? undefined : this.source.parse(src);
    const list0 = raw0 ? this.resolve(raw0) : this.list;

    // `src.text` is only read below when the markdown must be edited: a disk read patched from its bytes' diff is
    // never decoded whole. text1/text2: the text after ids / after statuses, when they changed anything.
    // 1. Ids for tasks written without one, written into their lines (withIds).
    const { text1, raw1, list1 } = this.withIds(src, raw0, list0);

    // 2. Merge every task; statuses to write into the markdown become surgical line edits (mergeStatuses).
    const writeDiagnostics: Diagnostic[] = [];
    const statuses = this.mergeStatuses(src, text1, list1, unsynced, writeDiagnostics);
    let merged = statuses.merged;
    const text2 = statuses.text2;

    // 3. The markdown first: the snapshot must only record what the markdown really shows.
    let finalText: string | undefined;
    let finalList = list0;
    let mdWritten = false;
    if (text2 !== undefined) {
      const w = await this.writeMarkdown(src, text2, writeDiagnostics);
      if (w === 'retry' || w === 'use-disk') return w;
      if (w === 'applied') {
        finalText = text2;
        finalList = list1;
        mdWritten = true;
      } else {
        merged = this.mergeAll(list0, unsynced, () => false, merged.kept);
      }
    } else {
      finalList = list1;
    }
    const counts: SyncCounts = {
      tasksAdded: merged.inserts.length,
      tasksUpdated: merged.planUpdates,
      tasksArchived: merged.archives.length,
      tasksRestored: merged.restored,
      statusesToDb: merged.statusesToDb,
      statusesToMd: mdWritten ? merged.mdEdits.length : 0,
      idsAssigned: mdWritten ? list0.tasks.filter((t) => !t.idExplicit).length - list1.tasks.filter((t) => !t.idExplicit).length : 0,
    };
    const pendingWriteBack = text2 !== undefined && !mdWritten;

    // 4. The database, in one transaction with its audit row (applyToDatabase).
    const finalChecksum = mdWritten ? sha256(finalText!) : checksum;
    const { applied, direction, recordId } = this.applyToDatabase({ src, merged, finalList, counts, unsynced, mdWritten, checksum, finalChecksum, started });

    // 5. The new current state.
    // Statuses written into the markdown are patched into fresh task objects (lists already handed out stay as they were).
    if (mdWritten) {
      // Only the first task with an id had its line edited (a later duplicate is never edited through the id).
      const patched = new Set<string>();
      finalList = {
        ...finalList,
        tasks: finalList.tasks.map((t) => {
          const s = merged.mdStatus.get(t.id);
          if (s === undefined || patched.has(t.id)) return t;
          patched.add(t.id);
          return s !== t.status ? { ...t, status: s } : t;
        }),
      };
    }
    // Edits applied by an editor live in its buffer (until saved): that buffer is the markdown from now on.
    if (mdWritten && this.applyEdits && this.editorText !== undefined) this.editorText = finalText;
    // The written text becomes the incremental parser's base when it patches from the last one (status edits do),
    // so the next sync diffs against what the markdown now says.
    if (mdWritten && raw1) this.source.wrote(raw1, text1 ?? src.text, finalText!);
    this.list = finalList;
    this.mergedBase = { list: merged.list, state: merged.state };
    this.encoding = src.encoding;
    // With edits still to write (ids, statuses), the same markdown must not be skipped as "synced" next time.
    this.syncedChecksum = pendingWriteBack ? undefined : finalChecksum;
    this.lastDiagnostics = [...src.decodeDiagnostics, ...finalList.diagnostics, ...merged.conflictDiagnostics, ...writeDiagnostics];
    const outcome: SyncOutcome = {
      applied,
      skipped: false,
      source: src.kind,
      direction: applied ? direction : undefined,
      conflicts: merged.conflicts.length,
      conflictList: merged.conflicts,
      diagnostics: this.lastDiagnostics,
      recordId,
      ...counts,
      pendingWriteBack,
      checksum: finalChecksum,
      olderCopy: [...merged.kept],
    };
    merged.conflicts.forEach((c, i) => {
      const d = merged.conflictDiagnostics[i];
      this.emit('sync:conflict', { taskId: c.taskId, field: c.field, message: d.message, conflict: c, diagnostic: d });
    });
    this.emit('plan:synced', { list: this.list, diagnostics: this.lastDiagnostics, result: outcome });
    return outcome;
  }

  /**
   * Stage 1 of a sync: the ids of tasks written without one, written into their lines (text1, and its parse raw1 and
   * resolved list1) — only where the file's dialect writes ids (or the person chose to), never into a completed task,
   * never in a read-only workspace. Without such edits, the sync's own text and lists.
   */
  private withIds(src: Source, raw0: TaskList | undefined, list0: TaskList): { text1?: string; raw1?: TaskList; list1: TaskList } {
    const idEdits = this.readOnly || !writesIds(list0, this.writeIds) ? [] : missingIdEdits(list0);
    if (idEdits.length === 0) return { raw1: raw0, list1: list0 };
    const text0 = src.text;
    const planned = planTaskEdits(text0, list0, idEdits);
    const applied = applyLineEdits(text0, planned.lineEdits);
    if (applied.text === text0) return { raw1: raw0, list1: list0 };
    const raw1 = this.source.parseText(applied.text);
    return { text1: applied.text, raw1, list1: this.resolve(raw1) };
  }

  /**
   * Stage 2 of a sync: every task merged; the statuses the markdown must show become surgical line edits of text1 (or
   * the source text), giving text2. A task whose line could not take its edit is merged again as not written (its
   * status stays to write next time) and named in `writeDiagnostics`.
   */
  private mergeStatuses(
    src: Source,
    text1: string | undefined,
    list1: TaskList,
    unsynced: Map<string, TaskStatus>,
    writeDiagnostics: Diagnostic[],
  ): { merged: MergePlan; text2?: string } {
    let merged = this.mergeAll(list1, unsynced, () => true);
    const keep = this.olderCopyTasks(list1, merged.unticked);
    if (keep) {
      merged = this.mergeAll(list1, unsynced, () => true, keep);
      const ids = [...keep];
      writeDiagnostics.push({
        line: list1.tasks.find((t) => t.id === ids[0])?.line ?? 0,
        column: 0,
        severity: 'warning',
        code: 'older-copy',
        message: olderCopyText(basename(this.tasklistPath), ids),
        data: { tasks: ids },
      });
    }
    if (merged.mdEdits.length === 0) return { merged, text2: text1 };
    const base = text1 ?? src.text;
    const planned = planTaskEdits(base, list1, merged.mdEdits);
    const applied = applyLineEdits(base, planned.lineEdits);
    const text2 = applied.text !== base ? applied.text : text1;
    const failed = new Set(planned.unknown);
    for (const s of applied.stale) {
      const t = list1.tasks.find((x) => x.line === s.line);
      if (t) failed.add(t.id);
    }
    if (failed.size === 0) return { merged, text2 };
    for (const id of failed) {
      const t = list1.tasks.find((x) => x.id === id);
      writeDiagnostics.push({
        line: t?.line ?? 0,
        column: 0,
        severity: 'warning',
        code: 'sync-write-failed',
        message: `${id}: could not write its status into the markdown line; will retry on the next sync`,
      });
    }
    return { merged: this.mergeAll(list1, unsynced, (id) => !failed.has(id), merged.kept), text2 };
  }

  /**
   * The tasks `unticked` (completed on both sides at the last sync, unticked by this markdown) that an older copy of
   * the file unticked (src/core/olderCopy.ts), in plan order, or undefined. Reads the database only when two or more
   * were unticked.
   */
  private olderCopyTasks(list: TaskList, unticked: readonly string[]): Set<string> | undefined {
    if (unticked.length < OLDER_COPY_MIN_REVERTS) return undefined;
    const off = new Set(unticked);
    const inList = new Set(list.tasks.map((t) => t.id));
    // A ticked task missing from this markdown (added after the copy was taken) neither marks nor is reverted.
    const completions = this.plan
      .agentCompletions()
      .filter((c) => inList.has(c.id))
      .map((c) => ({ ...c, unticked: off.has(c.id) }));
    const reverted = new Set(olderCopyReverts(completions));
    return reverted.size > 0 ? new Set(list.tasks.filter((t) => reverted.has(t.id)).map((t) => t.id)) : undefined;
  }

  /**
   * Stage 4 of a sync: the plan rows, statuses and group changes, the snapshot and one v2_plan_sync audit row, in ONE
   * transaction — only when there is anything to write (a sync that changes nothing writes no row). The caches follow.
   */
  private applyToDatabase(s: {
    src: Source;
    merged: MergePlan;
    finalList: TaskList;
    counts: SyncCounts;
    unsynced: Map<string, TaskStatus>;
    mdWritten: boolean;
    /** The markdown's checksum as read, and after this sync's writes. */
    checksum: string;
    finalChecksum: string;
    /** performance.now() at the sync's start. */
    started: number;
  }): { applied: boolean; direction: 'both' | 'db_to_md' | 'md_to_db'; recordId?: number } {
    const { merged, mdWritten } = s;
    const groups = this.diffGroups(s.finalList);
    const groupChanges = groups.upsertEpics.length + groups.archiveEpics.length + groups.upsertFeatures.length + groups.archiveFeatures.length;
    // Rows to write at all (snapshot-only updates included) vs. changes to what the plan says (for `direction`).
    const dbWrites = merged.inserts.length + merged.updates.length + merged.archives.length + groupChanges > 0;
    const dbChanged = merged.inserts.length + merged.archives.length + merged.restored + merged.planUpdates + merged.statusesToDb + groupChanges > 0;
    const applied = dbWrites || mdWritten;
    const direction = dbChanged && mdWritten ? 'both' : mdWritten ? 'db_to_md' : 'md_to_db';
    if (!applied) return { applied, direction };
    const dbChecksum = sha256(
      [...s.unsynced]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([id, st]) => `${id}=${st}`)
        .join('\n'),
    );
    const change: PlanChange = {
      now: new Date(this.now()).toISOString(),
      ...groups,
      insertTasks: merged.inserts,
      updateTasks: merged.updates,
      archiveTasks: merged.archives,
      record: {
        direction,
        source: s.src.kind,
        tasklistPath: this.tasklistPath,
        mdChecksumBefore: s.checksum,
        mdChecksumAfter: s.finalChecksum,
        dbChecksum,
        epicsChanged: groups.upsertEpics.length + groups.archiveEpics.length,
        featuresChanged: groups.upsertFeatures.length + groups.archiveFeatures.length,
        ...s.counts,
        conflicts: merged.conflicts,
        durationMs: Math.round(performance.now() - s.started),
      },
    };
    const r = this.plan.apply(change);
    this.updateCaches(change, r.statusAfter, merged);
    return { applied, direction, recordId: r.recordId };
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
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      const y = b[i];
      if (x !== y && (x.id !== y.id || x.idExplicit !== y.idExplicit || x.epicId !== y.epicId || x.featureId !== y.featureId)) return undefined;
    }
    return base;
  }

  /**
   * Merges every task of `list`; `writable(id)` says whether that task's markdown line may be edited; the tasks in
   * `keep` stay completed whatever their box shows (an older copy unticked them: olderCopyTasks).
   */
  private mergeAll(list: TaskList, unsynced: Map<string, TaskStatus>, writable: (id: string) => boolean, keep: ReadonlySet<string> = NONE): MergePlan {
    const tasks = this.tasks!;
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
      unticked: [],
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
    for (let i = 0; i < list.tasks.length; i++) {
      const task = list.tasks[i];
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
        dbStatus = stored.archived ? (this.plan.statusOf(task.id) ?? stored.fields.status) : (unsynced.get(task.id) ?? stored.fields.status);
        const reopens = !stored.archived && stored.fields.status === 'completed' && dbStatus === 'completed' && !TICKED.has(md.status);
        if (reopens) out.unticked.push(task.id);
        // Kept: merged as if its box still showed what both sides agreed on, so the database's completed stands and
        // the box is ticked again below (mdStatus differs from what the line shows).
        const mdSide = reopens && keep.has(task.id) ? { ...md, status: stored.fields.status } : md;
        const r = mergeTask(task.id, stored.fields, mdSide, { ...stored.fields, status: dbStatus });
        mergedFields = r.fields;
        conflicts.push(...r.conflicts);
        // Only the engine moves a task into or out of in_progress (it holds the lease): the markdown cannot start a
        // task, nor stop a running one — a line read without its badge (a text older than the engine's write-back,
        // e.g. a save the editor made just before it, or a badge deleted by hand) would take the task from its agent
        // and its finished result would be thrown away (lease lost). Cancel stops a task; a tick still completes it.
        const rule =
          mergedFields.status === 'in_progress' && dbStatus !== 'in_progress'
            ? 'engine-starts-tasks'
            : dbStatus === 'in_progress' && mergedFields.status !== 'in_progress' && !TICKED.has(mergedFields.status)
              ? 'running-wins'
              : undefined;
        if (rule) {
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
  private diffGroups(list: TaskList): Pick<PlanChange, 'upsertEpics' | 'archiveEpics' | 'upsertFeatures' | 'archiveFeatures'> {
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

  private updateCaches(change: PlanChange, statusAfter: Map<string, TaskStatus>, merged: MergePlan): void {
    const tasks = this.tasks!;
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

  /** Writes the markdown: through the editor when one is attached, else the file (only if unchanged since read). */
  private async writeMarkdown(src: Source, next: string, diagnostics: Diagnostic[]): Promise<WriteResult> {
    if (this.readOnly) return 'not-applied';
    if (this.applyEdits) {
      const edits = lineEditViews(src.text, next);
      if (!edits) {
        diagnostics.push({
          line: 0,
          column: 0,
          severity: 'error',
          code: 'sync-write-failed',
          message: 'internal: a status edit changed the number of lines; nothing was written',
        });
        return 'not-applied';
      }
      let res: ApplyEditsResult;
      try {
        res = await this.applyEdits({ path: this.tasklistPath, edits });
      } catch (e) {
        diagnostics.push({
          line: 0,
          column: 0,
          severity: 'warning',
          code: 'sync-write-failed',
          message: `the editor could not apply the sync's edits (${errorMessage(e)}); will retry`,
        });
        return 'not-applied';
      }
      if (res.outcome === 'applied') return 'applied';
      if (res.outcome === 'stale') return 'not-applied';
      if (src.kind === 'editor') {
        this.editorText = undefined;
        this.editorVersion = -Infinity;
        return 'use-disk';
      }
      // Disk source and the document is not open: write the file ourselves.
    }
    if (src.kind === 'editor') return 'not-applied'; // an editor buffer is only ever changed by the editor
    try {
      const bytes = encodeTaskList(next, src.encoding);
      const written =
        this.inPlace?.when() && existsSync(this.tasklistPath)
          ? writeFileInPlace(this.tasklistPath, bytes, this.inPlace.pendingPath, { expectChecksum: src.bytesChecksum, refuseReadOnly: true })
          : writeFileAtomic(this.tasklistPath, bytes, { expectChecksum: src.bytesChecksum, refuseReadOnly: true });
      if (!written) return 'retry';
      src.wroteFile = true;
      this.fileChecksum = sha256(bytes);
      return 'applied';
    } catch (e) {
      diagnostics.push({
        line: 0,
        column: 0,
        severity: 'error',
        code: 'sync-write-failed',
        message: `cannot write ${this.tasklistPath}: ${errorMessage(e)}; the database is synced, the markdown will be retried`,
      });
      return 'not-applied';
    }
  }

  private emit<K extends keyof SyncEvents>(event: K, payload: SyncEvents[K]): void {
    for (const l of this.listeners.get(event) ?? []) {
      try {
        (l as (p: SyncEvents[K]) => void)(payload);
      } catch {
        /* a listener's failure must not break the sync that already committed */
      }
    }
  }
}
