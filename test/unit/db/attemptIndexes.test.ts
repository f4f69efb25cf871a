// The attempt rows' indexes against the statements that read them. Every attempt writes an entry into each index of
// agent_execution_log (README footnote 9: the in-process throughput), so an index earns its place only by a statement
// that reads it. Migration 011 keeps the cost ledger's covering index to finished attempts; these tests hold that
// every sum of the cost report still reads it (covering, never the rows), and that the store's statements on the
// attempt rows each search an index, never scan the table.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type Database from 'better-sqlite3';
import { openDatabase, type DatabaseHandle } from '../../../src/engine/db/database';
import { TaskStore } from '../../../src/engine/db/taskStore';
import { spendRows, spendTotal } from '../../../src/engine/spend/costReport';
import { SPEND_GROUPINGS } from '../../../src/protocol/spend';
import { makeTempDir, removeDir } from './dbTestKit';

/** `db` with every statement it prepares recorded in `sql`. */
function recording(db: Database.Database, sql: string[]): Database.Database {
  return new Proxy(db, {
    get(target, key) {
      if (key === 'prepare') return (s: string) => (sql.push(s), target.prepare(s));
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** EXPLAIN QUERY PLAN of `sql`, its parameters bound to NULL. */
function plan(db: Database.Database, sql: string): string[] {
  const stmt = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const named = [...sql.matchAll(/@(\w+)/g)].map((m) => m[1]);
  const rows =
    named.length > 0
      ? stmt.all(Object.fromEntries(named.map((n) => [n, null])))
      : stmt.all(...Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => null));
  return (rows as { detail: string }[]).map((r) => r.detail);
}

/** The plan's steps that read agent_execution_log (by name or by the alias `sql` gives it). */
function attemptSteps(sql: string, steps: string[]): string[] {
  const names = ['agent_execution_log', ...[...sql.matchAll(/agent_execution_log\s+(?:AS\s+)?(\w+)/gi)].map((m) => m[1])].filter(
    (n) => !/^(INDEXED|WHERE|SET|ORDER|GROUP|ON)$/i.test(n),
  );
  return steps.filter((d) => names.some((n) => new RegExp(`^(SCAN|SEARCH) ${n}\\b`).test(d)));
}

describe('agent_execution_log: its indexes and the statements that read them', () => {
  let dir: string;
  let h: DatabaseHandle;
  before(() => {
    dir = makeTempDir();
    h = openDatabase(path.join(dir, 'context.db'));
    h.db.exec(`INSERT INTO v2_epics (epic_id, title) VALUES ('E1', 'Core');
      INSERT INTO v2_features (feature_id, epic_id, title) VALUES ('F1', 'E1', 'Bus');
      INSERT INTO v2_tasks (task_id, epic_id, feature_id, title) VALUES ('T1', 'E1', 'F1', 'One'), ('T2', 'E1', 'F1', 'Two');`);
  });
  after(() => {
    h.close();
    removeDir(dir);
  });

  it("migration 011: the cost ledger's index holds the same 12 columns, of finished attempts only", () => {
    const { sql } = h.db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'idx_agent_log_spend'`).get() as { sql: string };
    assert.match(sql, /\)\s*WHERE completed_at IS NOT NULL$/);
    const cols = (h.db.prepare(`SELECT name FROM pragma_index_info('idx_agent_log_spend') ORDER BY seqno`).pluck().all() as string[]).join(',');
    assert.equal(
      cols,
      'completed_at,task_id,agent_type,model,provider,run_id,cost_usd,cost_estimated,tokens_in,tokens_out,tokens_cache_read,tokens_cache_write',
    );
    // The plan's own indexes on the attempt rows stay (its DDL is a contract), and so does the one open attempts are found by.
    const names = h.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'agent_execution_log' ORDER BY name`).pluck().all();
    assert.deepEqual(names, ['idx_agent_log_agent_type', 'idx_agent_log_open', 'idx_agent_log_spend', 'idx_agent_log_status', 'idx_agent_log_task']);
  });

  it('a running attempt has no entry in it; an ended one has, and only ended ones are summed', () => {
    const store = new TaskStore(h, { runId: 'run-a' });
    const t = Date.UTC(2026, 11, 4, 12);
    const ended = store.recordAttemptStart({ taskId: 'T1', agent: 'devops', attempt: 1, startedAt: t });
    store.recordAttemptEnd(ended, { outcome: 'completed', endedAt: t + 1000, tokensIn: 10, tokensOut: 2, costUsd: 0.25 });
    store.recordAttemptStart({ taskId: 'T2', agent: 'devops', attempt: 1, startedAt: t });
    const entries = (): number =>
      h.db.prepare(`SELECT COUNT(*) FROM agent_execution_log INDEXED BY idx_agent_log_spend WHERE completed_at IS NOT NULL`).pluck().get() as number;
    assert.equal(entries(), 1);
    assert.equal(h.db.prepare(`SELECT COUNT(*) FROM agent_execution_log`).pluck().get() as number, 2);
    assert.deepEqual({ attempts: spendTotal(h.db).attempts, costUsd: spendTotal(h.db).costUsd }, { attempts: 1, costUsd: 0.25 });
    assert.deepEqual(
      store.openAttempts().map((a) => a.taskId),
      ['T2'],
    );
  });

  it('every sum of the cost report reads it as a covering index, never the attempt rows', () => {
    const sql: string[] = [];
    const db = recording(h.db, sql);
    const filters = [{}, { sinceIso: '2026-12-01T00:00:00.000Z' }, { runId: 'run-a' }, { sinceIso: '2026-12-01T00:00:00.000Z', runId: 'run-a' }];
    for (const f of filters) {
      spendTotal(db, f);
      for (const by of SPEND_GROUPINGS) spendRows(db, by, f);
    }
    const sums = sql.filter((s) => s.includes('agent_execution_log'));
    assert.ok(sums.length >= filters.length * (SPEND_GROUPINGS.length + 1), `${sums.length} statements`);
    for (const s of sums) {
      const steps = attemptSteps(s, plan(h.db, s));
      assert.ok(steps.length > 0, s);
      for (const d of steps) assert.match(d, /USING COVERING INDEX idx_agent_log_spend\b/, `${s}\n→ ${d}`);
    }
  });

  it("the store's statements on the attempt rows each search or scan an index, never the table", () => {
    const sql: string[] = [];
    const store = new TaskStore({ ...h, db: recording(h.db, sql) });
    store.openAttempts(); // prepared when called
    const onAttempts = sql.filter((s) => /agent_execution_log/.test(s) && !/^\s*INSERT/i.test(s));
    assert.ok(onAttempts.length >= 8, `${onAttempts.length} statements`);
    for (const s of onAttempts) {
      const steps = attemptSteps(s, plan(h.db, s));
      assert.ok(steps.length > 0, s);
      for (const d of steps) assert.match(d, /USING (COVERING )?INDEX \w+|USING INTEGER PRIMARY KEY/, `${s}\n→ ${d}`);
    }
  });
});
