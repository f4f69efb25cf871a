// The parts runtime.ts wires together: change coalescing (coalesce.ts), write-back scheduling (writeBack.ts) and its
// activity lines (activityLog.ts).
import * as assert from 'node:assert/strict';
import type { ActivityEntry } from '../../../src/protocol/views';
import { ActivityLog, SNAPSHOT_ACTIVITY } from '../../../src/engine/activityLog';
import { ChangeCoalescer } from '../../../src/engine/coalesce';
import { WriteBackScheduler } from '../../../src/engine/writeBack';

/** A promise and its resolver. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ChangeCoalescer: a burst of changes is one notification', () => {
  it('flushes the ids of one turn together, each once, in the order they first changed; the next turn is a new burst', async () => {
    const bursts: string[][] = [];
    let next = deferred();
    const c = new ChangeCoalescer((ids) => {
      bursts.push(ids);
      next.resolve();
    });
    for (const id of ['T2', 'T1', 'T2', 'T3', 'T1']) c.add(id);
    assert.deepEqual(bursts, [], 'nothing before the turn ends');
    await next.promise;
    next = deferred();
    c.add('T9');
    await next.promise;
    assert.deepEqual(bursts, [['T2', 'T1', 'T3'], ['T9']]);
  });
});

describe('WriteBackScheduler: one write per burst, never two at once', () => {
  it('writes once for many requests, once more for requests made while writing, and never overlaps', async () => {
    let writes = 0;
    let inside = 0;
    let maxInside = 0;
    const gates = [deferred(), deferred()];
    const started = [deferred(), deferred()];
    const s = new WriteBackScheduler(
      async () => {
        const n = writes++;
        inside++;
        maxInside = Math.max(maxInside, inside);
        started[n]?.resolve();
        await gates[n]?.promise;
        inside--;
      },
      (e) => assert.fail(`no error expected: ${String(e)}`),
      () => false,
      0,
    );
    s.request();
    s.request();
    s.request();
    await started[0].promise;
    // Requests during the first write: one more write, after it.
    s.request();
    s.request();
    gates[0].resolve();
    await started[1].promise;
    gates[1].resolve();
    await s.settled();
    assert.equal(writes, 2);
    assert.equal(maxInside, 1);
  });

  it('hands a failed write to onError and keeps taking requests; a closing owner gets no repeat', async () => {
    const errors: unknown[] = [];
    let closing = false;
    let writes = 0;
    const firstStarted = deferred();
    const release = deferred();
    const s = new WriteBackScheduler(
      async () => {
        writes++;
        if (writes === 1) {
          firstStarted.resolve();
          await release.promise;
          throw new Error('disk full');
        }
      },
      (e) => errors.push(e),
      () => closing,
      0,
    );
    s.request();
    await firstStarted.promise;
    s.request(); // would repeat…
    closing = true; // …but the owner is closing
    release.resolve();
    await s.settled();
    assert.equal(writes, 1);
    assert.deepEqual(
      errors.map((e) => (e as Error).message),
      ['disk full'],
    );
    closing = false;
    s.request();
    await s.settled();
    assert.equal(writes, 2, 'a later request writes again');
    assert.throws(
      () =>
        new WriteBackScheduler(
          async () => undefined,
          () => undefined,
          () => false,
          -1,
        ),
      /intervalMs must be a non-negative number, got -1/,
    );
  });
});

describe("ActivityLog: the runtime's own activity lines", () => {
  it('stamps each line with the injected clock, sends it at once, and shows the latest of both logs in time order', () => {
    let t = Date.parse('2031-01-01T00:00:00.000Z');
    const sent: ActivityEntry[][] = [];
    const log = new ActivityLog(
      () => t,
      (e) => sent.push(e),
    );
    log.note('sync', 'synced', undefined);
    t += 2000;
    log.note('info', 'gate approved', 'G1');
    assert.deepEqual(sent, [
      [{ at: '2031-01-01T00:00:00.000Z', kind: 'sync', message: 'synced' }],
      [{ at: '2031-01-01T00:00:02.000Z', kind: 'info', message: 'gate approved', taskId: 'G1' }],
    ]);
    const orchestrators: ActivityEntry = { at: '2031-01-01T00:00:01.000Z', kind: 'started', taskId: 'T1', message: 'started' };
    assert.deepEqual(
      log.latest([orchestrators]).map((e) => e.message),
      ['synced', 'started', 'gate approved'],
    );
    for (let i = 0; i < SNAPSHOT_ACTIVITY + 5; i++) {
      t += 1000;
      log.note('info', `n${i}`);
    }
    const latest = log.latest([orchestrators]);
    assert.equal(latest.length, SNAPSHOT_ACTIVITY);
    assert.equal(latest[latest.length - 1].message, `n${SNAPSHOT_ACTIVITY + 4}`);
    assert.ok(!latest.some((e) => e.message === 'started'), 'older lines fall off the end');
  });
});

describe("ActivityLog: a bounded log (the orchestrator's, with its own limit)", () => {
  it('keeps the latest `limit` lines and hands out the latest n of them, oldest first', () => {
    let t = 0;
    const log = new ActivityLog(
      () => t++,
      () => undefined,
      3,
    );
    for (const m of ['a', 'b', 'c', 'd']) log.note('info', m);
    assert.deepEqual(
      log.recent().map((e) => e.message),
      ['b', 'c', 'd'],
    );
    assert.deepEqual(
      log.recent(2).map((e) => e.message),
      ['c', 'd'],
    );
    assert.deepEqual(
      log.recent(0).map((e) => e.message),
      ['b', 'c', 'd'],
    );
    assert.throws(() => new ActivityLog(Date.now, () => undefined, 0), RangeError);
  });
});
