// The task-list model: what a parsed markdown plan is, independent of how it is stored or shown.
// Pure data. MUST NOT import vscode, fs, or the database (enforced by scripts/checkLayers.mjs).

/** Lifecycle state of a task. `pending` and `completed` map to `[ ]` / `[x]`; the rest round-trip as a status badge (see docs/tasklist-format.md). */
export type TaskStatus = 'pending' | 'in_progress' | 'completed' | 'blocked' | 'failed' | 'timeout' | 'cancelled' | 'skipped';

export const TASK_STATUSES: readonly TaskStatus[] = ['pending', 'in_progress', 'completed', 'blocked', 'failed', 'timeout', 'cancelled', 'skipped'];

/** Statuses from which a task never runs again unless a person or a command resets it. */
export const TERMINAL_STATUSES: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['completed', 'skipped']);

export type Priority = 'P0' | 'P1' | 'P2' | 'P3';
export const PRIORITIES: readonly Priority[] = ['P0', 'P1', 'P2', 'P3'];
/** Priority used for ordering when a task has none. */
export const DEFAULT_PRIORITY: Priority = 'P2';

export type Severity = 'error' | 'warning' | 'info';

/** One problem found in a task list. Lines and columns are 0-based (the editor's convention); the CLI prints them 1-based. */
export interface Diagnostic {
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
  severity: Severity;
  /** Stable machine-readable code, e.g. `duplicate-id`, `unknown-dependency`, `dependency-cycle`. */
  code: string;
  message: string;
  /** Extra facts for quick fixes (e.g. the cycle's task ids, the id to assign). */
  data?: Record<string, unknown>;
}

/** Where a dependency edge came from. */
export type DependencySource = 'explicit' | 'implicit' | 'phase';
/** `blocks`: the dependent cannot start before the dependency completes. `soft`: informational only. */
export type DependencyType = 'blocks' | 'soft';

export interface DependencyRef {
  /** The task id depended upon. */
  id: string;
  source: DependencySource;
  type: DependencyType;
  /** 0-based line where the reference was written (the sub-bullet or the task line). */
  line: number;
}

export interface EpicNode {
  id: string;
  /** True when the id was written in the heading; false when derived. */
  idExplicit: boolean;
  title: string;
  line: number;
  priority?: Priority;
  /** Spec Kit phases are epics with `phase: true`; each depends on the previous unless the file says otherwise. */
  phase?: boolean;
}

export interface FeatureNode {
  id: string;
  idExplicit: boolean;
  epicId: string;
  title: string;
  line: number;
  priority?: Priority;
  /**
   * `Gate: review` written in the feature's section, outside any task (docs/costs-and-gates.md#gates): once every
   * task of the feature is done, what depends on the feature's tasks from outside it waits for a person's approval.
   */
  gate?: 'review';
}

export interface TaskNode {
  /** Task id; for tasks written without one, a provisional id (see `idExplicit`). */
  id: string;
  /** False when the line carries no id and one must be written back on first sync. */
  idExplicit: boolean;
  epicId: string;
  /** Feature the task belongs to; tasks directly under an epic get a synthetic feature `<epicId>.00`. */
  featureId: string;
  /** Title with id, checkbox, metadata and status badge removed. */
  title: string;
  status: TaskStatus;
  priority?: Priority;
  /** Estimate in hours (`2d` = 16h, `1w` = 40h). */
  estimateHours?: number;
  /** 0-based line of the checkbox. */
  line: number;
  /** Blocking and soft dependencies in writing order (explicit, implicit and phase). */
  dependsOn: DependencyRef[];
  /** External blockers (`Blocked by: "Infrastructure FDB operational"`): free text, not task ids. */
  blockers: string[];
  /** Routing override from an `Agent:` sub-bullet. */
  agent?: string;
  /** Acceptance command from a `Verify:` sub-bullet. */
  verify?: string;
  /** Spec Kit `[P]`: may run in parallel with its neighbours. */
  parallel: boolean;
  /** Other bracketed tags, e.g. Spec Kit story labels `US1`. */
  tags: string[];
  /** Timeout override in minutes from a `Timeout:` sub-bullet. */
  timeoutMinutes?: number;
  /**
   * A gate (docs/costs-and-gates.md#gates): `review` (a `Gate: review` line) — the task runs, then waits for a person's
   * approval before anything that depends on it starts; `checkpoint` (a title starting `Review:` or `Checkpoint:`) —
   * no agent runs it: it waits for a person's approval once its dependencies are done, and approving ticks it.
   */
  gate?: 'review' | 'checkpoint';
  /**
   * From an `Isolation:` sub-bullet: `none` runs the task in the shared tree even when the plan isolates tasks in git
   * worktrees (a task that must touch the shared tree); `worktree` is the default wherever isolation is on.
   */
  isolation?: 'none' | 'worktree';
  /**
   * Paths from `Files:` sub-bullets (`Files: src/models/user.py, src/api/`), as written. With the paths in the title
   * they are what file-aware scheduling compares (src/core/fileClaims.ts): two tasks naming the same path never run at once.
   */
  files?: string[];
  /** Id of the task this one is nested under (a checkbox list item inside another task's item). */
  parent?: string;
  /**
   * A group: a task with nested tasks that are not criteria. Never dispatched: it waits for its children (the
   * parser writes those edges) and the engine ticks it when they are done.
   */
  group?: true;
  /** Kiro's optional task (`- [ ]* 2.2 …`): shown, never dispatched unless a person runs it or `run_optional` is on. */
  optional?: true;
  /**
   * A criterion: a checkbox under a criteria heading (`## Acceptance Criteria`, `## Definition of Done`…), a criteria
   * label, or in a Backlog.md `<!-- AC:BEGIN -->` block. Counted apart and never dispatched: a person ticks it.
   */
  criterion?: true;
}

/** Tasks the engine never starts by itself: criteria always, optional tasks unless the person opted in. */
export function isDispatchable(t: Pick<TaskNode, 'group' | 'optional' | 'criterion'>, runOptional = false): boolean {
  return !t.criterion && !t.group && (runOptional || !t.optional);
}

/** Tasks counted in the plan's progress: neither criteria nor optional tasks (those are counted apart). */
export function countsInProgress(t: Pick<TaskNode, 'optional' | 'criterion'>): boolean {
  return !t.criterion && !t.optional;
}

/**
 * How a file is written. `coditect`: this project's plan format (`## E001:` / `### F001.01:` headings or dotted
 * `T001.009` ids; a new task without an id gets the next id written). `speckit`: GitHub Spec Kit tasks.md (flat
 * `T012` ids, `[P]`/`[US1]` tags, phases in order). `kiro`: a Kiro spec's tasks.md (outline numbers `2.1`, optional
 * `[ ]*` tasks). `markdown`: any other checklist (README, TODO, roadmap, CCPM epic, Backlog.md task, GSD roadmap).
 * Only `coditect` files get ids written by sync; the others keep their own numbering (or none).
 */
export type Dialect = 'coditect' | 'speckit' | 'kiro' | 'markdown';

/**
 * The numbering scheme an id belongs to: `T001.009`/`T012`/`T031a` (`task`), tracker keys `ABC-123` (`key`), GitHub
 * and Backlog.md/CCPM `#12` (`hash`), outline numbers `2.3.1` and CCPM task files `001.md` (`outline`), GSD plan
 * numbers `01-02` (`plan`).
 */
export type IdKind = 'task' | 'key' | 'hash' | 'outline' | 'plan';

/** Everything parsed from one markdown file. */
export interface TaskList {
  dialect: Dialect;
  /**
   * Numbers this file uses as ids although they are ids only by the file's habit (`1.`, `2.1` outline numbers, bare
   * `SC-001` keys): when most tasks start with one, they are the tasks' ids; otherwise they are part of the title.
   * Absent when none.
   */
  numbering?: IdKind[];
  /** Dominant line ending of the file; the writer keeps each line's own ending regardless. */
  eol: '\n' | '\r\n';
  epics: EpicNode[];
  features: FeatureNode[];
  tasks: TaskNode[];
  diagnostics: Diagnostic[];
}

/** The fields of a task that sync merges three-way. */
export const MERGED_TASK_FIELDS = ['status', 'title', 'priority', 'estimateHours', 'agent', 'verify', 'blockers', 'dependsOn'] as const;
export type MergedTaskField = (typeof MERGED_TASK_FIELDS)[number];

/** Dispatch rank of a priority: lower runs first. */
export function priorityRank(p: Priority | undefined): number {
  return PRIORITIES.indexOf(p ?? DEFAULT_PRIORITY);
}

/** Weight of each priority in dispatch order (higher goes first): the plan's `task_dispatcher.priority_weights`. */
export type PriorityWeights = Readonly<Partial<Record<Priority, number>>>;

/** The plan's weights; they rank exactly as priorityRank does. A weight a config leaves out takes its value here. */
export const PLAN_PRIORITY_WEIGHTS: Readonly<Record<Priority, number>> = { P0: 100, P1: 50, P2: 25, P3: 10 };

/** Weight of a priority (missing: P2) under `weights`, the plan's for a priority they leave out. */
export function priorityWeight(p: Priority | undefined, weights: PriorityWeights | undefined): number {
  const key = p ?? DEFAULT_PRIORITY;
  return weights?.[key] ?? PLAN_PRIORITY_WEIGHTS[key];
}
