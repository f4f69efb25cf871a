// One run of the engine child process, handled like a language client handles its server: spawn, JSON-RPC over
// stdio, ready handshake with a timeout, then shutdown request → exit notification → SIGTERM → SIGKILL.
// Plain Node (no vscode import): unit-tested against a real child process. Restarts live one level up (engineClient).
import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import {
  Exit,
  NATIVE_MODULE_ERROR_MARKER,
  NATIVE_MODULE_EXIT_CODE,
  PROTOCOL_VERSION,
  Ready,
  SECRETS_FD,
  SECRETS_FD_FLAG,
  Shutdown,
  type ReadyParams,
} from '../protocol/engineProtocol';
import { TypedEmitter } from '../core/typedEmitter';

export interface EngineProcessOptions {
  /** Node runtime to run the engine with (setting `coditect.runtimePath`); default `node` from PATH. */
  runtimePath?: string;
  /** Arguments before the engine script (e.g. `--import tsx` in tests); default none. */
  runtimeArgs?: string[];
  /** Absolute path of the engine script (`dist/engine.js`). */
  enginePath: string;
  /** Absolute path of the task list (`--tasklist`). */
  tasklistPath: string;
  /** Database path (`--db`); default: the engine's own (`.coditect/context.db`). */
  dbPath?: string;
  /** Working directory of the child; default the task list's workspace root. */
  cwd: string;
  /** Extra environment for the child; merged over process.env. Never put a secret here: use `secrets`. */
  env?: Record<string, string | undefined>;
  /** Secrets (e.g. ANTHROPIC_API_KEY) handed over on the secrets pipe (SECRETS_FD), never in the environment or argv. */
  secrets?: Record<string, string>;
  /** How long to wait for the `ready` notification; default 20000 ms. */
  readyTimeoutMs?: number;
  /** How long `stop()` waits for the `shutdown` response; default 5000 ms. */
  shutdownTimeoutMs?: number;
  /** How long `stop()` waits for the exit after `exit`, and again after SIGTERM; default 2000 ms each. */
  exitGraceMs?: number;
  /** Receives every stderr line from the first one (`stderr:line` listeners can only attach after start resolves). */
  onStderrLine?: (line: string) => void;
  /** Registers request/notification handlers on the connection before it starts listening. */
  register?: (connection: MessageConnection) => void;
}

export interface EngineExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when `stop()` asked for it. */
  expected: boolean;
  /** The engine's own explanation when it could not load its native database module (exit code 78). */
  nativeModuleError?: string;
}

/** Events of one engine process, `noun:verb`. */
export interface EngineProcessEvents {
  /** A line the engine wrote to stderr (its log; never secrets, the engine redacts). */
  'stderr:line': string;
  /** The process is gone (emitted once). */
  'process:exited': EngineExit;
}

/** Thrown when the engine cannot be started or does not complete the ready handshake. */
export class EngineStartError extends Error {
  constructor(
    message: string,
    readonly exit?: EngineExit,
  ) {
    super(message);
    this.name = 'EngineStartError';
  }
}

function validate(opts: EngineProcessOptions): void {
  const positive = (name: keyof EngineProcessOptions): void => {
    const v = opts[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v <= 0))
      throw new RangeError(`EngineProcess ${name} must be a positive number of ms, got ${JSON.stringify(v)}`);
  };
  if (typeof opts.enginePath !== 'string' || opts.enginePath === '')
    throw new TypeError(`EngineProcess enginePath must be a path, got ${JSON.stringify(opts.enginePath)}`);
  if (typeof opts.tasklistPath !== 'string' || opts.tasklistPath === '')
    throw new TypeError(`EngineProcess tasklistPath must be a path, got ${JSON.stringify(opts.tasklistPath)}`);
  if (opts.runtimePath !== undefined && (typeof opts.runtimePath !== 'string' || opts.runtimePath.trim() === ''))
    throw new TypeError(`EngineProcess runtimePath must be a non-empty path, got ${JSON.stringify(opts.runtimePath)}`);
  positive('readyTimeoutMs');
  positive('shutdownTimeoutMs');
  positive('exitGraceMs');
}

/** A deferred: a promise with its resolve exposed. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves `true` when `p` settles first, `false` after `ms`; never leaves a timer behind. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([
      p.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** One engine child process and its JSON-RPC connection. */
export class EngineProcess {
  readonly events = new TypedEmitter<EngineProcessEvents>();
  private child: ChildProcess | undefined;
  private conn: MessageConnection | undefined;
  private readyInfo: ReadyParams | undefined;
  private stopping = false;
  private stopPromise: Promise<EngineExit> | undefined;
  private readonly exited = deferred<EngineExit>();
  private exitInfo: EngineExit | undefined;
  private nativeError: string[] | undefined;

  private constructor(private readonly opts: EngineProcessOptions) {}

  /** Spawns the engine and waits for its `ready` notification; rejects with EngineStartError (the child is gone then). */
  static async start(opts: EngineProcessOptions): Promise<EngineProcess> {
    validate(opts);
    const p = new EngineProcess(opts);
    await p.launch();
    return p;
  }

  /** The JSON-RPC connection (valid until the process exits). */
  get connection(): MessageConnection {
    if (!this.conn) throw new Error('the engine process has not started');
    return this.conn;
  }

  /** What the engine said in its `ready` notification. */
  get ready(): ReadyParams {
    if (!this.readyInfo) throw new Error('the engine has not completed the ready handshake');
    return this.readyInfo;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves when the process is gone, however it ended. */
  get exit(): Promise<EngineExit> {
    return this.exited.promise;
  }

  /** Whether the process has exited. */
  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  private async launch(): Promise<void> {
    const o = this.opts;
    const args = [...(o.runtimeArgs ?? []), o.enginePath, '--stdio', '--tasklist', o.tasklistPath];
    if (o.dbPath) args.push('--db', o.dbPath);
    const runtime = o.runtimePath ?? 'node';
    const env: NodeJS.ProcessEnv = { ...process.env, ...o.env };
    // Running on the editor's own Electron binary needs it to behave as plain Node.
    if (process.versions.electron && runtime === process.execPath) env.ELECTRON_RUN_AS_NODE = '1';
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];

    const secrets = o.secrets && Object.keys(o.secrets).length > 0 ? o.secrets : undefined;
    if (secrets) args.push(`--${SECRETS_FD_FLAG}`, String(SECRETS_FD));
    const stdio: ('pipe' | 'ignore')[] = secrets ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'];
    const child = spawn(runtime, args, { cwd: o.cwd, env, stdio, windowsHide: true });
    this.child = child;
    if (secrets) {
      const pipe = child.stdio[SECRETS_FD] as Writable | null;
      // A child that died at once closes its end: the exit handler reports that, not the write.
      pipe?.on('error', () => undefined);
      pipe?.end(JSON.stringify(secrets));
    }
    const spawnFailed = deferred<Error>();
    child.once('error', (e) => spawnFailed.resolve(e));
    // 'exit' can come before the last stderr lines are read; wait for the stream's end (bounded: a grandchild that
    // inherited stderr could hold it open) so the native-module line and a crash's stack trace are never lost.
    const stderrEnded = new Promise<void>((r) => child.stderr!.once('close', () => r()));
    child.once('exit', (code, signal) => {
      void within(stderrEnded, 500).then(() => this.onExit(code, signal));
    });

    createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', (line) => {
      if (line.startsWith(NATIVE_MODULE_ERROR_MARKER)) this.nativeError = [];
      // The engine's explanation follows the marker on the same line and on the lines after it.
      if (this.nativeError) this.nativeError.push(line.replace(NATIVE_MODULE_ERROR_MARKER, '').replace(/^[:\s]+/, ''));
      o.onStderrLine?.(line);
      this.events.emit('stderr:line', line);
    });

    const conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    this.conn = conn;
    // Writes to a dead child's stdin surface here; the exit handler deals with the death itself.
    conn.onError(() => undefined);
    child.stdin!.on('error', () => undefined);
    const ready = deferred<ReadyParams>();
    conn.onNotification(Ready.type, (p) => ready.resolve(p));
    o.register?.(conn);
    conn.listen();

    const timeoutMs = o.readyTimeoutMs ?? 20_000;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      ready.promise.then((p) => ({ kind: 'ready' as const, p })),
      spawnFailed.promise.then((e) => ({ kind: 'spawn-error' as const, e })),
      this.exited.promise.then((x) => ({ kind: 'exited' as const, x })),
      new Promise<{ kind: 'timeout' }>((r) => (timer = setTimeout(() => r({ kind: 'timeout' }), timeoutMs))),
    ]);
    clearTimeout(timer);

    if (outcome.kind === 'ready') {
      if (Math.trunc(outcome.p.protocolVersion) !== PROTOCOL_VERSION) {
        await this.kill();
        throw new EngineStartError(
          `the engine at ${o.enginePath} speaks protocol ${outcome.p.protocolVersion}, this extension speaks ${PROTOCOL_VERSION}: rebuild the extension (npm run build)`,
        );
      }
      this.readyInfo = outcome.p;
      return;
    }
    if (outcome.kind === 'spawn-error') {
      const code = (outcome.e as NodeJS.ErrnoException).code;
      await this.kill();
      const hint = code === 'ENOENT' ? ` (no such executable: set coditect.runtimePath to a Node 20 binary)` : '';
      throw new EngineStartError(`cannot start the engine with runtime "${runtime}": ${outcome.e.message}${hint}`);
    }
    if (outcome.kind === 'exited') {
      const x = outcome.x;
      throw new EngineStartError(
        x.nativeModuleError !== undefined
          ? `the engine cannot load its database module: ${x.nativeModuleError}`
          : `the engine exited before it was ready (${x.signal ? `signal ${x.signal}` : `exit code ${x.code}`})`,
        x,
      );
    }
    const killed = await this.kill();
    throw new EngineStartError(`the engine did not send 'ready' within ${timeoutMs} ms (runtime "${runtime}", ${o.enginePath})`, killed);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exitInfo) return;
    const native = this.nativeError !== undefined || code === NATIVE_MODULE_EXIT_CODE;
    const x: EngineExit = { code, signal, expected: this.stopping };
    if (native) x.nativeModuleError = (this.nativeError ?? []).filter(Boolean).join(' ') || `exit code ${code}`;
    this.exitInfo = x;
    // Pending requests fail now rather than hang: the process that would answer them is gone.
    this.conn?.dispose();
    this.exited.resolve(x);
    this.events.emit('process:exited', x);
  }

  /**
   * Graceful stop, idempotent: `shutdown` request (bounded wait), `exit` notification, then SIGTERM and finally
   * SIGKILL if the process lingers. Resolves with how it exited.
   */
  stop(): Promise<EngineExit> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<EngineExit> {
    this.stopping = true;
    if (this.exitInfo) return this.exitInfo;
    const o = this.opts;
    const grace = o.exitGraceMs ?? 2000;
    const conn = this.conn;
    if (conn && this.readyInfo) {
      try {
        const shutdown = conn.sendRequest(Shutdown.type);
        await within(shutdown, o.shutdownTimeoutMs ?? 5000);
        await conn.sendNotification(Exit.type);
      } catch {
        // The connection is already closed: the signals below still end the process.
      }
      if (await within(this.exited.promise, grace)) return this.exitInfo!;
    }
    return this.kill(grace);
  }

  /** SIGTERM, then SIGKILL after `grace` ms; resolves on exit. */
  private async kill(grace = this.opts.exitGraceMs ?? 2000): Promise<EngineExit> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.pid === undefined) {
      // Never spawned (e.g. ENOENT): there is nothing to wait for.
      this.onExit(null, null);
      return this.exitInfo!;
    }
    if (this.exitInfo) return this.exitInfo;
    child.kill('SIGTERM');
    if (await within(this.exited.promise, grace)) return this.exitInfo!;
    child.kill('SIGKILL');
    return this.exited.promise;
  }

  /** Kills the process at once (tests: simulate a crash). */
  killHard(): void {
    this.child?.kill('SIGKILL');
  }
}
