// The editor's handle on the engine: starts it lazily as a managed child process (engineProcess.ts), initializes it,
// feeds its events into the PlanStore, restarts it after a crash within a budget (5 in 3 minutes by default), and
// explains failures the person can fix (wrong Node runtime, native module ABI mismatch) in plain words.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MessageConnection, NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import {
  ApplyEdits,
  type ApplyEditsParams,
  type ApplyEditsResult,
  Initialize,
  type InitializeParams,
  type InitializeResult,
  ATTACHED_OWNER_GONE_EXIT_CODE,
  ENGINE_NOTIFICATION_NAMES,
  ENGINE_NOTIFICATIONS,
  type EngineNotifications,
  GetSnapshot,
  NATIVE_DB_MODULE,
  OwnerChanged,
  type OwnerChangedParams,
  PROTOCOL_VERSION,
  UpdateSettings,
} from '../protocol/engineProtocol';
import type { EngineSettings } from '../protocol/engineSettings';
import type { EngineEventsForClient, EngineLifecycle } from './engineEvents';
import type { KeyChange } from './statusText';
import { EngineProcess, EngineStartError, type EngineExit } from './engineProcess';
import { LogTwins, parseEngineLine, type EngineLogLine } from './engineLog';
import type { PlanStore } from './planStore';
import { RestartBudget, type RestartBudgetOptions } from './restartBudget';
import { engineDbPath, engineSettingsFrom } from './settingsMapping';
import type { TasklistTarget } from './tasklistLocator';
import { TypedEmitter } from '../core/typedEmitter';
import { errorMessage } from '../core/describe';
import { stamp } from './perfTrace';

/** SecretStorage key of the Anthropic API key (never in settings, never logged). */
export const API_KEY_SECRET = 'coditect.anthropicApiKey';

export interface EngineClientOptions {
  /** Root of the installed extension (holds dist/engine.js). */
  extensionPath: string;
  /**
   * Where an untrusted workspace's engine keeps its database (the extension's storage for this workspace), so
   * Restricted Mode writes nothing into the folder; unset: the workspace's own `.coditect`.
   */
  untrustedStateDir?: string;
  output: vscode.LogOutputChannel;
  store: PlanStore;
  secrets: vscode.SecretStorage;
  /** Finds the task list to open; undefined when the workspace has none. */
  locate(): Promise<TasklistTarget | undefined>;
  /** Applies the engine's line edits to an open document (editSync.ts). */
  applyEdits(p: ApplyEditsParams): Promise<ApplyEditsResult>;
  /** Crash-restart budget; default 5 restarts in 3 minutes. */
  budget?: RestartBudgetOptions;
  /** How long the engine may take to say `ready`; default 20000 ms. */
  readyTimeoutMs?: number;
}

/**
 * V8 flags of the editor's engine process: a smaller young generation and slower heap growth. With V8's defaults a
 * 10,000-task plan's engine (~70 MB live after a GC) grew to 380-400 MB of RSS by a snapshot after a few typed syncs
 * (#15: target < 300 MB): the heap grows ahead of collecting. With these, 150 / 170 / 186 MB loaded / typed / after
 * a snapshot (scratch runs over stdio at load 15-20), the load as fast within the noise, a snapshot up to ~1.5× slower
 * (the editor no longer asks for one to open its dashboard or refresh its metrics). `coditect.runtimePath` is Node.
 */
export const ENGINE_V8_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--heap-growing-percent=20'];

/** Settings that need a new engine process when they change (everything else goes through UpdateSettings). */
export const RESTART_SETTINGS = ['coditect.runtimePath', 'coditect.tasklist', 'coditect.dbPath', 'coditect.configPath'] as const;

/** Manages the engine process for the window; every request goes through here. */
export class EngineClient implements vscode.Disposable {
  /** Engine notifications (after the store has applied them) and lifecycle changes. */
  readonly events: TypedEmitter<EngineEventsForClient>;
  private proc: EngineProcess | undefined;
  private starting: Promise<EngineProcess> | undefined;
  private lifecycleState: EngineLifecycle = 'stopped';
  private lastError: string | undefined;
  private initResult: InitializeResult | undefined;
  private target: TasklistTarget | undefined;
  private readonly budget: RestartBudget;
  private restartTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private closing: Promise<void> | undefined;
  private lastSettingsProblems = '';
  private keyChangePending: KeyChange | undefined;
  /** The engine settings the running engine was given (initialize, then UpdateSettings), as JSON. */
  private sentSettings: string | undefined;

  constructor(private readonly opts: EngineClientOptions) {
    this.budget = new RestartBudget(opts.budget);
    this.events = new TypedEmitter<EngineEventsForClient>((e, event) => opts.output.error(`listener of ${String(event)} failed: ${errorMessage(e)}`));
  }

  /** Where the engine is in its lifecycle. */
  get lifecycle(): EngineLifecycle {
    return this.lifecycleState;
  }
  /** An API key saved or removed since the running engine started; undefined once an engine started with it. */
  get keyChange(): KeyChange | undefined {
    return this.keyChangePending;
  }

  /** Records that the stored key changed while this engine runs with the old one (the person chose "Later"). */
  noteKeyChange(change: KeyChange): void {
    this.keyChangePending = change;
    this.events.emit('key:changed', { pending: change });
  }

  /** Why the engine last failed, if it did. */
  get failure(): string | undefined {
    return this.lastError;
  }
  /** The running engine's initialize result (pid, db path…). */
  get info(): InitializeResult | undefined {
    return this.initResult;
  }
  /** The task list the engine works on. */
  get tasklist(): TasklistTarget | undefined {
    return this.target;
  }
  /** Pid of the engine process, if one runs. */
  get pid(): number | undefined {
    return this.proc?.hasExited ? undefined : this.proc?.pid;
  }

  /** Starts the engine if it is not running; resolves when it is initialized. Concurrent calls share one start. */
  start(): Promise<EngineProcess> {
    if (this.disposed) return Promise.reject(new Error('the CODITECT extension is shutting down'));
    if (this.proc && !this.proc.hasExited && this.lifecycleState === 'running') return Promise.resolve(this.proc);
    this.starting ??= this.launch().finally(() => (this.starting = undefined));
    return this.starting;
  }

  /** Stops the engine gracefully (shutdown → exit → SIGTERM → SIGKILL). */
  async stop(): Promise<void> {
    this.clearRestartTimer();
    const starting = this.starting;
    if (starting) await starting.catch(() => undefined);
    const proc = this.proc;
    this.proc = undefined;
    this.initResult = undefined;
    if (proc) await proc.stop();
    if (!this.disposed) this.setLifecycle('stopped');
  }

  /** A person's restart: forgets past crashes, stops, starts again. */
  async restart(): Promise<void> {
    this.budget.reset();
    await this.stop();
    await this.start();
  }

  /** Sends a request, starting the engine first if needed. Rejects with the engine's error message. */
  request<R>(type: RequestType0<R, void>): Promise<R>;
  request<P, R>(type: RequestType<P, R, void>, params: P): Promise<R>;
  async request<P, R>(type: RequestType0<R, void> | RequestType<P, R, void>, params?: P): Promise<R> {
    const proc = await this.running();
    // The overloads above keep callers typed; sent by method name, as notify() says why.
    return params === undefined ? proc.connection.sendRequest<R>(type.method) : proc.connection.sendRequest<R>(type.method, params);
  }

  /** Replaces the store's plan with the engine's whole plan (after a patch this window could not apply). */
  private async resync(): Promise<void> {
    try {
      this.opts.store.replace(await this.request(GetSnapshot.type));
    } catch (e) {
      this.opts.output.warn(`could not fetch the plan again: ${errorMessage(e)}`);
    }
  }

  /**
   * Sends a notification when the engine runs; dropped otherwise (the engine reads the current state on start).
   * Sent by the descriptor's method name, as the engine dispatches it: a descriptor made by another copy of
   * vscode-jsonrpc (a test bundle or a script using the exported API) carries a parameter-structure object this copy
   * does not know, and sending the descriptor itself was refused ('Unknown parameter structure auto') — logged, never
   * sent. Every protocol descriptor takes one named-parameters object, which the name form sends the same way.
   */
  notify<P>(type: NotificationType<P>, params: P): void {
    const proc = this.proc;
    if (!proc || proc.hasExited || this.lifecycleState !== 'running') return;
    const failed = (e: unknown): void => this.opts.output.warn(`could not send ${type.method}: ${errorMessage(e)}`);
    try {
      proc.connection.sendNotification(type.method, params).catch(failed);
    } catch (e) {
      // The pipe closed before the exit was seen (the engine was killed): a debounced send landing then threw out of its timer.
      failed(e);
    }
  }

  /**
   * Sends the current `coditect.*` settings to the running engine when they differ from what it has: a change of an
   * editor-only setting (lenses, hovers) sends nothing, since the engine answers each UpdateSettings by applying its
   * config again, which sends the whole plan (~4 MB for 10,000 tasks) back through the pipe to every view.
   */
  pushSettings(): void {
    const settings = this.readSettings();
    const text = JSON.stringify(settings);
    // Not running: dropped, and the next engine reads them in initialize.
    if (text === this.sentSettings || !this.proc || this.proc.hasExited || this.lifecycleState !== 'running') return;
    this.sentSettings = text;
    this.notify(UpdateSettings.type, { settings });
  }

  /** Stops the engine and releases everything; idempotent. */
  dispose(): Promise<void> {
    this.closing ??= (async () => {
      this.disposed = true;
      try {
        await this.stop();
      } catch (e) {
        this.opts.output.error(`stopping the engine failed: ${errorMessage(e)}`);
      }
      this.events.clear();
    })();
    return this.closing;
  }

  private async running(): Promise<EngineProcess> {
    if (this.proc && !this.proc.hasExited && this.lifecycleState === 'running') return this.proc;
    if (this.lifecycleState === 'failed') {
      throw new Error(`the CODITECT engine is not running (${this.lastError ?? 'it failed'}); run "CODITECT: Restart Engine"`);
    }
    if (this.lifecycleState === 'no-tasklist') throw new Error('this workspace has no task list; set coditect.tasklist or run "CODITECT: Select Task List…"');
    if (this.lifecycleState === 'restarting' && !this.starting) {
      // A crash restart is scheduled: start now instead of waiting for the back-off.
      this.clearRestartTimer();
    }
    return this.start();
  }

  private async launch(): Promise<EngineProcess> {
    const { output } = this.opts;
    this.setLifecycle(this.lifecycleState === 'restarting' ? 'restarting' : 'starting');
    const target = await this.opts.locate();
    this.target = target;
    if (!target) {
      this.setLifecycle('no-tasklist');
      throw new Error('this workspace has no task list; set coditect.tasklist or run "CODITECT: Select Task List…"');
    }
    stamp('engine:located');
    this.events.emit('tasklist:located', { path: target.uri.fsPath });
    const cfg = vscode.workspace.getConfiguration('coditect');
    const runtimePath = cfg.get<string>('runtimePath')?.trim() || 'node';
    const dbPath = engineDbPath({
      setting: cfg.get<string>('dbPath'),
      workspaceRoot: target.workspaceRoot,
      trusted: vscode.workspace.isTrusted,
      untrustedDir: this.opts.untrustedStateDir,
    });
    const apiKey = await this.opts.secrets.get(API_KEY_SECRET);
    // This engine reads the key as it is now: nothing is pending any more.
    if (this.keyChangePending) {
      this.keyChangePending = undefined;
      this.events.emit('key:changed', { pending: undefined });
    }
    const env: Record<string, string | undefined> = { CODITECT_CLIENT: 'vscode' };
    // The key reaches the engine only on its secrets pipe: never argv (visible in ps), never its environment (readable
    // in /proc/<pid>/environ by any process of the user), never a log line.
    const secrets = apiKey ? { ANTHROPIC_API_KEY: apiKey } : undefined;
    const enginePath = path.join(this.opts.extensionPath, 'dist', 'engine.js');
    output.info(`starting the engine: ${runtimePath} ${enginePath} --tasklist ${target.uri.fsPath}${dbPath ? ` --db ${dbPath}` : ''}`);

    let proc: EngineProcess;
    try {
      proc = await EngineProcess.start({
        runtimePath,
        runtimeArgs: [...ENGINE_V8_FLAGS],
        enginePath,
        tasklistPath: target.uri.fsPath,
        dbPath,
        cwd: target.workspaceRoot,
        env,
        secrets,
        readyTimeoutMs: this.opts.readyTimeoutMs,
        // From the first line: a crash before `ready` (a stack trace, the native-module line) must reach the Output.
        onStderrLine: (line) => this.logLine('stderr', parseEngineLine(line)),
        register: (c) => {
          c.onRequest(ApplyEdits.type, (p) => this.opts.applyEdits(p));
          for (const event of ENGINE_NOTIFICATION_NAMES) this.relay(c, event);
          c.onNotification(OwnerChanged.type, (p) => this.ownerChanged(c, p));
        },
      });
    } catch (e) {
      this.fail(e instanceof EngineStartError ? e.exit : undefined, errorMessage(e));
      throw e;
    }
    proc.events.on('process:exited', (x) => this.onExit(proc, x));
    this.proc = proc;
    output.info(`engine ready: pid ${proc.ready.pid}, version ${proc.ready.engineVersion}`);
    stamp('engine:ready');

    const settings = this.readSettings();
    this.sentSettings = JSON.stringify(settings);
    const params: InitializeParams = {
      protocolVersion: PROTOCOL_VERSION,
      workspaceRoot: target.workspaceRoot,
      tasklistPath: target.uri.fsPath,
      dbPath,
      configPath: this.configPath(target.workspaceRoot),
      settings,
      readOnly: !vscode.workspace.isTrusted,
      clientAppliesEdits: true,
    };
    try {
      const result = await proc.connection.sendRequest(Initialize.type, params);
      if (proc !== this.proc) throw new Error('the engine was stopped while it initialized');
      stamp('engine:initialize-answered');
      this.initResult = result;
      this.opts.store.replace(result.snapshot);
      this.lastError = undefined;
      this.setLifecycle('running');
      this.events.emit('engine:initialized', result);
      stamp('engine:initialized');
      output.info(`engine initialized: ${result.snapshot.tasks.length} tasks, db ${result.dbPath}, schema v${result.schemaVersion}`);
      if (result.attachedTo) {
        // One engine per plan: a daemon (or another window) already runs it; this window is its client.
        const owner = `the engine of pid ${result.attachedTo.pid} (${result.attachedTo.kind})`;
        output.info(`attached to ${owner}: its plan, events and commands; its own configuration applies`);
        void vscode.window.showInformationMessage(`CODITECT: attached to ${owner} that already runs this plan.`);
      }
      return proc;
    } catch (e) {
      const message = `the engine could not open ${target.uri.fsPath}: ${errorMessage(e)}`;
      output.error(message);
      if (this.proc === proc) this.proc = undefined;
      await proc.stop();
      this.fail(undefined, message);
      throw new Error(message, { cause: e });
    }
  }

  /**
   * What the client does with each engine notification before re-emitting it: the store takes the news first (views
   * read the store), log lines go to the Output. Notifications without an entry are only re-emitted.
   */
  private readonly intake: { readonly [K in keyof EngineNotifications]?: (p: EngineNotifications[K]) => void } = {
    'tasks:changed': (p) => this.opts.store.applyTasks(p),
    'plan:changed': (p) => this.opts.store.replace(p.snapshot),
    'plan:patched': (p) => {
      // A patch for a plan this window does not have (it missed one): take the whole plan again.
      if (this.opts.store.applyPatch(p) === 'gap') void this.resync();
    },
    'state:changed': (p) => this.opts.store.applyState(p),
    'activity:appended': (p) => this.opts.store.appendActivity(p),
    'log:message': (p) => this.logLine('notification', p),
  };

  private readonly twins = new LogTwins();

  /** An engine line to the Output channel, at its level, with the channel's timestamp only, each warning once. */
  private logLine(source: 'stderr' | 'notification', line: EngineLogLine): void {
    if (!this.twins.admit(source, line, Date.now())) return;
    const { output } = this.opts;
    const log = { debug: output.debug, info: output.info, warn: output.warn, error: output.error }[line.level] ?? output.info;
    log.call(output, line.message);
  }

  /** Registers the handler of one engine notification: intake, then the event under the same name. */
  private relay<K extends keyof EngineNotifications>(c: MessageConnection, event: K): void {
    c.onNotification(ENGINE_NOTIFICATIONS[event], (p: EngineNotifications[K]) => {
      this.intake[event]?.(p);
      // EngineEventsForClient extends EngineNotifications, so for these keys the payload types are the same.
      this.events.emit(event, p as EngineEventsForClient[K]);
    });
  }

  /**
   * The engine this window was attached to went away and this window's engine process took the plan over in place, or
   * attached to the client that did: the same process goes on, with another owner and the whole plan again.
   */
  private ownerChanged(c: MessageConnection, p: OwnerChangedParams): void {
    if (!this.initResult || this.proc?.connection !== c) return;
    this.initResult = { ...this.initResult, attachedTo: p.attachedTo, snapshot: p.snapshot };
    this.opts.output.info(
      p.attachedTo
        ? `the engine this window was attached to went away; now attached to the engine of pid ${p.attachedTo.pid} (${p.attachedTo.kind}) that took the plan over`
        : "the engine this window was attached to went away; this window's engine took the plan over",
    );
    this.opts.store.replace(p.snapshot);
    this.events.emit('engine:initialized', this.initResult);
  }

  private onExit(proc: EngineProcess, x: EngineExit): void {
    if (x.expected || proc !== this.proc || this.disposed) return;
    this.proc = undefined;
    this.initResult = undefined;
    const how = x.signal ? `signal ${x.signal}` : `exit code ${x.code}`;
    this.events.emit('engine:exited', { code: x.code, signal: x.signal });
    if (x.code === ATTACHED_OWNER_GONE_EXIT_CODE) {
      // The engine this window was attached to went away: not a crash; a new engine takes the plan over.
      this.opts.output.info('the engine this window was attached to went away; starting one that takes the plan over');
      this.setLifecycle('restarting');
      this.start().catch(() => undefined); // a failed start reports itself through fail()
      return;
    }
    this.opts.output.error(`the engine exited unexpectedly (${how})`);
    if (x.nativeModuleError !== undefined) {
      this.fail(x, `cannot load its database module: ${x.nativeModuleError}`);
      return;
    }
    const now = Date.now();
    if (!this.budget.tryConsume(now)) {
      this.lastError = `it crashed ${this.budget.max} times within ${Math.round(this.budget.windowMs / 60000)} minutes (last: ${how})`;
      this.setLifecycle('failed');
      void vscode.window
        .showErrorMessage(`CODITECT: the engine ${this.lastError} and was not restarted again.`, 'Restart Engine', 'Show Output')
        .then((pick) => this.onPick(pick));
      return;
    }
    const delay = Math.min(250 * 2 ** (this.budget.used(now) - 1), 5000);
    this.setLifecycle('restarting');
    this.opts.output.info(`restarting the engine in ${delay} ms (${this.budget.used(now)}/${this.budget.max} restarts in the window)`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.start().catch(() => undefined); // a failed start reports itself through fail()
    }, delay);
  }

  /** Records a failure and tells the person what to do about it. */
  private fail(exit: EngineExit | undefined, message: string): void {
    this.lastError = message;
    if (this.disposed) return;
    this.setLifecycle('failed');
    this.opts.output.error(message);
    if (exit?.nativeModuleError !== undefined) {
      const runtime = vscode.workspace.getConfiguration('coditect').get<string>('runtimePath')?.trim() || 'node';
      const rebuild = `npm rebuild ${NATIVE_DB_MODULE}`;
      // The engine's own line ends with its advice; the message below gives the same advice with buttons.
      const reason = exit.nativeModuleError.split(/\.\s+Fix:/)[0];
      void vscode.window
        .showErrorMessage(
          `CODITECT: the Node runtime "${runtime}" cannot load the ${NATIVE_DB_MODULE} native module (built for a different Node ABI: ${reason}). ` +
            `Fix: set "coditect.runtimePath" to a Node 20 binary, or run \`${rebuild}\` in ${this.opts.extensionPath} with the runtime you use; then run "CODITECT: Restart Engine".`,
          'Set Runtime Path',
          'Copy Rebuild Command',
          'Show Output',
        )
        .then(async (pick) => {
          if (pick === 'Set Runtime Path') await vscode.commands.executeCommand('workbench.action.openSettings', 'coditect.runtimePath');
          else if (pick === 'Copy Rebuild Command') await vscode.env.clipboard.writeText(`cd ${JSON.stringify(this.opts.extensionPath)} && ${rebuild}`);
          else this.onPick(pick);
        });
      return;
    }
    void vscode.window.showErrorMessage(`CODITECT: ${message}`, 'Restart Engine', 'Show Output').then((pick) => this.onPick(pick));
  }

  private onPick(pick: string | undefined): void {
    if (pick === 'Restart Engine') void vscode.commands.executeCommand('coditect.restartEngine');
    else if (pick === 'Show Output') this.opts.output.show(true);
  }

  private readSettings(): EngineSettings {
    const cfg = vscode.workspace.getConfiguration('coditect');
    const { settings, problems } = engineSettingsFrom({
      get: (k) => cfg.get(k),
      isSet: (k) => {
        const i = cfg.inspect(k);
        return i !== undefined && (i.globalValue !== undefined || i.workspaceValue !== undefined || i.workspaceFolderValue !== undefined);
      },
    });
    const text = problems.join('\n');
    if (text && text !== this.lastSettingsProblems) {
      for (const p of problems) this.opts.output.warn(p);
      void vscode.window.showWarningMessage(`CODITECT: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more, see Output)` : ''}`);
    }
    this.lastSettingsProblems = text;
    return settings;
  }

  /** The config file from the setting; without one the engine finds its default (`.coditect/config.json`). */
  private configPath(root: string): string | undefined {
    const setting = vscode.workspace.getConfiguration('coditect').get<string>('configPath')?.trim();
    return setting ? path.resolve(root, setting) : undefined;
  }

  private setLifecycle(s: EngineLifecycle): void {
    if (this.lifecycleState === s) return;
    this.lifecycleState = s;
    this.events.emit('lifecycle:changed', { lifecycle: s, failure: this.lastError });
  }

  private clearRestartTimer(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }
}

/** An error's message (jsonrpc ResponseErrors included), never its stack. */
