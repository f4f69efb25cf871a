// RunStats: this run's statistics with an injected clock (no waiting on time).
import * as assert from 'node:assert/strict';
import { emptyPlanCounts, type PlanCounts } from '../../../src/protocol/views';
import { RunStats, THROUGHPUT_ACTIVE_MS, THROUGHPUT_SAMPLES } from '../../../src/engine/runStats';

function countsOf(done: number, total: number): PlanCounts {
  return { ...emptyPlanCounts(), done, completed: done, total, pending: total - done };
}

describe('RunStats: the run as the views count it', () => {
  const opened: RunStats[] = [];
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
  });
  function stats(clock: { t: number }, counts: () => PlanCounts = () => countsOf(0, 0)): RunStats {
    const s = new RunStats({ now: () => clock.t, counts });
    opened.push(s);
    return s;
  }

  it('counts completed and failed attempts; released and cancelled ones count against nothing', () => {
    const clock = { t: 1_000_000 };
    const s = stats(clock);
    assert.equal(s.view().successRate, null, 'no rate before any attempt finished');
    s.attemptFinished('completed', 1000);
    s.attemptFinished('completed', 3000);
    s.attemptFinished('failed', 50);
    s.attemptFinished('timeout', 50);
    s.attemptFinished('released', 50);
    s.attemptFinished('cancelled', 50);
    clock.t += 90_000;
    const v = s.view();
    assert.equal(v.avgCompletionMs, 2000);
    assert.equal(v.successRate, 0.5);
    assert.equal(v.uptimeSeconds, 90);
  });

  it('tasks per hour counts the completions of the trailing hour, never a projection', () => {
    const clock = { t: 0 };
    const s = stats(clock);
    s.attemptFinished('completed', 1);
    clock.t = 30 * 60_000;
    s.attemptFinished('completed', 1);
    assert.equal(s.view().tasksPerHour, 2);
    clock.t = 60 * 60_000; // the first completion is exactly an hour old: out of the window
    assert.equal(s.view().tasksPerHour, 1);
    clock.t = 91 * 60_000;
    assert.equal(s.view().tasksPerHour, 0);
  });

  it('keeps the latest THROUGHPUT_SAMPLES samples, each with the counts and the clock of its moment', () => {
    const clock = { t: Date.UTC(2026, 0, 1) };
    let done = 0;
    const s = stats(clock, () => countsOf(done, 10));
    s.sample();
    assert.deepEqual(s.view().throughput, [{ at: '2026-01-01T00:00:00.000Z', completed: 0, remaining: 10 }]);
    for (let i = 0; i < THROUGHPUT_SAMPLES + 5; i++) {
      done = Math.min(10, i);
      clock.t += 1000;
      s.sample();
    }
    const t = s.view().throughput;
    assert.equal(t.length, THROUGHPUT_SAMPLES);
    assert.equal(t[t.length - 1].completed, 10);
    assert.equal(t[t.length - 1].remaining, 0);
  });

  it('samples again once the counts move (no sooner than THROUGHPUT_ACTIVE_MS after the last), not while they stand still', async () => {
    const clock = { t: 0 };
    let done = 0;
    let sampled: (() => void) | undefined;
    const s = stats(clock, () => {
      sampled?.();
      return countsOf(done, 4);
    });
    s.sample();
    s.countsMoved(countsOf(0, 4));
    // The same counts as the last sample: nothing is due. Moved counts with the interval already over: due at once.
    done = 1;
    clock.t += THROUGHPUT_ACTIVE_MS;
    const next = new Promise<void>((resolve) => (sampled = resolve));
    s.countsMoved(countsOf(1, 4));
    s.countsMoved(countsOf(1, 4)); // folds into the pending one
    await next;
    assert.deepEqual(
      s.view().throughput.map((p) => p.completed),
      [0, 1],
    );
  });

  it('close() stops sampling and may be called again', () => {
    const clock = { t: 0 };
    const s = stats(clock);
    s.start();
    s.close();
    s.close();
    s.sample();
    s.countsMoved(countsOf(3, 4));
    assert.equal(s.view().throughput.length, 1, 'only the sample start() took');
  });
});
