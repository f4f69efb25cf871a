// What the engine offers to its front doors (the JSON-RPC server for the extension and the daemon's socket,
// and the CLI in-process). The composition in runtime.ts implements it; rpcServer.ts exposes it.
import type { Diagnostic } from '../core/model';
import type {
  ApplyEditsParams,
  ApplyEditsResult,
  AttemptView,
  ControlResult,
  DocumentChangedParams,
  MarkTaskParams,
  RunTaskParams,
  RunTaskResult,
  EngineNotifications,
  SyncResult,
} from '../protocol/engineProtocol';
import type { EngineSettings } from '../protocol/engineSettings';
import type { PlanCounts, PlanSnapshot } from '../protocol/views';

/** Events the engine pushes to every connected client: the protocol's notifications, by event name. */
export type EngineEvents = EngineNotifications;

/** Applies line edits to an open document in the editor; absent when no editor is attached. */
export type EditApplier = (params: ApplyEditsParams) => Promise<ApplyEditsResult>;

export interface EngineApi {
  readonly dbPath: string;
  readonly schemaVersion: number;
  snapshot(): PlanSnapshot;
  start(): ControlResult;
  pause(): ControlResult;
  resume(): ControlResult;
  stop(): Promise<ControlResult>;
  runTask(params: RunTaskParams): Promise<RunTaskResult>;
  runNext(): Promise<RunTaskResult & { taskId?: string }>;
  cancelTask(taskId: string): Promise<boolean>;
  retryTask(taskId: string): boolean;
  retryFailed(): string[];
  markTask(params: MarkTaskParams): Promise<boolean>;
  syncNow(): Promise<SyncResult>;
  documentChanged(params: DocumentChangedParams): void;
  validate(): { diagnostics: Diagnostic[]; counts: PlanCounts };
  exportWorkItems(outPath?: string): { path: string; count: number };
  taskLog(taskId: string): AttemptView[];
  updateSettings(settings: EngineSettings): void;
  /** Lets an attached editor apply markdown edits as undoable WorkspaceEdits; `undefined` detaches it. */
  setEditApplier(applier: EditApplier | undefined): void;
  on<K extends keyof EngineEvents>(event: K, listener: (payload: EngineEvents[K]) => void): () => void;
  /** Stops dispatch, gives running tasks the grace period, releases the rest, flushes sync, closes the db. Idempotent. */
  close(): Promise<void>;
}
