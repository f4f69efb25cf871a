// The contract of TaskStorePort (src/engine/ports.ts), run against every implementation: the SQLite TaskStore the
// engine uses and the MemoryStore the orchestrator tests use. The orchestrator tests prove what they prove only while
// the MemoryStore behaves as the real store does; this suite is where the two are held to one behaviour, through the
// port alone (no SQL). What only the SQLite store does (redaction, output caps, timestamps in rows) stays in
// test/unit/db/taskStore.test.ts.
import * as assert from 'node:assert/strict';
import type { TaskStatus } from '../../../src/core/model';
import type { TaskStorePort } from '../../../src/engine/ports';

const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A store holding these tasks, and how to let it go. */
export interface ContractStore {
  store: TaskStorePort;
  close(): void;
}

/** Runs the port's contract against stores made by `open` (each test gets a fresh one). */
export function describeStoreContract(name: string, open: (tasks: { id: string; status: TaskStatus }[]) => ContractStore): void {
  describe(`TaskStorePort contract: ${name}`, () => {
    let s: ContractStore;
    let store: TaskStorePort;
    beforeEach(() => {
      s = open([
        { id: 'T1', status: 'pending' },
        { id: 'T2', status: 'pending' },
        { id: 'T3', status: 'completed' },
      ]);
      store = s.store;
    });
    afterEach(() => s.close());

    it('runtimes() lists every task with its status and no retries yet', () => {
      const r = store.runtimes();
      assert.deepEqual([...r.keys()].sort(), ['T1', 'T2', 'T3']);
      assert.deepEqual([...r.values()].map((t) => [t.id, t.status, t.retryCount, t.leaseOwner]).sort(), [
        ['T1', 'pending', 0, undefined],
        ['T2', 'pending', 0, undefined],
        ['T3', 'completed', 0, undefined],
      ]);
      // A copy: changing it changes nothing in the store.
      r.get('T1')!.status = 'failed';
      assert.equal(store.runtimes().get('T1')!.status, 'pending');
    });

    it('claim takes only a pending task, once, with a lease; the attempt number follows the retry count', () => {
      assert.deepEqual(store.claim('T1', 'engine-a', 30_000, T0), { attempt: 1, attempted: false });
      const rt = store.runtimes().get('T1')!;
      assert.deepEqual([rt.status, rt.leaseOwner, rt.leaseExpiresAt, rt.startedAt], ['in_progress', 'engine-a', T0 + 30_000, new Date(T0).toISOString()]);
      assert.equal(store.claim('T1', 'engine-b', 30_000, T0), undefined, 'already claimed');
      assert.equal(store.claim('T3', 'engine-a', 30_000, T0), undefined, 'a completed task is not claimable');
      assert.equal(store.claim('nope', 'engine-a', 30_000, T0), undefined, 'unknown id');
      assert.ok(store.finish('T1', 'engine-a', { status: 'pending', retryCount: 2, now: T0 + 1 }));
      assert.deepEqual(store.claim('T1', 'engine-a', 30_000, T0 + 2), { attempt: 3, attempted: false }, 'no attempt row recorded yet');
      assert.throws(() => store.claim('T2', 'engine-a', 0, T0), /leaseMs must be .*positive/);
      assert.throws(() => store.claim('T2', '', 1000, T0), /owner must be a non-empty string/);
    });

    it('claim says whether the task has attempt rows from before it: a retry, or an attempt released unfinished with its number kept', () => {
      assert.equal(store.claim('T1', 'me', 1000, T0)?.attempted, false);
      store.recordAttemptStart({ taskId: 'T1', agent: 'dry-run', attempt: 1, startedAt: T0 });
      store.recoverLeases('other', T0 + 2000); // the engine that ran it died: released, the attempt number kept
      assert.deepEqual(store.claim('T1', 'other', 1000, T0 + 2001), { attempt: 1, attempted: true });
      assert.ok(store.finish('T1', 'other', { status: 'pending', retryCount: 1, now: T0 + 2002 }));
      assert.deepEqual(store.claim('T1', 'other', 1000, T0 + 2003), { attempt: 2, attempted: true });
      assert.equal(store.claim('T2', 'other', 1000, T0)?.attempted, false, 'only its own attempts count');
    });

    it('finish changes a task only while its owner holds it in_progress: nothing is finished twice', () => {
      store.claim('T1', 'engine-a', 30_000, T0);
      assert.equal(store.finish('T1', 'engine-b', { status: 'completed', now: T0 + 5 }), false, 'not the owner');
      assert.equal(store.runtimes().get('T1')!.status, 'in_progress');
      assert.equal(store.finish('T1', 'engine-a', { status: 'completed', resultSummary: 'did it', now: T0 + 5 }), true);
      assert.equal(store.finish('T1', 'engine-a', { status: 'completed', resultSummary: 'again', now: T0 + 6 }), false, 'second finish refused');
      const rt = store.runtimes().get('T1')!;
      assert.deepEqual([rt.status, rt.leaseOwner, rt.leaseExpiresAt, rt.resultSummary], ['completed', undefined, undefined, 'did it']);
      assert.equal(store.finish('T2', 'engine-a', { status: 'completed', now: T0 }), false, 'never claimed');
      assert.throws(() => store.finish('T1', 'engine-a', { status: 'in_progress' as never, now: T0 }), /finish: .*in_progress/);
    });

    it('renewLeases extends only the leases of that owner', () => {
      store.claim('T1', 'engine-a', 1000, T0);
      store.claim('T2', 'engine-b', 1000, T0);
      assert.equal(store.renewLeases('engine-a', 5000, T0 + 500), 1);
      const r = store.runtimes();
      assert.equal(r.get('T1')!.leaseExpiresAt, T0 + 5500);
      assert.equal(r.get('T2')!.leaseExpiresAt, T0 + 1000);
    });

    it('recoverLeases puts expired and foreign leases back to pending, retries kept, open attempts released', () => {
      store.claim('T1', 'dead-engine', 1000, T0);
      store.recordAttemptStart({ taskId: 'T1', agent: 'dry-run', attempt: 1, startedAt: T0 });
      assert.ok(store.finish('T1', 'dead-engine', { status: 'pending', retryCount: 2, now: T0 }));
      store.claim('T1', 'dead-engine', 1000, T0);
      const open = store.recordAttemptStart({ taskId: 'T1', agent: 'dry-run', attempt: 3, startedAt: T0 });
      store.claim('T2', 'me', 1000, T0);
      assert.deepEqual(store.recoverLeases('me', T0 + 500), ['T1'], 'only the foreign lease while ours is valid');
      const r = store.runtimes();
      assert.deepEqual([r.get('T1')!.status, r.get('T1')!.retryCount, r.get('T1')!.leaseOwner], ['pending', 2, undefined]);
      assert.equal(r.get('T2')!.status, 'in_progress');
      const [latest] = store.attempts('T1');
      assert.deepEqual([latest.attempt, latest.outcome, latest.durationMs], [3, 'released', 500]);
      assert.ok(open > 0);
      assert.deepEqual(store.recoverLeases('me', T0 + 1001), ['T2'], 'our own lease, once expired');
      assert.deepEqual(store.recoverLeases('me', T0 + 2000), [], 'nothing left');
      assert.equal(store.finish('T1', 'dead-engine', { status: 'completed', now: T0 + 3000 }), false, 'the dead owner cannot finish a recovered task');
    });

    it('settle ends the task and its attempt together; a lost lease ends the attempt released, with the error', () => {
      store.claim('T1', 'me', 1000, T0);
      const a1 = store.recordAttemptStart({ taskId: 'T1', agent: 'dry-run', attempt: 1, startedAt: T0 });
      assert.equal(
        store.settle({
          taskId: 'T1',
          owner: 'me',
          finish: { status: 'completed', now: T0 + 10 },
          attemptId: a1,
          end: { outcome: 'completed', endedAt: T0 + 10 },
        }),
        true,
      );
      assert.equal(store.runtimes().get('T1')!.status, 'completed');
      assert.deepEqual(
        store.attempts('T1').map((a) => [a.outcome, a.durationMs]),
        [['completed', 10]],
      );
      store.claim('T2', 'me', 1000, T0);
      const a2 = store.recordAttemptStart({ taskId: 'T2', agent: 'dry-run', attempt: 1, startedAt: T0 });
      store.recoverLeases('other', T0 + 1);
      const held = store.settle({
        taskId: 'T2',
        owner: 'me',
        finish: { status: 'completed', now: T0 + 20 },
        attemptId: a2,
        end: { outcome: 'completed', endedAt: T0 + 20 },
        lostError: 'lease lost',
      });
      assert.equal(held, false);
      assert.equal(store.runtimes().get('T2')!.status, 'pending', 'a lost lease changes no status');
      const [a] = store.attempts('T2');
      assert.deepEqual([a.outcome, a.error], ['released', 'lease lost']);
    });

    it('setStatus is a person’s or a command’s change: never of a claimed task, never to in_progress; retries reset on request', () => {
      assert.equal(store.setStatus('T1', 'skipped', { now: T0 }), true);
      assert.equal(store.setStatus('T1', 'skipped', { now: T0 }), false, 'no change');
      assert.equal(store.setStatus('T1', 'pending', { now: T0 }), true);
      store.claim('T1', 'me', 1000, T0);
      assert.ok(store.finish('T1', 'me', { status: 'failed', retryCount: 3, now: T0 }));
      assert.equal(store.setStatus('T1', 'failed', { resetRetries: true, now: T0 }), true, 'resetting retries is a change');
      assert.equal(store.runtimes().get('T1')!.retryCount, 0);
      store.claim('T2', 'me', 1000, T0);
      assert.equal(store.setStatus('T2', 'completed', { now: T0 }), false, 'a claimed task is finished by its owner');
      assert.equal(store.setStatus('nope', 'completed', { now: T0 }), false, 'unknown id');
      assert.throws(() => store.setStatus('T1', 'in_progress'), /only reached through claim/);
    });

    it('attempts: newest first, within the limit, with their outcome, agent and whether simulated', () => {
      for (let n = 1; n <= 3; n++) {
        store.claim('T1', 'me', 1000, T0);
        const id = store.recordAttemptStart({ taskId: 'T1', agent: n === 3 ? 'dry-run' : 'claude-code', attempt: n, startedAt: T0 + n, simulated: n === 3 });
        store.recordAttemptEnd(id, { outcome: n === 3 ? 'completed' : 'failed', endedAt: T0 + n + 5, error: n === 3 ? undefined : `boom ${n}` });
        store.finish('T1', 'me', { status: n === 3 ? 'completed' : 'pending', retryCount: n, now: T0 + n + 5 });
      }
      const all = store.attempts('T1');
      assert.deepEqual(
        all.map((a) => [a.attempt, a.agent, a.outcome, a.durationMs, a.error, a.simulated]),
        [
          [3, 'dry-run', 'completed', 5, undefined, true],
          [2, 'claude-code', 'failed', 5, 'boom 2', undefined],
          [1, 'claude-code', 'failed', 5, 'boom 1', undefined],
        ],
      );
      assert.deepEqual(
        store.attempts('T1', 1).map((a) => a.attempt),
        [3],
      );
      assert.deepEqual(store.attempts('T2'), []);
      assert.throws(() => store.recordAttemptStart({ taskId: 'T1', agent: 'x', attempt: 0, startedAt: T0 }), /recordAttemptStart: .*attempt/);
      assert.throws(() => store.recordAttemptEnd(9999, { outcome: 'completed', endedAt: T0 }), /no attempt with id 9999/);
    });

    it('state: JSON values by key; undefined deletes', () => {
      assert.equal(store.getState('x'), undefined);
      store.setState('breakers', { anthropic: 'open', n: [1, 2] });
      store.setState('breakers', { anthropic: 'closed' });
      assert.deepEqual(store.getState('breakers'), { anthropic: 'closed' });
      store.setState('breakers', undefined);
      assert.equal(store.getState('breakers'), undefined);
    });

    it('snapshots: recorded in order; pruning removes only the older ones of that kind', () => {
      const snap = (kind: 'heartbeat' | 'checkpoint', at: number) => ({
        kind,
        at,
        activeAgents: 0,
        pendingTasks: 2,
        completedTasks: 1,
        failedTasks: 0,
        tasksPerHour: 0,
        uptimeSeconds: 1,
      });
      const ids = [store.recordSnapshot(snap('heartbeat', T0)), store.recordSnapshot(snap('heartbeat', T0 + 10)), store.recordSnapshot(snap('checkpoint', T0))];
      assert.ok(ids[0] < ids[1] && ids[1] < ids[2], 'ids grow');
      assert.equal(store.pruneSnapshots('heartbeat', T0 + 5), 1);
      assert.equal(store.pruneSnapshots('heartbeat', T0 + 5), 0, 'already pruned');
      assert.equal(store.pruneSnapshots('checkpoint', T0), 0, 'not older than `before`');
    });
  });
}
