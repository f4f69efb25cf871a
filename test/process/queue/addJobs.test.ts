// addJobsInOnePipeline (src/engine/queue/addJobs.ts) against a real redis-server: jobs of several queues added in one
// pipeline must be the jobs Queue.addBulk makes (the coordinator's job ids and options are a contract with the
// workers and with recovery), an id added twice stays one job, and one job Redis refuses fails alone.
import { strict as assert } from 'node:assert';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { addJobsInOnePipeline } from '../../../src/engine/queue/addJobs';
import { RedisServer } from './redisKit';

describe('addJobsInOnePipeline (real redis-server)', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let queues: Queue[] = [];
  const prefix = 'addjobs';
  const opts = (jobId: string) => ({ jobId, attempts: 1, removeOnComplete: { age: 60 }, removeOnFail: { age: 60 } });
  const queue = (name: string): Queue => {
    const q = new Queue(name, { connection: { url: redis.url }, prefix });
    queues.push(q);
    return q;
  };

  before(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    await Promise.all(queues.map((q) => q.obliterate({ force: true }).finally(() => q.close())));
    queues = [];
  });
  after(async () => redis?.remove());

  it('adds the jobs of two queues in one call, each as Queue.addBulk adds it', async () => {
    const a = queue('agent-a');
    const b = queue('agent-b');
    const errors = await addJobsInOnePipeline([
      { queue: a, name: 'attempt', data: { n: 1 }, opts: opts('job-1') },
      { queue: b, name: 'attempt', data: { n: 2 }, opts: opts('job-2') },
      { queue: a, name: 'attempt', data: { n: 3 }, opts: opts('job-3') },
    ]);
    assert.deepEqual(errors, [undefined, undefined, undefined]);
    assert.deepEqual((await a.getWaiting()).map((j) => j.id).sort(), ['job-1', 'job-3']);
    assert.deepEqual(
      (await b.getWaiting()).map((j) => j.id),
      ['job-2'],
    );
    // The same job through addBulk, in a third queue: name, data and options stored alike.
    const c = queue('agent-c');
    await c.addBulk([{ name: 'attempt', data: { n: 2 }, opts: opts('job-2') }]);
    const mine = (await b.getJob('job-2'))!;
    const theirs = (await c.getJob('job-2'))!;
    assert.equal(mine.name, theirs.name);
    assert.deepEqual(mine.data, theirs.data);
    assert.deepEqual(mine.opts, theirs.opts);
  });

  it('an id added again (in the same call or a later one) stays one job with its first data', async () => {
    const a = queue('agent-a');
    assert.deepEqual(
      await addJobsInOnePipeline([
        { queue: a, name: 'attempt', data: { n: 1 }, opts: opts('job-1') },
        { queue: a, name: 'attempt', data: { n: 2 }, opts: opts('job-1') },
      ]),
      [undefined, undefined],
    );
    assert.deepEqual(await addJobsInOnePipeline([{ queue: a, name: 'attempt', data: { n: 3 }, opts: opts('job-1') }]), [undefined]);
    const waiting = await a.getWaiting();
    assert.deepEqual(
      waiting.map((j) => [j.id, j.data]),
      [['job-1', { n: 1 }]],
    );
  });

  it("a job Redis refuses fails alone: the other queue's job is added", async () => {
    const a = queue('agent-a');
    const b = queue('agent-b');
    await a.waitUntilReady();
    // Queue b's id counter holds a string: a job without an id of its own gets one from it, and that INCR fails there.
    const raw = new Redis(redis.url);
    try {
      await raw.set(`${prefix}:agent-b:id`, 'not a number');
    } finally {
      raw.disconnect();
    }
    const errors = await addJobsInOnePipeline([
      { queue: b, name: 'attempt', data: {}, opts: opts('') },
      { queue: a, name: 'attempt', data: {}, opts: opts('job-2') },
    ]);
    assert.ok(errors[0] instanceof Error, `the refused job reports its error, got ${String(errors[0])}`);
    assert.equal(errors[1], undefined);
    assert.deepEqual(
      (await a.getWaiting()).map((j) => j.id),
      ['job-2'],
    );
    assert.equal((await b.getWaiting()).length, 0);
  });
});
