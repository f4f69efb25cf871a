import { strict as assert } from 'node:assert';
import { BackoffTimers } from '../../../src/engine/backoffTimers';
import { deferred } from '../../fakes/agentTestKit';

// Timers of 0 ms fire in the order they were armed, so a sentinel armed last tells, once it fires, that a cancelled
// or replaced timer armed before it would have fired by then: no waiting on the clock.
describe('BackoffTimers (retries waiting for their backoff)', () => {
  let timers: BackoffTimers | undefined;
  afterEach(() => {
    timers?.cancelAll();
    timers = undefined;
  });

  /** BackoffTimers recording what fired; `sentinel()` arms the id 'sentinel' at 0 ms and resolves once it fired. */
  function recording(onDue?: (id: string, t: BackoffTimers) => void) {
    const fired: string[] = [];
    let sentinel = deferred();
    const t = new BackoffTimers((id) => {
      fired.push(id);
      onDue?.(id, t);
      if (id === 'sentinel') sentinel.resolve();
    });
    timers = t;
    const armSentinel = (): Promise<void> => {
      sentinel = deferred();
      t.schedule('sentinel', 0);
      return sentinel.promise;
    };
    return { t, fired, sentinel: armSentinel };
  }

  it('fires each task once when its backoff is over, having forgotten it first (onDue may schedule it again)', async () => {
    const seen: boolean[] = [];
    const { t, fired, sentinel } = recording((id, tt) => {
      seen.push(tt.has(id));
      if (id === 'A' && fired.length === 1) tt.schedule('A', 0);
    });
    t.schedule('A', 0);
    t.schedule('B', 0);
    assert.equal(t.size, 2);
    assert.ok(t.has('A') && t.has('B'));
    await sentinel();
    await sentinel(); // the A scheduled again from onDue fires before the second sentinel
    assert.deepEqual(fired, ['A', 'B', 'sentinel', 'A', 'sentinel']);
    assert.deepEqual(seen, [false, false, false, false, false]);
    assert.equal(t.size, 0);
  });

  it('a cancelled backoff never fires, and cancel says whether one was waiting', async () => {
    const { t, fired, sentinel } = recording();
    t.schedule('A', 0);
    t.schedule('B', 60_000);
    assert.equal(t.cancel('A'), true);
    assert.equal(t.cancel('A'), false);
    assert.equal(t.cancel('never-scheduled'), false);
    assert.equal(t.has('A'), false);
    await sentinel();
    assert.deepEqual(fired, ['sentinel']);
    assert.deepEqual(t.cancelAll(), ['B']);
    assert.equal(t.size, 0);
  });

  it('scheduling a task again replaces its backoff: one firing, at the new time', async () => {
    const { t, fired, sentinel } = recording();
    t.schedule('A', 60_000);
    t.schedule('A', 0);
    assert.equal(t.size, 1);
    await sentinel();
    assert.deepEqual(fired, ['A', 'sentinel']);
    t.schedule('B', 0);
    t.schedule('B', 60_000);
    await sentinel();
    assert.deepEqual(fired, ['A', 'sentinel', 'sentinel'], 'the 0 ms backoff of B was replaced by the long one');
    assert.ok(t.has('B'));
  });

  it('cancelWhere stops only the backoffs it picks and returns their ids', async () => {
    const { t, fired, sentinel } = recording();
    for (const id of ['A', 'B', 'C']) t.schedule(id, 0);
    assert.deepEqual(
      t.cancelWhere((id) => id !== 'B'),
      ['A', 'C'],
    );
    assert.deepEqual(
      t.cancelWhere(() => false),
      [],
    );
    await sentinel();
    assert.deepEqual(fired, ['B', 'sentinel']);
  });

  it('refuses a negative or NaN delay, naming the task and the value', () => {
    const { t } = recording();
    assert.throws(() => t.schedule('T7', -1), /delayMs of T7 must be ≥ 0 ms, got -1/);
    assert.throws(() => t.schedule('T7', NaN), /got NaN/);
    assert.equal(t.size, 0);
  });
});
