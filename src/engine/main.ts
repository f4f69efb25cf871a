// The engine process. Two modes:
//   --stdio    started by the editor extension: JSON-RPC (vscode-jsonrpc) on stdin/stdout, logs on stderr;
//   --daemon   headless: control socket, pid file, rotating log, metrics (started by `coditect daemon start`).
// better-sqlite3 is probed before any module that loads it, so a wrong runtime gets one precise error.
import { parseArgs } from 'node:util';
import { NATIVE_MODULE_EXIT_CODE, SECRETS_FD_FLAG } from '../protocol/engineProtocol';
import { readSecrets } from './secretsChannel';
import { nativeModuleErrorLine, probeNativeModule } from './nativeProbe';
import { errorMessage } from '../core/describe';

/** Parsed command line of the engine process. */
interface EngineArgs {
  mode: 'stdio' | 'daemon';
  tasklist?: string;
  db?: string;
  config?: string;
  profile?: string;
  metricsPort?: number;
  agent?: string;
  concurrency?: number;
  /** `--http HOST:PORT`: serve the HTTP API and dashboard (daemon mode). */
  http?: string;
  /** Descriptor of the editor's secrets pipe (`--secrets-fd`, stdio mode). */
  secretsFd?: number;
}

function parseEngineArgs(argv: string[]): EngineArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      stdio: { type: 'boolean', default: false },
      daemon: { type: 'boolean', default: false },
      tasklist: { type: 'string' },
      db: { type: 'string' },
      config: { type: 'string' },
      profile: { type: 'string' },
      'metrics-port': { type: 'string' },
      agent: { type: 'string' },
      concurrency: { type: 'string' },
      http: { type: 'string' },
      [SECRETS_FD_FLAG]: { type: 'string' },
      // vscode-jsonrpc's node helpers pass --clientProcessId=N to server processes; accept and ignore it.
      clientProcessId: { type: 'string' },
    },
  });
  if (values.stdio === values.daemon) throw new Error('engine: pass exactly one of --stdio or --daemon');
  const int = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`engine: ${flag} expects a non-negative integer, got '${v}'`);
    return n;
  };
  if (values.daemon && !values.tasklist) throw new Error('engine: --daemon needs --tasklist <path>');
  return {
    mode: values.stdio ? 'stdio' : 'daemon',
    tasklist: values.tasklist,
    db: values.db,
    config: values.config,
    profile: values.profile,
    metricsPort: int('--metrics-port', values['metrics-port']),
    agent: values.agent,
    concurrency: int('--concurrency', values.concurrency),
    http: values.http,
    secretsFd: int(`--${SECRETS_FD_FLAG}`, values[SECRETS_FD_FLAG] as string | undefined),
  };
}

async function main(): Promise<void> {
  let args: EngineArgs;
  let secrets: Record<string, string> = {};
  try {
    args = parseEngineArgs(process.argv.slice(2));
    if (args.secretsFd !== undefined) secrets = readSecrets(args.secretsFd);
  } catch (e) {
    process.stderr.write(`${errorMessage(e)}\n`);
    process.exit(2);
  }
  const problem = probeNativeModule();
  if (problem !== undefined) {
    process.stderr.write(`${nativeModuleErrorLine(problem)}\n`);
    process.exit(NATIVE_MODULE_EXIT_CODE);
  }
  // Loaded only now: these modules require better-sqlite3 when they load.
  if (args.mode === 'stdio') {
    const { runStdioEngine } = await import('./stdioEngine.js');
    await runStdioEngine(secrets);
  } else {
    const { runDaemon } = await import('./daemon.js');
    const code = await runDaemon({
      tasklistPath: args.tasklist!,
      dbPath: args.db,
      configPath: args.config,
      profile: args.profile,
      metricsPort: args.metricsPort,
      agent: args.agent,
      concurrency: args.concurrency,
      http: args.http,
      foreground: false,
    });
    process.exit(code);
  }
}

void main().catch((e: unknown) => {
  process.stderr.write(`engine: fatal: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
