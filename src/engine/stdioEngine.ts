// The engine as the editor's child process: one JSON-RPC connection on stdio, logs on stderr (the editor shows them
// in its "CODITECT" output channel). The process lives until `shutdown` + `exit`, or until the editor goes away.
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { ENGINE_VERSION } from './version';
import { createLogger } from './logger';
import { enginePaths } from './paths';
import { createRedactor, secretEnvValues } from './redact';
import { serveEngineProtocol } from './rpcServer';
import { EngineRuntime } from './runtime';

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
  let runtime: EngineRuntime | undefined;
  let exiting = false;
  const exit = (code: number): void => {
    if (exiting) return;
    exiting = true;
    // The editor vanished without `shutdown`: still release running tasks and close the database cleanly.
    void (runtime?.close() ?? Promise.resolve()).finally(() => process.exit(code));
  };
  serveEngineProtocol({
    connection,
    engineVersion: ENGINE_VERSION,
    shutdownClosesEngine: true,
    onExit: exit,
    obtainEngine: async (params) => {
      if (runtime) return runtime;
      const paths = enginePaths(params.tasklistPath, params.dbPath);
      runtime = await EngineRuntime.open({
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
      return runtime;
    },
  });
  // The editor's engine keeps going through a stray rejection; it is logged to the Output channel.
  process.on('unhandledRejection', (reason) => logger.error(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`));
  process.on('SIGTERM', () => exit(0));
  process.on('SIGINT', () => exit(0));
}
