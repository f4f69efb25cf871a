// JobEvents (src/engine/queue/jobEvents.ts), the coordinator's one reader of all its queues' job events, against a real
// redis-server and real BullMQ workers. The reads block for a minute here, far longer than each test's timeout: a test
// passes only if the reader was woken (a queue watched mid-read), read again at once after Redis came back, or stopped
// at once — never because a BLOCK ran out.
import { strict as assert } from 'node:assert';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { JobEvents, type JobEvent } from '../../../src/engine/queue/jobEvents';
import { blockingClient, redisClient } from '../../../src/engine/queue/redisConnection';
import { RedisServer } from './redisKit';

const BLOCK_MS = 60_000;

describe('JobEvents: one reader of every queue’s job events (real redis-server, BullMQ workers)', function () {
  this.timeout(10_000);
  const prefix = 'jobevents';
  let redis: RedisServer;
  let queues: Queue[] = [];
  let workers: Worker[] = [];
  let events: JobEvents | undefined;
  let writer: Redis | undefined;
  let seen: JobEvent[] = [];
  let waiters: { until(e: JobEvent[]): boolean; resolve(): void }[] = [];

  /** Resolves once the events seen so far satisfy `until`. */
  const seenUntil = (until: (e: JobEvent[]) => boolean): Promise<void> =>
    new Promise((resolve) => {
      if (until(seen)) resolve();
      else waiters.push({ until, resolve });
    });
  const start = (): JobEvents => {
    writer = redisClient(redis.url, 'test-writer');
    events = new JobEvents({
      reader: blockingClient(redis.url, 'test-reader'),
      writer,
      prefix,
      blockMs: BLOCK_MS,
      onEvent: (e) => {
        seen.push(e);
        waiters = waiters.filter((w) => (w.until(seen) ? (w.resolve(), false) : true));
      },
      warn: () => undefined,
    });
    return events;
  };
  /** A queue with a worker that answers each job as its data says: a value, a failure, or progress then a value. */
  const served = (name: string): Queue => {
    const q = new Queue(name, { connection: { url: redis.url }, prefix });
    queues.push(q);
    workers.push(
      new Worker(
        name,
        async (job) => {
          const d = job.data as { fail?: string; progress?: unknown; value?: unknown };
          if (d.fail !== undefined) throw new Error(d.fail);
          if (d.progress !== undefined) await job.updateProgress(d.progress as object);
          return d.value;
        },
        { connection: { url: redis.url }, prefix },
      ),
    );
    return q;
  };
  const completedIds = (e: JobEvent[]): string[] =>
    e
      .filter((x) => x.event === 'completed')
      .map((x) => x.jobId)
      .sort();

  before(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    await events?.close();
    events = undefined;
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all(queues.map((q) => q.obliterate({ force: true }).finally(() => q.close())));
    writer?.disconnect();
    queues = [];
    workers = [];
    seen = [];
    waiters = [];
  });
  after(async () => redis?.remove());

  it('reads completed, failed and progress events of two queues, each naming its queue and job', async () => {
    const a = served('agent-a');
    const b = served('agent-b');
    const ev = start();
    ev.watch('agent-a', a.keys.events);
    ev.watch('agent-b', b.keys.events);
    await a.add('attempt', { value: { ok: true, n: 1 } }, { jobId: 'a-1' });
    await b.add('attempt', { fail: 'no such tool' }, { jobId: 'b-1' });
    await b.add('attempt', { progress: { out: ['half'] }, value: 'done' }, { jobId: 'b-2' });
    await seenUntil((e) => e.filter((x) => x.event !== 'progress').length === 3 && e.some((x) => x.event === 'progress'));
    const byJob = (id: string, event: string) => seen.find((x) => x.jobId === id && x.event === event);
    assert.deepEqual(byJob('a-1', 'completed'), { event: 'completed', queueName: 'agent-a', jobId: 'a-1', returnvalue: { ok: true, n: 1 } });
    assert.deepEqual(byJob('b-1', 'failed'), { event: 'failed', queueName: 'agent-b', jobId: 'b-1', failedReason: 'no such tool' });
    assert.deepEqual(byJob('b-2', 'progress'), { event: 'progress', queueName: 'agent-b', jobId: 'b-2', data: { out: ['half'] } });
    assert.deepEqual(byJob('b-2', 'completed')?.queueName, 'agent-b');
    // Only the three events the coordinator acts on: added, waiting, active… are skipped.
    assert.deepEqual([...new Set(seen.map((x) => x.event))].sort(), ['completed', 'failed', 'progress']);
  });

  it('a queue watched while a read blocks is read at once (the read is woken), from the start of its stream', async () => {
    const ev = start();
    // A stream nothing else writes to: once its one event is read, the reader blocks on it and only a wake-up ends that.
    const quiet = `${prefix}:agent-quiet:events`;
    ev.watch('agent-quiet', quiet);
    await writer!.xadd(quiet, '*', 'event', 'completed', 'jobId', 'q-1', 'returnvalue', '1');
    await seenUntil((e) => completedIds(e).includes('q-1'));
    const b = served('agent-b');
    const done = new Promise<void>((resolve) => workers[0].once('completed', () => resolve()));
    await b.add('attempt', { value: 2 }, { jobId: 'b-1' }); // finished before its queue is watched: still read
    await done;
    ev.watch('agent-b', b.keys.events);
    await seenUntil((e) => completedIds(e).includes('b-1'));
    await writer!.del(quiet);
  });

  it('Redis restarted: the read dropped with the connection is made again once Redis is back, nothing missed', async () => {
    const a = served('agent-a');
    const ev = start();
    ev.watch('agent-a', a.keys.events);
    await a.add('attempt', { value: 1 }, { jobId: 'a-1' });
    await seenUntil((e) => completedIds(e).includes('a-1'));
    await redis.restart();
    await a.add('attempt', { value: 2 }, { jobId: 'a-2' });
    await seenUntil((e) => completedIds(e).includes('a-2'));
    assert.deepEqual(completedIds(seen), ['a-1', 'a-2'], 'each event read once');
  });

  it('close() stops a blocked read at once and removes its wake stream', async () => {
    const a = served('agent-a');
    const ev = start();
    ev.watch('agent-a', a.keys.events);
    ev.watch('agent-b', `${prefix}:agent-b:events`); // a second watch writes the wake stream
    await a.add('attempt', { value: 1 }, { jobId: 'a-1' });
    await seenUntil((e) => completedIds(e).includes('a-1'));
    await ev.close();
    events = undefined;
    assert.deepEqual(await writer!.keys(`${prefix}:coditect:wake:*`), []);
  });
});
