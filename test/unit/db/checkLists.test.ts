// Migration 010 (src/engine/db/checkLists.ts): the IN-list CHECKs of the tables a sync writes become OR chains,
// accepting and refusing exactly what they did, in a new database and in one at schema 9 with a person's own column,
// index and trigger, without touching a row.
import * as assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { orCheckLists } from '../../../src/engine/db/checkLists';
import { latestSchemaVersion, loadMigrations, openDatabase } from '../../../src/engine/db/database';
import { makeTempDir, removeDir } from './dbTestKit';

const STATUS_CHECK = `CHECK (status IN ('pending', 'in_progress', 'completed', 'blocked', 'failed', 'timeout', 'cancelled', 'skipped'))`;

/** Values a program might write into a checked column: every allowed one and near misses of several types. */
const CANDIDATES: unknown[] = [
  'pending',
  'in_progress',
  'completed',
  'blocked',
  'failed',
  'timeout',
  'cancelled',
  'skipped',
  'P0',
  'P3',
  'explicit',
  'phase',
  'Pending',
  'pending ',
  '',
  'p1',
  'P4',
  'done',
  null,
  0,
  1,
  2.5,
  Buffer.from('pending'),
];

/** For each candidate, whether a one-column table with `check` (on column x) takes it. */
function accepted(check: string): boolean[] {
  const db = new Database(':memory:');
  try {
    db.exec(`CREATE TABLE t (x TEXT ${check})`);
    const insert = db.prepare(`INSERT INTO t (x) VALUES (?)`);
    return CANDIDATES.map((v) => {
      try {
        insert.run(v);
        return true;
      } catch (e) {
        assert.match(String(e), /CHECK constraint failed/);
        return false;
      }
    });
  } finally {
    db.close();
  }
}

const checksOf = (db: Database.Database, table: string): string[] =>
  ((db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`).pluck().get(table) as string).match(/CHECK \([^\n]*/g) ?? []).map((c) =>
    c.replace(/,$/, ''),
  );

describe('migration 010: IN-list CHECKs as OR chains', () => {
  let dir: string;
  beforeEach(() => (dir = makeTempDir()));
  afterEach(() => removeDir(dir));

  it('an OR chain accepts and refuses the same values as the IN list it replaces', () => {
    for (const list of [
      `'pending', 'in_progress', 'completed', 'blocked', 'failed', 'timeout', 'cancelled', 'skipped'`,
      `'P0', 'P1', 'P2', 'P3'`,
      `'explicit', 'implicit', 'phase'`,
    ]) {
      const before = `CHECK (x IN (${list}))`;
      const after = orCheckLists(before);
      assert.match(after, /^CHECK \(x = '\w+'( OR x = '\w+')+\)$/);
      const takes = accepted(before);
      assert.ok(takes.includes(true) && takes.includes(false), `the IN list itself takes some and refuses some: ${list}`);
      assert.deepEqual(accepted(after), takes, list);
    }
    // Two values or fewer, and lists that are not plain quoted values, are left as written.
    for (const kept of [`CHECK (parallel IN (0, 1))`, `CHECK (kind IN ('a', 'b'))`, `CHECK (x IN (SELECT y FROM z))`]) assert.equal(orCheckLists(kept), kept);
  });

  it('a new database has the OR chains in the tables a sync writes, and they refuse a bad value', () => {
    const h = openDatabase(path.join(dir, 'context.db'));
    try {
      const db = h.db;
      assert.ok(checksOf(db, 'v2_tasks').some((c) => c.startsWith(`CHECK (status = 'pending' OR status = 'in_progress' OR`)));
      for (const table of ['v2_epics', 'v2_features', 'v2_tasks', 'task_dependencies'])
        for (const c of checksOf(db, table)) assert.doesNotMatch(c, /IN \('[^']*', '[^']*', '/, `${table}: ${c}`);
      db.exec(
        `INSERT INTO v2_epics (epic_id, title) VALUES ('E1', 'Epic'); INSERT INTO v2_features (feature_id, epic_id, title) VALUES ('F1', 'E1', 'Feature')`,
      );
      const task = db.prepare(
        `INSERT INTO v2_tasks (task_id, epic_id, feature_id, title, status, synced_status, priority) VALUES (?, 'E1', 'F1', 't', ?, ?, ?)`,
      );
      task.run('T1', 'completed', 'pending', null);
      assert.throws(() => task.run('T2', 'done', 'pending', null), /CHECK constraint failed: status = 'pending'/);
      assert.throws(() => task.run('T2', 'pending', 'Pending', null), /CHECK constraint failed: synced_status/);
      assert.throws(() => task.run('T2', 'pending', 'pending', 'P4'), /CHECK constraint failed: priority/);
      assert.throws(() => db.prepare(`INSERT INTO v2_epics (epic_id, title, priority) VALUES ('E2', 'x', 'high')`).run(), /CHECK constraint failed/);
      assert.throws(
        () => db.prepare(`INSERT INTO task_dependencies (task_id, dependency_task_id, source) VALUES ('T1', 'T9', 'guess')`).run(),
        /CHECK constraint failed/,
      );
    } finally {
      h.close();
    }
  });

  it('a database at schema 9 keeps every row, its own column, index and trigger, and takes a backup first', () => {
    const upTo9 = path.join(dir, 'migrations-9');
    mkdirSync(upTo9);
    for (const m of loadMigrations().filter((x) => x.version <= 9))
      writeFileSync(path.join(upTo9, `${String(m.version).padStart(3, '0')}_${m.name}.sql`), m.sql);
    const file = path.join(dir, 'context.db');
    const v9 = openDatabase(file, { migrationsDir: upTo9 });
    assert.equal(v9.schemaVersion, 9);
    v9.db.exec(`
      ALTER TABLE v2_tasks ADD COLUMN jira_key TEXT;
      CREATE INDEX my_tasks_by_jira ON v2_tasks (jira_key);
      CREATE TABLE my_log (task_id TEXT, status TEXT);
      CREATE TRIGGER my_status_log AFTER UPDATE OF status ON v2_tasks BEGIN INSERT INTO my_log VALUES (new.task_id, new.status); END;
      INSERT INTO v2_epics (epic_id, title, priority) VALUES ('E1', 'Epic', 'P1');
      INSERT INTO v2_features (feature_id, epic_id, title) VALUES ('F1', 'E1', 'Feature');
      INSERT INTO v2_tasks (task_id, epic_id, feature_id, title, status, priority, jira_key) VALUES ('T1', 'E1', 'F1', 'One', 'completed', 'P0', 'ABC-1');
      INSERT INTO v2_tasks (task_id, epic_id, feature_id, title, jira_key) VALUES ('T2', 'E1', 'F1', 'Two', 'ABC-2');
      INSERT INTO task_dependencies (task_id, dependency_task_id, source) VALUES ('T2', 'T1', 'phase');`);
    const rows = (db: Database.Database): unknown[] =>
      ['v2_epics', 'v2_features', 'v2_tasks', 'task_dependencies'].map((t) => db.prepare(`SELECT rowid, * FROM ${t} ORDER BY rowid`).all());
    const before = rows(v9.db);
    v9.close();

    const h = openDatabase(file);
    try {
      const db = h.db;
      assert.equal(h.schemaVersion, latestSchemaVersion());
      assert.ok(h.opened.backupPath, 'a copy was taken before migrating');
      assert.deepEqual(rows(db), before);
      assert.ok(checksOf(db, 'v2_tasks').some((c) => c.startsWith(`CHECK (status = 'pending' OR`)));
      assert.ok(!checksOf(db, 'v2_tasks').includes(STATUS_CHECK));
      assert.equal(db.prepare(`SELECT COUNT(*) FROM sqlite_master WHERE name IN ('my_tasks_by_jira', 'my_status_log')`).pluck().get(), 2);
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      db.prepare(`UPDATE v2_tasks SET status = 'in_progress', jira_key = 'ABC-3' WHERE task_id = 'T2'`).run();
      assert.deepEqual(db.prepare(`SELECT * FROM my_log`).all(), [{ task_id: 'T2', status: 'in_progress' }]);
      assert.throws(() => db.prepare(`UPDATE v2_tasks SET status = 'done' WHERE task_id = 'T2'`).run(), /CHECK constraint failed/);
    } finally {
      h.close();
    }
    // Another connection reads the new schema too.
    const other = new Database(file, { readonly: true });
    try {
      assert.ok(checksOf(other, 'task_dependencies').some((c) => c.startsWith(`CHECK (source = 'explicit' OR source = 'implicit' OR source = 'phase')`)));
    } finally {
      other.close();
    }
  });
});
