// Serves the engine protocol on one JSON-RPC connection (the extension's stdio, or a daemon socket client).
import type { MessageConnection, NotificationType } from 'vscode-jsonrpc';
import {
  ApplyEdits,
  CancelTask,
  DocumentChanged,
  ENGINE_NOTIFICATION_NAMES,
  ENGINE_NOTIFICATIONS,
  type EngineNotifications,
  Exit,
  ExportWorkItems,
  GetSnapshot,
  GetTaskLog,
  Initialize,
  type InitializeParams,
  type InitializeResult,
  MarkTask,
  PauseOrchestration,
  PROTOCOL_VERSION,
  PublishDiagnostics,
  Ready,
  ResumeOrchestration,
  RetryFailed,
  RetryTask,
  RunNextTask,
  RunTask,
  Shutdown,
  StartOrchestration,
  StopOrchestration,
  SyncNow,
  UpdateSettings,
  Validate,
} from '../protocol/engineProtocol';
import type { EngineApi } from './engineApi';

export interface RpcServerOptions {
  connection: MessageConnection;
  engineVersion: string;
  /** Opens (or returns the already open) engine for an `initialize`. */
  obtainEngine(params: InitializeParams): Promise<EngineApi>;
  /** Whether `shutdown` closes the engine (stdio: yes; a daemon socket client: no, the daemon lives on). */
  shutdownClosesEngine: boolean;
  /** Runs before a `shutdown` closes the engine (the editor's engine closes its control socket first). */
  beforeShutdown?: () => Promise<void> | undefined;
  /** Called on `exit`, or when the connection closes. */
  onExit(code: number): void;
}

/** Error for requests that arrive before `initialize` completed. */
class NotInitializedError extends Error {
  constructor(method: string) {
    super(`'${method}' arrived before 'coditect/initialize': the client must initialize first`);
  }
}

/** Wires every protocol message to the engine; returns a disposer. */
export function serveEngineProtocol(opts: RpcServerOptions): () => void {
  const { connection } = opts;
  let engine: EngineApi | undefined;
  let shutDown = false;
  const unsubscribe: (() => void)[] = [];

  // A client that went away (a control client that only probed the socket) MUST NOT take the engine down with an
  // unhandled rejection: failed notifications are dropped.
  const notify = <P>(type: NotificationType<P>, params: P): void => {
    connection.sendNotification(type, params).catch(() => undefined);
  };

  const need = (method: string): EngineApi => {
    if (!engine) throw new NotInitializedError(method);
    if (shutDown) throw new Error(`'${method}' arrived after shutdown`);
    return engine;
  };

  connection.onRequest(Initialize.type, async (params): Promise<InitializeResult> => {
    if (Math.trunc(params.protocolVersion) !== PROTOCOL_VERSION) {
      throw new Error(`protocol version ${params.protocolVersion} is not supported by this engine (speaks ${PROTOCOL_VERSION})`);
    }
    engine = await opts.obtainEngine(params);
    const e = engine;
    if (params.clientAppliesEdits) {
      e.setEditApplier((p) => connection.sendRequest(ApplyEdits.type, p));
      unsubscribe.push(() => e.setEditApplier(undefined));
    }
    // Every engine event goes out as its notification, from the protocol's one table.
    const forward = <K extends keyof EngineNotifications>(event: K): (() => void) => e.on(event, (p) => notify(ENGINE_NOTIFICATIONS[event], p));
    for (const event of ENGINE_NOTIFICATION_NAMES) unsubscribe.push(forward(event));
    const snapshot = await e.snapshot();
    // The client gets the current diagnostics right away, not only on the next change.
    notify(PublishDiagnostics.type, { path: snapshot.tasklistPath, diagnostics: snapshot.diagnostics });
    return { engineVersion: opts.engineVersion, pid: process.pid, dbPath: e.dbPath, schemaVersion: e.schemaVersion, snapshot, attachedTo: e.attachedTo };
  });

  connection.onRequest(GetSnapshot.type, () => need(GetSnapshot.type.method).snapshot());
  connection.onRequest(StartOrchestration.type, () => need(StartOrchestration.type.method).start());
  connection.onRequest(PauseOrchestration.type, () => need(PauseOrchestration.type.method).pause());
  connection.onRequest(ResumeOrchestration.type, () => need(ResumeOrchestration.type.method).resume());
  connection.onRequest(StopOrchestration.type, () => need(StopOrchestration.type.method).stop());
  connection.onRequest(RunTask.type, (p) => need(RunTask.type.method).runTask(p));
  connection.onRequest(RunNextTask.type, () => need(RunNextTask.type.method).runNext());
  connection.onRequest(CancelTask.type, async (p) => ({ cancelled: await need(CancelTask.type.method).cancelTask(p.taskId) }));
  connection.onRequest(RetryTask.type, async (p) => ({ reset: await need(RetryTask.type.method).retryTask(p.taskId) }));
  connection.onRequest(RetryFailed.type, async () => ({ reset: await need(RetryFailed.type.method).retryFailed() }));
  connection.onRequest(MarkTask.type, async (p) => ({ changed: await need(MarkTask.type.method).markTask(p) }));
  connection.onRequest(SyncNow.type, () => need(SyncNow.type.method).syncNow());
  connection.onRequest(Validate.type, () => need(Validate.type.method).validate());
  connection.onRequest(ExportWorkItems.type, (p) => need(ExportWorkItems.type.method).exportWorkItems(p.outPath));
  connection.onRequest(GetTaskLog.type, async (p) => ({ attempts: await need(GetTaskLog.type.method).taskLog(p.taskId) }));
  connection.onNotification(DocumentChanged.type, (p) => engine?.documentChanged(p));
  connection.onNotification(UpdateSettings.type, (p) => engine?.updateSettings(p.settings));

  connection.onRequest(Shutdown.type, async () => {
    if (shutDown) return;
    shutDown = true;
    for (const u of unsubscribe.splice(0)) u();
    if (opts.shutdownClosesEngine && engine) {
      await opts.beforeShutdown?.()?.catch(() => undefined);
      await engine.close();
    }
  });
  connection.onNotification(Exit.type, () => opts.onExit(shutDown ? 0 : 1));
  connection.onClose(() => {
    for (const u of unsubscribe.splice(0)) u();
    opts.onExit(shutDown ? 0 : 1);
  });

  connection.listen();
  notify(Ready.type, { pid: process.pid, engineVersion: opts.engineVersion, protocolVersion: PROTOCOL_VERSION });
  return () => {
    for (const u of unsubscribe.splice(0)) u();
  };
}
