// `coditect worker`: runs the attempts a coordinator enqueued on Redis (docs/server.md#workers). One BullMQ Worker per
// agent type's queue; each job is one attempt, run by the same executor as in the engine (agent through its provider's
// breaker, timeout, Verify command, leftover processes stopped) in this machine's checkout, with this machine's agents
// and environment. The worker never opens the plan or the database: what it reports is the job's result, which the
// coordinator validates and records.
//
// Heartbeat: BullMQ renews the job's lock every lock_ms / 2 while the processor runs; a worker that dies stops renewing
// and another worker's stalled-job check puts the job back in the queue (at most queue.max_stalled times, then it fails
// with BullMQ's reason). Stops: the coordinator publishes a cancel message; a SIGTERM stops taking jobs and gives the
// running ones `graceMs`, then stops them as `shutdown` (the coordinator puts the task back to pending, no retry spent).
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { errorMessage } from '../../core/describe';
import type { Agent } from '../agents/agent';
import { defaultSandboxPolicy, type SandboxPolicy } from '../agents/sandbox';
import { createAgentResolver } from '../agentResolver';
import type { OrchestratorConfig } from '../config';
import { executeAttempt, StopReason, type AttemptReport, type StopWhy } from '../executor';
import { ProviderGates } from '../resilience';
import {
  agentTypeOfQueue,
  cancelChannel,
  JOB_PROTOCOL,
  parseJobData,
  queueAddedChannel,
  queueNameOf,
  queueSetKey,
  type AttemptJobData,
  type CancelMessage,
  type JobProgress,
  type JobResult,
} from './jobProtocol';
import { jobWorktree, type JobWorktree } from './jobChanges';
import { redisClient } from './redisConnection';
import { maskRedisUrl } from './redisUrl';

/** Options of a QueueWorker. */
export interface QueueWorkerOptions {
  url: string;
  prefix: string;
  /** Agent types served; undefined: every queue the coordinator has used, and each new one as it appears. */
  agentTypes?: string[];
  /** Jobs run at once per agent type's queue. */
  concurrency: number;
  lockMs: number;
  stalledIntervalMs: number;
  maxStalled: number;
  /** The worker's own configuration: agents, sandbox, breaker settings. */
  config: OrchestratorConfig;
  /** The checkout agents work in. */
  cwd: string;
  /** The worker's environment (its agents' secrets). Never sent anywhere. */
  env: Record<string, string | undefined>;
  /** `host:pid`, recorded on each job BullMQ gives this worker and in its results. */
  name: string;
  redact(text: string): string;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** Run every agent type with this agent (`--agent NAME`). */
  agentOverride?: string;
}

const MAX_OUTPUT = 256 * 1024;
const MAX_TEXT = 64 * 1024;
const PROGRESS_EVERY_MS = 200;

/** Runs jobs of the served agent types' queues until closed. */
export class QueueWorker {
  private readonly workers = new Map<string, Worker>();
  private readonly running = new Map<string, AbortController>();
  private readonly gates: ProviderGates;
  private readonly agentFor: (agentType: string) => Agent;
  private sub?: Redis;
  private client?: Redis;
  /**
   * The one connection every queue's BullMQ Worker shares for its commands (each keeps its own blocking connection, a
   * copy of this one): a queue started mid-run then opens one connection, not two, and BullMQ's ~50 scripts are defined
   * (and hashed) once per process on it instead of once per queue. That start-up is what the first jobs of a new
   * agent type wait for.
   */
  private bull?: Redis;
  private closing?: Promise<void>;
  /** The sandbox of attempts run in the checkout itself: the same for every job, so made once (nothing changes it). */
  private checkoutSandbox?: SandboxPolicy;

  constructor(private readonly opts: QueueWorkerOptions) {
    this.gates = new ProviderGates({ failureThreshold: opts.config.circuitBreaker.failureThreshold, cooldownMs: opts.config.circuitBreaker.cooldownMs });
    this.agentFor = createAgentResolver(opts.config, { force: opts.agentOverride });
  }

  /** Jobs running now. */
  get active(): number {
    return this.running.size;
  }

  /** Agent types served now. */
  served(): string[] {
    return [...this.workers.keys()].map((q) => agentTypeOfQueue(q)!).sort();
  }

  /** Connects and starts taking jobs. */
  async start(): Promise<void> {
    const { url, prefix } = this.opts;
    this.sub = redisClient(url, `coditect-worker-sub:${this.opts.name}`);
    this.client = redisClient(url, `coditect-worker:${this.opts.name}`);
    this.bull = redisClient(url, `coditect-worker-bull:${this.opts.name}`);
    for (const c of [this.sub, this.client, this.bull]) c.on('error', (e: Error) => this.opts.log('warn', `redis ${maskRedisUrl(url)}: ${errorMessage(e)}`));
    this.sub.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    await this.sub.subscribe(cancelChannel(prefix), queueAddedChannel(prefix));
    const types = this.opts.agentTypes ?? (await this.client.smembers(queueSetKey(prefix))).flatMap((q) => agentTypeOfQueue(q) ?? []);
    for (const t of types) this.serve(t);
    await Promise.all([...this.workers.values()].map((w) => w.waitUntilReady()));
    this.opts.log(
      'info',
      `worker ${this.opts.name} on ${maskRedisUrl(url)} (prefix ${prefix}): ${this.opts.agentTypes ? `agent types ${types.join(', ')}` : types.length ? `every agent type the coordinator uses (now ${types.join(', ')})` : 'every agent type the coordinator uses (none yet)'}; ${this.opts.concurrency} at once per type; checkout ${this.opts.cwd}`,
    );
  }

  /**
   * Stops taking jobs; running attempts get `graceMs` to finish, then are stopped as `shutdown` (their tasks go back to
   * pending on the coordinator). Resolves once every result is handed to Redis and the connections are closed.
   */
  close(graceMs: number): Promise<void> {
    this.closing ??= (async () => {
      const timer = setTimeout(() => {
        for (const c of this.running.values()) c.abort(new StopReason('shutdown', 'the worker running it is shutting down'));
      }, graceMs);
      timer.unref();
      try {
        await Promise.all([...this.workers.values()].map((w) => w.close()));
      } finally {
        clearTimeout(timer);
        // After the Workers: BullMQ leaves a connection it was given open, and their last results went through it.
        await Promise.allSettled([this.sub?.quit(), this.client?.quit(), this.bull?.quit()]);
      }
    })();
    return this.closing;
  }

  private serve(agentType: string): void {
    const name = queueNameOf(agentType);
    if (this.workers.has(name) || this.closing || !this.bull) return;
    // The processor takes no abort signal: BullMQ makes an AbortController per job for a processor that does (one of
    // 3 parameters), and fires it only from Worker.cancelJob/cancelAllJobs, which this worker never calls. Its stops
    // are its own: the coordinator's cancel message and close()'s grace, both through the attempt's controller.
    const w = new Worker(name, (job: Job) => this.process(job), {
      connection: this.bull,
      prefix: this.opts.prefix,
      name: this.opts.name,
      concurrency: this.opts.concurrency,
      lockDuration: this.opts.lockMs,
      stalledInterval: this.opts.stalledIntervalMs,
      maxStalledCount: this.opts.maxStalled,
      // The result is the coordinator's to read and clean up (it removes the job once recorded).
      removeOnComplete: { age: 7 * 86_400 },
      removeOnFail: { age: 7 * 86_400 },
    });
    w.on('error', (e: Error) => this.opts.log('warn', `queue ${name}: ${errorMessage(e)}`));
    w.on('stalled', (jobId: string) =>
      this.opts.log('warn', `job ${jobId} of ${agentType} lost its worker (crashed or stopped renewing its lock); back in the queue`),
    );
    this.workers.set(name, w);
  }

  private onMessage(channel: string, message: string): void {
    const { prefix } = this.opts;
    if (channel === queueAddedChannel(prefix)) {
      const type = agentTypeOfQueue(message);
      if (type !== undefined && this.opts.agentTypes === undefined && !this.workers.has(message)) {
        this.serve(type);
        this.opts.log('info', `now serving agent type ${type}`);
      }
      return;
    }
    if (channel !== cancelChannel(prefix)) return;
    let m: CancelMessage;
    try {
      m = JSON.parse(message) as CancelMessage;
    } catch {
      return;
    }
    const c = typeof m?.jobId === 'string' ? this.running.get(m.jobId) : undefined;
    if (!c) return;
    const why: StopWhy = (['timeout', 'cancel', 'shutdown', 'marked', 'budget'] as const).find((w) => w === m.why) ?? 'cancel';
    c.abort(new StopReason(why, typeof m.message === 'string' ? m.message.slice(0, 500) : 'stopped by the coordinator'));
  }

  private async process(job: Job): Promise<JobResult> {
    const parsed = parseJobData(job.data);
    // A job this worker cannot read fails at once: running it again elsewhere would not help.
    if ('problem' in parsed) throw new UnrecoverableError(parsed.problem);
    const d = parsed.data;
    const jobId = job.id!;
    const controller = new AbortController();
    this.running.set(jobId, controller);
    const started = performance.now();
    const progress = new ProgressBatch(job);
    let worktree: JobWorktree | undefined;
    try {
      let agent: Agent;
      try {
        agent = this.agentFor(d.agentType);
      } catch (e) {
        return this.result(
          { ok: false, failure: { kind: 'config', message: `no usable agent for ${d.agentType} on worker ${this.opts.name}: ${errorMessage(e)}` } },
          started,
        );
      }
      // The coordinator wants the attempt's changes back: the attempt runs in its own worktree at the coordinator's commit.
      if (d.results) {
        try {
          worktree = await jobWorktree(d.results, this.opts.cwd, this.opts.env);
        } catch (e) {
          return this.result({ ok: false, failure: { kind: 'config', message: this.opts.redact(`worker ${this.opts.name}: ${errorMessage(e)}`) } }, started);
        }
      }
      const report = await executeAttempt(
        { store: { recordAttemptStart: () => d.attemptId }, gates: this.gates, now: Date.now, redact: this.opts.redact },
        this.attemptJob(d, agent, controller, (stream, chunk) => progress.add(stream, chunk), worktree?.dir ?? this.opts.cwd),
      );
      await progress.flush();
      const out = this.result(report, started);
      if (worktree && report.ok && !report.stopped) {
        try {
          out.changes = await worktree.collect(d.taskId, d.input.title, this.opts.name);
        } catch (e) {
          out.ok = false;
          out.failure = { kind: 'fatal', message: this.opts.redact(`worker ${this.opts.name} could not send the attempt's changes back: ${errorMessage(e)}`) };
          out.errorKind = 'fatal';
        }
      }
      return out;
    } finally {
      await worktree?.remove();
      progress.stop();
      this.running.delete(jobId);
    }
  }

  private attemptJob(
    d: AttemptJobData,
    agent: Agent,
    controller: AbortController,
    onOutput: (s: 'stdout' | 'stderr' | 'progress', c: string) => void,
    cwd: string,
  ) {
    return {
      taskId: d.taskId,
      attempt: d.attempt,
      agentType: d.agentType,
      agent,
      routeRule: 'queue',
      input: { ...d.input, cwd },
      verify: d.verify,
      cwd,
      env: this.opts.env,
      sandbox: cwd === this.opts.cwd ? (this.checkoutSandbox ??= this.sandboxPolicy(cwd)) : this.sandboxPolicy(cwd),
      // Marks the attempt's processes (agents/orphans.ts) so those that escape its process group are stopped after it.
      runId: `worker-${this.opts.name}`,
      timeoutMs: d.timeoutMs,
      killGraceMs: d.killGraceMs,
      abandonAfterMs: d.abandonAfterMs,
      controller,
      onOutput,
    };
  }

  /** What an attempt working in `cwd` may touch (the worker's config and environment decide the rest). */
  private sandboxPolicy(cwd: string): SandboxPolicy {
    const sb = this.opts.config.sandbox;
    return defaultSandboxPolicy(cwd, {
      mode: sb.mode,
      network: sb.network,
      envAllow: [...sb.envAllow],
      writable: [cwd, ...sb.writablePaths.map((p) => (p.startsWith('~/') && this.opts.env.HOME ? `${this.opts.env.HOME}/${p.slice(2)}` : p))],
    });
  }

  /** The executor's report as a job result: bounded texts, nothing of the coordinator's own fields. */
  private result(r: Partial<AttemptReport> & Pick<AttemptReport, 'ok'>, started: number): JobResult {
    const out: JobResult = { v: JOB_PROTOCOL, ok: r.ok, durationMs: Math.max(0, performance.now() - started), worker: this.opts.name };
    if (r.stopped === 'timeout' || r.stopped === 'shutdown' || r.stopped === 'cancel' || r.stopped === 'budget') out.stopped = r.stopped;
    else if (r.stopped === 'marked') out.stopped = 'cancel';
    if (r.refused) out.refused = true;
    if (r.failure) out.failure = { ...r.failure, message: tail(r.failure.message, MAX_TEXT) };
    if (r.errorKind) out.errorKind = r.errorKind.slice(0, 40);
    if (r.result) {
      const res = { ...r.result, summary: tail(r.result.summary, MAX_TEXT) };
      if (res.stdout !== undefined) res.stdout = tail(res.stdout, MAX_OUTPUT);
      if (res.stderr !== undefined) res.stderr = tail(res.stderr, MAX_OUTPUT);
      out.result = res;
    }
    if (r.spent) out.spent = { ...r.spent };
    if (r.verifyOutput !== undefined) out.verifyOutput = tail(r.verifyOutput, MAX_OUTPUT);
    if (r.verifyExitCode !== undefined) out.verifyExitCode = r.verifyExitCode;
    if (r.leftovers?.length) out.leftovers = r.leftovers.slice(0, 100).map((l) => l.slice(0, 1000));
    return out;
  }
}

function tail(s: string, max: number): string {
  return s.length <= max ? s : `…${s.slice(s.length - max + 1)}`;
}

/** Live output sent as job progress, at most one update every PROGRESS_EVERY_MS. */
class ProgressBatch {
  private out: JobProgress['out'] = [];
  private size = 0;
  private timer?: NodeJS.Timeout;
  private sending: Promise<void> = Promise.resolve();

  constructor(private readonly job: Job) {}

  add(stream: 'stdout' | 'stderr' | 'progress', chunk: string): void {
    if (this.out.length >= 1000 || this.size > MAX_TEXT * 4) return; // a flood is dropped until the next send
    const c = chunk.length > MAX_TEXT ? chunk.slice(0, MAX_TEXT) : chunk;
    this.out.push([stream, c]);
    this.size += c.length;
    this.timer ??= setTimeout(() => void this.flush(), PROGRESS_EVERY_MS);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.out.length === 0) return this.sending;
    const data: JobProgress = { out: this.out };
    this.out = [];
    this.size = 0;
    // Output is shown live, not recorded: an update lost while Redis restarts is not worth holding the attempt for.
    this.sending = this.sending.then(() => this.job.updateProgress(data as unknown as object).catch(() => undefined));
    return this.sending;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
