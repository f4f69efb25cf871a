// The headless engine: one long-lived process per task list with a pid file, a rotating log, Prometheus metrics and
// a control socket. SIGTERM is graceful: stop dispatching, let running tasks finish up to the grace period, release
// the rest to pending, flush the markdown, close the database, remove the pid file.
import { makePrivate, PRIVATE_FILE_MODE } from './privateFiles';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type ControlServer, serveControlSocket, socketAnswers } from './control';
import { createLogger } from './logger';
import { loggingOf, logLevelOf, openLogSink } from './logSink';
import { enginePaths, type EnginePaths } from './paths';
import { createRedactor, secretEnvValues } from './redact';
import { EngineRuntime } from './runtime';
import { ENGINE_VERSION } from './version';
import { parseBind } from './http/bind';
import { type HttpServer, serveHttp } from './http/httpServer';
import { loadOrCreateToken } from './http/httpToken';
import { errorMessage } from '../core/describe';

/** Options of runDaemon. */
export interface DaemonOptions {
  tasklistPath: string;
  dbPath?: string;
  configPath?: string;
  /** Config profile (dev, staging, prod…). */
  profile?: string;
  /** Prometheus port; default from the config (9464); 0 turns metrics off. */
  metricsPort?: number;
  agent?: string;
  concurrency?: number;
  /** Log to stderr (systemd's journal) instead of the rotating file. */
  foreground: boolean;
  /** Serve the HTTP API and web dashboard on this loopback `HOST:PORT` (docs/server.md); absent: no HTTP server. */
  http?: string;
}

/** What the pid file holds (JSON), read by `coditect daemon status|stop`. */
export interface PidFile {
  pid: number;
  socket: string;
  tasklist: string;
  db: string;
  startedAt: string;
  metricsPort?: number;
  logFile?: string;
  /** URL of the HTTP API and web dashboard, when served (the token is in .coditect/http-token). */
  http?: string;
}

/** Message a daemon sends its starter over IPC once it serves. */
export type DaemonReadyMessage =
  | { type: 'coditect:daemon-ready'; pid: number; socket: string; metricsPort?: number; logFile?: string; http?: string }
  | { type: 'coditect:daemon-failed'; message: string };

/** Reads the pid file; undefined when absent or unreadable. */
export function readPidFile(paths: EnginePaths): PidFile | undefined {
  try {
    return JSON.parse(readFileSync(paths.pidFile, 'utf8')) as PidFile;
  } catch {
    return undefined;
  }
}

/** True when a process with this pid exists. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs the daemon until SIGTERM/SIGINT; resolves with the process exit code. */
export async function runDaemon(opts: DaemonOptions): Promise<number> {
  const paths = enginePaths(opts.tasklistPath, opts.dbPath);
  const existing = readPidFile(paths);
  if (existing && existing.pid !== process.pid && pidAlive(existing.pid) && (await socketAnswers(existing.socket))) {
    process.stderr.write(`coditect: a daemon already runs for ${paths.tasklistPath} (pid ${existing.pid})\n`);
    return 1;
  }
  // The plan's `logging` section: level, file, rotation (logSink.ts).
  const logging = loggingOf(paths, opts.configPath, process.env, opts.profile);
  const sink = await openLogSink(logging, paths, paths.logFile, opts.foreground);
  const logger = createLogger({ stream: sink.stream, level: logLevelOf(logging), redact: createRedactor(secretEnvValues(process.env)) });

  let runtime: EngineRuntime | undefined;
  let control: ControlServer | undefined;
  let http: HttpServer | undefined;
  try {
    // A bad --http is refused before anything opens; the config's http.bind was checked with the config.
    let bind = opts.http === undefined ? undefined : parseBind(opts.http);
    runtime = await EngineRuntime.open({
      paths,
      configPath: opts.configPath,
      profile: opts.profile,
      watch: true,
      env: process.env,
      logger,
      engineVersion: ENGINE_VERSION,
      agentOverride: opts.agent,
      concurrency: opts.concurrency,
      metricsPort: opts.metricsPort,
      serveMetrics: true,
      logActivity: true,
    });
    control = await serveControlSocket(runtime, paths.socketPath, ENGINE_VERSION);
    const configured = runtime.httpBind;
    if (!bind && configured !== undefined) bind = parseBind(configured);
    if (bind) {
      http = await serveHttp({
        engine: runtime,
        host: bind.host,
        port: bind.port,
        token: loadOrCreateToken(paths.stateDir),
        logger,
        engineVersion: ENGINE_VERSION,
      });
    }
  } catch (e) {
    logger.error(`daemon failed to start: ${errorMessage(e)}`);
    if (process.send) {
      const msg: DaemonReadyMessage = { type: 'coditect:daemon-failed', message: errorMessage(e) };
      process.send(msg);
    } else process.stderr.write(`coditect: daemon failed to start: ${errorMessage(e)}\n`);
    await http?.close();
    await control?.close();
    await runtime?.close();
    await sink.close();
    return 1;
  }
  const pidFile: PidFile = {
    pid: process.pid,
    socket: paths.socketPath,
    tasklist: paths.tasklistPath,
    db: paths.dbPath,
    startedAt: new Date().toISOString(),
    metricsPort: runtime.metricsPort,
    logFile: sink.file,
    http: http?.url,
  };
  writeFileSync(paths.pidFile, `${JSON.stringify(pidFile, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
  makePrivate(paths.pidFile); // writeFileSync's mode applies only on create, through the umask
  logger.info(
    `daemon pid ${process.pid} serving ${paths.tasklistPath} (db ${paths.dbPath}, socket ${paths.socketPath}${runtime.metricsPort ? `, metrics :${runtime.metricsPort}` : ''}${http ? `, dashboard ${http.url}/` : ''})`,
  );
  runtime.start();
  if (process.send) {
    const msg: DaemonReadyMessage = {
      type: 'coditect:daemon-ready',
      pid: process.pid,
      socket: paths.socketPath,
      metricsPort: runtime.metricsPort,
      logFile: sink.file,
      http: http?.url,
    };
    process.send(msg);
    process.disconnect();
  }

  const rt = runtime;
  const ctl = control;
  const web = http;
  // Unattended: a stray rejection is logged, never fatal; an uncaught exception is logged, then a graceful stop.
  process.on('unhandledRejection', (reason) => logger.error(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`));
  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const shutdown = (signal: string): void => {
      if (stopping) {
        logger.warn(`${signal} again while stopping: exiting now; running tasks are recovered at the next start`);
        resolveExit(1);
        return;
      }
      stopping = true;
      logger.info(`${signal}: stopping dispatch, waiting for running tasks up to the grace period`);
      // Every step runs even if an earlier one throws.
      void (web?.close() ?? Promise.resolve())
        .catch((e: unknown) => logger.error(`http server close: ${errorMessage(e)}`))
        .then(() => ctl.close())
        .catch((e: unknown) => logger.error(`control socket close: ${errorMessage(e)}`))
        .then(() => rt.close())
        .catch((e: unknown) => logger.error(`engine close: ${errorMessage(e)}`))
        .finally(() => {
          rmSync(paths.pidFile, { force: true });
          logger.info('daemon stopped');
          void sink.close().then(() => resolveExit(0));
        });
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('uncaughtException', (e) => {
      logger.error(`uncaught exception: ${e.stack ?? e.message}`);
      shutdown('uncaught exception');
    });
  });
}
