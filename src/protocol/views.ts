// Plain data shapes shared by the engine, the extension and the webview. No behaviour, no imports beyond core types.
import type { Blockage, Stall } from '../core/graph';
import type { DependencySource, DependencyType, Diagnostic, Priority, TaskStatus } from '../core/model';
import type { Progress } from '../core/progress';
import type { GateKind, GatesView } from './gates';
import type { SpendView } from './spend';

/** Outcome of one agent attempt, as recorded in `agent_execution_log`. */
export type AttemptOutcome = 'completed' | 'failed' | 'timeout' | 'cancelled' | 'released' | 'verify_failed' | 'budget_exceeded';

/** The last finished attempt of a task. */
export interface LastRunView {
  attempt: number;
  agent: string;
  outcome: AttemptOutcome;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  error?: string;
  /** What the agent said it did (a dry-run agent: that nothing was executed). */
  summary?: string;
  /** The attempt ran on a simulation (the dry-run agent): its "completed" means nothing was executed. */
  simulated?: boolean;
}

/** Why a task went (or would go) to its agent. */
export interface RouteView {
  agent: string;
  rule: string;
  reason: string;
}

/** One task as the UI shows it. */
export interface TaskView {
  id: string;
  title: string;
  status: TaskStatus;
  /** Pending, every blocking dependency done, no external blocker. */
  ready: boolean;
  epicId: string;
  featureId: string;
  /** 0-based line of the checkbox in the task list. */
  line: number;
  priority?: Priority;
  estimateHours?: number;
  route: RouteView;
  dependsOn: { id: string; type: DependencyType; source: DependencySource }[];
  /** Unfinished blocking dependencies. */
  waitingOn: string[];
  dependents: string[];
  blockers: string[];
  /**
   * Set when the task is blocked: not done, not running, not failed, and unable to go on until a person acts (its own
   * `Blocked by:`, a cycle, an unknown dependency, the status `blocked`, or such a hold or a failure upstream). The
   * graph's one definition (src/core/graph.ts); every view shows this, never its own rule.
   */
  blocked?: Blockage;
  verify?: string;
  retryCount: number;
  startedAt?: string;
  lastRun?: LastRunView;
  /** What the task's attempts have cost so far (USD, the cost ledger's), when anything. */
  costUsd?: number;
  /**
   * What the engine does with it besides running it (docs/tasklist-format.md): `group` (ticked when its subtasks are
   * done), `optional` (run only by hand or with run_optional), `criterion` (a person ticks it); absent for plain work.
   */
  kind?: TaskKind;
  /** The task it is nested under. */
  parent?: string;
  /** A gate (docs/costs-and-gates.md#gates): it waits for a person's approval when blocked with this set. */
  gate?: GateKind;
  /** The paths the task names (its `Files:` lines and the paths in its title; src/core/fileClaims.ts), when any. */
  files?: string[];
  /**
   * Set on a ready task that does not start while a task in progress names the same paths (file-aware scheduling):
   * `waits for T003 (in progress): both name src/models/user.py`.
   */
  fileHold?: string;
}

export type TaskKind = 'group' | 'optional' | 'criterion';

/** The kind of a parsed task (see TaskView.kind). */
export function taskKind(t: { group?: true; optional?: true; criterion?: true }): TaskKind | undefined {
  return t.criterion ? 'criterion' : t.group ? 'group' : t.optional ? 'optional' : undefined;
}

/** An epic or feature with its progress, counted by the engine with the one rule of done (src/core/progress.ts). */
export interface GroupView extends Progress {
  id: string;
  title: string;
  line: number;
}

/** A group's progress after a change (sent with the tasks that moved it). */
export interface GroupProgressView extends Progress {
  kind: 'epic' | 'feature';
  id: string;
}

export interface EpicView extends GroupView {
  features: string[];
  /** What the epic's attempts have cost so far (USD, the cost ledger's), when anything. */
  costUsd?: number;
}

export interface FeatureView extends GroupView {
  epicId: string;
  /**
   * A gated feature (`Gate: review` under its heading, docs/costs-and-gates.md#gates): `open` while its tasks are not
   * all done, `waiting` for a person's approval, `approved`.
   */
  gate?: 'open' | 'waiting' | 'approved';
  /** What the feature's attempts have cost so far (USD, the cost ledger's), when anything. */
  costUsd?: number;
}

/**
 * Counts by status; a partition of `total`. `blocked` is every task with TaskView.blocked (the status `blocked`
 * included); `pending` the other pending tasks (`ready` of them can start now, the rest wait for dependencies).
 */
export interface PlanCounts {
  total: number;
  /** Tasks that count as done (src/core/progress.ts: completed or skipped): the plan's progress is done/total. */
  done: number;
  completed: number;
  inProgress: number;
  pending: number;
  ready: number;
  blocked: number;
  failed: number;
  timeout: number;
  cancelled: number;
  skipped: number;
  /** Criteria (checkboxes under `## Acceptance Criteria` and the like), counted apart from the tasks above; absent when none. */
  criteria?: { done: number; total: number };
  /** Optional tasks (Kiro `[ ]*`), counted apart from the tasks above; absent when none. */
  optional?: { done: number; total: number };
}

/** Counts with every figure at zero: the start of a tally, and what a client shows before its first snapshot. */
export function emptyPlanCounts(): PlanCounts {
  return { total: 0, done: 0, completed: 0, inProgress: 0, pending: 0, ready: 0, blocked: 0, failed: 0, timeout: 0, cancelled: 0, skipped: 0 };
}

export type BreakerState = 'closed' | 'open' | 'half_open' | 'paused';

/** An agent working right now. */
export interface ActiveAgentView {
  taskId: string;
  title: string;
  agent: string;
  startedAt: string;
  attempt: number;
}

export interface MetricsView {
  /** Tasks completed in the trailing hour (since the engine started, during its first hour): counted, not extrapolated. */
  tasksPerHour: number;
  avgCompletionMs: number;
  /** Completed attempts / finished attempts, 0..1; null before any attempt finished. */
  successRate: number | null;
  uptimeSeconds: number;
  /** Completed-task count sampled over time, for the throughput/burndown chart. */
  throughput: { at: string; completed: number; remaining: number }[];
}

/** The plan's KPIs from the database (src/engine/kpis.ts): kept across restarts; a rate is null with nothing to divide. */
export interface KpiView {
  /** Completed tasks an agent completed / all completed tasks (target 95%). */
  autonomyRate: number | null;
  /** Tasks completed by an agent / (those + tasks ended failed or timed out) (target 95%). */
  successRate: number | null;
  /** Agent completions in the last 24 h per hour the engine was up (target 10/hour). */
  tasksPerHour: number | null;
  /** Share of the last 7 days (from the first heartbeat in them) the engine was up (target 99.9%). */
  uptimeRatio: number | null;
  /** Window of uptimeRatio, seconds. */
  windowSeconds: number;
  /**
   * Dispatch latency (task ready → agent assigned, target < 5 s) of the attempts the engine started in the last 7 days:
   * median and 95th percentile in seconds, from the attempt rows (null with none), and how many there were.
   */
  dispatchLatencyP50Seconds: number | null;
  dispatchLatencyP95Seconds: number | null;
  dispatchSamples: number;
}

export interface ActivityEntry {
  at: string;
  kind: 'started' | 'completed' | 'failed' | 'retry' | 'timeout' | 'cancelled' | 'sync' | 'conflict' | 'breaker' | 'info';
  taskId?: string;
  message: string;
}

/**
 * `stalled`: orchestration runs, but nothing runs, nothing can start and nothing waits for a retry, while tasks are
 * not done (failed, blocked, or held back by a per-type limit of 0). It ends by itself when a person acts.
 */
export type OrchestrationState = 'idle' | 'running' | 'stalled' | 'paused' | 'stopping';

/** One reason the plan cannot finish (a graph Stall, or ready tasks of an agent type whose limit is 0) and what it holds. */
export interface StallView extends Omit<Stall, 'reason'> {
  reason: Stall['reason'] | 'limit';
}

/** The stalls of a plan, from its tasks' `blocked` (grouped by root, in the order of their first held task). */
export function stallsOf(tasks: Iterable<Pick<TaskView, 'id' | 'blocked'>>): StallView[] {
  const byRoot = new Map<string, StallView>();
  const seen = new Set<string>();
  for (const t of tasks) {
    if (!t.blocked || seen.has(t.id)) continue;
    seen.add(t.id);
    let s = byRoot.get(t.blocked.root);
    if (!s) byRoot.set(t.blocked.root, (s = { reason: t.blocked.reason, root: t.blocked.root, text: t.blocked.cause, holds: [] }));
    s.holds.push(t.id);
  }
  return [...byRoot.values()];
}

/** A provider paused by its rate or usage limit. */
export interface ProviderPauseView {
  provider: string;
  /** ISO-8601 UTC end of the pause. */
  until: string;
  /** `usage limit` or `rate limited`. */
  reason: string;
}

/** Everything the UI needs to draw itself from scratch. */
export interface PlanSnapshot {
  tasklistPath: string;
  /** The plan's revision: a `plan:patched` applies to the plan of its `base` (absent from an engine that sends no patches). */
  revision?: number;
  state: OrchestrationState;
  /** Why a limit paused orchestration (a budget reached); absent when running or paused by a person. */
  pausedFor?: string;
  /** True when the default agent is a simulation (no API key): the UI must say so plainly. */
  simulated: boolean;
  readOnly: boolean;
  epics: EpicView[];
  features: FeatureView[];
  tasks: TaskView[];
  counts: PlanCounts;
  active: ActiveAgentView[];
  breakers: Record<string, BreakerState>;
  /** Providers paused now (a rate limit, a usage limit until its reset): their tasks wait, none fails. */
  providerPauses?: ProviderPauseView[];
  metrics: MetricsView;
  activity: ActivityEntry[];
  diagnostics: Diagnostic[];
  /** The cost ledger: spend of this run, today, per epic/agent type/model, budgets and what they hold (docs/costs-and-gates.md). */
  spend?: SpendView;
  /** The plan's KPIs, from the database. */
  kpis?: KpiView;
  /** Gates waiting for a person's approval and the latest decisions (docs/costs-and-gates.md#gates). */
  gates?: GatesView;
  /** The config's `task_dispatcher.priority_weights`, when set: a reader orders ready tasks as the engine does. */
  priorityWeights?: Partial<Record<Priority, number>>;
}
