// The engine as the editor's child process: one JSON-RPC connection on stdio, logs on stderr (the editor shows them
// in its "CODITECT" output channel). The process lives until `shutdown` + `exit`, or until the editor goes away.
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { ENGINE_VERSION } from './version';
import { createLogger } from './logger';
import { enginePaths } from './paths';
import { createRedactor, secretEnvValues } from './redact';
import { serveEngineProtocol } from './rpcServer';
import { EngineRuntime } from './runtime';
import { type ControlServer, serveControlSocket, socketAnswers } from './control';
import { errorMessage } from '../core/describe';
import type { EngineApi } from './engineApi';
import { RemoteEngine } from './remoteEngine';
import { DatabaseLockedError } from './db/lockFile';
import { ATTACHED_OWNER_GONE_EXIT_CODE } from '../protocol/engineProtocol';

/** How long an engine that lost the race for a free lock waits for the winner's control socket. */
const LOST_RACE_WAIT_MS = 10_000;

/** True once something answers on the socket within `ms` (the winner opens the database, then its socket). */
async function socketAnswersWithin(socketPath: string, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  // No event tells a process that another one started listening: ask a few times a second.
  for (;;) {
    if (await socketAnswers(socketPath)) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
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
  const exit = (code: number): void => {
    if (exiting) return;
    exiting = true;
    // The editor vanished without `shutdown`: still release running tasks and close the database cleanly.
    void (control?.close() ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => runtime?.close())
      .finally(() => process.exit(code));
  };
  serveEngineProtocol({
    connection,
    engineVersion: ENGINE_VERSION,
    shutdownClosesEngine: true,
    beforeShutdown: () => control?.close(),
    onExit: exit,
    obtainEngine: async (params) => {
      if (runtime) return runtime;
      const paths = enginePaths(params.tasklistPath, params.dbPath);
      const attach = async (): Promise<EngineApi> => {
        const remote = await RemoteEngine.attach(paths, params);
        const owner = `the engine of pid ${remote.attachedTo.pid} (${remote.attachedTo.kind})`;
        logger.info(`attached to ${owner}: its plan, events and commands; nothing is opened here`);
        remote.onLost(() => {
          logger.warn(`${owner} went away; this engine exits so the editor starts one that takes the plan over`);
          exit(ATTACHED_OWNER_GONE_EXIT_CODE);
        });
        runtime = remote;
        return remote;
      };
      // One engine per plan: when one already runs (a daemon, a `coditect run`, another window's engine), attach to
      // it over its control socket instead of failing on its lock or becoming a second writer.
      if (await socketAnswers(paths.socketPath)) return attach();
      let own: EngineRuntime;
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
        // Two windows taking over at once: the other one won the lock; attach to it once its socket answers.
        if (e instanceof DatabaseLockedError && (await socketAnswersWithin(paths.socketPath, LOST_RACE_WAIT_MS))) return attach();
        throw e;
      }
      runtime = own;
      // This window owns the plan: later clients (another window, the CLI) attach to it through its control socket.
      control = await serveControlSocket(own, paths.socketPath, ENGINE_VERSION).catch((e: unknown) => {
        logger.warn(`control socket unavailable, so other windows cannot attach: ${errorMessage(e)}`);
        return undefined;
      });
      return own;
    },
  });
  // The editor's engine keeps going through a stray rejection; it is logged to the Output channel.
  process.on('unhandledRejection', (reason) => logger.error(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`));
  process.on('SIGTERM', () => exit(0));
  process.on('SIGINT', () => exit(0));
}
