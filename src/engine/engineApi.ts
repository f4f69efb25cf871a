// What the engine offers to its front doors (the JSON-RPC server for the extension and the daemon's socket, the HTTP
// API, and the CLI in-process). The composition in runtime.ts implements it in this process; remoteEngine.ts
// implements it over the control socket of the engine that already runs for the plan (an attached client), which is
// why a result may come as a promise. rpcServer.ts exposes it.
import type { Diagnostic } from '../core/model';
import type {
  AcceptReviewResult,
  ApplyEditsParams,
  ApplyEditsResult,
  AttemptView,
  ControlResult,
  DocumentChangedParams,
  MarkTaskParams,
  PlanMetrics,
  RunTaskParams,
  RunTaskResult,
  EngineNotifications,
  InitializeResult,
  ListReviewsResult,
  RejectReviewParams,
  RejectReviewResult,
  ResolveConflictsResult,
  ShowReviewParams,
  ShowReviewResult,
  SyncResult,
} from '../protocol/engineProtocol';
import type { TaskStatus } from '../core/model';
import type { EngineSettings } from '../protocol/engineSettings';
import type { GateDecisionParams, GateDecisionResult } from '../protocol/gates';
import type { PlanCounts, PlanSnapshot } from '../protocol/views';

/** Events the engine pushes to every connected client: the protocol's notifications, by event name. */
export type EngineEvents = EngineNotifications;

/** Applies line edits to an open document in the editor; absent when no editor is attached. */
export type EditApplier = (params: ApplyEditsParams) => Promise<ApplyEditsResult>;

/** A result now (the engine in this process) or later (the engine over its control socket). */
export type Awaitable<T> = T | Promise<T>;

/** The engine this client attached to instead of opening its own (it owns the plan's lock); the protocol's shape. */
export type AttachedTo = NonNullable<InitializeResult['attachedTo']>;

export interface EngineApi {
  readonly dbPath: string;
  readonly schemaVersion: number;
  /** Set when this is another process's engine, attached to over its control socket. */
  readonly attachedTo?: AttachedTo;
  snapshot(): Awaitable<PlanSnapshot>;
  /** The dashboard's metrics, KPIs, spend and provider pauses, without the plan (`coditect/metrics`). */
  planMetrics(): Awaitable<PlanMetrics>;
  start(): Awaitable<ControlResult>;
  pause(): Awaitable<ControlResult>;
  resume(): Awaitable<ControlResult>;
  stop(): Promise<ControlResult>;
  runTask(params: RunTaskParams): Promise<RunTaskResult>;
  runNext(): Promise<RunTaskResult & { taskId?: string }>;
  cancelTask(taskId: string): Promise<boolean>;
  retryTask(taskId: string): Awaitable<boolean>;
  retryFailed(): Awaitable<string[]>;
  markTask(params: MarkTaskParams): Promise<boolean>;
  /** A person approves a waiting gate (docs/costs-and-gates.md#gates). */
  approveGate(params: GateDecisionParams): Awaitable<GateDecisionResult>;
  /** A person rejects a waiting gate with a note. */
  rejectGate(params: GateDecisionParams): Awaitable<GateDecisionResult>;
  syncNow(): Promise<SyncResult>;
  documentChanged(params: DocumentChangedParams): void;
  validate(): Awaitable<{ diagnostics: Diagnostic[]; counts: PlanCounts }>;
  exportWorkItems(outPath?: string): Awaitable<{ path: string; count: number }>;
  taskLog(taskId: string): Awaitable<AttemptView[]>;
  /** Task branches waiting for a person (docs/isolation.md, "Review"). */
  reviews(): Promise<ListReviewsResult>;
  showReview(params: ShowReviewParams): Promise<ShowReviewResult>;
  /** Lands the branch through the merge queue (checks run); see AcceptReviewResult. */
  acceptReview(taskId: string): Promise<AcceptReviewResult>;
  rejectReview(params: RejectReviewParams): Promise<RejectReviewResult>;
  retryReview(params: RejectReviewParams): Promise<{ status: TaskStatus }>;
  resolveConflicts(params: RejectReviewParams): Promise<ResolveConflictsResult>;
  updateSettings(settings: EngineSettings): void;
  /**
   * Lets an editor apply markdown edits as undoable WorkspaceEdits; the result detaches it. Several may be attached
   * (the owner's window and windows attached to it): the latest still attached is asked (editors.ts).
   */
  addEditApplier(applier: EditApplier): () => void;
  on<K extends keyof EngineEvents>(event: K, listener: (payload: EngineEvents[K]) => void): () => void;
  /** Stops dispatch, gives running tasks the grace period, releases the rest, flushes sync, closes the db. Idempotent. */
  close(): Promise<void>;
}
