// The shapes the parser's passes hand each other (src/core/parser.ts runs them in order): task, epic and feature
// drafts, the events of the block pass, and the diagnostics built from what one line says. Pure data.
import type { Diagnostic, DependencyRef, Priority, TaskNode } from '../model';
import { compactMeta, type LineProblem, type LineRef, type MetaKey, type TaskLineAnalysis, type TaskMeta, type IdSpan } from '../taskLine';

/**
 * The tasks while the file is read, numbered 0, 1, 2 … in document order (a task is its number: `d`). A 50 MB plan
 * holds 700,000 at once, so they are columns, not an object each (an object of 14 fields is 136 bytes; a task here
 * costs its node's slot, 13 bytes of numbers, and an entry in a Map only when it has nested tasks or
 * something rare): what the later passes need of its line is copied in when its list item ends (finish), and the
 * rest of the line's analysis is dropped then; the task itself is built at that moment too, as the TaskNode the list
 * will hold, and the passes fill in its id, epic, feature and dependencies.
 */
export class Drafts {
  /** How many tasks. */
  count = 0;
  /** The task as the list will hold it: set by finish, completed by the later passes (see parser.ts). */
  private readonly nodes: (TaskNode | undefined)[] = [];
  /** The task whose list item holds each task (-1: none). */
  private parents = new Int32Array(1024);
  /** WEAK, CRITERION, OPTIONAL. */
  private flags = new Uint8Array(1024);
  /** A task's written references: `refCounts[d]` of them in the parse's RefTable from `refAts[d]`. */
  private refAts = new Int32Array(1024);
  private refCounts = new Int32Array(1024);
  /** Tasks nested in a task's list item, in document order (only tasks that have some). */
  private readonly kids = new Map<number, number[]>();
  /** What few tasks have (see DraftRare). */
  private readonly rares = new Map<number, DraftRare>();

  /** A new task, numbered when its list item starts (finish completes it when the item ends). */
  add(): number {
    const d = this.count++;
    if (d === this.flags.length) {
      const grow = <T extends Int32Array | Uint8Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.parents = grow(this.parents);
      this.flags = grow(this.flags);
      this.refAts = grow(this.refAts);
      this.refCounts = grow(this.refCounts);
    }
    this.nodes.push(undefined);
    this.parents[d] = -1;
    return d;
  }
  node(d: number): TaskNode {
    return this.nodes[d]!;
  }
  /** 0-based line of the task's checkbox. */
  line(d: number): number {
    return this.nodes[d]!.line;
  }
  /** The task whose list item holds this one, or -1. */
  parent(d: number): number {
    return this.parents[d];
  }
  /** `d` is nested in `p`'s list item. */
  nest(d: number, p: number): void {
    this.parents[d] = p;
    const c = this.kids.get(p);
    if (c) c.push(d);
    else this.kids.set(p, [d]);
  }
  /** Tasks nested in this one's list item, in document order; undefined when none. */
  children(d: number): readonly number[] | undefined {
    return this.kids.get(d);
  }
  /** The id is a weak id the file numbers its tasks with: a duplicate of it is no error (see assignTaskIds). */
  weak(d: number): boolean {
    return (this.flags[d] & WEAK) !== 0;
  }
  setWeak(d: number): void {
    this.flags[d] |= WEAK;
  }
  /** A criterion (see TaskNode.criterion): set by the block pass (AC blocks, labels) and the hierarchy pass (headings). */
  criterion(d: number): boolean {
    return (this.flags[d] & CRITERION) !== 0;
  }
  setCriterion(d: number): void {
    this.flags[d] |= CRITERION;
  }
  /** Kiro's optional task (`[ ]*`). */
  optional(d: number): boolean {
    return (this.flags[d] & OPTIONAL) !== 0;
  }
  refAt(d: number): number {
    return this.refAts[d];
  }
  refCount(d: number): number {
    return this.refCounts[d];
  }
  rare(d: number): DraftRare | undefined {
    return this.rares.get(d);
  }
  /** The task's rare facts, made when it has none yet. */
  rareFor(d: number): DraftRare {
    let r = this.rares.get(d);
    if (!r) this.rares.set(d, (r = {}));
    return r;
  }

  /**
   * The task's list item has ended: nothing adds to its metadata any more. Builds its node (id, epic, feature and
   * dependencies are filled in by the later passes; the key order is the model's, as JSON prints it) and keeps of the
   * line only what those passes need; its written references go to `refs`.
   */
  finish(d: number, line: number, a: TaskLineAnalysis, refs: RefTable): void {
    const m: TaskMeta = a.meta;
    compactMeta(m);
    // One literal per combination of the two optional fields most tasks have, so that they sit in the object itself
    // instead of a separate property store (40 bytes a task on a 700,000-task plan). Written out: a spread would not.
    const { blockers, parallel, tags, priority, estimateHours } = m;
    const { title, status } = a;
    const dependsOn = NO_DEPS;
    // The id written on the line ('' for none) until readNumbering and assignTaskIds settle it.
    const id = a.id?.value ?? '';
    const node: TaskNode =
      priority !== undefined
        ? estimateHours !== undefined
          ? { id, idExplicit: false, epicId: '', featureId: '', title, status, line, dependsOn, blockers, parallel, tags, priority, estimateHours }
          : { id, idExplicit: false, epicId: '', featureId: '', title, status, line, dependsOn, blockers, parallel, tags, priority }
        : estimateHours !== undefined
          ? { id, idExplicit: false, epicId: '', featureId: '', title, status, line, dependsOn, blockers, parallel, tags, estimateHours }
          : { id, idExplicit: false, epicId: '', featureId: '', title, status, line, dependsOn, blockers, parallel, tags };
    if (m.agent !== undefined) node.agent = m.agent;
    if (m.verify !== undefined) node.verify = m.verify;
    if (m.timeoutMinutes !== undefined) node.timeoutMinutes = m.timeoutMinutes;
    this.nodes[d] = node;
    if (a.optional) this.flags[d] |= OPTIONAL;
    this.refAts[d] = refs.length;
    this.refCounts[d] = m.refs.length;
    for (const r of m.refs) refs.push(r);
    // Its nested tasks are all inside its list item, so the list is complete too.
    const c = this.kids.get(d);
    if (c) this.kids.set(d, c.slice());
    if (a.weakId || m.serial || m.gate !== undefined || m.isolation !== undefined || m.files !== undefined || m.problems.length > 0 || title === '') {
      const r = this.rareFor(d);
      if (m.problems.length > 0) r.problems = m.problems;
      if (title === '') r.checkboxColumn = a.checkboxColumn;
      if (a.weakId) {
        r.weakId = a.weakId;
        r.titleWithWeakId = a.titleWithWeakId;
      }
      if (m.serial) r.serial = true;
      if (m.gate !== undefined) r.gate = m.gate;
      if (m.isolation !== undefined) r.isolation = m.isolation;
      if (m.files !== undefined) r.files = m.files;
    }
  }

  /** A group: a task with nested tasks that are not criteria, or one that stands for a phase (see TaskNode.group). */
  isGroup(d: number): boolean {
    return this.rares.get(d)?.phaseOf !== undefined || (this.kids.get(d)?.some((c) => !this.criterion(c)) ?? false);
  }

  /** Work the engine runs by itself: not a group, a criterion or an optional task. Only these enter implicit orders. */
  isPlainWork(d: number): boolean {
    return (this.flags[d] & (CRITERION | OPTIONAL)) === 0 && !this.isGroup(d);
  }
}

const WEAK = 1;
const CRITERION = 2;
const OPTIONAL = 4;

/** The parts of a task's line most tasks do not have, in an object of their own so that a draft stays small. */
export interface DraftRare {
  /** A checkbox that stands for a whole phase (`- [ ] **Phase 2: Sharing**` in a GSD roadmap): a group of its tasks. */
  phaseOf?: EpicDraft;
  /** Problems found in the line and its metadata lines, reported once the task's id is known. */
  problems?: readonly LineProblem[];
  /** Column of `[`, for the warning about a task with no title. */
  checkboxColumn?: number;
  /** A number that is an id only if the file numbers its tasks so (TaskLineShape.weakId). */
  weakId?: IdSpan;
  /** The title with that number kept, when it is no id. */
  titleWithWeakId?: string;
  /** CCPM `(parallel: false)`. */
  serial?: boolean;
  gate?: 'review';
  isolation?: TaskNode['isolation'];
  files?: string[];
}

/**
 * No dependencies: the placeholder until the dependency pass runs, and the list every task without dependencies keeps
 * (an empty array is 32 bytes, and a 50 MB plan has 280,000 such tasks). Frozen, so that a pass writing to it fails
 * loudly; the rule passes add to a task's list through addBlocking, which gives such a task a list of its own.
 */
export const NO_DEPS: DependencyRef[] = Object.freeze([]) as unknown as DependencyRef[];

/** `deps[i]` waits for `id` (a blocking edge from a rule pass); an earlier soft reference to it becomes blocking. */
export function addBlocking(deps: DependencyRef[][], i: number, id: string, source: DependencyRef['source'], line: number): void {
  let list = deps[i];
  const k = list.findIndex((r) => r.id === id);
  if (k >= 0) {
    if (list[k].type === 'soft') list[k] = { id, source, type: 'blocks', line };
    return;
  }
  if (list === NO_DEPS) deps[i] = list = [];
  list.push({ id, source, type: 'blocks', line });
}

const SOURCES: readonly LineRef['source'][] = ['explicit', 'implicit'];
const TYPES: readonly LineRef['type'][] = ['blocks', 'soft'];
const KINDS: readonly LineRef['kind'][] = ['list', 'keyword', 'mention'];

/**
 * Every task's written references, packed, until the dependency pass resolves them (ids may point forward, so all of
 * them are held at once). A LineRef is an object of six fields (72 bytes) in an array of its own per task; a 50 MB
 * plan has 500,000 of them. Here a reference is its id string, two int32 (line, column) and one byte (source, type,
 * kind). `ref(k)` builds the LineRef again, for the moment it is read.
 */
export class RefTable {
  private ids: string[] = [];
  private at = new Int32Array(2048);
  private how = new Uint8Array(1024);

  get length(): number {
    return this.ids.length;
  }

  push(r: LineRef): void {
    const k = this.ids.length;
    if (k === this.how.length) {
      const at = new Int32Array(this.at.length * 2);
      at.set(this.at);
      this.at = at;
      const how = new Uint8Array(this.how.length * 2);
      how.set(this.how);
      this.how = how;
    }
    this.ids.push(r.id);
    this.at[2 * k] = r.line;
    this.at[2 * k + 1] = r.column;
    this.how[k] = SOURCES.indexOf(r.source) | (TYPES.indexOf(r.type) << 1) | (KINDS.indexOf(r.kind) << 2);
  }

  ref(k: number): LineRef {
    const h = this.how[k];
    return { id: this.ids[k], line: this.at[2 * k], column: this.at[2 * k + 1], source: SOURCES[h & 1], type: TYPES[(h >> 1) & 1], kind: KINDS[h >> 2] };
  }
}

/**
 * What the block pass finds besides tasks, in document order. `before`: how many tasks come before it (tasks are
 * numbered in document order, so the tasks between two events need no event of their own: 700,000 on a 50 MB plan).
 */
export type Ev =
  | { k: 'heading'; before: number; line: number; level: number; text: string }
  /** `**Depends on**: Phase 2` in a phase's own section. */
  | { k: 'phaseSelf'; before: number; line: number; text: string }
  /** `- **Polish (Final Phase)**: Depends on …` in a "Phase Dependencies" section. */
  | { k: 'phaseRule'; before: number; line: number; sel: PhaseSelector; text: string }
  /** `Gate: review` outside any task: the gate of the feature whose section it is in (problems: a bad value). */
  | { k: 'gate'; before: number; line: number; column: number; gate?: 'review'; problems: readonly LineProblem[] };

/**
 * The tasks of a section, `from` (included) to `to` (excluded): a section's tasks are consecutive in the document, so
 * an epic and a feature need no list of their own (two more arrays of 700,000 on a 50 MB plan).
 */
export interface TaskRange {
  from: number;
  to: number;
}

/** Some task of section `r` is so. */
export function someTask(r: TaskRange, f: (d: number) => boolean): boolean {
  for (let d = r.from; d < r.to; d++) if (f(d)) return true;
  return false;
}

/** Task `d`, the next in the document, is in section `r`. */
export function extendRange(r: TaskRange, d: number): void {
  if (r.to === r.from) r.from = d;
  else if (r.to !== d) throw new Error(`task ${d} does not follow task ${r.to - 1} of its section`);
  r.to = d + 1;
}

export type PhaseSelector =
  | { kind: 'exact'; n: number }
  | { kind: 'from'; n: number }
  | { kind: 'range'; a: number; b: number }
  /** `(Phase 3, 4, 5)` */
  | { kind: 'list'; ns: number[] }
  /** `User Story 2`, `US2`: the phase titled after that story. */
  | { kind: 'story'; n: number }
  | { kind: 'final' };

export type Frame =
  /** A task's list item, with its line's analysis until the item ends. */
  | { kind: 'task'; draft: number; line: number; a: TaskLineAnalysis }
  | { kind: 'metaList'; key: MetaKey; meta: TaskMeta }
  /** Any other list item; `criteria` when its text is a criteria label (`- **Acceptance criteria:**`); `note` (the task's metadata) when it is a note under that task. */
  | { kind: 'other'; criteria?: boolean; note?: TaskMeta };

export interface HeadingInfo {
  explicitEpic?: string;
  explicitFeature?: string;
  idColumn: number;
  phaseNo?: number;
  /** `Epic 3: …` → 3; a derived id prefers it. */
  numberHint?: number;
  title: string;
  priority?: Priority;
  problems: LineProblem[];
}

export interface EpicDraft {
  line: number;
  info: HeadingInfo;
  synthetic: boolean;
  features: FeatureDraft[];
  direct?: FeatureDraft;
  tasks: TaskRange;
  id: string;
  idExplicit: boolean;
  phase: boolean;
  selfRule?: { line: number; text: string };
}

export interface FeatureDraft {
  line: number;
  info: HeadingInfo;
  epic: EpicDraft;
  synthetic: boolean;
  tasks: TaskRange;
  id: string;
  idExplicit: boolean;
  /** `Gate: review` in the feature's section (FeatureNode.gate). */
  gate?: 'review';
}

/** The warning for a task whose line has an id (or metadata) but no title; shared with the incremental parser. */
export function emptyTitleDiagnostic(taskId: string, line: number, checkboxColumn: number): Diagnostic {
  return { line, column: checkboxColumn, severity: 'warning', code: 'empty-task', message: `Task ${taskId} has no title` };
}

/** A problem found in one line as a diagnostic; shared with the incremental parser. */
export function toDiagnostic(p: LineProblem): Diagnostic {
  const d: Diagnostic = { line: p.line, column: p.column, endLine: p.line, endColumn: p.endColumn, severity: p.severity, code: p.code, message: p.message };
  if (p.data) d.data = p.data;
  return d;
}

/** A diagnostic spanning the id of a dependency reference. */
export function refDiagnostic(
  ref: { line: number; column: number; id: string },
  severity: Diagnostic['severity'],
  code: string,
  message: string,
  data: Record<string, unknown>,
): Diagnostic {
  return { line: ref.line, column: ref.column, endLine: ref.line, endColumn: ref.column + ref.id.length, severity, code, message, data };
}
