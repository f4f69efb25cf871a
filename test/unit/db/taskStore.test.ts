import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { openDatabase, type DatabaseHandle } from '../../../src/engine/db/database';
import { capText, MAX_OUTPUT_CHARS, TaskStore } from '../../../src/engine/db/taskStore';
import { makeTempDir, removeDir, seedTasks } from './dbTestKit';

const T0 = Date.parse('2026-01-01T00:00:00Z');

// The port's contract (claim, leases, recovery, settle, attempts…) is held in test/unit/engine/storeContract.ts for this
// store and the MemoryStore alike; here is what only the SQLite store does (rows, timestamps, redaction, reopening).
describe('TaskStore: the store port on a real SQLite file', () => {
  let dir: string;
  let h: DatabaseHandle;
  let store: TaskStore;
  beforeEach(() => {
    dir = makeTempDir();
    h = openDatabase(path.join(dir, 'context.db'));
    seedTasks(h, [{ id: 'T1' }, { id: 'T2' }, { id: 'T3', status: 'completed' }]);
    store = new TaskStore(h);
  });
  afterEach(() => {
    h.close();
    removeDir(dir);
  });

  it('runtimes() lists live tasks with their run-time state', () => {
    const r = store.runtimes();
    assert.deepEqual([...r.keys()].sort(), ['T1', 'T2', 'T3']);
    assert.deepEqual(r.get('T1'), {
      id: 'T1',
      status: 'pending',
      retryCount: 0,
      leaseOwner: undefined,
      leaseExpiresAt: undefined,
      startedAt: undefined,
      resultSummary: undefined,
    });
    h.db.prepare(`UPDATE v2_tasks SET archived_at = 'x' WHERE task_id = 'T2'`).run();
    assert.equal(store.runtimes().has('T2'), false, 'archived tasks are not live');
  });

  it('finish stamps completed_at, and never overwrites a status a person wrote into the row meanwhile', () => {
    store.claim('T1', 'engine-a', 30_000, T0);
    assert.equal(store.finish('T1', 'engine-a', { status: 'completed', resultSummary: 'did it', now: T0 + 5 }), true);
    assert.equal(h.db.prepare(`SELECT completed_at FROM v2_tasks WHERE task_id = 'T1'`).pluck().get(), new Date(T0 + 5).toISOString());
    // A person marked a running task done through sync/setStatus path: the agent's finish must not overwrite it.
    store.claim('T2', 'engine-a', 30_000, T0);
    h.db.prepare(`UPDATE v2_tasks SET status = 'completed', lease_owner = NULL WHERE task_id = 'T2'`).run();
    assert.equal(store.finish('T2', 'engine-a', { status: 'failed', now: T0 + 7 }), false);
    assert.equal(store.runtimes().get('T2')!.status, 'completed');
    assert.throws(() => store.finish('T1', 'engine-a', { status: 'in_progress' as never, now: T0 }), /status 'in_progress' is not one of/);
  });

  it('records attempts: start and end rows, newest first, outputs capped and redacted', () => {
    store.claim('T1', 'me', 1000, T0);
    const a = store.recordAttemptStart({ taskId: 'T1', agent: 'claude-code', attempt: 1, startedAt: T0, routeRule: 'keyword:deploy' });
    const big = 'x'.repeat(MAX_OUTPUT_CHARS * 2) + 'THE-END';
    store.recordAttemptEnd(a, {
      outcome: 'failed',
      endedAt: T0 + 1500,
      exitCode: 2,
      stdout: big,
      stderr: 'oops with key sk-ant-api03-abcdefghijklmnop',
      error: 'boom',
      errorKind: 'exit',
      tokensIn: 10,
      tokensOut: 20,
      costUsd: 0.5,
      sessionId: 's1',
      summary: 'sum',
      verifyOutput: 'verify said no',
    });
    const b = store.recordAttemptStart({ taskId: 'T1', agent: 'claude-code', attempt: 2, startedAt: T0 + 2000 });
    const list = store.attempts('T1');
    assert.deepEqual(
      list.map((x) => [x.attempt, x.outcome]),
      [
        [2, 'running'],
        [1, 'failed'],
      ],
    );
    const first = list[1];
    assert.equal(first.durationMs, 1500);
    assert.equal(first.exitCode, 2);
    assert.ok(first.stdout!.length <= MAX_OUTPUT_CHARS, `stdout kept ${first.stdout!.length} chars`);
    assert.ok(first.stdout!.endsWith('THE-END'), 'the tail of the output is kept');
    assert.match(first.stdout!, /characters cut/);
    assert.equal(first.stderr, 'oops with key ***', 'key shapes are redacted before storage');
    assert.deepEqual([first.tokensIn, first.tokensOut, first.costUsd, first.error], [10, 20, 0.5, 'boom']);
    const row = h.db.prepare(`SELECT retry_count, route_rule, session_id, summary, verify_output, error_kind FROM agent_execution_log WHERE log_id = ?`).get(a);
    assert.deepEqual(row, {
      retry_count: 0,
      route_rule: 'keyword:deploy',
      session_id: 's1',
      summary: 'sum',
      verify_output: 'verify said no',
      error_kind: 'exit',
    });
    assert.equal(store.attempts('T1', 1).length, 1);
    assert.ok(b > a);
    assert.throws(() => store.recordAttemptEnd(9999, { outcome: 'completed', endedAt: T0 }), /no attempt with id 9999/);
    assert.throws(() => store.recordAttemptEnd(a, { outcome: 'weird' as never, endedAt: T0 }), /unknown outcome 'weird'/);
    assert.throws(() => store.recordAttemptStart({ taskId: 'missing', agent: 'x', attempt: 1, startedAt: T0 }), /FOREIGN KEY/);
  });

  it('records what ran an attempt and whether it was simulated; the view carries the summary and says simulated', () => {
    const sim = store.recordAttemptStart({ taskId: 'T1', agent: 'backend-development', attempt: 1, startedAt: T0, provider: 'dry-run', simulated: true });
    store.recordAttemptEnd(sim, { outcome: 'completed', endedAt: T0 + 2000, summary: '[dry-run] simulated: nothing was executed' });
    const real = store.recordAttemptStart({ taskId: 'T2', agent: 'backend-development', attempt: 1, startedAt: T0, provider: 'anthropic' });
    store.recordAttemptEnd(real, { outcome: 'completed', endedAt: T0 + 1000, summary: 'Added the endpoint' });
    assert.deepEqual(h.db.prepare(`SELECT provider, simulated FROM agent_execution_log WHERE log_id = ?`).get(sim), { provider: 'dry-run', simulated: 1 });
    const [s1] = store.attempts('T1');
    assert.deepEqual([s1.simulated, s1.summary], [true, '[dry-run] simulated: nothing was executed']);
    const [r1] = store.attempts('T2');
    assert.deepEqual([r1.simulated, r1.summary], [undefined, 'Added the endpoint']);
  });

  it('a custom redactor sees every stored text', () => {
    const s = new TaskStore(h, { redact: (t) => t.replaceAll('secret', '[gone]') });
    const a = s.recordAttemptStart({ taskId: 'T2', agent: 'x', attempt: 1, startedAt: T0 });
    s.recordAttemptEnd(a, { outcome: 'completed', endedAt: T0 + 1, stdout: 'a secret', error: 'secret', summary: 'secret sum' });
    const row = h.db.prepare(`SELECT stdout, error, summary FROM agent_execution_log WHERE log_id = ?`).get(a);
    assert.deepEqual(row, { stdout: 'a [gone]', error: '[gone]', summary: '[gone] sum' });
  });

  it('capText keeps head and tail within the limit', () => {
    assert.equal(capText(undefined), undefined);
    assert.equal(capText('short', 10), 'short');
    const c = capText('a'.repeat(500) + 'b'.repeat(500), 200)!;
    assert.ok(c.length <= 200, String(c.length));
    assert.ok(c.startsWith('a') && c.endsWith('b'));
    assert.match(c, /\[… \d+ characters cut …\]/);
  });

  it('setStatus: a person or command changes status, never of a claimed task; retries reset on request', () => {
    assert.equal(store.setStatus('T1', 'skipped', { now: T0 }), true);
    assert.equal(store.setStatus('T1', 'skipped', { now: T0 }), false, 'no change');
    assert.equal(store.setStatus('T1', 'pending', { now: T0 }), true);
    h.db.prepare(`UPDATE v2_tasks SET retry_count = 3 WHERE task_id = 'T1'`).run();
    assert.equal(store.setStatus('T1', 'pending', { resetRetries: true, now: T0 }), true, 'resetting retries is a change');
    assert.equal(store.runtimes().get('T1')!.retryCount, 0);
    store.claim('T2', 'me', 1000, T0);
    assert.equal(store.setStatus('T2', 'completed', { now: T0 }), false, 'claimed tasks are finished by their owner');
    assert.equal(store.setStatus('T1', 'completed', { now: T0 + 9 }), true);
    assert.equal(h.db.prepare(`SELECT completed_at FROM v2_tasks WHERE task_id = 'T1'`).pluck().get(), new Date(T0 + 9).toISOString());
    assert.throws(() => store.setStatus('T1', 'done' as never), /unknown status 'done'/);
    assert.throws(() => store.setStatus('T1', 'in_progress'), /only reached through claim/);
  });

  it('state: JSON values by key, survive reopening', () => {
    assert.equal(store.getState('x'), undefined);
    store.setState('breakers', { anthropic: 'open', n: [1, 2] });
    store.setState('breakers', { anthropic: 'closed' });
    assert.deepEqual(store.getState('breakers'), { anthropic: 'closed' });
    h.close();
    h = openDatabase(path.join(dir, 'context.db'));
    store = new TaskStore(h);
    assert.deepEqual(store.getState('breakers'), { anthropic: 'closed' });
    store.setState('breakers', undefined);
    assert.equal(store.getState('breakers'), undefined);
    assert.throws(() => store.setState('f', () => 1), /not JSON-serialisable/);
  });

  it('many claimers, one winner: every task is claimed exactly once across owners', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `X${i}`);
    seedTasks(
      h,
      ids.map((id) => ({ id })),
    );
    const won = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      for (const owner of ['a', 'b', 'c']) {
        for (const id of ids) {
          if (!store.claim(id, owner, 1000, T0)) continue;
          assert.equal(won.has(id), false, `${id} claimed twice`);
          won.set(id, owner);
        }
      }
    }
    assert.equal(won.size, ids.length);
    let completed = 0;
    for (const id of ids) for (const owner of ['a', 'b', 'c']) if (store.finish(id, owner, { status: 'completed', now: T0 })) completed++;
    assert.equal(completed, ids.length, 'each completed exactly once');
  });
});
