// Every message between the editor extension and the engine process, declared once (JSON-RPC over stdio).
// Both sides import these descriptors; a name or a param shape is never spelled out anywhere else.
import { NotificationType, NotificationType0, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { Diagnostic, TaskStatus } from '../core/model';
import type { EngineSettings } from './engineSettings';
import type { GateDecisionParams, GateDecisionResult } from './gates';
import type { GatesView } from './gates';
import type { SpendView } from './spend';
import type {
  ActivityEntry,
  BreakerState,
  EpicView,
  FeatureView,
  GroupProgressView,
  KpiView,
  MetricsView,
  OrchestrationState,
  PlanCounts,
  PlanSnapshot,
  ProviderPauseView,
  TaskView,
} from './views';

/** The engine's native database module; the editor names it in its advice but never loads it. */
export const NATIVE_DB_MODULE = 'better-sqlite3';
/** First word of the stderr line an engine writes when its runtime cannot load NATIVE_DB_MODULE (then it exits 78). */
export const NATIVE_MODULE_ERROR_MARKER = 'CODITECT_NATIVE_MODULE_ERROR';
/** Exit code of an engine that cannot load its native database module (EX_CONFIG). */
export const NATIVE_MODULE_EXIT_CODE = 78;
/**
 * Secrets (the API key) reach the editor's engine on an extra pipe, never in its environment or argv: an environment
 * can be read back from /proc/<pid>/environ by any process of the user, an agent included. The editor opens file
 * descriptor SECRETS_FD, passes `--secrets-fd <fd>`, writes one JSON object of name → value and closes it.
 */
export const SECRETS_FD = 3;
export const SECRETS_FD_FLAG = 'secrets-fd';

/** Protocol version; the engine refuses an `initialize` from a client speaking another major version. */
export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------

export interface ReadyParams {
  pid: number;
  engineVersion: string;
  protocolVersion: number;
}
/** engine → client, once, as soon as the engine process can take requests (the ready handshake). */
export namespace Ready {
  export const type = new NotificationType<ReadyParams>('coditect/ready');
}

export interface InitializeParams {
  protocolVersion: number;
  workspaceRoot: string;
  tasklistPath: string;
  /** Absolute path of context.db; default `<workspaceRoot>/.coditect/context.db`. */
  dbPath?: string;
  /** Path of orchestrator-config.json, if any. */
  configPath?: string;
  /** Settings from the editor, merged over the config file (see docs/configuration.md). */
  settings?: EngineSettings;
  /** Untrusted workspace: the plan is shown read-only and no agent runs. */
  readOnly: boolean;
  /** The client applies edits to open documents itself (`coditect/applyEdits`). */
  clientAppliesEdits: boolean;
}
export interface InitializeResult {
  engineVersion: string;
  pid: number;
  dbPath: string;
  schemaVersion: number;
  snapshot: PlanSnapshot;
  /**
   * Set when another process already ran the engine for this plan (a daemon, a `coditect run`, another window's
   * engine): this engine process attached to it over its control socket instead of opening the database a second
   * time. The snapshot, the events and every command are that engine's. If it goes away, this engine process takes
   * the plan over itself, or re-attaches to the client that did (`coditect/ownerChanged`); only when neither works
   * does it exit (code ATTACHED_OWNER_GONE_EXIT_CODE) so the editor starts one that takes the plan over.
   */
  attachedTo?: { pid: number; kind: 'daemon' | 'engine'; engineVersion: string };
}

export interface OwnerChangedParams {
  /** The engine this process is now attached to; absent: this process owns the plan now. */
  attachedTo?: InitializeResult['attachedTo'];
  /** The whole plan, as the new owner has it. */
  snapshot: PlanSnapshot;
}
/**
 * engine → client: the engine this process was attached to went away, and this process took the plan over in place
 * (`attachedTo` absent) or attached to the one that did. Take `attachedTo` in place of the initialize result's, and
 * this snapshot. Requests sent in between may have failed (the owner was gone).
 */
export namespace OwnerChanged {
  export const type = new NotificationType<OwnerChangedParams>('coditect/ownerChanged');
}
/** Exit code of an attached engine process whose owner went away: restart it to take the plan over. */
export const ATTACHED_OWNER_GONE_EXIT_CODE = 75;
/** client → engine, first request after `ready`: opens the database and syncs the task list. */
export namespace Initialize {
  export const type = new RequestType<InitializeParams, InitializeResult, void>('coditect/initialize');
}

/** client → engine: stop dispatching, release running tasks after the grace, close the database. Then `exit`. */
export namespace Shutdown {
  export const type = new RequestType0<void, void>('coditect/shutdown');
}

/** client → engine, after `shutdown` resolved: the process exits. */
export namespace Exit {
  export const type = new NotificationType0('coditect/exit');
}

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

// EngineSettings (every field optional) is declared with its descriptors in engineSettings.ts.

/** client → engine: settings changed; applied without a restart. */
export namespace UpdateSettings {
  export const type = new NotificationType<{ settings: EngineSettings }>('coditect/updateSettings');
}

// ---------------------------------------------------------------------------------------------
// Orchestration control
// ---------------------------------------------------------------------------------------------

export interface ControlResult {
  state: OrchestrationState;
  /** Why the request changed nothing (e.g. an untrusted workspace is read-only). */
  message?: string;
}
/** client → engine: start dispatching ready tasks. */
export namespace StartOrchestration {
  export const type = new RequestType0<ControlResult, void>('coditect/start');
}
/** client → engine: stop starting new tasks; running ones go on. */
export namespace PauseOrchestration {
  export const type = new RequestType0<ControlResult, void>('coditect/pause');
}
/** client → engine: dispatch again after a pause. */
export namespace ResumeOrchestration {
  export const type = new RequestType0<ControlResult, void>('coditect/resume');
}
/** client → engine: stop dispatching; running tasks get the shutdown grace, then go back to pending. */
export namespace StopOrchestration {
  export const type = new RequestType0<ControlResult, void>('coditect/stop');
}

export interface TaskRef {
  taskId: string;
}
export interface RunTaskParams extends TaskRef {
  /** Agent to use instead of the routed one. */
  agent?: string;
}
export interface RunTaskResult {
  started: boolean;
  /** Why it did not start (not ready, read-only, limit reached…). */
  reason?: string;
}
/** client → engine: run one task now (CodeLens "Run with agent", tree "Run"). */
export namespace RunTask {
  export const type = new RequestType<RunTaskParams, RunTaskResult, void>('coditect/runTask');
}
/** client → engine: run the first ready task in dispatch order. */
export namespace RunNextTask {
  export const type = new RequestType0<RunTaskResult & { taskId?: string }, void>('coditect/runNext');
}
/** client → engine: cancel a running task (kills its agent). */
export namespace CancelTask {
  export const type = new RequestType<TaskRef, { cancelled: boolean }, void>('coditect/cancelTask');
}
/** client → engine: reset a failed/timed-out/cancelled task to pending (retry count kept). */
export namespace RetryTask {
  export const type = new RequestType<TaskRef, { reset: boolean }, void>('coditect/retryTask');
}
/** client → engine: reset every failed or timed-out task to pending. */
export namespace RetryFailed {
  export const type = new RequestType0<{ reset: string[] }, void>('coditect/retryFailed');
}
export interface MarkTaskParams extends TaskRef {
  status: Extract<TaskStatus, 'completed' | 'skipped' | 'pending'>;
}
/** client → engine: a person marks a task done, skipped or pending by hand. */
export namespace MarkTask {
  export const type = new RequestType<MarkTaskParams, { changed: boolean }, void>('coditect/markTask');
}

/** client → engine: a person approves a waiting gate (docs/costs-and-gates.md#gates); recorded with who, when, note. */
export namespace ApproveGate {
  export const type = new RequestType<GateDecisionParams, GateDecisionResult, void>('coditect/approveGate');
}
/** client → engine: a person rejects a waiting gate with a note (a `Gate: review` task runs again with the note). */
export namespace RejectGate {
  export const type = new RequestType<GateDecisionParams, GateDecisionResult, void>('coditect/rejectGate');
}

// ---------------------------------------------------------------------------------------------
// Sync and documents
// ---------------------------------------------------------------------------------------------

export interface SyncResult {
  applied: boolean;
  direction?: string;
  conflicts: number;
  diagnostics: Diagnostic[];
}
/** client → engine: sync the task list with the database now. */
export namespace SyncNow {
  export const type = new RequestType0<SyncResult, void>('coditect/syncNow');
}

export interface DocumentChangedParams {
  path: string;
  /** Full text of the open document (possibly unsaved). */
  text: string;
  version: number;
}
/** client → engine: the open task-list document changed (debounced by the client). */
export namespace DocumentChanged {
  export const type = new NotificationType<DocumentChangedParams>('coditect/documentChanged');
}

export interface LineEditView {
  line: number;
  /** New text of the line, without its line ending. */
  text: string;
  /** Text the engine expects on that line now; the client refuses the edit if it differs. */
  expected: string;
}
export interface ApplyEditsParams {
  path: string;
  edits: LineEditView[];
  /**
   * The `DocumentChanged.version` of the text the edits were computed on, when the engine has that text exactly;
   * absent when it has not (computed on the file on disk, or on what an earlier edit left in a document that had
   * moved on). The client sends its text after applying edits not computed on the document it applied them to.
   */
  version?: number;
}
export interface ApplyEditsResult {
  /** `applied`: done as a WorkspaceEdit; `not-open`: the engine writes the file itself; `stale`: the document moved on, resend. */
  outcome: 'applied' | 'not-open' | 'stale';
  /**
   * With `applied`: the version the edit made, in `DocumentChanged.version`'s numbering, one more than the document's
   * when the edit was applied. Every text the client sent before carries a lower one, and the engine drops those that
   * reach it after this answer: they predate its own edit (src/protocol/editorVersions.ts).
   */
  version?: number;
}
/** engine → client: change lines of an open task list as an undoable WorkspaceEdit. */
export namespace ApplyEdits {
  export const type = new RequestType<ApplyEditsParams, ApplyEditsResult, void>('coditect/applyEdits');
}

/** client → engine: parse and check the task list; returns every diagnostic. */
export namespace Validate {
  export const type = new RequestType0<{ diagnostics: Diagnostic[]; counts: PlanCounts }, void>('coditect/validate');
}

/** client → engine: write v2-work-items.json. */
export namespace ExportWorkItems {
  export const type = new RequestType<{ outPath?: string }, { path: string; count: number }, void>('coditect/exportWorkItems');
}

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

/** client → engine: the whole plan as the UI draws it. */
export namespace GetSnapshot {
  export const type = new RequestType0<PlanSnapshot, void>('coditect/snapshot');
}

/** The figures a dashboard refreshes while tasks change: the snapshot's fields of the same names, without the plan. */
export interface PlanMetrics {
  metrics: MetricsView;
  /** The plan's KPIs, spend and provider pauses move with the same refresh (absent from an engine that has none). */
  kpis?: KpiView;
  spend?: SpendView;
  providerPauses?: ProviderPauseView[];
}
/**
 * client → engine: the dashboard's metrics alone (a few KB), for its refresh while tasks change; a whole snapshot of a
 * 10,000-task plan is ~4 MB. Sent by the editor's dashboard session; the daemon's event stream reads the same method.
 */
export namespace GetMetrics {
  export const type = new RequestType0<PlanMetrics, void>('coditect/metrics');
}

/**
 * What an attempt used, as its agent reported it (or as computed from its tokens): one definition for the agent's
 * result, the attempt row, the metrics event and the views.
 */
export interface AttemptUsage {
  /** Input tokens, cache reads and writes included (the provider's prompt size). */
  tokensIn?: number;
  tokensOut?: number;
  /** Of tokensIn, read from / written to the provider's prompt cache. */
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  costUsd?: number;
  /** costUsd was computed from tokens × the price table, not reported by the provider (docs/costs-and-gates.md). */
  costEstimated?: boolean;
  /** The model the attempt ran on, when its agent said. */
  model?: string;
}

export interface AttemptView extends AttemptUsage {
  attempt: number;
  agent: string;
  outcome: string;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  exitCode?: number | null;
  error?: string;
  stdout?: string;
  stderr?: string;
  /** What the agent said it did. */
  summary?: string;
  /** The attempt ran on a simulation (dry-run): nothing was executed. */
  simulated?: boolean;
  /** The agent's session (Claude Code session id, Codex thread id), when it reported one. */
  sessionId?: string;
  /** The plan's four-point report as the agent gave it (its words, not checked): files changed, tests run, status. */
  filesChanged?: string[];
  testsRun?: string[];
  completionStatus?: string;
}
/** How many attempts of a task GetTaskLog answers with at most (the newest); older ones stay in context.db. */
export const TASK_LOG_ATTEMPTS = 50;
/** client → engine: the recorded attempts of a task, newest first (at most TASK_LOG_ATTEMPTS). */
export namespace GetTaskLog {
  export const type = new RequestType<TaskRef, { attempts: AttemptView[] }, void>('coditect/taskLog');
}

// ---------------------------------------------------------------------------------------------
// Review of isolated tasks (docs/isolation.md): what a task branch would bring, and a person's verdict
// ---------------------------------------------------------------------------------------------

/** Why a task branch waits for a person: `merge.policy: review`, or a conflict / failing check / refused change. */
export type ReviewState = 'awaiting_review' | 'needs_review';

/** One file a task branch changes against its base; `added`/`deleted` are absent for a binary file. */
export interface ReviewFileView {
  path: string;
  /** The file's path at the base when the branch renamed it. */
  oldPath?: string;
  added?: number;
  deleted?: number;
}

/** A task branch waiting for review, with what an editor needs to open its diff (`git diff <base> <head>` in `repository`). */
export interface ReviewView {
  taskId: string;
  title: string;
  state: ReviewState;
  /** Why it waits: the policy, the conflicting files, the failing check's output tail, the refused paths. */
  reason: string;
  /** Conflicting files (needs_review after a conflict) or refused protected files. */
  files?: string[];
  /** needs_review because the merge conflicted: "resolve conflicts with agent" applies. */
  conflict?: boolean;
  /** The repository's top folder (the integration branch's work tree). */
  repository: string;
  /** The integration branch it would land on. */
  baseBranch: string;
  branch: string;
  /** Commit the branch forked from the integration branch: the left side of the diff. */
  base: string;
  /** The branch's tip: the right side. */
  head: string;
  /** The task's worktree, while it exists (open it, resolve a conflict there). */
  worktree?: string;
  changes: ReviewFileView[];
  /** Totals of `changes`; `text` as the UI shows it: `3 files, +120 −8`. */
  stat: { files: number; added: number; deleted: number; text: string };
  /** When the branch reached this state (ISO 8601). */
  since: string;
}

export interface ListReviewsResult {
  /** False when the engine runs without isolation (`isolation: none`, not a git repository): nothing is ever reviewed. */
  isolation: boolean;
  reviews: ReviewView[];
}
/** client → engine: every task branch waiting for a person, oldest first. */
export namespace ListReviews {
  export const type = new RequestType0<ListReviewsResult, void>('coditect/reviewList');
}

export interface ShowReviewParams extends TaskRef {
  /** Longest diff text returned, in characters; default 1,000,000 (then `truncated`). */
  maxDiffChars?: number;
}
export interface ShowReviewResult {
  review: ReviewView;
  /** `git diff <base> <head>` (renames detected, no external diff drivers). */
  diff: string;
  truncated: boolean;
}
/** client → engine: one waiting branch with its unified diff. Fails naming the task when it has none waiting. */
export namespace ShowReview {
  export const type = new RequestType<ShowReviewParams, ShowReviewResult, void>('coditect/reviewShow');
}

/**
 * What an accept came to: `merged` (checks passed on the merged result, the integration branch moved, the task is
 * completed), `needs_review` (a conflict or a failing check: nothing landed, the task stays blocked), or `waiting`
 * (the integration branch cannot take merges now, e.g. a person's uncommitted changes: the branch stays queued and
 * lands when that clears, on this engine or the next start of one).
 */
export type AcceptReviewResult =
  { outcome: 'merged'; commit: string } | { outcome: 'needs_review'; reason: string; files?: string[] } | { outcome: 'waiting'; reason: string };
/** client → engine: a person accepts a waiting branch; it lands through the merge queue (checks run). */
export namespace AcceptReview {
  export const type = new RequestType<TaskRef, AcceptReviewResult, void>('coditect/reviewAccept');
}

export interface RejectReviewParams extends TaskRef {
  /** The person's note; it goes into the next attempt's prompt. */
  note?: string;
}
export interface RejectReviewResult {
  /** The task's status now (`pending`: it runs again from the integration branch's tip). */
  status: TaskStatus;
  /** The rejected work, kept under this branch name for `worktree.branch_retention_days`. */
  keptBranch?: string;
}
/**
 * client → engine: a person rejects a task's branch: its worktree is removed, the branch is kept under a
 * `-rejected-N` name, and the task goes back to pending with the note in its next prompt.
 */
export namespace RejectReview {
  export const type = new RequestType<RejectReviewParams, RejectReviewResult, void>('coditect/reviewReject');
}
/**
 * client → engine: "retry with note": the task goes back to pending and its next attempt runs in the same worktree,
 * on the same branch, with the previous work in place and the note in its prompt.
 */
export namespace RetryReview {
  export const type = new RequestType<RejectReviewParams, { status: TaskStatus }, void>('coditect/reviewRetry');
}

export interface ResolveConflictsResult {
  /** The task's status now (`pending`: its next attempt resolves the conflicts). */
  status: TaskStatus;
  /** Files with conflict markers the next attempt must resolve (none: the change now applies cleanly). */
  files: string[];
  /** The branch's previous tip, kept under this name for `worktree.branch_retention_days`. */
  keptBranch: string;
}
/**
 * client → engine: "resolve conflicts with agent" for a branch whose merge conflicted: the branch becomes one change
 * on top of the integration branch's tip with git's conflict markers in its worktree, and the task goes back to
 * pending; its next attempt's prompt names the files to resolve (and the person's note). Refused for a branch that
 * did not conflict.
 */
export namespace ResolveConflicts {
  export const type = new RequestType<RejectReviewParams, ResolveConflictsResult, void>('coditect/reviewResolve');
}

// ---------------------------------------------------------------------------------------------
// Engine events (increments after the snapshot)
// ---------------------------------------------------------------------------------------------

export interface TasksChangedParams {
  tasks: TaskView[];
  counts: PlanCounts;
  /** Progress of every epic and feature the changed tasks belong to (before and after a move), as the engine counts it. */
  groups: GroupProgressView[];
  /** Ids no longer in the plan (archived). */
  removed: string[];
}
/** engine → client: these tasks changed (status, readiness, run info). */
export namespace TasksChanged {
  export const type = new NotificationType<TasksChangedParams>('coditect/tasksChanged');
}

export interface PlanChangedParams {
  snapshot: PlanSnapshot;
}
/**
 * engine → client: a whole new plan (groups added, removed or reordered, the config reloaded): take this snapshot.
 * Edits that keep the groups come as `plan:patched`.
 */
export namespace PlanChanged {
  export const type = new NotificationType<PlanChangedParams>('coditect/planChanged');
}

/** Tasks and groups whose line was `from`..`to` (both included, lines of the plan before the patch) moved by `delta` lines. */
export interface LineShift {
  from: number;
  to: number;
  delta: number;
}

/**
 * What one re-read of the plan changed, against the plan of revision `base` (a snapshot's `revision`, or the previous
 * patch's): typing into a 10,000-task plan sent the whole snapshot (megabytes) to the editor and the dashboard on each
 * sync. A client whose plan is not at `base` skips a patch it already has (revision ≤ its own) and otherwise asks for a
 * snapshot. src/protocol/planPatch.ts applies it, the one rule for the extension and the dashboard.
 */
export interface PlanPatchedParams {
  base: number;
  revision: number;
  /** Line moves of the tasks and groups not listed below, in order of `from`, not overlapping. */
  shifts: LineShift[];
  /** Tasks added or changed in anything besides their line, as they are now. */
  tasks: TaskView[];
  /** Ids of tasks no longer in the plan. */
  removed: string[];
  /** Epics and features changed in anything besides their line, as they are now (the set and order of groups is the same). */
  epics: EpicView[];
  features: FeatureView[];
  counts: PlanCounts;
  diagnostics: Diagnostic[];
  gates?: GatesView;
}
/** engine → client: the plan's text changed (a keystroke's sync): apply this to the plan of revision `base`. */
export namespace PlanPatched {
  export const type = new NotificationType<PlanPatchedParams>('coditect/planPatched');
}

export interface StateChangedParams {
  state: OrchestrationState;
  breakers: Record<string, BreakerState>;
  /** Why a limit paused orchestration (`day budget $10.00 reached ($10.42 spent today)`); absent when a person did. */
  pausedFor?: string;
}
/** engine → client: orchestration state and breakers. */
export namespace StateChanged {
  export const type = new NotificationType<StateChangedParams>('coditect/stateChanged');
}

export interface ActivityAppendedParams {
  entries: ActivityEntry[];
}
/** engine → client: new activity log entries. */
export namespace ActivityAppended {
  export const type = new NotificationType<ActivityAppendedParams>('coditect/activity');
}

export interface PublishDiagnosticsParams {
  path: string;
  diagnostics: Diagnostic[];
}
/** engine → client: the full set of diagnostics for the task list (replaces the previous set). */
export namespace PublishDiagnostics {
  export const type = new NotificationType<PublishDiagnosticsParams>('coditect/diagnostics');
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export interface LogMessageParams {
  level: LogLevel;
  message: string;
}
/** engine → client: a log line for the Output channel (already redacted). */
export namespace LogMessage {
  export const type = new NotificationType<LogMessageParams>('coditect/log');
}

/**
 * What the engine tells a person about (docs/costs-and-gates.md#notifications): it needs them (a gate waits, a limit
 * paused dispatch, a breaker opened, a usage limit, the plan cannot finish, a task failed for good, a task's work
 * waits for review before it lands), or it is done.
 * The config's `notify.events` and the editor's `coditect.notifications.show` choose among these.
 */
export type AttentionKind = 'gate_waiting' | 'review_waiting' | 'paused' | 'breaker_open' | 'usage_limit' | 'stalled' | 'task_failed' | 'done';
export const ATTENTION_KINDS: readonly AttentionKind[] = [
  'gate_waiting',
  'review_waiting',
  'paused',
  'breaker_open',
  'usage_limit',
  'stalled',
  'task_failed',
  'done',
];

export interface AttentionParams {
  kind: AttentionKind;
  /** One sentence for people, e.g. `T001.003 waits for a person's approval: Review the parser` (redacted). */
  message: string;
  taskId?: string;
  provider?: string;
  /** ISO-8601 UTC end of a usage-limit pause. */
  until?: string;
}
/** engine → client: something a person should hear about (the same events the webhook and notify command get). */
export namespace AttentionNeeded {
  export const type = new NotificationType<AttentionParams>('coditect/attention');
}

/**
 * The engine's notifications as events (`noun:verb`), each with its one payload type: the engine emits them under
 * these names, the wire carries them (ENGINE_NOTIFICATIONS), the editor's client re-emits them and the dashboard gets
 * them under the same names. Nobody writes a payload shape out again.
 */
export interface EngineNotifications {
  'tasks:changed': TasksChangedParams;
  'plan:changed': PlanChangedParams;
  'plan:patched': PlanPatchedParams;
  'state:changed': StateChangedParams;
  'activity:appended': ActivityAppendedParams;
  'diagnostics:published': PublishDiagnosticsParams;
  'log:message': LogMessageParams;
  'attention:needed': AttentionParams;
}

/** The wire descriptor of each engine notification: the server sends and the client registers from this table. */
export const ENGINE_NOTIFICATIONS: { readonly [K in keyof EngineNotifications]: NotificationType<EngineNotifications[K]> } = {
  'tasks:changed': TasksChanged.type,
  'plan:changed': PlanChanged.type,
  'plan:patched': PlanPatched.type,
  'state:changed': StateChanged.type,
  'activity:appended': ActivityAppended.type,
  'diagnostics:published': PublishDiagnostics.type,
  'log:message': LogMessage.type,
  'attention:needed': AttentionNeeded.type,
};

/** Every engine notification name, in a stable order. */
export const ENGINE_NOTIFICATION_NAMES = Object.keys(ENGINE_NOTIFICATIONS) as (keyof EngineNotifications)[];
