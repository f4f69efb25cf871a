// The ceiling of `--workers` on this machine (#12): bare BullMQ in the same process layout as the coordinator and its
// workers — this process adds zero-work jobs with `addBulk` and keeps as many in flight as the coordinator has slots, 3
// worker processes run them at concurrency 34 each, and the results come back the way the coordinator's come back
// (`QueueEvents` completed events read from the queue's event stream). No database, no plan, no executor: what is left
// is Redis, BullMQ and Node on these cores, so ours / bare says how much of the rate is ours.
//
// The CPU each process spent during the run (coordinator/producer, each worker, redis-server), per task, says where the
// cores go: read from /proc/<pid>/stat for the child processes, process.cpuUsage() for this one.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { JOB_PROTOCOL, type AttemptJobData } from '../../src/engine/queue/jobProtocol';
import { RedisServer } from '../process/queue/redisKit';
import { quantile } from './stats';

const CLK_TCK = 100; // Linux's USER_HZ: the unit of utime/stime in /proc/<pid>/stat

/** CPU time (user + system) a process has used so far, in ms (Linux); NaN where /proc cannot say. */
export function procCpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: the fields after it start after its closing parenthesis.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** This process's CPU time so far, in ms. */
export function ownCpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** CPU of each process of a run, from `start()` to `stop()`, per task in µs. */
class CpuMeter {
  private before: number[] = [];
  private after: number[] = [];
  constructor(
    private readonly workerPids: () => (number | undefined)[],
    private readonly redisPid: () => number | undefined,
  ) {}
  private read(): number[] {
    return [ownCpuMs(), procCpuMs(this.redisPid()), ...this.workerPids().map(procCpuMs)];
  }
  start(): void {
    this.before = this.read();
  }
  stop(): void {
    this.after = this.read();
  }
  /** coordinatorCpuUsPerTask, redisCpuUsPerTask, workersCpuUsPerTask (all workers together), workerCpuUsPerTask_i. */
  figures(tasks: number): Record<string, number> {
    const d = this.after.map((a, i) => ((a - this.before[i]) * 1000) / tasks);
    const out: Record<string, number> = { coordinatorCpuUsPerTask: d[0], redisCpuUsPerTask: d[1] };
    const w = d.slice(2);
    out.workersCpuUsPerTask = w.reduce((s, x) => s + x, 0);
    w.forEach((x, i) => (out[`workerCpuUsPerTask_${i}`] = x));
    out.totalCpuUsPerTask = out.coordinatorCpuUsPerTask + out.redisCpuUsPerTask + out.workersCpuUsPerTask;
    return out;
  }
}

/** Redis's own count of the commands it ran, by command (`INFO commandstats`; EVALSHA counts each BullMQ script). */
async function redisCommandCounts(url: string): Promise<Map<string, number>> {
  const { Redis } = await import('ioredis');
  const c = new Redis(url, { maxRetriesPerRequest: null });
  try {
    const info = await c.info('commandstats');
    const out = new Map<string, number>();
    for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1], Number(m[2]));
    return out;
  } finally {
    c.disconnect();
  }
}

/** Commands per task between two counts: the total and the busiest few (`redisCallsPerTask_evalsha`…). */
function commandsPerTask(before: Map<string, number>, after: Map<string, number>, tasks: number): Record<string, number> {
  const per = [...after].map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / tasks] as const).filter(([, v]) => v > 0);
  const out: Record<string, number> = { redisCallsPerTask: per.reduce((s, [, v]) => s + v, 0) };
  for (const [k, v] of per.sort((a, b) => b[1] - a[1]).slice(0, 6)) out[`redisCallsPerTask_${k}`] = v;
  return out;
}

/**
 * Runs `run` (a scenario's timed part) with the CPU of every process — this one, each worker, redis-server — and Redis's
 * command counts taken around it; `perTask(n)` gives both per task once the run says how many tasks it completed.
 */
export async function measureRun(
  workers: readonly ChildProcess[],
  redis: RedisServer,
  run: () => Promise<void>,
): Promise<{ wallMs: number; perTask: (tasks: number) => Record<string, number> }> {
  const cpu = new CpuMeter(
    () => workers.map((w) => w.pid),
    () => redis.pid,
  );
  const before = await redisCommandCounts(redis.url);
  cpu.start();
  const t0 = performance.now();
  await run();
  const wallMs = performance.now() - t0;
  cpu.stop();
  const after = await redisCommandCounts(redis.url);
  return { wallMs, perTask: (tasks) => ({ ...cpu.figures(tasks), ...commandsPerTask(before, after, tasks) }) };
}

const queueName = (i: number): string => `agent-zero-${i}`;
const KEEP = { age: 7 * 86_400 };

/**
 * `node dist/bench.js --bare-worker URL`: one bare BullMQ worker process, zero-work jobs; one BullMQ Worker per queue at
 * `concurrency` each, as a `coditect worker` serves each agent type's queue.
 */
export async function bareWorkerMain(url: string, prefix: string, concurrency: number, queues: number): Promise<void> {
  const { Worker } = await import('bullmq');
  const name = `bare:${process.pid}`;
  const all = Array.from({ length: queues }, (_, i) => bareWorker(Worker, url, prefix, concurrency, name, queueName(i)));
  await Promise.all(all.map((w) => w.waitUntilReady()));
  process.stderr.write('bare worker ready\n');
  process.once('SIGTERM', () => void Promise.all(all.map((w) => w.close())).then(() => process.exit(0)));
}

function bareWorker(Worker: typeof import('bullmq').Worker, url: string, prefix: string, concurrency: number, name: string, queue: string) {
  return new Worker(
    queue,
    // The shape of a worker's result for a zero-work attempt (jobProtocol.ts JobResult), so both carry as much back.
    (job) => Promise.resolve({ v: 1, ok: true, durationMs: 0.01, worker: name, result: { summary: `dry run of ${String(job.data?.taskId)}`, exitCode: 0 } }),
    {
      connection: { url, maxRetriesPerRequest: null },
      prefix,
      name,
      concurrency,
      lockDuration: 30_000,
      stalledInterval: 30_000,
      maxStalledCount: 1,
      removeOnComplete: KEEP,
      removeOnFail: KEEP,
    },
  );
}

/**
 * Starts a worker process and resolves once it takes jobs. `CODITECT_BENCH_WORKER_NODE_ARGS` adds Node flags to each
 * (`--cpu-prof --cpu-prof-dir=/tmp/prof`: a profile per worker, written when it exits on the bench's SIGTERM).
 */
export function startWorker(args: string[], ready: RegExp, cwd?: string): Promise<ChildProcess> {
  const nodeArgs = (process.env.CODITECT_BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const w = spawn(process.execPath, [...nodeArgs, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise<ChildProcess>((resolve, reject) => {
    let err = '';
    w.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (ready.test(err)) resolve(w);
    });
    w.once('exit', (code) => reject(new Error(`bench: worker exited ${code}: ${err}`)));
  });
}

/** SIGTERM to each worker still running; resolves when all have exited. */
export function stopWorkers(workers: ChildProcess[]): Promise<void> {
  return Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.exitCode !== null || w.signalCode !== null) return resolve();
          w.once('exit', () => resolve());
          w.kill('SIGTERM');
        }),
    ),
  ).then(() => undefined);
}

/** Writes the config of a bench's `coditect worker`s into `dir`: every agent type runs a zero-work dry run. Its path. */
export function zeroWorkerConfig(dir: string, url: string, prefix: string): string {
  const file = join(dir, 'worker-config.json');
  writeFileSync(
    file,
    JSON.stringify({
      default_agent: 'zero',
      agents: { zero: { kind: 'dry-run', durationMs: 0 } },
      sandbox: { mode: 'off' },
      queue: { kind: 'redis', url, prefix },
    }),
  );
  return file;
}

/**
 * Starts 3 `coditect worker` processes (dry-run agent of zero duration) serving `queues` as their `--agents` list, so
 * their queues are started before the run as a bare worker's are: the worker side alone, under the bare producer.
 */
async function startCoditectWorkers(benchScript: string, url: string, prefix: string, queues: string[], dir: string): Promise<ChildProcess[]> {
  const config = zeroWorkerConfig(dir, url, prefix);
  const cli = join(dirname(benchScript), 'cli.js');
  const agents = queues.map((q) => q.slice('agent-'.length)).join(',');
  const workers: ChildProcess[] = [];
  for (let i = 0; i < 3; i++)
    workers.push(await startWorker([cli, 'worker', '--config', config, '--concurrency', '34', '--agents', agents], /INFO +worker \S+ on redis:/, dir));
  return workers;
}

/**
 * `--scenario bare-bullmq`: `tasks` zero-work jobs, `slots` in flight (100, or the engine's default 4: bench.ts), through 3 bare worker processes (see the file
 * comment), spread round robin over `queues` queues (the workers scenario's plan routes its tasks to 10 agent types,
 * so 10 queues is its layout: 10 Queue + QueueEvents here, 10 Workers in each worker process). Dispatch latency = the
 * producer decided to add the job (a slot came free) → a worker started it; the way back = the worker finished it →
 * its completed event read here. With `coditectWorkers` (`--scenario bare-producer`) the 3 worker processes are
 * `coditect worker`s instead: the same producer and jobs, so the workers' CPU per task compares one worker with the other.
 */
export async function scenarioBareBullmq(
  tasks: number,
  benchScript: string,
  queues: number,
  slots: number,
  coditectWorkers = false,
): Promise<Record<string, number>> {
  const redis = await RedisServer.start();
  let workers: ChildProcess[] = [];
  const prefix = 'bare';
  const dir = mkdtempSync(join(tmpdir(), 'coditect-bench-bare-'));
  try {
    if (coditectWorkers)
      workers = await startCoditectWorkers(
        benchScript,
        redis.url,
        prefix,
        Array.from({ length: queues }, (_, i) => queueName(i)),
        dir,
      );
    else
      for (let i = 0; i < 3; i++)
        workers.push(
          await startWorker(
            [benchScript, '--bare-worker', redis.url, '--bare-prefix', prefix, '--bare-concurrency', '34', '--bare-queues', String(queues)],
            /bare worker ready/,
          ),
        );
    const { Queue, QueueEvents } = await import('bullmq');
    const connection = { url: redis.url, maxRetriesPerRequest: null };
    const qs = Array.from({ length: queues }, (_, i) => ({
      queue: new Queue(queueName(i), { connection, prefix }),
      events: new QueueEvents(queueName(i), { connection, prefix, lastEventId: '0-0' }),
      batch: [] as { name: string; data: object; opts: object }[],
    }));
    await Promise.all(qs.flatMap((q) => [q.queue.waitUntilReady(), q.events.waitUntilReady()]));
    const decidedAt = new Map<string, number>();
    const backAt = new Map<string, number>();
    let next = 0;
    let completed = 0;
    const add = (): void => {
      if (next >= tasks) return;
      const jobId = `job-${++next}`; // BullMQ refuses integer-like custom ids
      decidedAt.set(jobId, Date.now());
      // A job as the coordinator enqueues it for a generated task (valid for `coditect worker`; a bare one ignores it).
      const data: AttemptJobData = {
        v: JOB_PROTOCOL,
        attemptId: next,
        taskId: `T${next}`,
        attempt: 1,
        agentType: queueName(next % queues).slice('agent-'.length),
        owner: 'bench',
        input: {
          id: `T${next}`,
          title: `Generated task ${next}`,
          agentType: queueName(next % queues).slice('agent-'.length),
          priority: 'P2',
          epic: { id: 'E001', title: 'Generated epic' },
          feature: { id: 'F001.01', title: 'Generated feature' },
          dependencies: [],
          attempt: 1,
        },
        timeoutMs: 600_000,
        killGraceMs: 5000,
        abandonAfterMs: 10_000,
      };
      const q = qs[next % queues];
      if (q.batch.length === 0) setImmediate(() => flush(q));
      q.batch.push({ name: 'attempt', data, opts: { jobId, attempts: 1, removeOnComplete: KEEP, removeOnFail: KEEP } });
    };
    let failed: (e: unknown) => void = () => undefined;
    const flush = (q: (typeof qs)[number]): void => {
      const b = q.batch;
      q.batch = [];
      if (b.length > 0) q.queue.addBulk(b as never).catch((e: unknown) => failed(e));
    };
    const done = new Promise<void>((resolve, reject) => {
      failed = reject;
      for (const q of qs)
        q.events.on('completed', ({ jobId }) => {
          if (!decidedAt.has(jobId) || backAt.has(jobId)) return;
          backAt.set(jobId, Date.now());
          completed++;
          if (completed === tasks) resolve();
          else add();
        });
    });
    const { wallMs, perTask } = await measureRun(workers, redis, async () => {
      for (let i = 0; i < slots; i++) add();
      await done;
    });
    const latencies: number[] = [];
    const warm: number[] = [];
    const inRedis: number[] = [];
    const back: number[] = [];
    const run: number[] = [];
    for (const j of (await Promise.all(qs.map((q) => q.queue.getJobs(['completed'])))).flat()) {
      const decided = decidedAt.get(j.id!);
      if (decided === undefined || j.processedOn === undefined) continue;
      latencies.push(j.processedOn - decided);
      if (Number(j.id!.slice(4)) > slots) warm.push(j.processedOn - decided);
      inRedis.push(j.processedOn - j.timestamp);
      if (j.finishedOn !== undefined) {
        run.push(j.finishedOn - j.processedOn);
        back.push(backAt.get(j.id!)! - j.finishedOn);
      }
    }
    await Promise.allSettled(qs.flatMap((q) => [q.events.close(), q.queue.close()]));
    return {
      tasksPerSecond: (completed * 1000) / wallMs,
      tasks: completed,
      p50LatencyMs: quantile(latencies, 0.5),
      p99LatencyMs: quantile(latencies, 0.99),
      p99WarmLatencyMs: quantile(warm, 0.99),
      p50InRedisMs: quantile(inRedis, 0.5),
      p99InRedisMs: quantile(inRedis, 0.99),
      p50RunMs: quantile(run, 0.5),
      p99RunMs: quantile(run, 0.99),
      p50ResultMs: quantile(back, 0.5),
      p99ResultMs: quantile(back, 0.99),
      queues,
      ...perTask(completed),
    };
  } finally {
    await stopWorkers(workers);
    await redis.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}
