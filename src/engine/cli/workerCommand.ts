// `coditect worker`: a process that runs the attempts a coordinator enqueues on Redis (docs/server.md#workers). It
// needs no task list and never opens one, nor a database: its config (--config FILE, else .coditect/config.json here,
// if any) gives its agents, sandbox and the queue's settings; its environment gives its agents' keys.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { errorMessage } from '../../core/describe';
import { loadConfig } from '../config';
import { QUEUE_DEFAULTS } from '../config/fileSchema';
import { createLogger } from '../logger';
import { QueueWorker } from '../queue/queueWorker';
import { maskRedisUrl, redisUrlFromEnv, redisUrlProblem } from '../queue/redisUrl';
import { createRedactor, secretEnvValues } from '../redact';
import { type CliOptions, UsageError } from './args';

/** Runs a worker until SIGTERM or SIGINT; resolves with the exit code once its running jobs are handed back. */
export async function cmdWorker(o: CliOptions, env: NodeJS.ProcessEnv, err: (s: string) => void): Promise<number> {
  if (o.positionals.length > 0) throw new UsageError(`worker takes no task list (it never opens one), got '${o.positionals.join(' ')}'`);
  const configFile = o.config !== undefined ? resolve(o.config) : [join(process.cwd(), '.coditect/config.json')].find((f) => existsSync(f));
  const config = loadConfig(configFile, { env, profile: o.profile, baseDir: process.cwd() });
  const q = config.queue.kind === 'redis' ? config.queue : undefined;
  let url = o.redis ?? q?.url;
  if (url === undefined) {
    const fromEnv = redisUrlFromEnv(env);
    if (fromEnv.problem) throw new UsageError(fromEnv.problem);
    url = fromEnv.url;
  }
  if (url === undefined) throw new UsageError('worker needs --redis URL (or queue.url in its config, or REDIS_HOST in the environment)');
  const problem = redisUrlProblem(url);
  if (problem) throw new UsageError(`--redis: ${problem}`);
  const redact = createRedactor(secretEnvValues(env));
  const logger = createLogger({ stream: process.stderr, level: 'info', redact });
  const worker = new QueueWorker({
    url,
    prefix: q?.prefix ?? QUEUE_DEFAULTS.prefix,
    agentTypes: o.agents,
    concurrency: o.concurrency ?? 1,
    lockMs: q?.lockMs ?? QUEUE_DEFAULTS.lockMs,
    stalledIntervalMs: q?.stalledIntervalMs ?? QUEUE_DEFAULTS.stalledIntervalMs,
    maxStalled: q?.maxStalled ?? QUEUE_DEFAULTS.maxStalled,
    config,
    cwd: config.cwd ?? process.cwd(),
    env,
    name: `${hostname()}:${process.pid}`,
    redact,
    log: (level, m) => logger[level](m),
    agentOverride: o.agent,
  });
  const stopped = new Promise<void>((done) => {
    const onSignal = (sig: string): void => {
      logger.info(`${sig}: taking no more jobs; running ones get ${config.shutdownGraceMs} ms (shutdown_grace_ms)`);
      void worker.close(config.shutdownGraceMs).then(done, (e: unknown) => {
        err(`coditect worker: closing failed: ${errorMessage(e)}`);
        done();
      });
    };
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.once('SIGTERM', () => onSignal('SIGTERM'));
  });
  try {
    await worker.start();
  } catch (e) {
    await worker.close(0).catch(() => undefined);
    throw new Error(`worker could not start on ${maskRedisUrl(url)}: ${errorMessage(e)}`, { cause: e });
  }
  await stopped;
  logger.info('worker stopped');
  return 0;
}
