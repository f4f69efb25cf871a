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
// runSync is these steps as named stages: changes → parse → ids → merge → writeMarkdown → database → commit. The
// planning itself (the merge of every task, the group rows, the snapshots kept between syncs) is pure and lives in
// src/core/syncPlan.ts; this file does the reading and writing around it.
//
// Invariants:
//   - syncs never overlap: every public entry point queues behind the previous one;
//   - the markdown is written before the database, and the snapshot records only what the markdown really shows:
//     when a markdown write could not happen (stale editor buffer, write error), those rows keep their old snapshot
//     so the next sync writes them again — nothing is lost;
//   - a file changed by someone between our read and our write is never overwritten: the write is abandoned and the
//     sync starts over from the new file;
//   - a text the editor sent before one of our edits landed in its document never counts after it: the edit's answer
//     says the version it made, and older texts are dropped (src/protocol/editorVersions.ts);
//   - the markdown cannot start a task: an `in_progress` badge a person typed is reverted to the engine's status
//     (reported as a conflict), because only the engine holds leases; nor stop a running one (only a tick, `[x]`,
//     changes it: a line read without its badge keeps the task with its agent, reported as running-wins);
//   - a zero-byte file is treated as a save in progress (editors that truncate then write), not as "delete every
//     task": nothing is archived, the sync waits for the next change.
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeTaskList, type TaskListEncoding } from '../../core/decode';
import { errorMessage } from '../../core/describe';
import { missingIdEdits, writesIds, type WriteIds } from '../../core/ids';
import { resolveIdentities } from '../../core/identity';
import type { MergeConflict } from '../../core/merge';
import { OLDER_COPY_MIN_REVERTS, olderCopyMissing, olderCopyReverts, putBackTaskLines, type WrittenOutcome } from '../../core/olderCopy';
import type { Diagnostic, MergedTaskField, TaskList, TaskStatus } from '../../core/model';
import type { ParseOptions } from '../../core/parser';
import { FAILED_FOR_GOOD, SyncPlanner, type MergePlan, type SyncCounts } from '../../core/syncPlan';
import { applyLineEdits, planTaskEdits } from '../../core/writer';
import type { ApplyEditsResult, LineEditView, SyncResult } from '../../protocol/engineProtocol';
import { olderCopyText } from '../../protocol/presentation';
import type { DatabaseHandle } from '../db/database';
import { PlanStore, type PlanChange } from '../db/planStore';
import type { TaskStore } from '../db/taskStore';
import type { EditApplier } from '../engineApi';
import { sha256, writeFileAtomic, writeFileInPlace } from './atomicWrite';
import { ReusableFileReader } from './fileReader';
import { IncrementalSource, type Source } from './incrementalSource';
import { workItemsDocument } from '../../core/workItems';
import { writeWorkItems } from './workItems';

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
  /**
   * A listener of a sync event threw (the sync that emitted it has committed and goes on; the other listeners still
   * run). Default: nothing. The runtime logs it: a listener that failed unseen left the running plan behind the
   * markdown with no word anywhere.
   */
  onListenerError?: (error: unknown, event: keyof SyncEvents) => void;
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
   * The markdown read is not the one the last sync left: a person or another program edited it. The plan may then
   * have changed in what no count above shows (a `Gate:` line, a task's line number, a criterion).
   */
  markdownChanged: boolean;
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

/**
 * One sync attempt as its stages fill it in (SyncService.runSync). raw*: the parser's lists (the incremental parser's
 * bases); list*: the same with the identity of every task written without an id resolved against the database
 * (src/core/identity.ts). 0: as read; 1: after ids were written into their lines; final: what the markdown shows
 * after this sync (list1 when the edits were written or there were none, else list0).
 */
interface SyncRun {
  src: Source;
  /** performance.now() at the start. */
  started: number;
  /** sha256 of the markdown as read. */
  checksum: string;
  /** Statuses the engine changed since the last sync. */
  unsynced: Map<string, TaskStatus>;
  /** The markdown is the one the last sync synced (only the engine's side changed): not parsed again. */
  sameMarkdown: boolean;
  /** The markdown is not the one the last sync left (SyncOutcome.markdownChanged). */
  markdownChanged: boolean;
  previous?: { list: TaskList; text: () => string };
  raw0?: TaskList;
  list0: TaskList;
  text1?: string;
  raw1?: TaskList;
  list1: TaskList;
  merged?: MergePlan;
  /** The text with the status edits, when there are any. */
  text2?: string;
  /** text2 once written. */
  finalText?: string;
  /** The editor's version finalText is exactly, when an editor applied it to the very text it was computed on. */
  finalVersion?: number;
  finalList?: TaskList;
  writeDiagnostics: Diagnostic[];
}
type WriteResult = 'applied' | 'not-applied' | 'retry' | 'use-disk';

const EMPTY_LIST: TaskList = { dialect: 'markdown', eol: '\n', epics: [], features: [], tasks: [], diagnostics: [] };

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

  /** The last synced state and the planning of each sync against it (src/core/syncPlan.ts); loaded on the first sync. */
  private planner?: SyncPlanner;
  /** The database's status of an archived task coming back (SyncPlanner.mergeAll). */
  private readonly archivedStatus = (id: string): TaskStatus | undefined => this.plan.statusOf(id);
  private list: TaskList = EMPTY_LIST;
  private encoding: TaskListEncoding = 'utf8';
  private syncedChecksum?: string;
  /** sha256 of the markdown as the last sync left it, synced or with edits still to write (unlike syncedChecksum). */
  private leftChecksum?: string;
  private fileChecksum?: string;
  private lastDiagnostics: Diagnostic[] = [];
  private editorText?: string;
  /**
   * The highest version of the editor's document seen: the last text it sent, or the version an edit it applied made
   * (ApplyEditsResult.version). A text numbered lower predates it and is dropped: one the editor sent just before our
   * edit landed, read after the edit's answer, would undo the edit in our idea of the document while the document
   * keeps it (a tick the store then calls pending, for good).
   */
  private editorVersion = -Infinity;
  /**
   * The version `editorText` is exactly, sent with our edits (ApplyEditsParams.version); undefined when it is not known
   * exactly (the text an edit left in a document that had moved on): the editor then sends its text after applying.
   */
  private editorTextVersion?: number;

  private tail: Promise<unknown> = Promise.resolve();
  private running = 0;
  private closed = false;
  private readonly listeners = new Map<keyof SyncEvents, Set<(p: never) => void>>();
  private readonly onListenerError?: (error: unknown, event: keyof SyncEvents) => void;

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
    this.onListenerError = opts.onListenerError;
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
      this.editorTextVersion = version;
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
    if (!applier) this.editorClosed();
  }

  /** The editor closed the document: the file is the markdown again. */
  editorClosed(): void {
    this.editorText = undefined;
    this.editorVersion = -Infinity;
    this.editorTextVersion = undefined;
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
      markdownChanged: false,
      olderCopy: [],
    };
  }

  private ensureLoaded(): SyncPlanner {
    return (this.planner ??= new SyncPlanner({ tasks: this.plan.loadTasks(), epics: this.plan.loadEpics(), features: this.plan.loadFeatures() }));
  }

  /**
   * `list` with every task written without an id known by the row it was synced as (heading path and title, then a
   * similar title; src/core/identity.ts), so its history follows it when lines move or its title is edited.
   */
  private resolve(list: TaskList): TaskList {
    const planner = this.planner!;
    if (planner.everyIdWritten(list)) return list;
    return resolveIdentities(list, planner.knownTasks());
  }

  /**
   * One sync attempt, as a sequence of named stages; each reads what the ones before it found (SyncRun) and adds its
   * own. Stops after `changes` when neither side changed, and after `writeMarkdown` when the file changed under it
   * ('retry') or the editor no longer has the document ('use-disk').
   */
  private async runSync(src: Source, force = false): Promise<Attempt> {
    const run = this.changesStage(src, force);
    if (!run) return this.skipped(src.kind);
    this.parseStage(run);
    this.idsStage(run);
    this.mergeStage(run);
    const w = await this.writeMarkdownStage(run);
    if (w === 'retry' || w === 'use-disk') return w;
    const db = this.databaseStage(run);
    return this.commitStage(run, db);
  }

  /**
   * Stage `changes`: the markdown's checksum and the statuses the engine changed since the last sync; undefined when
   * neither side changed (and no forced merge), so nothing is parsed or written.
   */
  private changesStage(src: Source, force: boolean): SyncRun | undefined {
    const started = performance.now();
    this.ensureLoaded();
    const checksum = src.textChecksum ?? sha256(src.text);
    const unsynced = this.plan.unsyncedStatuses();
    if (!force && checksum === this.syncedChecksum && unsynced.size === 0) return undefined;
    return {
      src,
      started,
      checksum,
      unsynced,
      sameMarkdown: !force && checksum === this.syncedChecksum,
      markdownChanged: checksum !== this.leftChecksum,
      list0: this.list,
      list1: this.list,
      writeDiagnostics: [],
    };
  }

  /**
   * Stage `parse`: the markdown parsed (incrementally from the last one: incrementalSource.ts), and every task written
   * without an id known by the row it was synced as. An unchanged markdown with engine changes is not parsed again.
   */
  private parseStage(run: SyncRun): void {
    // The markdown the last sync left (an older copy's missing task lines are put back from it: mergeStage).
    run.previous = this.source.previous();
    run.raw0 = run.sameMarkdown ? undefined : this.source.parse(run.src);
    run.list0 = run.raw0 ? this.resolve(run.raw0) : this.list;
  }

  /** Stage `ids`: ids for tasks written without one, written into their lines (withIds). */
  private idsStage(run: SyncRun): void {
    // `src.text` is only read from here on when the markdown must be edited: a disk read patched from its bytes' diff
    // is never decoded whole. text1/text2: the text after ids / after statuses, when they changed anything.
    const r = this.withIds(run.src, run.raw0, run.list0);
    run.text1 = r.text1;
    run.raw1 = r.raw1;
    run.list1 = r.list1;
  }

  /**
   * Stage `merge`: every task merged; statuses to write into the markdown become surgical line edits (mergeStatuses).
   * An older copy lacking tasks added since it was read: their lines go back (from the markdown the last sync left)
   * and the merge runs again on that text, which the write-back then writes.
   */
  private mergeStage(run: SyncRun): void {
    let statuses = this.mergeStatuses(run.src, run.text1, run.list1, run.unsynced, run.writeDiagnostics);
    if (statuses.putBack.length > 0 && run.previous) {
      const back = putBackTaskLines(run.previous.text(), run.previous.list.tasks, run.text1 ?? run.src.text, run.list1.tasks, statuses.putBack);
      run.raw1 = this.source.parseText(back);
      run.text1 = back;
      run.list1 = this.resolve(run.raw1);
      run.writeDiagnostics = [];
      statuses = this.mergeStatuses(run.src, run.text1, run.list1, run.unsynced, run.writeDiagnostics, statuses.putBack);
    }
    run.merged = statuses.merged;
    run.text2 = statuses.text2;
  }

  /**
   * Stage `writeMarkdown`: the markdown first, as the snapshot must only record what the markdown really shows. When
   * the edits could not be made, the merge is planned again with no line written (they stay to write next time).
   */
  private async writeMarkdownStage(run: SyncRun): Promise<'retry' | 'use-disk' | undefined> {
    run.finalList = run.list1;
    if (run.text2 === undefined) return undefined;
    const w = await this.writeMarkdown(run, run.text2);
    if (w === 'retry' || w === 'use-disk') return w;
    if (w === 'applied') {
      run.finalText = run.text2;
      return undefined;
    }
    run.finalList = run.list0;
    run.merged = this.planner!.mergeAll(run.list0, run.unsynced, () => false, this.archivedStatus, run.merged!.kept);
    return undefined;
  }

  /** Stage `database`: the counts of the sync, and the database written in one transaction with its audit row. */
  private databaseStage(run: SyncRun): {
    counts: SyncCounts;
    finalChecksum: string;
    applied: boolean;
    direction: 'both' | 'db_to_md' | 'md_to_db';
    recordId?: number;
  } {
    const merged = run.merged!;
    const mdWritten = run.finalText !== undefined;
    const counts: SyncCounts = {
      tasksAdded: merged.inserts.length,
      tasksUpdated: merged.planUpdates,
      tasksArchived: merged.archives.length,
      tasksRestored: merged.restored,
      statusesToDb: merged.statusesToDb,
      statusesToMd: mdWritten ? merged.mdEdits.length : 0,
      idsAssigned: mdWritten ? run.list0.tasks.filter((t) => !t.idExplicit).length - run.list1.tasks.filter((t) => !t.idExplicit).length : 0,
    };
    const finalChecksum = mdWritten ? sha256(run.finalText!) : run.checksum;
    const r = this.applyToDatabase({
      src: run.src,
      merged,
      finalList: run.finalList!,
      counts,
      unsynced: run.unsynced,
      mdWritten,
      checksum: run.checksum,
      finalChecksum,
      started: run.started,
    });
    return { counts, finalChecksum, ...r };
  }

  /** Stage `commit`: the new current state (list, checksums, incremental base, diagnostics), then the events. */
  private commitStage(run: SyncRun, db: ReturnType<SyncService['databaseStage']>): SyncOutcome {
    const { src, finalText } = run;
    const merged = run.merged!;
    const mdWritten = finalText !== undefined;
    const pendingWriteBack = run.text2 !== undefined && !mdWritten;
    let finalList = run.finalList!;
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
    if (mdWritten && this.applyEdits && this.editorText !== undefined) {
      this.editorText = finalText;
      this.editorTextVersion = run.finalVersion;
    }
    // The written text becomes the incremental parser's base when it patches from the last one (status edits do),
    // so the next sync diffs against what the markdown now says.
    if (mdWritten && run.raw1) this.source.wrote(run.raw1, run.text1 ?? src.text, finalText);
    this.list = finalList;
    this.planner!.settled(merged);
    this.encoding = src.encoding;
    // With edits still to write (ids, statuses), the same markdown must not be skipped as "synced" next time.
    this.syncedChecksum = pendingWriteBack ? undefined : db.finalChecksum;
    this.leftChecksum = db.finalChecksum;
    this.lastDiagnostics = [...src.decodeDiagnostics, ...finalList.diagnostics, ...merged.conflictDiagnostics, ...run.writeDiagnostics];
    const outcome: SyncOutcome = {
      applied: db.applied,
      skipped: false,
      source: src.kind,
      direction: db.applied ? db.direction : undefined,
      conflicts: merged.conflicts.length,
      conflictList: merged.conflicts,
      diagnostics: this.lastDiagnostics,
      recordId: db.recordId,
      ...db.counts,
      pendingWriteBack,
      checksum: db.finalChecksum,
      markdownChanged: run.markdownChanged,
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
   * The ids of tasks written without one, written into their lines (text1, and its parse raw1 and
   * resolved list1) — only where the file's dialect writes ids (or the person chose to), never into a completed task,
   * never in a read-only workspace. Without such edits, the sync's own text and lists.
   */
  private withIds(src: Source, raw0: TaskList | undefined, list0: TaskList): { text1?: string; raw1?: TaskList; list1: TaskList } {
    const idEdits = this.readOnly || !writesIds(list0, this.writeIds) || this.planner!.everyIdWritten(list0) ? [] : missingIdEdits(list0);
    if (idEdits.length === 0) return { raw1: raw0, list1: list0 };
    const text0 = src.text;
    const planned = planTaskEdits(text0, list0, idEdits);
    const applied = applyLineEdits(text0, planned.lineEdits);
    if (applied.text === text0) return { raw1: raw0, list1: list0 };
    const raw1 = this.source.parseText(applied.text);
    return { text1: applied.text, raw1, list1: this.resolve(raw1) };
  }

  /**
   * Every task merged; the statuses the markdown must show become surgical line edits of text1 (or
   * the source text), giving text2. A task whose line could not take its edit is merged again as not written (its
   * status stays to write next time) and named in `writeDiagnostics`.
   */
  private mergeStatuses(
    src: Source,
    text1: string | undefined,
    list1: TaskList,
    unsynced: Map<string, TaskStatus>,
    writeDiagnostics: Diagnostic[],
    putBackAlready: readonly string[] = [],
  ): { merged: MergePlan; text2?: string; putBack: string[] } {
    let merged = this.planner!.mergeAll(list1, unsynced, () => true, this.archivedStatus);
    const older = this.olderCopyTasks(list1, merged.reverted);
    const keep = older?.keep;
    let putBack: string[] = [];
    if (older && keep) {
      merged = this.planner!.mergeAll(list1, unsynced, () => true, this.archivedStatus, keep);
      if (merged.archives.length > 0) {
        const added = this.plan.addedAt();
        putBack = olderCopyMissing(
          older.outcomes,
          merged.archives.map((id) => ({ id, addedAt: added.get(id) })),
        );
      }
      const ids = [...keep];
      const failed = ids.filter((id) => FAILED_FOR_GOOD.has(this.planner!.syncedStatus(id)!));
      writeDiagnostics.push({
        line: list1.tasks.find((t) => t.id === ids[0])?.line ?? 0,
        column: 0,
        severity: 'warning',
        code: 'older-copy',
        message: olderCopyText(
          basename(this.tasklistPath),
          ids.filter((id) => !failed.includes(id)),
          failed,
          putBackAlready,
        ),
        data: { tasks: ids },
      });
    }
    if (merged.mdEdits.length === 0) return { merged, text2: text1, putBack };
    const base = text1 ?? src.text;
    const planned = planTaskEdits(base, list1, merged.mdEdits);
    const applied = applyLineEdits(base, planned.lineEdits);
    const text2 = applied.text !== base ? applied.text : text1;
    const failed = new Set(planned.unknown);
    for (const s of applied.stale) {
      const t = list1.tasks.find((x) => x.line === s.line);
      if (t) failed.add(t.id);
    }
    if (failed.size === 0) return { merged, text2, putBack };
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
    return { merged: this.planner!.mergeAll(list1, unsynced, (id) => !failed.has(id), this.archivedStatus, merged.kept), text2, putBack };
  }

  /**
   * The tasks `reverted` (completed or failed for good on both sides at the last sync, shown otherwise by this
   * markdown) that an older copy of the file reverted (src/core/olderCopy.ts), in plan order, or undefined. Reads the
   * database only when two or more were reverted.
   */
  private olderCopyTasks(list: TaskList, reverted: readonly string[]): { keep: Set<string>; outcomes: WrittenOutcome[] } | undefined {
    if (reverted.length < OLDER_COPY_MIN_REVERTS) return undefined;
    const off = new Set(reverted);
    const inList = new Set(list.tasks.map((t) => t.id));
    // A task with an outcome missing from this markdown (added after the copy was taken) neither marks nor is reverted.
    const outcomes: WrittenOutcome[] = [
      ...this.plan.agentCompletions().map((c) => ({ id: c.id, at: c.completedAt, reverted: off.has(c.id) })),
      ...this.plan.agentFailures().map((c) => ({ id: c.id, at: c.endedAt, reverted: off.has(c.id) })),
    ].filter((c) => inList.has(c.id));
    const kept = new Set(olderCopyReverts(outcomes));
    return kept.size > 0 ? { keep: new Set(list.tasks.filter((t) => kept.has(t.id)).map((t) => t.id)), outcomes } : undefined;
  }

  /**
   * The plan rows, statuses and group changes, the snapshot and one v2_plan_sync audit row, in ONE
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
    const groups = this.planner!.diffGroups(s.finalList);
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
    this.planner!.applied(change, r.statusAfter, merged);
    return { applied, direction, recordId: r.recordId };
  }

  /** Writes the markdown: through the editor when one is attached, else the file (only if unchanged since read). */
  private async writeMarkdown(run: SyncRun, next: string): Promise<WriteResult> {
    const { src, writeDiagnostics: diagnostics } = run;
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
      // Computed on the editor's text of a known version, or (undefined) on the file or an inexact text.
      const version = src.kind === 'editor' ? this.editorTextVersion : undefined;
      let res: ApplyEditsResult;
      try {
        res = await this.applyEdits({ path: this.tasklistPath, edits, ...(version !== undefined && { version }) });
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
      if (res.outcome === 'applied') {
        run.finalVersion = this.editorEdited(version, res.version);
        return 'applied';
      }
      if (res.outcome === 'stale') return 'not-applied';
      if (src.kind === 'editor') {
        this.editorClosed();
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

  /**
   * The editor applied our edits, computed on its text of version `computedOn` (undefined: another text), and says
   * which version they made (`made`; a client that does not say changes nothing here). Texts it sent before are older
   * than our edit from now on. Returns the version the text the commit stage keeps (ours with the edits) is exactly:
   * `made` when the document was at `computedOn` (one version step), else undefined, and the editor sends its text.
   */
  private editorEdited(computedOn: number | undefined, made: number | undefined): number | undefined {
    if (typeof made !== 'number' || !Number.isFinite(made)) return undefined;
    this.editorVersion = Math.max(this.editorVersion, made);
    return computedOn !== undefined && made === computedOn + 1 ? made : undefined;
  }

  private emit<K extends keyof SyncEvents>(event: K, payload: SyncEvents[K]): void {
    for (const l of this.listeners.get(event) ?? []) {
      try {
        (l as (p: SyncEvents[K]) => void)(payload);
      } catch (e) {
        // A listener's failure must not break the sync that already committed, nor go unsaid.
        this.onListenerError?.(e, event);
      }
    }
  }
}
