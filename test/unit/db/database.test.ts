import * as assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { latestSchemaVersion, loadMigrations, openDatabase, openDatabaseReadOnly, SchemaTooNewError } from '../../../src/engine/db/database';
import { DatabaseLockedError, processStartTicks } from '../../../src/engine/db/lockFile';
import { makeTempDir, removeDir, seedTasks } from './dbTestKit';

const TABLES = ['v2_epics', 'v2_features', 'v2_tasks', 'v2_plan_sync', 'task_dependencies', 'orchestrator_state', 'agent_execution_log'];

describe('database: open, migrate, lock', () => {
  let dir: string;
  beforeEach(() => (dir = makeTempDir()));
  afterEach(() => removeDir(dir));

  it('creates the parent directory, the schema, WAL, foreign keys and the busy timeout', () => {
    const file = path.join(dir, 'nested', '.coditect', 'context.db');
    const h = openDatabase(file, { busyTimeoutMs: 1234 });
    try {
      assert.equal(h.path, file);
      assert.equal(h.schemaVersion, latestSchemaVersion());
      assert.equal(h.db.pragma('user_version', { simple: true }), latestSchemaVersion());
      assert.equal(h.db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(h.db.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(h.db.pragma('busy_timeout', { simple: true }), 1234);
      const names = h.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[];
      for (const t of TABLES) assert.ok(names.includes(t), `table ${t} missing`);
      const indexes = h.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_%'`).pluck().all() as string[];
      assert.ok(indexes.includes('idx_v2_tasks_unsynced') && indexes.includes('idx_task_deps_dependency'), indexes.join(','));
      // Foreign keys are enforced: a dependency row of an unknown task is refused.
      assert.throws(() => h.db.prepare(`INSERT INTO task_dependencies (task_id, dependency_task_id) VALUES ('nope', 'T1')`).run(), /FOREIGN KEY/);
      assert.ok(existsSync(`${file}.lock`), 'the writer lock file exists while open');
    } finally {
      h.close();
    }
    assert.equal(existsSync(`${file}.lock`), false, 'close() removes the lock');
  });

  it('reopening keeps the data and does not re-run migrations; close() is idempotent', () => {
    const file = path.join(dir, 'context.db');
    const h = openDatabase(file);
    seedTasks(h, [{ id: 'T1' }]);
    h.close();
    h.close();
    const h2 = openDatabase(file);
    try {
      assert.equal(h2.db.prepare('SELECT COUNT(*) FROM v2_tasks').pluck().get(), 1);
    } finally {
      h2.close();
    }
  });

  it('refuses a database from a newer schema, naming the file and both versions, and leaves it untouched', () => {
    const file = path.join(dir, 'context.db');
    openDatabase(file).close();
    const newer = latestSchemaVersion() + 5;
    const raw = new Database(file);
    raw.pragma(`user_version = ${newer}`);
    raw.close();
    assert.throws(
      () => openDatabase(file),
      (e: unknown) => {
        assert.ok(e instanceof SchemaTooNewError);
        assert.match(e.message, new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
        assert.match(e.message, new RegExp(`version ${newer}\\b`));
        assert.match(e.message, new RegExp(`\\(${latestSchemaVersion()}\\)`));
        return true;
      },
    );
    assert.equal(existsSync(`${file}.lock`), false, 'the lock is released after a refusal');
    const check = new Database(file, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), newer);
    check.close();
    assert.throws(() => openDatabaseReadOnly(file), SchemaTooNewError);
  });

  it('applies each migration to existing data in its own transaction: a broken one leaves the previous version', () => {
    const migrations = path.join(dir, 'migrations');
    mkdirSync(migrations);
    writeFileSync(path.join(migrations, '001_first.sql'), 'CREATE TABLE a (x INTEGER);');
    const file = path.join(dir, 'm.db');
    openDatabase(file, { migrationsDir: migrations }).close();
    writeFileSync(path.join(migrations, '002_second.sql'), 'CREATE TABLE c (x INTEGER);');
    writeFileSync(path.join(migrations, '003_broken.sql'), 'CREATE TABLE b (x INTEGER);\nTHIS IS NOT SQL;');
    assert.throws(() => openDatabase(file, { migrationsDir: migrations }), /cannot open database .*m\.db.*syntax error/);
    const raw = new Database(file);
    assert.equal(raw.pragma('user_version', { simple: true }), 2);
    const tables = raw.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all();
    assert.deepEqual(tables, ['a', 'c'], 'table b of the failed migration was rolled back');
    raw.close();
    // A new file takes all its migrations in one transaction: a broken one leaves it empty.
    const fresh = path.join(dir, 'fresh.db');
    assert.throws(() => openDatabase(fresh, { migrationsDir: migrations }), /syntax error/);
    const f = new Database(fresh);
    assert.equal(f.pragma('user_version', { simple: true }), 0);
    assert.deepEqual(f.prepare(`SELECT name FROM sqlite_master`).all(), []);
    f.close();
  });

  it('rejects badly numbered migrations and bad options with errors naming the problem', () => {
    const migrations = path.join(dir, 'gap');
    mkdirSync(migrations);
    writeFileSync(path.join(migrations, '001_a.sql'), 'SELECT 1;');
    writeFileSync(path.join(migrations, '003_c.sql'), 'SELECT 1;');
    assert.throws(() => loadMigrations(migrations), /without gaps; found 3 at position 2/);
    writeFileSync(path.join(migrations, 'oops.sql'), 'SELECT 1;');
    assert.throws(() => loadMigrations(migrations), /oops\.sql: migration file names must look like 001_name\.sql/);
    assert.throws(() => openDatabase(path.join(dir, 'x.db'), { busyTimeoutMs: -1 }), /busyTimeoutMs must be a non-negative integer, got -1/);
  });

  it('one writer per file: a second opener in the same process is refused with our pid', () => {
    const file = path.join(dir, 'context.db');
    const h = openDatabase(file);
    try {
      assert.throws(
        () => openDatabase(file),
        (e: unknown) => e instanceof DatabaseLockedError && e.message.includes(`pid ${process.pid}`) && e.message.includes(`${file}.lock`),
      );
    } finally {
      h.close();
    }
    openDatabase(file).close(); // free again after close
  });

  it('takes over a lock whose pid was reused by another process, and an old unreadable lock', () => {
    const file = path.join(dir, 'context.db');
    const start = processStartTicks('self');
    if (start !== undefined) {
      // Our own pid but another start time: the recorded holder is gone and the pid now belongs to us.
      writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'x', procStart: start - 1, acquiredAt: 'then' }));
      openDatabase(file).close();
    }
    writeFileSync(`${file}.lock`, 'garbage');
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${file}.lock`, old, old);
    openDatabase(file).close();
    // A fresh unreadable lock may be mid-creation by a live process: refused.
    writeFileSync(`${file}.lock`, '');
    assert.throws(() => openDatabase(file), DatabaseLockedError);
  });

  it('read-only open works beside the writer and cannot write', () => {
    const file = path.join(dir, 'context.db');
    const h = openDatabase(file);
    try {
      seedTasks(h, [{ id: 'T1' }, { id: 'T2' }]);
      const ro = openDatabaseReadOnly(file);
      try {
        assert.equal(ro.readonly, true);
        assert.equal(ro.db.prepare('SELECT COUNT(*) FROM v2_tasks').pluck().get(), 2);
        assert.throws(() => ro.db.prepare(`DELETE FROM v2_tasks`).run(), /readonly/);
      } finally {
        ro.close();
      }
    } finally {
      h.close();
    }
    // After the writer closed (WAL files gone) a read-only open still works.
    const ro = openDatabaseReadOnly(file);
    assert.equal(ro.db.prepare('SELECT COUNT(*) FROM v2_tasks').pluck().get(), 2);
    ro.close();
    assert.throws(() => openDatabaseReadOnly(path.join(dir, 'missing.db')), /database not found: .*missing\.db/);
  });
});
