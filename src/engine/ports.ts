// The contract between the orchestration (dispatcher, executor, orchestrator) and the database store.
// The store (src/engine/db/taskStore.ts) implements TaskStorePort against a real SQLite file; the orchestrator
// codes against this interface only, so its tests can use a real store on a temp file or this shape alone.
import type { TaskStatus } from '../core/model';
import type { AttemptOutcome } from '../protocol/views';
import type { AttemptUsage, AttemptView } from '../protocol/engineProtocol';

/** The run-time state of one task as the database holds it (the markdown holds the rest). */
export interface TaskRuntime {
  id: string;
  status: TaskStatus;
  /** Attempts that failed and were retried; kept across crashes and restarts. */
  retryCount: number;
  /** Owner of the lease while `in_progress` (engine instance id), else undefined. */
  leaseOwner?: string;
  /** Epoch ms at which the lease expires unless renewed. */
  leaseExpiresAt?: number;
  /** ISO time the current/last attempt started. */
  startedAt?: string;
  /** Summary of the last completed attempt (becomes a dependency result for dependents). */
  resultSummary?: string;
}

/** Facts recorded when an attempt starts (one `agent_execution_log` row). */
export interface AttemptStart {
  taskId: string;
  agent: string;
  /** 1-based attempt number (retryCount + 1 at claim time). */
  attempt: number;
  /** Epoch ms. */
  startedAt: number;
  /** Routing rule that chose the agent (`keyword:deploy`, `override:Agent line`…). */
  routeRule?: string;
  /** The agent implementation that runs it (`Agent.provider`: anthropic, claude-code, dry-run…). */
  provider?: string;
  /** It runs on a simulation (`Agent.simulated`, the dry-run agent): nothing is executed. */
  simulated?: boolean;
  /** The plan's dispatch latency of this start: task ready (or the engine able to start it) → agent assigned, ms. */
  dispatchLatencyMs?: number;
  /** The agent session the attempt resumes or starts under (Agent.presetsSessions), known before it runs. */
  sessionId?: string;
}

/** Facts recorded when an attempt ends. Output is capped by the store (see MAX_OUTPUT_CHARS there). */
export interface AttemptEnd extends AttemptUsage {
  outcome: AttemptOutcome;
  /** Epoch ms. */
  endedAt: number;
  exitCode?: number | null;
  stdout?: string;
  stderr?: string;
  /** Redacted error message. */
  error?: string;
  errorKind?: string;
  sessionId?: string;
  summary?: string;
  /** Verify command output, when the task has one. */
  verifyOutput?: string;
  /**
   * The paths the attempt changed as git says (an isolated attempt's branch against its base): kept as the row's
   * `files_changed` instead of what the agent's own report claims. Absent: the agent's claim, if it made one.
   */
  filesChanged?: string[];
}

/** How a claimed task ends. `pending` releases it for another attempt (retry, graceful shutdown). */
export interface FinishTask {
  status: Extract<TaskStatus, 'completed' | 'failed' | 'timeout' | 'cancelled' | 'blocked' | 'pending'>;
  /** New retry count (defaults to the current one). */
  retryCount?: number;
  resultSummary?: string;
  /** Epoch ms. */
  now: number;
}

/**
 * Everything that settles one finished attempt, written in ONE transaction (TaskStorePort.settle): the task's end
 * (finish) and its attempt row's end. Plain data, so it can be journaled while the database cannot take it
 * (resultWriter.ts) and written by the next engine.
 */
export interface SettleRecord {
  taskId: string;
  /** Lease owner that claimed the task (the engine run that ran the attempt). */
  owner: string;
  finish: FinishTask;
  /** The attempt row to end (absent: no row was written, e.g. the attempt never started). */
  attemptId?: number;
  /** The attempt row's end while the lease is still held. */
  end?: AttemptEnd;
  /** The attempt row's error when the lease was lost meanwhile (the row then ends `released`). */
  lostError?: string;
}

/**
 * Whether the database takes writes now (db/dbGate.ts). A write that failed with a fault worth waiting out (a lock
 * held past the busy timeout, a full disk) blocks it; work registered with whenFree() runs at the next retry.
 */
export interface WriteGate {
  readonly blocked: boolean;
  /** Whether `e` is a fault worth waiting out (nothing is marked). */
  isFault(e: unknown): boolean;
  /** A write threw `e`: a fault worth waiting out blocks the gate and is returned (truthy); anything else: undefined. */
  failed(e: unknown): object | undefined;
  /** A write went through. */
  succeeded(): void;
  /** Runs `work` once, when the database may take writes again. */
  whenFree(work: () => void): void;
}

/** A gate that never blocks: every write error is the caller's to handle (tests on a store without locks). */
export const OPEN_GATE: WriteGate = {
  blocked: false,
  isFault: () => false,
  failed: () => undefined,
  succeeded: () => undefined,
  whenFree: (work) => void queueMicrotask(work),
};

/** One row of the plan's `orchestrator_state` table: a snapshot of the orchestration at a moment. */
export interface OrchestratorSnapshot {
  /** heartbeat: periodic (health_check_interval); checkpoint: a feature or epic completed; snapshot: any other. */
  kind: 'snapshot' | 'heartbeat' | 'checkpoint';
  /** Epoch ms. */
  at: number;
  activeAgents: number;
  pendingTasks: number;
  completedTasks: number;
  failedTasks: number;
  tasksPerHour: number;
  uptimeSeconds: number;
  /** Stored as JSON in `metrics_json`. */
  metrics?: unknown;
  /** For a checkpoint: the feature or epic that completed. */
  milestoneId?: string;
}

/** A task claimed for one attempt (TaskStorePort.claim). */
export interface Claim {
  /** The attempt number: retryCount + 1 (an attempt released unfinished keeps its number). */
  attempt: number;
  /**
   * The task has attempt rows recorded before this claim (a retry, or an attempt released unfinished). Without any,
   * the attempt's input has no earlier attempts to read, and the engine does not look them up (one query per start
   * was a fifth of the in-process engine's time per zero-work task).
   */
  attempted: boolean;
}

/** What the orchestration needs from the database. Every method is synchronous (better-sqlite3) and atomic. */
export interface TaskStorePort {
  /** Current runtime rows of every live (not archived) task, keyed by id. */
  runtimes(): Map<string, TaskRuntime>;
  /**
   * pending → in_progress with a lease for `owner`, atomically; undefined when the task is not pending (someone else
   * took it, a person marked it done…). Returns the attempt number (retryCount + 1) and whether attempt rows of the task
   * were recorded before (Claim.attempted).
   */
  claim(taskId: string, owner: string, leaseMs: number, now: number): Claim | undefined;
  /** Extends every lease held by `owner`; returns how many. Called on a heartbeat timer. */
  renewLeases(owner: string, leaseMs: number, now: number): number;
  /** Inserts the `agent_execution_log` row of an attempt; returns its row id. */
  recordAttemptStart(start: AttemptStart): number;
  /** Completes the `agent_execution_log` row. */
  recordAttemptEnd(attemptId: number, end: AttemptEnd): void;
  /**
   * Ends a claim: sets the status, clears the lease. MUST only change a task `owner` still holds in_progress, so a
   * task is never recorded completed twice; returns false (and changes nothing) otherwise.
   */
  finish(taskId: string, owner: string, finish: FinishTask): boolean;
  /**
   * finish() and, in the same transaction, the attempt row's end (`end` when the lease was held, else `released` with
   * `lostError`). Returns whether the lease was held. All or nothing: a failure changes neither.
   */
  settle(record: SettleRecord): boolean;
  /**
   * settle() for each record, all in ONE transaction (the results of attempts that ended in the same turn of the event
   * loop). A record whose settle throws an error that is not `isFault` changes nothing and gets that error; an error that
   * is (the database takes no writes) rolls back every record and is thrown.
   */
  settleAll(records: readonly SettleRecord[], isFault: (e: unknown) => boolean): ({ held: boolean } | { error: unknown })[];
  /**
   * Runs `fn` in ONE transaction (a coordinator's dispatch pass: its claims and attempt rows, one commit): everything it
   * wrote commits together when it returns, or nothing of it when it (or the commit) throws — the error is rethrown.
   */
  batch<T>(fn: () => T): T;
  /**
   * Crash recovery: every in_progress task whose lease expired before `now` or whose owner is not `liveOwner`
   * (the single-writer lock proves the previous owner dead) goes back to pending with its retry count kept.
   * Each recovered attempt row is closed with outcome `released`. Returns the recovered ids.
   */
  recoverLeases(liveOwner: string, now: number): string[];
  /** A person's or a command's status change (mark done, skip, retry → pending). Not for claimed tasks. */
  setStatus(taskId: string, status: TaskStatus, opts?: { resetRetries?: boolean; now?: number }): boolean;
  /** Every recorded attempt of a task, newest first. */
  attempts(taskId: string, limit?: number): AttemptView[];
  /** The engine's own key/value state (`engine_state`, JSON values). */
  getState<T>(key: string): T | undefined;
  setState(key: string, value: unknown): void;
  /** Appends one snapshot row to the plan's `orchestrator_state`; returns its id. */
  recordSnapshot(snapshot: OrchestratorSnapshot): number;
  /** Deletes the `orchestrator_state` rows of `kind` older than `before` (epoch ms); returns how many. */
  pruneSnapshots(kind: OrchestratorSnapshot['kind'], before: number): number;
}
