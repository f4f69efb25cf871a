// The engine as the editor's child process: one JSON-RPC connection on stdio, logs on stderr (the editor shows them
// in its "CODITECT" output channel). The process lives until `shutdown` + `exit`, or until the editor goes away.
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { ENGINE_VERSION } from './version';
import { createLogger } from './logger';
import { enginePaths, type EnginePaths } from './paths';
import { createRedactor, secretEnvValues } from './redact';
import { serveEngineProtocol } from './rpcServer';
import { EngineRuntime } from './runtime';
import { ControlClosedError, type ControlServer, serveControlSocket, socketAnswers } from './control';
import { errorMessage } from '../core/describe';
import type { EngineApi } from './engineApi';
import { RemoteEngine } from './remoteEngine';
import { DatabaseLockedError, pidAlive } from './db/lockFile';
import { ATTACHED_OWNER_GONE_EXIT_CODE, type InitializeParams } from '../protocol/engineProtocol';

/**
 * How long an engine that lost the race for the lock waits for the winner's control socket (the winner opens the
 * database and syncs the plan first, which on a loaded machine takes seconds) or for a closing owner to release it.
 */
const LOST_RACE_WAIT_MS = 30_000;
/** A look at the socket and the lock this often as well, in case a file-system event is missed (network file systems). */
const LOST_RACE_POLL_MS = 1000;

/** The holder of `lockPath` is gone: the file removed, or its pid no longer runs (a stale lock is taken over). */
function lockFree(lockPath: string): boolean {
  try {
    const pid = (JSON.parse(readFileSync(lockPath, 'utf8')) as { pid?: unknown }).pid;
    return typeof pid === 'number' && !pidAlive(pid);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * After losing the race for the lock at `lockPath`: resolves 'attach' once the winner's control socket answers, 'retry'
 * once the lock's holder is gone (the owner that was closing released it), 'timeout' after `ms`. What wakes the wait
 * is a file-system event in either folder (the socket appearing, the lock removed), not a timer; the slow poll only
 * covers file systems that do not report them (and a holder killed without removing its file).
 */
function afterLostRace(socketPath: string, lockPath: string, ms: number): Promise<'attach' | 'retry' | 'timeout'> {
  return new Promise((resolve) => {
    let done = false;
    let checking = false;
    let again = false;
    const watchers: FSWatcher[] = [];
    const finish = (how: 'attach' | 'retry' | 'timeout'): void => {
      if (done) return;
      done = true;
      for (const w of watchers) w.close();
      clearInterval(poll);
      clearTimeout(limit);
      resolve(how);
    };
    const check = (): void => {
      if (done) return;
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      void socketAnswers(socketPath).then((ok) => {
        checking = false;
        if (ok) finish('attach');
        else if (lockFree(lockPath)) finish('retry');
        else if (again) {
          again = false;
          check();
        }
      });
    };
    for (const [dir, name] of new Map([
      [dirname(socketPath), basename(socketPath)],
      [dirname(lockPath), basename(lockPath)],
    ])) {
      try {
        const w = watch(dir, (_event, file) => {
          if (file === null || file === name || file === basename(socketPath) || file === basename(lockPath)) check();
        });
        w.on('error', () => undefined);
        watchers.push(w);
      } catch {
        // no folder events here: the poll alone
      }
    }
    const poll = setInterval(check, LOST_RACE_POLL_MS);
    const limit = setTimeout(() => finish('timeout'), ms);
    check(); // it may have changed between the failed open and the watch
  });
}

/** Serves the engine protocol on stdin/stdout until exit. `secrets` (from the editor's secrets pipe) join the environment the runtime sees. */
export async function runStdioEngine(secrets: Record<string, string> = {}): Promise<void> {
  const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
  const env: NodeJS.ProcessEnv = { ...process.env, ...secrets };
  const redact = createRedactor(secretEnvValues(env));
  const logger = createLogger({
    stream: process.stderr,
    level: process.env.CODITECT_LOG_LEVEL === 'debug' ? 'debug' : 'info',
    redact,
  });
  let runtime: EngineApi | undefined;
  let control: ControlServer | undefined;
  let exiting = false;
  /** The editor asked for shutdown: an owner that goes away now is not taken over (this process is about to exit). */
  let stopping = false;
  const exit = (code: number): void => {
    if (exiting) return;
    exiting = true;
    // The editor vanished without `shutdown`: still release running tasks and close the database cleanly.
    void (control?.close() ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => runtime?.close())
      .finally(() => process.exit(code));
  };
  /** Attaches to the engine that owns the plan; when it goes away, this process takes the plan over in place. */
  const attach = async (paths: EnginePaths, params: InitializeParams): Promise<EngineApi> => {
    const remote = await RemoteEngine.attach(paths, params);
    const owner = `the engine of pid ${remote.attachedTo.pid} (${remote.attachedTo.kind})`;
    logger.info(`attached to ${owner}: its plan, events and commands; nothing is opened here`);
    remote.onLost(() => void takeOver(owner, paths, params));
    runtime = remote;
    return remote;
  };

  /** One engine per plan: attach to the one that runs it, else open it here (and serve the control socket). */
  const openOrAttach = async (paths: EnginePaths, params: InitializeParams): Promise<EngineApi> => {
    // When one already runs (a daemon, a `coditect run`, another window's engine), attach to it over its control
    // socket instead of failing on its lock or becoming a second writer.
    let own: EngineRuntime | undefined;
    const until = performance.now() + LOST_RACE_WAIT_MS;
    while (!own) {
      if (await socketAnswers(paths.socketPath)) {
        try {
          return await attach(paths, params);
        } catch (e) {
          // The engine behind the socket was going away (a killed owner's listener can still accept for an
          // instant): open the plan here, or wait for whoever takes it over. Any other refusal is final.
          if (!(e instanceof ControlClosedError) || performance.now() > until) throw e;
        }
      }
      try {
        own = await EngineRuntime.open({
          paths,
          configPath: params.configPath,
          settings: params.settings,
          readOnly: params.readOnly,
          watch: true,
          logActivity: true,
          env,
          logger,
          engineVersion: ENGINE_VERSION,
        });
      } catch (e) {
        // Another process holds the lock: a client that won the race to take over (attach to it once its socket
        // answers), or the owner still closing (open again once it released the lock).
        if (!(e instanceof DatabaseLockedError)) throw e;
        if ((await afterLostRace(paths.socketPath, e.lockPath, until - performance.now())) === 'timeout') throw e;
      }
    }
    runtime = own;
    // This process owns the plan: later clients (another window, the CLI) attach to it through its control socket.
    control = await serveControlSocket(own, paths.socketPath, ENGINE_VERSION).catch((e: unknown) => {
      logger.warn(`control socket unavailable, so other windows cannot attach: ${errorMessage(e)}`);
      return undefined;
    });
    return own;
  };

  /**
   * The owner went away (killed, exited): this process opens the plan itself — it is already running, so no new
   * process has to start, load and connect — or, when another client was faster, attaches to that one. The client
   * is told either way (`coditect/ownerChanged`). Only when neither works does it exit for the editor to restart it.
   */
  const takeOver = async (owner: string, paths: EnginePaths, params: InitializeParams): Promise<void> => {
    if (exiting || stopping) return;
    const started = performance.now();
    logger.warn(`${owner} went away; this engine takes the plan over`);
    runtime = undefined;
    try {
      const next = await openOrAttach(paths, params);
      if (stopping) {
        // The shutdown came while the plan was being opened: close what was opened here instead of serving it.
        await control?.close();
        await next.close();
        return;
      }
      await server.replaceEngine(next);
      const ms = Math.round(performance.now() - started);
      if (next.attachedTo) logger.info(`another client took the plan over first; attached to the engine of pid ${next.attachedTo.pid} (${ms} ms)`);
      else logger.info(`took the plan over: this engine owns it now (${ms} ms after ${owner} went away)`);
    } catch (e) {
      if (stopping) return; // the editor closes it anyway: no restart asked for
      logger.warn(`could not take the plan over here (${errorMessage(e)}); this engine exits so the editor starts one that does`);
      exit(ATTACHED_OWNER_GONE_EXIT_CODE);
    }
  };

  const server = serveEngineProtocol({
    connection,
    engineVersion: ENGINE_VERSION,
    shutdownClosesEngine: true,
    beforeShutdown: () => {
      stopping = true;
      return control?.close();
    },
    onExit: exit,
    obtainEngine: async (params) => {
      if (runtime) return runtime;
      return openOrAttach(enginePaths(params.tasklistPath, params.dbPath), params);
    },
  });
  // The editor's engine keeps going through a stray rejection; it is logged to the Output channel.
  process.on('unhandledRejection', (reason) => logger.error(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`));
  process.on('SIGTERM', () => exit(0));
  process.on('SIGINT', () => exit(0));
}
