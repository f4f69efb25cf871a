import { strict as assert } from 'node:assert';
import { LeaseKeeper, type LeaseKeeperOptions } from '../../../src/engine/leaseKeeper';
import { deferred, type Deferred } from '../../fakes/agentTestKit';
import { taskList } from '../core/taskListBuilder';
import { MemoryStore } from './memoryStore';

const NOW = Date.parse('2026-03-01T10:00:00Z');

describe('LeaseKeeper (this engine’s task leases)', () => {
  let keeper: LeaseKeeper | undefined;
  afterEach(() => {
    keeper?.dispose();
    keeper = undefined;
  });

  /** A keeper on a MemoryStore of tasks A, B; `renewed()` resolves at the next renewal, with its lease ms. */
  function setup(over: Partial<LeaseKeeperOptions> = {}) {
    const store = MemoryStore.fromList(taskList([{ id: 'A' }, { id: 'B' }]));
    let next: Deferred<number> | undefined;
    const renewals: number[] = [];
    const real = store.renewLeases.bind(store);
    store.renewLeases = (owner, leaseMs, now) => {
      renewals.push(leaseMs);
      next?.resolve(leaseMs);
      return real(owner, leaseMs, now);
    };
    const errors: string[] = [];
    let clock = NOW;
    keeper = new LeaseKeeper({ store, owner: 'engine-1', lease: { ms: 5000, heartbeatMs: 1 }, now: () => clock, onError: (m) => errors.push(m), ...over });
    const renewed = (): Promise<number> => (next = deferred<number>()).promise;
    return { store, keeper, errors, renewals, renewed, tick: (ms: number) => (clock += ms) };
  }

  it("claims in this engine's name for lease.ms", () => {
    const { store, keeper } = setup();
    assert.deepEqual(keeper.claim('A', NOW), { attempt: 1, attempted: false });
    assert.equal(store.rows.get('A')!.leaseOwner, 'engine-1');
    assert.equal(store.rows.get('A')!.leaseExpiresAt, NOW + 5000);
    assert.equal(keeper.claim('A', NOW), undefined, 'a task in progress is not claimed twice');
  });

  it('renews while an attempt holds a lease, and stops once none does', async () => {
    const { store, keeper, renewed, tick } = setup();
    keeper.claim('A', NOW);
    keeper.claim('B', NOW);
    assert.equal(keeper.beating, false, 'a claim alone starts no timer');
    keeper.hold('A');
    keeper.hold('B');
    assert.equal(keeper.beating, true);
    tick(3000);
    assert.equal(await renewed(), 5000);
    assert.equal(store.rows.get('A')!.leaseExpiresAt, NOW + 3000 + 5000);
    keeper.release('A');
    assert.equal(keeper.beating, true, 'B still holds its lease');
    keeper.release('B');
    assert.equal(keeper.beating, false);
  });

  it('new settings: the next claims and renewals take the new lease, and the heartbeat goes on', async () => {
    const { store, keeper, renewed } = setup();
    keeper.claim('A', NOW);
    keeper.hold('A');
    await renewed();
    keeper.configure({ ms: 9000, heartbeatMs: 2 });
    assert.equal(keeper.beating, true);
    assert.equal(await renewed(), 9000);
    keeper.claim('B', NOW);
    assert.equal(store.rows.get('B')!.leaseExpiresAt, NOW + 9000);
  });

  it('a failing renewal is reported and the heartbeat goes on', async () => {
    let failures = 0;
    const { store, errors, renewed } = setup();
    const real = store.renewLeases.bind(store);
    store.renewLeases = (owner, leaseMs, now) => {
      if (failures++ === 0) throw new Error('database is locked');
      return real(owner, leaseMs, now);
    };
    keeper!.claim('A', NOW);
    keeper!.hold('A');
    await renewed();
    assert.deepEqual(errors, ['lease renewal failed: database is locked']);
  });

  it("recovers the tasks of an expired or another owner's lease, not its own live ones", () => {
    const { store, keeper } = setup();
    store.claim('A', 'dead-engine', 5000, NOW - 60_000);
    keeper.claim('B', NOW);
    assert.deepEqual(keeper.recover(NOW), ['A']);
    assert.equal(store.rows.get('A')!.status, 'pending');
    assert.equal(store.rows.get('B')!.status, 'in_progress');
  });

  it('refuses an empty owner or a lease that is not a positive number of ms, naming it', () => {
    assert.throws(() => setup({ owner: '' }), /owner must be a non-empty string, got ""/);
    assert.throws(() => setup({ lease: { ms: 0, heartbeatMs: 1 } }), /lease\.ms must be a positive number of ms, got 0/);
    const { keeper } = setup();
    assert.throws(() => keeper.configure({ ms: 5000, heartbeatMs: NaN }), /lease\.heartbeatMs .* got NaN/);
  });

  it('dispose stops the heartbeat and is idempotent', () => {
    const { keeper } = setup();
    keeper.hold('A');
    keeper.dispose();
    keeper.dispose();
    assert.equal(keeper.beating, false);
  });
});
