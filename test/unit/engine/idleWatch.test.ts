import { strict as assert } from 'node:assert';
import { IdleWatch, type IdleFacts } from '../../../src/engine/idleWatch';
import { ReadyLanes } from '../../../src/engine/dispatcher';
import type { OrchestrationState } from '../../../src/protocol/views';

// The facts are plain fields a test sets; the lanes are the real ReadyLanes the orchestrator uses.
describe('IdleWatch (idle and stall detection)', () => {
  function watch(budget?: Map<string, string>) {
    const f = {
      closed: false,
      control: 'running' as OrchestrationState,
      running: 0,
      stopping: false,
      settling: 0,
      resultsPending: 0,
      delayed: 0,
      waitingForDb: false,
      maxPerType: {} as Record<string, number>,
      open: 1 as number | undefined,
    };
    const lanes = new ReadyLanes((a, b) => a.localeCompare(b));
    const facts: IdleFacts = {
      closed: () => f.closed,
      control: () => f.control,
      running: () => f.running,
      stopping: () => f.stopping,
      settling: () => f.settling,
      resultsPending: () => f.resultsPending,
      delayed: () => f.delayed,
      waitingForDb: () => f.waitingForDb,
      lanes,
      maxPerType: () => f.maxPerType,
      taskHold: budget ? (id) => budget.get(id) : undefined,
      openCount: () => f.open,
    };
    const changes: boolean[] = [];
    const w = new IdleWatch(facts, (s) => changes.push(s));
    return { f, lanes, w, changes };
  }

  it('is busy while an attempt runs, settles, waits for its backoff or for the database', () => {
    const { f, w } = watch();
    assert.equal(w.isIdle(), true);
    for (const [k, v] of [
      ['running', 1],
      ['settling', 1],
      ['delayed', 1],
      ['waitingForDb', true],
      ['stopping', true],
    ] as const) {
      Object.assign(f, { [k]: v });
      assert.equal(w.isIdle(), false, k);
      Object.assign(f, { [k]: typeof v === 'number' ? 0 : false });
    }
  });

  it('once stopped, a settled attempt whose result only waits for the database does not keep it busy', () => {
    const { f, w } = watch();
    f.control = 'idle';
    f.settling = 1;
    f.resultsPending = 1;
    assert.equal(w.isIdle(), true);
    f.control = 'running';
    assert.equal(w.isIdle(), false, 'running, the same attempt keeps the run busy');
  });

  it('ready tasks keep a run busy unless their type is limited to 0 or a budget holds them', () => {
    const budget = new Map<string, string>();
    const { f, lanes, w } = watch(budget);
    lanes.add('T1', 'coder');
    lanes.add('T2', 'writer');
    assert.equal(w.isIdle(), false);
    f.maxPerType = { coder: 0 };
    assert.equal(w.isIdle(), false, 'T2 may still start');
    budget.set('T2', 'its budget is spent');
    assert.equal(w.isIdle(), true);
    f.control = 'paused';
    budget.clear();
    assert.equal(w.isIdle(), true, 'paused: nothing starts');
  });

  it('without budgets, a type limited to 0 holds its tasks back', () => {
    const { f, lanes, w } = watch();
    lanes.add('T1', 'coder');
    assert.equal(w.isIdle(), false);
    f.maxPerType = { coder: 0 };
    assert.equal(w.isIdle(), true);
  });

  it('announces entering and leaving stalled once each, and releases the idle waiters', async () => {
    const { f, w, changes } = watch();
    f.running = 1;
    let released = false;
    const waiting = w.wait().then(() => (released = true));
    w.check();
    assert.deepEqual(changes, []);
    f.running = 0;
    w.check();
    w.check();
    assert.deepEqual(changes, [true]);
    assert.equal(w.stalled, true);
    await waiting;
    assert.equal(released, true);
    f.open = 0;
    w.check();
    assert.deepEqual(changes, [true, false]);
  });

  it('is never stalled before a plan, when not running, or when closed; resync takes the flag unannounced', () => {
    const { f, w, changes } = watch();
    f.open = undefined;
    assert.equal(w.isStalled(), false);
    f.open = 3;
    assert.equal(w.isStalled(), true);
    f.control = 'paused';
    assert.equal(w.isStalled(), false);
    f.control = 'running';
    f.closed = true;
    assert.equal(w.isStalled(), false);
    f.closed = false;
    w.resync();
    assert.equal(w.stalled, true);
    assert.deepEqual(changes, []);
  });
});
