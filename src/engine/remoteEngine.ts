// The engine that already runs for a plan, seen from a later client: the same EngineApi, over the running engine's
// control socket. A second editor window (or anything else that would open the engine) attaches to the owner instead
// of failing on its lock or becoming a second writer: it gets the owner's snapshot and events, and its commands act
// on the owner. Each method is the engine-protocol request of the same meaning; events arrive through the protocol's
// one notification table.
import { EventEmitter } from 'node:events';
import {
  AcceptReview,
  ApplyEdits,
  CancelTask,
  DocumentChanged,
  ENGINE_NOTIFICATION_NAMES,
  ENGINE_NOTIFICATIONS,
  type EngineNotifications,
  ExportWorkItems,
  GetMetrics,
  GetSnapshot,
  GetTaskLog,
  type InitializeParams,
  ListReviews,
  MarkTask,
  PauseOrchestration,
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
  StartOrchestration,
  StopOrchestration,
  SyncNow,
  Validate,
} from '../protocol/engineProtocol';
import { type ControlClient, connectControl } from './control';
import { readPidFile } from './daemon';
import type { AttachedTo, EditApplier, EngineApi } from './engineApi';
import type { EnginePaths } from './paths';
import { EditorStack } from './editors';

/** Why a request of an attached read-only (Restricted Mode) window is refused. */
const READ_ONLY = 'this window is in Restricted Mode: it shows the running engine read-only';

export class RemoteEngine implements EngineApi {
  readonly attachedTo: AttachedTo;
  private readonly events = new EventEmitter();
  private readonly appliers = new EditorStack<EditApplier>();
  private closing: Promise<void> | undefined;
  private lost: (() => void) | undefined;

  private constructor(
    private readonly client: ControlClient,
    private readonly readOnly: boolean,
    kind: AttachedTo['kind'],
  ) {
    this.attachedTo = { pid: client.init.pid, kind, engineVersion: client.init.engineVersion };
    this.events.setMaxListeners(0);
    const conn = client.connection;
    const forward = <K extends keyof EngineNotifications>(event: K): void =>
      void conn.onNotification(ENGINE_NOTIFICATIONS[event], (p) => this.events.emit(event, p));
    for (const event of ENGINE_NOTIFICATION_NAMES) forward(event);
    // The owner asks the attached editor to apply its markdown edits (only when this window said it can).
    conn.onRequest(ApplyEdits.type, (p) => this.appliers.current?.(p) ?? { outcome: 'not-open' as const });
    conn.onClose(() => {
      if (!this.closing) this.lost?.();
    });
  }

  /** Attaches to the engine serving `paths`; rejects when none answers. */
  static async attach(paths: EnginePaths, params: Pick<InitializeParams, 'readOnly' | 'clientAppliesEdits'>): Promise<RemoteEngine> {
    const client = await connectControl(paths, { clientAppliesEdits: params.clientAppliesEdits && !params.readOnly });
    const daemon = readPidFile(paths);
    return new RemoteEngine(client, params.readOnly, daemon?.pid === client.init.pid ? 'daemon' : 'engine');
  }

  /** Called once when the owner goes away (exited, killed): the attached client must take over or leave. */
  onLost(listener: () => void): void {
    this.lost = listener;
  }

  get dbPath(): string {
    return this.client.init.dbPath;
  }

  get schemaVersion(): number {
    return this.client.init.schemaVersion;
  }

  private get conn() {
    return this.client.connection;
  }

  private writable(): void {
    if (this.readOnly) throw new Error(READ_ONLY);
  }

  snapshot() {
    return this.conn.sendRequest(GetSnapshot.type);
  }
  planMetrics() {
    return this.conn.sendRequest(GetMetrics.type);
  }
  start() {
    this.writable();
    return this.conn.sendRequest(StartOrchestration.type);
  }
  pause() {
    this.writable();
    return this.conn.sendRequest(PauseOrchestration.type);
  }
  resume() {
    this.writable();
    return this.conn.sendRequest(ResumeOrchestration.type);
  }
  stop() {
    this.writable();
    return this.conn.sendRequest(StopOrchestration.type);
  }
  runTask(params: Parameters<EngineApi['runTask']>[0]) {
    this.writable();
    return this.conn.sendRequest(RunTask.type, params);
  }
  runNext() {
    this.writable();
    return this.conn.sendRequest(RunNextTask.type);
  }
  async cancelTask(taskId: string) {
    this.writable();
    return (await this.conn.sendRequest(CancelTask.type, { taskId })).cancelled;
  }
  async retryTask(taskId: string) {
    this.writable();
    return (await this.conn.sendRequest(RetryTask.type, { taskId })).reset;
  }
  async retryFailed() {
    this.writable();
    return (await this.conn.sendRequest(RetryFailed.type)).reset;
  }
  approveGate(params: Parameters<EngineApi['approveGate']>[0]) {
    this.writable();
    return this.conn.sendRequest(ApproveGate.type, params);
  }
  rejectGate(params: Parameters<EngineApi['rejectGate']>[0]) {
    this.writable();
    return this.conn.sendRequest(RejectGate.type, params);
  }
  async markTask(params: Parameters<EngineApi['markTask']>[0]) {
    this.writable();
    return (await this.conn.sendRequest(MarkTask.type, params)).changed;
  }
  syncNow() {
    return this.conn.sendRequest(SyncNow.type);
  }
  documentChanged(params: Parameters<EngineApi['documentChanged']>[0]): void {
    // An attached window's unsaved edits reach the owner as its own would.
    if (!this.readOnly) void this.conn.sendNotification(DocumentChanged.type, params).catch(() => undefined);
  }
  validate() {
    return this.conn.sendRequest(Validate.type);
  }
  exportWorkItems(outPath?: string) {
    this.writable();
    return this.conn.sendRequest(ExportWorkItems.type, { outPath });
  }
  async taskLog(taskId: string) {
    return (await this.conn.sendRequest(GetTaskLog.type, { taskId })).attempts;
  }
  reviews() {
    return this.conn.sendRequest(ListReviews.type);
  }
  showReview(params: Parameters<EngineApi['showReview']>[0]) {
    return this.conn.sendRequest(ShowReview.type, params);
  }
  acceptReview(taskId: string) {
    this.writable();
    return this.conn.sendRequest(AcceptReview.type, { taskId });
  }
  rejectReview(params: Parameters<EngineApi['rejectReview']>[0]) {
    this.writable();
    return this.conn.sendRequest(RejectReview.type, params);
  }
  retryReview(params: Parameters<EngineApi['retryReview']>[0]) {
    this.writable();
    return this.conn.sendRequest(RetryReview.type, params);
  }
  resolveConflicts(params: Parameters<EngineApi['resolveConflicts']>[0]) {
    this.writable();
    return this.conn.sendRequest(ResolveConflicts.type, params);
  }
  updateSettings(): void {
    // The owner runs on its own configuration; an attached window's settings do not change it.
  }
  addEditApplier(applier: EditApplier): () => void {
    const remove = this.appliers.add(applier);
    return () => void remove();
  }
  on<K extends keyof EngineNotifications>(event: K, listener: (payload: EngineNotifications[K]) => void): () => void {
    this.events.on(event, listener);
    return () => void this.events.off(event, listener);
  }
  /** Detaches (the owner goes on); settles whether or not the owner is still there. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      await this.client.detach();
      this.events.removeAllListeners();
    })());
  }
}
