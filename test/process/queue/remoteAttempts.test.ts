// The coordinator's side of the queue (src/engine/queue/remoteAttempts.ts) against a real redis-server and a worker
// that answers whatever the test says — a hostile or broken one. What a worker returns crosses a trust boundary: it
// can end only its own attempt, only through known fields, redacted; a provider that fails on every worker opens the
// coordinator's breaker so jobs stop going out; a waiting job a person cancels leaves Redis.
import { strict as assert } from 'node:assert';
import { Queue, QueueEvents, Worker } from 'bullmq';
import type { Agent } from '../../../src/engine/agents/agent';
import { StopReason, type AttemptJob, type ExecutorDeps } from '../../../src/engine/executor';
import { JOB_PROTOCOL, type AttemptJobData } from '../../../src/engine/queue/jobProtocol';
import { RemoteAttempts } from '../../../src/engine/queue/remoteAttempts';
import { ProviderGates } from '../../../src/engine/resilience';
import { RedisServer } from './redisKit';

const agent: Agent = { name: 'a', provider: 'prov', run: () => Promise.reject(new Error('runs on a worker, never here')) };

describe('RemoteAttempts (coordinator side, real redis-server, a worker that answers anything)', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let remote: RemoteAttempts;
  let worker: Worker | undefined;
  let gates: ProviderGates;
  let nextId = 1;
  const answers = new Map<string, unknown>();
  const prefix = 'hostile';

  before(async () => {
    redis = await RedisServer.start();
  });
  beforeEach(() => {
    gates = new ProviderGates({ failureThreshold: 3, cooldownMs: 600_000 });
    remote = new RemoteAttempts({
      queue: { kind: 'redis', url: redis.url, prefix, lockMs: 5000, stalledIntervalMs: 1000, maxStalled: 1, results: 'none' },
      owner: 'coordinator-test',
      maxPerType: () => ({}),
      log: () => undefined,
    });
  });
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    await remote.close();
    gates.dispose?.();
  });
  after(async () => redis?.remove());

  const deps = (): ExecutorDeps => ({
    store: { recordAttemptStart: () => nextId++ },
    gates,
    now: Date.now,
    redact: (t) => t.replaceAll('sekret', '[redacted]'),
  });
  const attempt = (taskId: string, agentType = 'x'): AttemptJob => ({
    taskId,
    attempt: 1,
    agentType,
    agent,
    routeRule: 'keyword',
    input: {
      id: taskId,
      title: 't',
      agentType,
      epic: { id: 'E1', title: 'E' },
      feature: { id: 'F1', title: 'F' },
      dependencies: [],
      cwd: '/nowhere',
      attempt: 1,
    },
    cwd: '/nowhere',
    env: { ANTHROPIC_API_KEY: 'sk-never-sent' },
    timeoutMs: 60_000,
    killGraceMs: 100,
    abandonAfterMs: 2000,
    controller: new AbortController(),
  });
  const answering = (agentType = 'x'): void => {
    worker = new Worker(
      `agent-${agentType}`,
      async (job) => {
        const d = job.data as AttemptJobData;
        assert.equal(JSON.stringify(d).includes('sk-never-sent'), false, 'no secret in job data');
        assert.equal('cwd' in d.input, false, "the coordinator's folder is not the worker's");
        return answers.get(d.taskId);
      },
      { connection: { url: redis.url, maxRetriesPerRequest: null }, prefix },
    );
  };
  const ok = (extra: object = {}) => ({ v: JOB_PROTOCOL, ok: true, result: { summary: 'done' }, durationMs: 1, worker: 'w:1', ...extra });

  it('records a valid result, redacted with the coordinator secrets', async () => {
    answering();
    answers.set('T1', ok({ result: { summary: 'used sekret', stdout: 'sekret out', tokensIn: 12, costUsd: 0.5 } }));
    const r = await remote.run(deps(), attempt('T1'));
    assert.equal(r.ok, true);
    assert.equal(r.result?.summary, 'used [redacted]');
    assert.equal(r.result?.stdout, '[redacted] out');
    assert.equal(r.result?.tokensIn, 12);
  });

  it('refuses a malformed or overreaching result: the attempt fails (fatal) naming why, nothing of it recorded', async () => {
    answering();
    answers.set('T2', ok({ status: 'completed', nextTask: 'T9' }));
    answers.set('T3', { ...ok(), ok: false, stopped: 'marked', failure: { kind: 'cancelled', message: 'a person marked it' } });
    answers.set('T4', ok({ result: { summary: 'x', tokensIn: -5 } }));
    for (const id of ['T2', 'T3', 'T4']) {
      const r = await remote.run(deps(), attempt(id));
      assert.equal(r.ok, false, id);
      assert.equal(r.failure?.kind, 'fatal', id);
      assert.match(r.failure!.message, /the worker returned a malformed result/, id);
      assert.equal(r.result, undefined, id);
      assert.equal(r.stopped, undefined, `${id}: a worker cannot say a person stopped the task`);
    }
  });

  it("a provider failing on the workers opens the coordinator's breaker: then no job goes out", async () => {
    answering();
    for (const id of ['R1', 'R2', 'R3'])
      answers.set(id, {
        v: JOB_PROTOCOL,
        ok: false,
        refused: true,
        failure: { kind: 'transient', message: 'worker breaker open' },
        durationMs: 0,
        worker: 'w:1',
      });
    for (const id of ['R1', 'R2', 'R3']) assert.equal((await remote.run(deps(), attempt(id))).refused, true);
    assert.equal(gates.states().prov, 'open');
    const q = new Queue('agent-x', { connection: { url: redis.url }, prefix });
    try {
      const before = (await q.getJobs(['completed', 'wait', 'active'])).length;
      const r = await remote.run(deps(), attempt('R4'));
      assert.equal(r.refused, true);
      assert.match(r.failure!.message, /circuit breaker of prov is open/);
      assert.equal((await q.getJobs(['completed', 'wait', 'active'])).length, before, 'not enqueued');
    } finally {
      await q.close();
    }
  });

  it('a cancelled attempt whose job still waits for a worker is taken out of Redis at once', async () => {
    const job = attempt('C1', 'nobody-serves-this');
    const q = new Queue('agent-nobody-serves-this', { connection: { url: redis.url }, prefix });
    const events = new QueueEvents('agent-nobody-serves-this', { connection: { url: redis.url }, prefix, lastEventId: '0-0' });
    try {
      const waiting = new Promise<void>((resolve) => events.on('waiting', () => resolve()));
      await events.waitUntilReady();
      const pending = remote.run(deps(), job);
      await waiting; // enqueued: the queue's own event, not a sleep
      job.controller.abort(new StopReason('cancel', 'cancelled by a person'));
      const r = await pending;
      assert.equal(r.stopped, 'cancel');
      assert.equal(r.failure?.kind, 'cancelled');
      assert.equal(await q.getWaitingCount(), 0, 'the job left its queue');
    } finally {
      await events.close();
      await q.close();
    }
  });
});
