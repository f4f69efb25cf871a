// The durable result writer on a real SQLite file, locked by a second real connection (BEGIN IMMEDIATE): a settlement
// the database cannot take is journaled, reported with its cause, written when the lock clears, and never dropped;
// a previous engine's journal is written at start-up without overwriting what already landed.
import * as assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase, type DatabaseHandle } from '../../../src/engine/db/database';
import { dbFaultOf, describeDbFault } from '../../../src/engine/db/dbFault';
import { DbGate } from '../../../src/engine/db/dbGate';
import { ResultJournal, resultJournalPath } from '../../../src/engine/db/resultJournal';
import { retryWhileBlocked } from '../../../src/engine/db/retryBlocked';
import { TaskStore } from '../../../src/engine/db/taskStore';
import type { SettleRecord } from '../../../src/engine/ports';
import { ResultWriter, replayResults } from '../../../src/engine/resultWriter';
import { RetryTimer } from '../../../src/engine/retryTimer';
import { makeTempDir, removeDir, seedTasks } from './dbTestKit';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const sqliteError = (code: string): Error => Object.assign(new Error(`sqlite says ${code}`), { code });

describe('database faults: classification, gate, durable results', () => {
  let dir: string;
  let h: DatabaseHandle;
  let store: TaskStore;
  let other: Database.Database | undefined;
  const gates: DbGate[] = [];

  beforeEach(() => {
    dir = makeTempDir();
    // A short busy timeout keeps each blocked write short; the behaviour is the same as with the default 5 s.
    h = openDatabase(path.join(dir, 'context.db'), { busyTimeoutMs: 20 });
    seedTasks(h, [{ id: 'T1' }, { id: 'T2' }]);
    store = new TaskStore(h);
  });
  afterEach(() => {
    gates.splice(0).forEach((g) => g.close());
    other?.close();
    other = undefined;
    h.close();
    removeDir(dir);
  });

  /** A second connection that holds the write lock until unlock(). */
  const lock = (): { unlock(): void } => {
    other = new Database(h.path);
    other.exec('BEGIN IMMEDIATE');
    return { unlock: () => other!.exec('ROLLBACK') };
  };
  const claimed = (taskId: string): SettleRecord => {
    const attempt = store.claim(taskId, 'engine-a', 60_000, T0)!.attempt;
    const attemptId = store.recordAttemptStart({ taskId, agent: 'a', attempt, startedAt: T0 });
    return {
      taskId,
      owner: 'engine-a',
      finish: { status: 'completed', resultSummary: 'built it', now: T0 + 10 },
      attemptId,
      end: { outcome: 'completed', endedAt: T0 + 10, summary: 'built it' },
      lostError: 'lease lost',
    };
  };

  it('classifies the faults worth waiting out, and only those', () => {
    assert.equal(dbFaultOf(sqliteError('SQLITE_BUSY'))?.kind, 'locked');
    assert.equal(dbFaultOf(sqliteError('SQLITE_BUSY_SNAPSHOT'))?.kind, 'locked');
    assert.equal(dbFaultOf(sqliteError('SQLITE_LOCKED'))?.kind, 'locked');
    assert.equal(dbFaultOf(sqliteError('SQLITE_FULL'))?.kind, 'disk-full');
    assert.equal(dbFaultOf(sqliteError('SQLITE_IOERR_WRITE'))?.kind, 'io');
    assert.equal(dbFaultOf(sqliteError('SQLITE_READONLY'))?.kind, 'read-only');
    assert.equal(dbFaultOf(sqliteError('SQLITE_CORRUPT')), undefined);
    assert.equal(dbFaultOf(new Error('no code')), undefined);
    assert.match(describeDbFault(dbFaultOf(sqliteError('SQLITE_FULL'))!, '/x/context.db'), /^disk full: database \/x\/context\.db/);
  });

  it('a lock past the busy timeout is a locked fault; held by no other process, it names "another connection"', () => {
    const l = lock();
    let caught: unknown;
    try {
      store.setState('k', 1);
    } catch (e) {
      caught = e;
    }
    l.unlock();
    const fault = dbFaultOf(caught);
    assert.equal(fault?.kind, 'locked');
    // The other connection is this very process: /proc finds no other holder.
    assert.match(describeDbFault(fault!, h.path), /is locked by another connection longer than the busy timeout \(SQLITE_BUSY\)/);
  });

  it('keeps a result the locked database refuses, reports why, and writes it once the lock clears', async () => {
    const rec = claimed('T1');
    const rec2 = claimed('T2');
    const blocked: string[] = [];
    let freed: () => void = () => undefined;
    const free = new Promise<void>((r) => (freed = r));
    const gate = new DbGate({ db: h.db, path: h.path, onBlocked: (_f, m) => blocked.push(m), onFree: () => freed(), initialRetryMs: 5, maxRetryMs: 20 });
    gates.push(gate);
    const journal = new ResultJournal(resultJournalPath(h.path));
    const warnings: string[] = [];
    const writer = new ResultWriter({ store, gate, journal, warn: (m) => warnings.push(m) });

    const l = lock();
    let landed: boolean | undefined;
    const wrote = new Promise<boolean>((r) => writer.write(rec, (held) => r((landed = held))));
    assert.equal(landed, undefined, 'not written while locked');
    assert.equal(writer.pending, 1);
    assert.ok(gate.blocked);
    assert.match(blocked[0], /is locked by another connection/);
    assert.match(readFileSync(journal.path, 'utf8'), /"taskId":"T1".*"status":"completed"/, 'journaled on disk');
    assert.equal(store.runtime('T1')?.status, 'in_progress');

    // A second result queues behind the first, in order.
    const order: string[] = [];
    writer.write(rec2, () => order.push('T2'));
    void wrote.then(() => order.unshift('T1'));

    l.unlock();
    assert.equal(await wrote, true, 'the lease was still held');
    await free;
    assert.equal(store.runtime('T1')?.status, 'completed');
    assert.equal(store.runtime('T2')?.status, 'completed');
    assert.deepEqual(order, ['T1', 'T2']);
    assert.equal(store.attempts('T1')[0].outcome, 'completed');
    assert.equal(writer.pending, 0);
    assert.ok(!existsSync(journal.path), 'the journal is removed once empty');
    assert.deepEqual(warnings, []);
  });

  it('perTurn: the results of one turn land together at its end, in order; a locked database journals them all, in order', async () => {
    seedTasks(h, [{ id: 'T3' }]);
    const gate = new DbGate({ db: h.db, path: h.path, onBlocked: () => undefined, initialRetryMs: 5, maxRetryMs: 20 });
    gates.push(gate);
    const journal = new ResultJournal(resultJournalPath(h.path));
    const warnings: string[] = [];
    const writer = new ResultWriter({ store, gate, journal, warn: (m) => warnings.push(m), perTurn: true });
    const turns: string[][] = [];
    let order: string[] = [];
    writer.afterTurn(() => turns.push(order.splice(0)));
    const recs = ['T1', 'T2', 'T3'].map(claimed);
    // One record fails for a reason that is no fault (a status no task may end with): it alone is not written.
    recs[1] = { ...recs[1], finish: { ...recs[1].finish, status: 'in_progress' as never } };
    const held: Record<string, boolean> = {};
    for (const r of recs) writer.write(r, (ok) => ((held[r.taskId] = ok), order.push(r.taskId)));
    assert.equal(writer.inTurn, 3, 'waiting for the end of the turn');
    assert.equal(store.runtime('T1')?.status, 'in_progress', 'nothing written before the end of the turn');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(turns, [['T1', 'T2', 'T3']], 'landed together, in order, then afterTurn');
    assert.deepEqual(held, { T1: true, T2: false, T3: true });
    assert.equal(store.runtime('T1')?.status, 'completed');
    assert.equal(store.runtime('T2')?.status, 'in_progress', 'the failing record changed nothing');
    assert.equal(store.runtime('T3')?.status, 'completed');
    assert.equal(store.attempts('T3')[0].outcome, 'completed');
    assert.match(warnings.join('\n'), /could not record the end of T2: finish: status 'in_progress'/);

    // Locked: a turn's records are all kept, journaled in order, and written in order once the lock clears.
    for (const r of [recs[0], recs[2]]) store.setStatus(r.taskId, 'pending', { now: T0 + 20 });
    order = [];
    turns.length = 0;
    const again = ['T1', 'T3'].map(claimed);
    const l = lock();
    const landedAll = new Promise<void>((resolve) => {
      for (const r of again) writer.write(r, () => order.push(r.taskId) === 2 && resolve());
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(writer.inTurn, 0);
    assert.equal(writer.pending, 2, 'both wait for the database');
    assert.deepEqual(turns, [[]], 'none landed');
    assert.deepEqual(
      readFileSync(journal.path, 'utf8')
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as SettleRecord).taskId),
      ['T1', 'T3'],
    );
    l.unlock();
    await landedAll;
    assert.deepEqual(order, ['T1', 'T3']);
    assert.equal(store.runtime('T1')?.status, 'completed');
    assert.equal(store.runtime('T3')?.status, 'completed');
  });

  it('while a lock episode lasts, writes fail at once instead of waiting the busy timeout; it comes back when the lock is gone', async () => {
    const busy = (): unknown => h.db.pragma('busy_timeout', { simple: true });
    const gate = new DbGate({ db: h.db, path: h.path, initialRetryMs: 5, maxRetryMs: 20 });
    gates.push(gate);
    assert.equal(busy(), 20);
    const l = lock();
    const refused = (): unknown => {
      try {
        store.setState('k', 1);
      } catch (e) {
        return e;
      }
      assert.fail('the write went through a held lock');
    };
    assert.equal(gate.failed(refused())?.kind, 'locked');
    assert.equal(busy(), 0, 'better-sqlite3 waits synchronously: a write must not freeze the engine while the lock is known held');
    assert.equal(dbFaultOf(refused())?.kind, 'locked');
    // The gate's probe finds the lock gone: writes wait for a passing lock again, before the waiting work runs.
    const resumed = new Promise<unknown>((r) => gate.whenFree(() => r(busy())));
    l.unlock();
    assert.equal(await resumed, 20);
    // A write that went through ends an episode too; a disk-full episode keeps the busy timeout.
    other!.exec('BEGIN IMMEDIATE');
    gate.failed(refused());
    assert.equal(busy(), 0);
    gate.failed(sqliteError('SQLITE_FULL'));
    assert.equal(busy(), 20);
    gate.failed(refused());
    gate.succeeded();
    assert.equal(busy(), 20);
    // Closed during an episode (the engine stops): its last writes do not wait either.
    gate.failed(refused());
    gate.close();
    assert.equal(busy(), 0);
  });

  it('start-up writes a previous engine’s journal; a record written twice never overwrites the landed attempt row', () => {
    const rec = claimed('T1');
    const journal = new ResultJournal(resultJournalPath(h.path));
    journal.add(rec);
    const reopened = new ResultJournal(journal.path);
    assert.equal(reopened.size, 1);
    assert.deepEqual(replayResults(store, reopened), { written: ['T1'], discarded: [] });
    assert.equal(store.runtime('T1')?.status, 'completed');
    assert.ok(!existsSync(journal.path));

    // The engine crashed after the write but before the journal dropped the record: the next start writes it again.
    journal.add(rec);
    assert.deepEqual(replayResults(store, new ResultJournal(journal.path)), { written: [], discarded: ['T1'] });
    assert.equal(store.attempts('T1')[0].outcome, 'completed', 'the attempt row keeps its completed end');
    assert.equal(store.runtime('T1')?.status, 'completed');
  });

  it('an unreadable journal line is named with file and line, the rest is kept', () => {
    const rec = claimed('T1');
    const journal = new ResultJournal(resultJournalPath(h.path));
    journal.add(rec);
    appendFileSync(journal.path, '{"half":\n');
    const again = new ResultJournal(journal.path);
    assert.equal(again.size, 1);
    assert.match(again.unreadable[0], new RegExp(`${journal.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: `));
  });

  it('retryWhileBlocked: waits out a fault with backoff, at most the given retries, then names the cause', async () => {
    let calls = 0;
    const seen: string[] = [];
    const ok = await retryWhileBlocked(
      () => {
        calls++;
        return calls < 3 ? Promise.reject(sqliteError('SQLITE_BUSY')) : Promise.resolve('synced');
      },
      { dbPath: h.path, initialDelayMs: 1, maxDelayMs: 2, onRetry: (m) => seen.push(m) },
    );
    assert.equal(ok, 'synced');
    assert.equal(seen.length, 2);
    assert.match(seen[0], /locked .*; retry 1\/5 in \d+ ms/);
    await assert.rejects(
      retryWhileBlocked(() => Promise.reject(sqliteError('SQLITE_FULL')), { dbPath: h.path, retries: 2, initialDelayMs: 1, maxDelayMs: 2 }),
      /^Error: disk full: database .* cannot grow \(SQLITE_FULL\); gave up after 2 retries$/,
    );
    await assert.rejects(
      retryWhileBlocked(() => Promise.reject(new Error('a bug')), { dbPath: h.path }),
      /^Error: a bug$/,
      'other errors are not retried',
    );
  });

  it('RetryTimer: one pending firing, delays double up to the cap, reset and dispose', async () => {
    let fired = 0;
    let onFire: () => void = () => undefined;
    const t = new RetryTimer({ initialMs: 1, maxMs: 4, onFire: () => (fired++, onFire()) });
    assert.throws(() => new RetryTimer({ initialMs: 5, maxMs: 1, onFire: () => undefined }), /maxMs \(1\) must be ≥ initialMs \(5\)/);
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      delays.push(t.delayMs);
      const done = new Promise<void>((r) => (onFire = r));
      t.schedule();
      t.schedule(); // folds into the armed one
      await done;
    }
    assert.deepEqual(delays, [1, 2, 4, 4]);
    assert.equal(fired, 4);
    t.reset();
    assert.equal(t.delayMs, 1);
    t.schedule();
    t.dispose();
    assert.equal(t.armed, false);
    t.schedule();
    assert.equal(t.armed, false, 'a disposed timer never arms again');
  });
});
