// latestOnly: asks during a run fold into one more run after it; no sleeps, each run's end is in the test's hands.
import * as assert from 'node:assert/strict';
import { latestOnly } from '../../../src/core/latestOnly';

/** A job whose runs end when the test says, recording each start. */
function steppedJob() {
  const ends: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let started = 0;
  const job = (): Promise<void> => {
    started++;
    return new Promise<void>((resolve, reject) => ends.push({ resolve, reject }));
  };
  return { job, ends, started: () => started };
}

const settled = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('latestOnly: one more run for any number of asks during one', () => {
  it('folds the asks made during a run into one run after it; all of them resolve after that one', async () => {
    const j = steppedJob();
    const refresh = latestOnly(j.job);
    const first = refresh();
    let done = 0;
    const asks = [refresh(), refresh(), refresh()].map((p) => p.then(() => done++));
    assert.equal(j.started(), 1, 'never two runs at once');
    j.ends[0].resolve();
    await settled();
    assert.equal(j.started(), 2, 'one more run for the three asks');
    assert.equal(done, 0, 'they wait for the run that reflects them');
    j.ends[1].resolve();
    await Promise.all([first, ...asks]);
    assert.equal(done, 3);
    assert.equal(j.started(), 2);
    const next = refresh();
    assert.equal(j.started(), 3, 'after the run, an ask starts a new one at once');
    j.ends[2].resolve();
    await next;
  });

  it('a run with no ask during it runs once', async () => {
    const j = steppedJob();
    const p = latestOnly(j.job)();
    j.ends[0].resolve();
    await p;
    assert.equal(j.started(), 1);
  });

  it('a job that throws ends the run and the asks folded into it; the next ask starts afresh', async () => {
    const j = steppedJob();
    const refresh = latestOnly(j.job);
    const first = refresh();
    const folded = refresh();
    j.ends[0].reject(new Error('daemon gone'));
    await assert.rejects(first, /daemon gone/);
    await assert.rejects(folded, /daemon gone/);
    assert.equal(j.started(), 1, 'the folded ask did not run after the failure');
    const again = refresh();
    assert.equal(j.started(), 2);
    j.ends[1].resolve();
    await again;
  });
});
