// The coordinator's side of `queue.kind: redis` (docs/server.md#workers): instead of running an attempt's agent, the
// orchestrator hands the attempt here. Its attempt row is written as for a local run; then the attempt is enqueued as
// one BullMQ job (job id = the attempt row's id, so it is never enqueued twice) in its agent type's queue, and the
// promise settles with the job's result — validated (jobProtocol.ts: a result comes from another machine and its
// agent) and redacted — or with its failure. The orchestrator then settles the task exactly as for a local attempt:
// the one writer of context.db and the markdown stays the coordinator.
//
// A result is taken once: the first completed/failed event (or a look at the job after Redis reconnected) settles the
// attempt; any later one for the same job finds nothing pending and is ignored.
//
// A coordinator that stopped without settling its attempts (killed, its machine gone) left their jobs in Redis, still
// running or already finished. The next coordinator carries on with them: `adopt` is given the attempt rows that were
// open when it started, and when recovery has put such a task back to pending and dispatch starts it again, its new
// attempt waits for the job that is already there (taking its result if it has one) instead of enqueueing the work
// again. The old attempt row stays closed as released by recovery; the result is recorded once, on the new one.
import { Queue } from 'bullmq';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { errorMessage } from '../../core/describe';
import { formatSpan } from '../../protocol/presentation';
import { recordAttemptStart, redactResult, StopReason, type AttemptJob, type AttemptReport, type ExecutorDeps, type StopWhy } from '../executor';
import type { QueueConfig } from '../config';
import { validatedSpend } from '../spend/attemptSpend';
import { isBrokenCircuit } from '../resilience';
import {
  cancelChannel,
  isStalledFailure,
  JOB_PROTOCOL,
  jobIdOf,
  parseJobProgress,
  parseJobResult,
  queueAddedChannel,
  queueNameOf,
  queueSetKey,
  type AttemptJobData,
  type CancelMessage,
  type JobResult,
  type JobResultsRequest,
} from './jobProtocol';
import { addJobsInOnePipeline } from './addJobs';
import { resultsRequest, takeChanges } from './jobChanges';
import { JobEvents } from './jobEvents';
import { blockingClient, bullConnection, redisClient } from './redisConnection';
import { maskRedisUrl } from './redisUrl';

/** Options of RemoteAttempts. */
export interface RemoteAttemptsOptions {
  queue: Extract<QueueConfig, { kind: 'redis' }>;
  /** The coordinator run (lease owner), recorded in each job. */
  owner: string;
  /** Per-type limits (`agent_limits.max_per_type`), also set on each type's queue so they hold for every worker. */
  maxPerType(): Readonly<Record<string, number>>;
  log(level: 'info' | 'warn', message: string): void;
}

interface Pending {
  /** The job it waits for: its own, or the one a previous coordinator left for its task (adopt). */
  jobId: string;
  deps: ExecutorDeps;
  job: AttemptJob;
  report: AttemptReport;
  queueName: string;
  /** The job is in Redis (the enqueue returned): from then on, a job Redis does not have was lost. */
  enqueued?: boolean;
  /** What the job asked the worker to send back of its file changes (queue.results). */
  results?: JobResultsRequest;
  /** Its result is being taken (changes applied or checked): a second look at the job must not take it again. */
  taking?: boolean;
  settle(report: AttemptReport): void;
}

/**
 * A job's state, and its result once it has one. The state is read first: a job read before it finished and asked
 * for its state after would have a state of `completed` with no return value yet (read in that order, a finished
 * job's hash already holds it — BullMQ writes both in one script).
 */
async function lookAt(queue: Queue, jobId: string): Promise<{ state: string; returnvalue?: unknown; failedReason?: string }> {
  const state = await queue.getJobState(jobId);
  if (state === 'unknown') return { state: 'missing' };
  if (state !== 'completed' && state !== 'failed') return { state };
  const job = await queue.getJob(jobId);
  if (!job) return { state: 'missing' };
  return { state, returnvalue: job.returnvalue, failedReason: job.failedReason };
}

/** A worker's result that counts as a failure of its provider (its `kind` is what the breaker reads). */
class ProviderFailure extends Error {
  constructor(
    readonly report: AttemptReport,
    readonly kind: string,
  ) {
    super(report.failure?.message ?? kind);
  }
}

interface TypeQueue {
  queue: Queue;
  ready: Promise<void>;
}

/** Runs attempts as jobs on Redis (see the file comment). */
export class RemoteAttempts {
  private readonly queues = new Map<string, TypeQueue>();
  private readonly pending = new Map<string, Pending>();
  /** Jobs to add at the end of this turn of the event loop, of every queue (addBatched). */
  private batch: { queue: Queue; jobId: string; data: AttemptJobData; resolve(): void; reject(e: unknown): void }[] = [];
  private readonly client: Redis;
  /** The completed, failed and progress events of every queue, read on one connection. */
  private readonly events: JobEvents;
  private connectedOnce = false;
  private closed = false;
  /** Jobs of a previous coordinator's open attempts, by task id (see the file comment), once looked up. */
  private orphans: Promise<Map<string, { jobId: string; agentType: string }>> = Promise.resolve(new Map());

  constructor(private readonly opts: RemoteAttemptsOptions) {
    this.client = redisClient(opts.queue.url, `coditect-coordinator:${opts.owner}`);
    this.client.on('error', (e: Error) => this.warnOnce(`redis ${maskRedisUrl(opts.queue.url)}: ${errorMessage(e)}`));
    // After Redis comes back (restarted, network), a result may have been missed between two reads: look at each job.
    this.client.on('ready', () => {
      if (this.connectedOnce) {
        this.opts.log('info', `reconnected to redis ${maskRedisUrl(opts.queue.url)}`);
        this.lastWarning = undefined;
        void this.reconcile();
      }
      this.connectedOnce = true;
    });
    const reader = blockingClient(opts.queue.url, `coditect-coordinator-events:${opts.owner}`);
    reader.on('error', (e: Error) => this.warnOnce(`redis ${maskRedisUrl(opts.queue.url)}: ${errorMessage(e)}`));
    this.events = new JobEvents({
      reader,
      writer: this.client,
      prefix: opts.queue.prefix,
      onEvent: (e) => {
        if (e.event === 'completed') this.completed(e.jobId, e.returnvalue);
        else if (e.event === 'failed') this.failed(e.jobId, e.failedReason);
        else this.progress(e.jobId, e.data);
      },
      warn: (m) => this.warnOnce(m),
    });
  }

  /**
   * The attempt rows left open by a stopped coordinator (read before recovery closes them): their jobs still in Redis
   * are carried on with when their tasks start again.
   */
  adopt(open: readonly { attemptId: number; taskId: string; agentType: string }[]): void {
    if (open.length === 0) return;
    this.orphans = (async () => {
      const found = new Map<string, { jobId: string; agentType: string }>();
      for (const a of open) {
        const jobId = jobIdOf(a.attemptId);
        try {
          const job = await this.typeQueue(a.agentType).queue.getJob(jobId);
          if (job && (job.data as Partial<AttemptJobData>)?.taskId === a.taskId) found.set(a.taskId, { jobId, agentType: a.agentType });
        } catch (e) {
          this.opts.log('warn', `looking for job ${jobId} of ${a.taskId} left by a previous coordinator failed: ${errorMessage(e)}`);
        }
      }
      if (found.size > 0)
        this.opts.log(
          'info',
          `${found.size} job(s) left by a previous coordinator are carried on with when their tasks start again: ${[...found.keys()].join(', ')}`,
        );
      return found;
    })();
  }

  /**
   * Makes the agent type's queue and names it to the workers (the queue set and the new-queue channel, typeQueue)
   * before its first job: a worker without `--agents` then starts serving it while the coordinator still loads or
   * claims, not after the job is in Redis. A worker started later reads the queue set, as for any queue.
   */
  announce(agentType: string): void {
    if (this.closed) return;
    // Its first enqueue awaits the same promise and fails its attempt with the error: here it is only said.
    this.typeQueue(agentType).ready.catch((e: unknown) => this.warnOnce(`announcing the queue of ${agentType}: ${errorMessage(e)}`));
  }

  /** Attempts waiting for their job's result. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Runs one attempt on a worker; like executeAttempt it never throws once the attempt row is written. The wait goes
   * through the provider's breaker here, as a local agent's run does: provider failures reported by workers (a worker's
   * own open breaker included) open it, and while it is open no job of that provider is enqueued — without it, a
   * provider that is down would send each task back and forth between the queue and the workers as fast as they answer.
   */
  async run(deps: ExecutorDeps, job: AttemptJob): Promise<AttemptReport> {
    const { attemptId, startedAt } = recordAttemptStart(deps, job);
    const report: AttemptReport = { attemptId, startedAt, endedAt: startedAt, ok: false, probe: job.probe };
    const provider = job.agent.provider;
    if (job.committed) {
      const fault = await job.committed.then(
        () => undefined,
        (e: unknown) => e ?? new Error('rolled back'),
      );
      // The row and the claim were rolled back with their pass: nothing may be written or enqueued by this id again.
      if (fault !== undefined) {
        if (job.probe) deps.gates.endProbe(provider); // it never reached the provider: the next dispatch probes it
        return {
          ...report,
          attemptId: -1,
          endedAt: Math.max(startedAt, deps.now()),
          refused: true,
          failure: {
            kind: 'transient',
            message: deps.redact(`the dispatch pass that started it was not recorded (${errorMessage(fault)}); the task goes back to pending`),
          },
          errorKind: 'transient',
        };
      }
    }
    try {
      return await deps.gates.execute(provider, async () => {
        const r = await this.runJob(deps, job, report);
        const kind = r.ok || r.stopped ? undefined : r.refused ? 'transient' : r.failure?.kind;
        if (kind !== undefined) throw new ProviderFailure(r, kind);
        return r;
      });
    } catch (e) {
      if (e instanceof ProviderFailure) return e.report;
      const endedAt = Math.max(startedAt, deps.now());
      if (isBrokenCircuit(e))
        return {
          ...report,
          endedAt,
          refused: true,
          failure: { kind: 'transient', message: `circuit breaker of ${provider} is open; the task goes back to the queue` },
        };
      return { ...report, endedAt, failure: { kind: 'transient', message: deps.redact(`engine error: ${errorMessage(e)}`) }, errorKind: 'transient' };
    }
  }

  /** Enqueues the attempt (or carries on with a left job) and waits for its result. Never rejects. */
  private runJob(deps: ExecutorDeps, job: AttemptJob, report: AttemptReport): Promise<AttemptReport> {
    const attemptId = report.attemptId;
    const jobId = jobIdOf(attemptId);
    const queueName = queueNameOf(job.agentType);
    const signal = job.controller.signal;
    return new Promise<AttemptReport>((resolve) => {
      let abandon: NodeJS.Timeout | undefined;
      const onAbort = () => void this.stop(p.jobId, signal.reason, job.abandonAfterMs ?? job.killGraceMs + 5000, (t) => (abandon = t));
      const p: Pending = {
        jobId,
        deps,
        job,
        report,
        queueName,
        settle: (r) => {
          if (this.pending.get(p.jobId) !== p) return;
          this.pending.delete(p.jobId);
          signal.removeEventListener('abort', onAbort);
          if (abandon) clearTimeout(abandon);
          r.endedAt = Math.max(r.startedAt, deps.now());
          resolve(r);
        },
      };
      this.pending.set(jobId, p);
      if (signal.aborted) {
        p.settle(this.stopped(p, undefined));
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      const { input, verify } = job;
      const { cwd: _cwd, ...taskInput } = input;
      const data: AttemptJobData = {
        v: JOB_PROTOCOL,
        attemptId,
        taskId: job.taskId,
        attempt: job.attempt,
        agentType: job.agentType,
        owner: this.opts.owner,
        input: taskInput,
        ...(verify !== undefined ? { verify } : {}),
        timeoutMs: job.timeoutMs,
        killGraceMs: job.killGraceMs,
        abandonAfterMs: job.abandonAfterMs ?? job.killGraceMs + 5000,
      };
      const mode = this.opts.queue.results;
      void (async () => {
        if (mode !== 'none') p.results = data.results = await resultsRequest(mode, job.cwd, this.opts.queue.remote, job.taskId, attemptId);
        await this.enqueueOrAdopt(p, jobId, data);
      })().catch((e: unknown) =>
        p.settle({
          ...report,
          failure: {
            kind: 'transient',
            message: deps.redact(`could not enqueue ${job.taskId} on redis ${maskRedisUrl(this.opts.queue.url)}: ${errorMessage(e)}`),
          },
          errorKind: 'transient',
        }),
      );
    });
  }

  /** Settles every attempt still waiting as stopped, and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of [...this.pending.values()]) p.settle(this.stopped(p, undefined, 'shutdown'));
    await Promise.allSettled([this.events.close(), ...[...this.queues.values()].map((q) => q.queue.close())]);
    await Promise.allSettled([this.client.quit()]);
  }

  private typeQueue(agentType: string): TypeQueue {
    const name = queueNameOf(agentType);
    let q = this.queues.get(name);
    if (q) return q;
    const connection = bullConnection(this.opts.queue.url);
    const prefix = this.opts.queue.prefix;
    const queue = new Queue(name, { connection, prefix });
    queue.on('error', (e: Error) => this.warnOnce(`queue ${name}: ${errorMessage(e)}`));
    // From the start of its stream (jobEvents.ts): an event written between the enqueue and the first read is never
    // missed (old events name jobs nobody waits for and are skipped).
    this.events.watch(name, queue.keys.events);
    const ready = (async () => {
      await queue.waitUntilReady();
      const limit = this.opts.maxPerType()[agentType];
      // The queue keeps its global concurrency in Redis: a limit removed from the config is removed there too.
      if (limit !== undefined && limit > 0) await queue.setGlobalConcurrency(limit);
      else await queue.removeGlobalConcurrency();
      await this.client.sadd(queueSetKey(prefix), name);
      await this.client.publish(queueAddedChannel(prefix), name);
    })();
    q = { queue, ready };
    this.queues.set(name, q);
    return q;
  }

  /** Enqueues the attempt, or carries on with the job a previous coordinator left for its task. */
  private async enqueueOrAdopt(p: Pending, jobId: string, data: AttemptJobData): Promise<void> {
    const orphans = await this.orphans;
    const left = orphans.get(data.taskId);
    if (!left || left.agentType !== data.agentType) {
      await this.enqueue(data.agentType, jobId, data);
      return;
    }
    orphans.delete(data.taskId);
    // The pending attempt now waits for the old job (its events, its cancel, its result).
    if (this.pending.get(jobId) !== p) return;
    this.pending.delete(jobId);
    this.pending.set(left.jobId, p);
    p.jobId = left.jobId;
    p.enqueued = true;
    this.opts.log('info', `${data.taskId}: carrying on with job ${left.jobId} that a previous coordinator enqueued (not enqueued again)`);
    const look = await lookAt(this.typeQueue(data.agentType).queue, left.jobId);
    if (look.state === 'completed') this.completed(left.jobId, look.returnvalue);
    else if (look.state === 'failed') this.failed(left.jobId, look.failedReason ?? '');
    else if (look.state === 'missing') {
      p.settle({
        ...p.report,
        failure: { kind: 'transient', message: `job ${left.jobId} left by a previous coordinator is gone from redis; the task is retried` },
        errorKind: 'transient',
      });
    }
  }

  private async enqueue(agentType: string, jobId: string, data: AttemptJobData): Promise<void> {
    const q = this.typeQueue(agentType);
    await q.ready;
    await this.addBatched(q, jobId, data);
    const mine = this.pending.get(jobId);
    if (mine) mine.enqueued = true;
  }

  /**
   * Adds the job with the others enqueued in the same turn of the event loop (one dispatch pass starts many attempts at
   * once, of many agent types): one pipelined write to Redis per turn for all queues (addJobs.ts) instead of one `add`
   * each, or one `addBulk` per queue. The job id is still the attempt's, so adding one twice still makes one job.
   */
  private addBatched(q: TypeQueue, jobId: string, data: AttemptJobData): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.batch.length === 0) setImmediate(() => this.flush());
      this.batch.push({ queue: q.queue, jobId, data, resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.batch;
    this.batch = [];
    if (batch.length === 0) return;
    const keep = { age: 7 * 86_400 };
    addJobsInOnePipeline(
      batch.map((b) => ({ queue: b.queue, name: 'attempt', data: b.data, opts: { jobId: b.jobId, attempts: 1, removeOnComplete: keep, removeOnFail: keep } })),
    ).then(
      (errors) => batch.forEach((b, i) => (errors[i] === undefined ? b.resolve() : b.reject(errors[i]))),
      (e: unknown) => batch.forEach((b) => b.reject(e)),
    );
  }

  /** The coordinator stopped an attempt: a waiting job is taken out, a running one is told to stop. */
  private async stop(jobId: string, reason: unknown, abandonAfterMs: number, setTimer: (t: NodeJS.Timeout) => void): Promise<void> {
    const p = this.pending.get(jobId);
    if (!p) return;
    const why: StopWhy = reason instanceof StopReason ? reason.why : 'cancel';
    const message = reason instanceof Error ? reason.message : 'stopped';
    const timer = setTimeout(() => {
      const r = this.stopped(p, undefined);
      r.failure!.message += ` (its worker did not answer within ${formatSpan(abandonAfterMs)} of the stop; abandoned)`;
      p.settle(r);
    }, abandonAfterMs);
    timer.unref();
    setTimer(timer);
    try {
      const q = this.queues.get(p.queueName);
      const job = await q?.queue.getJob(jobId);
      const state = job ? await job.getState() : 'unknown';
      if (job && (state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children')) {
        await job.remove();
        p.settle(this.stopped(p, undefined));
        return;
      }
      const msg: CancelMessage = { jobId, why, message: message.slice(0, 500) };
      await this.client.publish(cancelChannel(this.opts.queue.prefix), JSON.stringify(msg));
    } catch (e) {
      // Removing races with a worker taking the job (then it is locked): tell the worker instead.
      const msg: CancelMessage = { jobId, why, message: message.slice(0, 500) };
      await this.client.publish(cancelChannel(this.opts.queue.prefix), JSON.stringify(msg)).catch(() => undefined);
      this.opts.log('info', `stopping job ${jobId}: ${errorMessage(e)}`);
    }
  }

  /** The report of an attempt the coordinator stopped (its own reason wins over whatever the worker says). */
  private stopped(p: Pending, result: JobResult | undefined, whyOverride?: StopWhy): AttemptReport {
    const signal = p.job.controller.signal;
    const why: StopWhy = whyOverride ?? (signal.reason instanceof StopReason ? signal.reason.why : 'cancel');
    const reason = signal.reason instanceof Error ? signal.reason.message : 'stopped';
    const r: AttemptReport = { ...p.report, stopped: why };
    const who = `${p.job.agentType} (${p.job.agent.provider})`;
    r.failure =
      why === 'timeout'
        ? { kind: 'timeout', message: p.deps.redact(`${who}: ${reason}; the worker was told to stop it`) }
        : why === 'budget'
          ? { kind: 'budget', message: p.deps.redact(`${reason}; the worker was told to stop it`) }
          : { kind: 'cancelled', message: p.deps.redact(`${who}: ${why === 'shutdown' && !signal.aborted ? 'the coordinator is shutting down' : reason}`) };
    r.errorKind = r.failure.kind;
    const spent = result?.result ?? result?.spent;
    if (spent) r.spent = validatedSpend({ ...spent });
    return r;
  }

  private completed(jobId: string, returnvalue: unknown): void {
    const p = this.pending.get(jobId);
    if (!p || p.taking) return;
    const parsed = parseJobResult(returnvalue);
    if ('problem' in parsed) {
      p.settle({ ...p.report, failure: { kind: 'fatal', message: p.deps.redact(parsed.problem) }, errorKind: 'fatal' });
      return;
    }
    const w = parsed.result;
    if (p.job.controller.signal.aborted) {
      p.settle(this.stopped(p, w));
      return;
    }
    const redact = p.deps.redact;
    const r: AttemptReport = { ...p.report, ok: w.ok };
    if (w.result) r.result = redactResult(w.result, redact);
    if (w.spent) r.spent = validatedSpend({ ...w.spent });
    if (w.failure) r.failure = { ...w.failure, message: redact(w.failure.message) };
    if (w.errorKind) r.errorKind = w.errorKind;
    if (w.verifyOutput !== undefined) r.verifyOutput = redact(w.verifyOutput);
    if (w.verifyExitCode !== undefined) r.verifyExitCode = w.verifyExitCode;
    if (w.leftovers) r.leftovers = w.leftovers.map(redact);
    if (w.refused) r.refused = true;
    // The worker's own timeout is the attempt's; any other stop of its own (it shut down, a person stopped the job on
    // that machine) is not the task's fault: the task goes back to pending without spending a retry.
    if (w.stopped === 'timeout') r.stopped = 'timeout';
    else if (w.stopped !== undefined) {
      r.stopped = 'shutdown';
      r.failure = { kind: 'cancelled', message: redact(`worker ${w.worker} stopped the attempt (${w.stopped})${w.failure ? `: ${w.failure.message}` : ''}`) };
      r.errorKind = 'cancelled';
    }
    if (!r.ok || r.stopped || !p.results) {
      p.settle(r);
      return;
    }
    // The attempt's file changes come back with it: applied to this tree (patch) or checked on the remote (branch).
    // Taken once: a second completed event or look at the job finds `taking` and leaves it.
    p.taking = true;
    const req = p.results;
    void takeChanges(req, w.changes, p.job.cwd, join(p.job.cwd, '.coditect'), p.job.taskId, p.report.attemptId, process.env).then(
      (line) => {
        if (w.changes?.files.length) r.filesChanged = w.changes.files.slice(0, 1000);
        if (r.result) r.result = { ...r.result, summary: `${r.result.summary}\n\n${redact(line)}`.trim() };
        p.settle(r);
      },
      (e: unknown) => {
        const message = redact(`the changes of worker ${w.worker} were not taken: ${errorMessage(e)}`);
        p.settle({ ...r, ok: false, failure: { kind: 'fatal', message }, errorKind: 'fatal' });
      },
    );
  }

  private failed(jobId: string, reason: string): void {
    const p = this.pending.get(jobId);
    if (!p || p.taking) return;
    if (p.job.controller.signal.aborted) {
      p.settle(this.stopped(p, undefined));
      return;
    }
    const text = String(reason ?? 'no reason given').slice(0, 2000);
    const message = isStalledFailure(text)
      ? `the job lost its worker more than queue.max_stalled (${this.opts.queue.maxStalled}) time(s) — each worker running it died or stopped renewing its lock, so it is not run again: ${text}`
      : `the worker could not run the job: ${text}`;
    // Not transient: the job already had its runs on workers; the orchestrator's retries would only repeat it.
    p.settle({ ...p.report, failure: { kind: 'fatal', message: p.deps.redact(message) }, errorKind: 'fatal' });
  }

  private progress(jobId: string, data: unknown): void {
    const p = this.pending.get(jobId);
    const on = p?.job.onOutput;
    if (!p || !on) return;
    const prog = parseJobProgress(data);
    if (!prog) return;
    for (const [stream, chunk] of prog.out) on(stream, p.deps.redact(chunk));
  }

  /** Looks at every job still waited for: a result missed while Redis was away is taken; a job Redis lost fails. */
  private async reconcile(): Promise<void> {
    for (const [jobId, p] of [...this.pending]) {
      try {
        const queue = this.queues.get(p.queueName)?.queue;
        if (!queue) continue;
        const look = await lookAt(queue, jobId);
        if (look.state === 'missing') {
          if (!p.enqueued || this.pending.get(jobId) !== p) continue;
          p.settle({
            ...p.report,
            failure: { kind: 'transient', message: `job ${jobId} is gone from redis (restarted without persistence?); the task is retried` },
            errorKind: 'transient',
          });
          continue;
        }
        if (look.state === 'completed') this.completed(jobId, look.returnvalue);
        else if (look.state === 'failed') this.failed(jobId, look.failedReason ?? '');
      } catch (e) {
        this.opts.log('warn', `looking at job ${jobId} after the reconnect failed: ${errorMessage(e)}`);
      }
    }
  }

  private lastWarning?: string;
  private warnOnce(message: string): void {
    if (message === this.lastWarning) return;
    this.lastWarning = message;
    this.opts.log('warn', message);
  }
}
