// Serves the engine protocol on one JSON-RPC connection (the extension's stdio, or a daemon socket client).
import { ResponseError, type MessageConnection, type NotificationType, type RequestType, type RequestType0 } from 'vscode-jsonrpc';
import {
  AcceptReview,
  ApplyEdits,
  CancelTask,
  DocumentChanged,
  ENGINE_NOTIFICATION_NAMES,
  ENGINE_NOTIFICATIONS,
  type EngineNotifications,
  Exit,
  ExportWorkItems,
  GetMetrics,
  GetSnapshot,
  GetTaskLog,
  Initialize,
  type InitializeParams,
  ListReviews,
  type InitializeResult,
  MarkTask,
  OwnerChanged,
  PauseOrchestration,
  PROTOCOL_VERSION,
  PublishDiagnostics,
  Ready,
  RejectReview,
  ResumeOrchestration,
  RetryFailed,
  ResolveConflicts,
  RetryReview,
  RetryTask,
  ApproveGate,
  RejectGate,
  RunNextTask,
  RunTask,
  ShowReview,
  Shutdown,
  StartOrchestration,
  StopOrchestration,
  SyncNow,
  UpdateSettings,
  Validate,
} from '../protocol/engineProtocol';
import { ENGINE_ERRORS } from '../protocol/engineErrors';
import { ConfigError } from './config/configErrors';
import { AdoptionError } from './db/adopt';
import { SchemaTooNewError } from './db/database';
import { DatabaseLockedError } from './db/lockFile';
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

/** The code of ENGINE_ERRORS an engine error answers with (it or an error in its `cause` chain), if it has one. */
function engineErrorCode(e: unknown): number | undefined {
  for (let cur = e, depth = 0; cur instanceof Error && depth < 8; cur = cur.cause, depth++) {
    if (cur instanceof ConfigError) return ENGINE_ERRORS.configInvalid;
    if (cur instanceof DatabaseLockedError) return ENGINE_ERRORS.databaseLocked;
    if (cur instanceof SchemaTooNewError) return ENGINE_ERRORS.schemaTooNew;
    if (cur instanceof AdoptionError) return ENGINE_ERRORS.adoptionRefused;
  }
  return undefined;
}

/** A request handler whose engine errors answer with their code (others stay JSON-RPC's InternalError). */
function coded<A extends unknown[], R>(handler: (...args: A) => R | Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await handler(...args);
    } catch (e) {
      const code = e instanceof ResponseError ? undefined : engineErrorCode(e);
      throw code === undefined ? e : new ResponseError(code, (e as Error).message);
    }
  };
}

/** The disposer of a served connection; `replaceEngine` puts another engine behind it (an attached client took over). */
export type EngineProtocolServer = (() => void) & {
  /** Serves `next` from now on and tells the client (`coditect/ownerChanged`, with the whole plan). */
  replaceEngine(next: EngineApi): Promise<void>;
};

/** Wires every protocol message to the engine; returns a disposer. */
export function serveEngineProtocol(opts: RpcServerOptions): EngineProtocolServer {
  const { connection } = opts;
  let engine: EngineApi | undefined;
  let shutDown = false;
  let appliesEdits = false;
  const unsubscribe: (() => void)[] = [];
  /**
   * The client's edit applier, dropped after the engine closed at `shutdown`, not with the events before it: close()
   * writes the last statuses into the plan, and without the applier it wrote them into the file itself, behind the
   * document the client still has open (an editor restarting its engine). The editor then showed the old text until
   * it reloaded the file, and an edit saved before that reload was refused as a conflict, leaving the document dirty.
   */
  let editsOff: (() => void) | undefined;
  const dropAll = (): void => {
    for (const u of unsubscribe.splice(0)) u();
    editsOff?.();
    editsOff = undefined;
  };

  // A client that went away (a control client that only probed the socket) MUST NOT take the engine down with an
  // unhandled rejection: failed notifications are dropped.
  const notify = <P>(type: NotificationType<P>, params: P): void => {
    connection.sendNotification(type, params).catch(() => undefined);
  };

  /** Serves a request; the engine errors it throws answer with their ENGINE_ERRORS code. */
  const answer = <P, R>(type: RequestType<P, R, void> | RequestType0<R, void>, handler: (params: P) => R | Promise<R>): void => {
    connection.onRequest(type as RequestType<P, R, void>, coded(handler));
  };

  const need = (method: string): EngineApi => {
    if (!engine) throw new ResponseError(ENGINE_ERRORS.notInitialized, `'${method}' arrived before 'coditect/initialize': the client must initialize first`);
    if (shutDown) throw new ResponseError(ENGINE_ERRORS.shutDown, `'${method}' arrived after shutdown`);
    return engine;
  };

  answer(Initialize.type, async (params: InitializeParams): Promise<InitializeResult> => {
    if (Math.trunc(params.protocolVersion) !== PROTOCOL_VERSION) {
      throw new ResponseError(
        ENGINE_ERRORS.protocolMismatch,
        `protocol version ${params.protocolVersion} is not supported by this engine (speaks ${PROTOCOL_VERSION})`,
      );
    }
    engine = await opts.obtainEngine(params);
    const e = engine;
    appliesEdits = params.clientAppliesEdits === true;
    subscribe(e);
    const snapshot = await e.snapshot();
    // The client gets the current diagnostics right away, not only on the next change.
    notify(PublishDiagnostics.type, { path: snapshot.tasklistPath, diagnostics: snapshot.diagnostics });
    return { engineVersion: opts.engineVersion, pid: process.pid, dbPath: e.dbPath, schemaVersion: e.schemaVersion, snapshot, attachedTo: e.attachedTo };
  });

  /** The client's edit applier and every engine event as its notification, from the protocol's one table. */
  function subscribe(e: EngineApi): void {
    if (appliesEdits) editsOff = e.addEditApplier((p) => connection.sendRequest(ApplyEdits.type, p));
    const forward = <K extends keyof EngineNotifications>(event: K): (() => void) => e.on(event, (p) => notify(ENGINE_NOTIFICATIONS[event], p));
    for (const event of ENGINE_NOTIFICATION_NAMES) unsubscribe.push(forward(event));
  }

  answer(GetSnapshot.type, () => need(GetSnapshot.type.method).snapshot());
  answer(GetMetrics.type, () => need(GetMetrics.type.method).planMetrics());
  answer(StartOrchestration.type, () => need(StartOrchestration.type.method).start());
  answer(PauseOrchestration.type, () => need(PauseOrchestration.type.method).pause());
  answer(ResumeOrchestration.type, () => need(ResumeOrchestration.type.method).resume());
  answer(StopOrchestration.type, () => need(StopOrchestration.type.method).stop());
  answer(RunTask.type, (p) => need(RunTask.type.method).runTask(p));
  answer(RunNextTask.type, () => need(RunNextTask.type.method).runNext());
  answer(CancelTask.type, async (p) => ({ cancelled: await need(CancelTask.type.method).cancelTask(p.taskId) }));
  answer(RetryTask.type, async (p) => ({ reset: await need(RetryTask.type.method).retryTask(p.taskId) }));
  answer(RetryFailed.type, async () => ({ reset: await need(RetryFailed.type.method).retryFailed() }));
  answer(MarkTask.type, async (p) => ({ changed: await need(MarkTask.type.method).markTask(p) }));
  answer(ApproveGate.type, (p) => need(ApproveGate.type.method).approveGate(p));
  answer(RejectGate.type, (p) => need(RejectGate.type.method).rejectGate(p));
  answer(SyncNow.type, () => need(SyncNow.type.method).syncNow());
  answer(Validate.type, () => need(Validate.type.method).validate());
  answer(ExportWorkItems.type, (p) => need(ExportWorkItems.type.method).exportWorkItems(p.outPath));
  answer(GetTaskLog.type, async (p) => ({ attempts: await need(GetTaskLog.type.method).taskLog(p.taskId) }));
  answer(ListReviews.type, () => need(ListReviews.type.method).reviews());
  answer(ShowReview.type, (p) => need(ShowReview.type.method).showReview(p));
  answer(AcceptReview.type, (p) => need(AcceptReview.type.method).acceptReview(p.taskId));
  answer(RejectReview.type, (p) => need(RejectReview.type.method).rejectReview(p));
  answer(RetryReview.type, (p) => need(RetryReview.type.method).retryReview(p));
  answer(ResolveConflicts.type, (p) => need(ResolveConflicts.type.method).resolveConflicts(p));
  connection.onNotification(DocumentChanged.type, (p) => engine?.documentChanged(p));
  connection.onNotification(UpdateSettings.type, (p) => engine?.updateSettings(p.settings));

  connection.onRequest(Shutdown.type, async () => {
    if (shutDown) return;
    shutDown = true;
    for (const u of unsubscribe.splice(0)) u();
    try {
      if (opts.shutdownClosesEngine && engine) {
        await opts.beforeShutdown?.()?.catch(() => undefined);
        await engine.close();
      }
    } finally {
      dropAll();
    }
  });
  connection.onNotification(Exit.type, () => opts.onExit(shutDown ? 0 : 1));
  connection.onClose(() => {
    dropAll();
    opts.onExit(shutDown ? 0 : 1);
  });

  connection.listen();
  notify(Ready.type, { pid: process.pid, engineVersion: opts.engineVersion, protocolVersion: PROTOCOL_VERSION });
  const dispose = (): void => dropAll();
  const replaceEngine = async (next: EngineApi): Promise<void> => {
    if (shutDown) return;
    dropAll();
    engine = next;
    subscribe(next);
    const snapshot = await next.snapshot();
    notify(OwnerChanged.type, { attachedTo: next.attachedTo, snapshot });
    notify(PublishDiagnostics.type, { path: snapshot.tasklistPath, diagnostics: snapshot.diagnostics });
  };
  return Object.assign(dispose, { replaceEngine });
}
