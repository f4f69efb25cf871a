// Backups of context.db (src/engine/db/backup.ts, backupTimer.ts, restore.ts) on real SQLite files: private, named and
// pruned as documented, restored only while nobody holds the database. (Consistency against another process's commits:
// test/process/db/backupConsistency.test.ts.)
import { strict as assert } from 'node:assert';
import Database from 'better-sqlite3';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { backupDir, backupFile, backupPath, listBackups, pruneBackups } from '../../../src/engine/db/backup';
import { BackupTimer } from '../../../src/engine/db/backupTimer';
import { latestSchemaVersion, openDatabase } from '../../../src/engine/db/database';
import { DatabaseLockedError } from '../../../src/engine/db/lockFile';
import { inspectBackup, restoreDatabase } from '../../../src/engine/db/restore';
import { makeTempDir, removeDir, seedTasks } from './dbTestKit';

const mode = (p: string): number => statSync(p).mode & 0o777;

describe('database backups', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('coditect-backup-');
  });
  afterEach(() => removeDir(dir));

  it('backups are 0600 in a 0700 folder, named by time and reason; pruning removes only the oldest of one reason', () => {
    const db = path.join(dir, 'context.db');
    const h = openDatabase(db);
    seedTasks(h, [{ id: 'T1' }]);
    h.close();
    const old = process.umask(0o000);
    try {
      const t0 = Date.UTC(2026, 0, 1, 0, 0, 0);
      for (let i = 0; i < 4; i++) backupFile(db, backupPath(db, 'periodic', new Date(t0 + i * 3_600_000)));
      backupFile(db, backupPath(db, 'manual', new Date(t0 - 1000)));
    } finally {
      process.umask(old);
    }
    assert.equal(mode(backupDir(db)), 0o700);
    for (const f of readdirSync(backupDir(db))) assert.equal(mode(path.join(backupDir(db), f)), 0o600, f);
    const list = listBackups(db);
    assert.deepEqual(
      list.map((b) => [b.reason, b.takenAt.toISOString()]),
      [
        ['periodic', '2026-01-01T03:00:00.000Z'],
        ['periodic', '2026-01-01T02:00:00.000Z'],
        ['periodic', '2026-01-01T01:00:00.000Z'],
        ['periodic', '2026-01-01T00:00:00.000Z'],
        ['manual', '2025-12-31T23:59:59.000Z'],
      ],
    );
    const removed = pruneBackups(db, 'periodic', 2);
    assert.equal(removed.length, 2);
    assert.deepEqual(
      listBackups(db).map((b) => b.reason),
      ['periodic', 'periodic', 'manual'],
    );
    assert.equal(inspectBackup(list[0].path, latestSchemaVersion()).tasks, 1);
  });

  it('the timer backs up at once when none exists, then every interval, keeping the newest `keep`', async () => {
    const db = path.join(dir, 'context.db');
    const h = openDatabase(db);
    const logged: string[] = [];
    let timer: BackupTimer | undefined;
    try {
      const taken: string[] = [];
      await new Promise<void>((resolve) => {
        timer = new BackupTimer({
          db: h.db,
          dbPath: db,
          intervalMs: 20,
          keep: 2,
          log: { info: (m) => logged.push(m), warn: (m) => logged.push(m) },
          onBackup: (p) => {
            taken.push(p);
            if (taken.length === 4) resolve();
          },
        });
      });
      timer!.close();
      assert.equal(taken.length, 4);
      const periodic = listBackups(db).filter((b) => b.reason === 'periodic');
      assert.deepEqual(
        periodic.map((b) => b.path),
        [taken[3], taken[2]],
      );
      assert.ok(
        logged.some((m) => /removed 1 older periodic backup/.test(m)),
        logged.join('\n'),
      );
    } finally {
      timer?.close();
      h.close();
    }
  });

  it('the schedule follows the newest periodic backup on disk, so a restarted engine does not back up at every start', () => {
    const db = path.join(dir, 'context.db');
    const h = openDatabase(db);
    try {
      const now = Date.UTC(2026, 0, 1, 12, 0, 0);
      backupFile(db, backupPath(db, 'periodic', new Date(now - 3_600_000)));
      // A newer manual backup does not count: the schedule is of periodic ones.
      backupFile(db, backupPath(db, 'manual', new Date(now - 60_000)));
      const t = new BackupTimer({ db: h.db, dbPath: db, intervalMs: 6 * 3_600_000, keep: 3, log: { info() {}, warn() {} }, now: () => now });
      try {
        assert.equal(t.dueInMs(), 5 * 3_600_000);
      } finally {
        t.close();
      }
      const off = new BackupTimer({ db: h.db, dbPath: db, intervalMs: 0, keep: 3, log: { info() {}, warn() {} }, now: () => now });
      off.close();
      assert.equal(listBackups(db).length, 2, 'interval 0 takes none');
    } finally {
      h.close();
    }
  });

  it('restore puts a backup back and keeps the replaced database; refused while a process holds it, and for a bad file', () => {
    const db = path.join(dir, 'context.db');
    let h = openDatabase(db);
    seedTasks(h, [{ id: 'T1' }, { id: 'T2' }]);
    h.close();
    const copy = backupFile(db, backupPath(db, 'manual'));
    h = openDatabase(db);
    h.db.prepare(`UPDATE v2_tasks SET status = 'completed' WHERE task_id = 'T1'`).run();
    h.close();

    // A writer holds it (an engine-style handle of this process): refused, naming the holder.
    const holder = openDatabase(db);
    try {
      assert.throws(
        () => restoreDatabase(db, copy, latestSchemaVersion()),
        (e: unknown) => e instanceof DatabaseLockedError && e.message.includes(`pid ${process.pid}`),
      );
    } finally {
      holder.close();
    }
    const bad = path.join(dir, 'notes.db');
    writeFileSync(bad, 'not a database at all, just text that is long enough to be read as a header....................');
    assert.throws(() => restoreDatabase(db, bad, latestSchemaVersion()), /notes\.db: (not a readable SQLite database|cannot open)/);
    assert.throws(() => restoreDatabase(db, path.join(dir, 'missing.db'), latestSchemaVersion()), /backup not found/);

    const r = restoreDatabase(db, copy, latestSchemaVersion());
    assert.equal(r.from.tasks, 2);
    assert.ok(r.previous && existsSync(r.previous));
    assert.equal(mode(db), 0o600);
    const status = (file: string): string => {
      const c = new Database(file, { readonly: true });
      try {
        return c.prepare(`SELECT status FROM v2_tasks WHERE task_id = 'T1'`).pluck().get() as string;
      } finally {
        c.close();
      }
    };
    assert.equal(status(db), 'pending', 'the backup is in place');
    assert.equal(status(r.previous!), 'completed', 'the replaced database is kept');
    // And the engine opens it as usual.
    h = openDatabase(db);
    assert.equal(h.db.prepare('SELECT COUNT(*) FROM v2_tasks').pluck().get(), 2);
    h.close();
  });
});
