// `coditect restore`: puts a backup back in place of context.db. Only while no engine holds the database (the single-
// writer lock is taken for the whole restore, so an engine cannot start meanwhile either), and never at the cost of
// the database it replaces: that one is copied to a `before-restore` backup first.
import Database from 'better-sqlite3';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errorMessage } from '../../core/describe';
import { backupPath, backupTo } from './backup';
import { acquireLock } from './lockFile';

/** What a backup file holds, checked before it may replace a database. */
export interface BackupInfo {
  path: string;
  schemaVersion: number;
  /** Task rows (archived ones included). */
  tasks: number;
  /** Newest `v2_plan_sync.synced_at`, when it has one. */
  lastSyncAt?: string;
}

/**
 * Reads a backup read-only and checks it is a whole CODITECT database this build can open: SQLite's quick_check passes,
 * its schema version is 1..`latest`, it has the task table. Throws naming the file and the problem.
 */
export function inspectBackup(file: string, latest: number): BackupInfo {
  const abs = resolve(file);
  if (!existsSync(abs)) throw new Error(`backup not found: ${abs}`);
  let db: Database.Database;
  try {
    db = new Database(abs, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new Error(`${abs}: cannot open as a database (${errorMessage(e)})`, { cause: e });
  }
  try {
    let check: { quick_check: string }[];
    try {
      check = db.pragma('quick_check') as { quick_check: string }[];
    } catch (e) {
      throw new Error(`${abs}: not a readable SQLite database (${errorMessage(e)})`, { cause: e });
    }
    const problems = check.map((r) => r.quick_check).filter((r) => r !== 'ok');
    if (problems.length) throw new Error(`${abs}: damaged (SQLite quick_check: ${problems.slice(0, 3).join('; ')})`);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version === 0) throw new Error(`${abs}: not a CODITECT database (schema version 0)`);
    if (version > latest) throw new Error(`${abs}: schema version ${version} is newer than this build supports (${latest}); upgrade CODITECT first`);
    const has = (t: string): boolean => db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(t) !== undefined;
    if (!has('v2_tasks')) throw new Error(`${abs}: not a CODITECT database (no v2_tasks table)`);
    const tasks = db.prepare('SELECT COUNT(*) FROM v2_tasks').pluck().get() as number;
    const lastSyncAt = has('v2_plan_sync') ? ((db.prepare('SELECT MAX(synced_at) FROM v2_plan_sync').pluck().get() as string | null) ?? undefined) : undefined;
    return { path: abs, schemaVersion: version, tasks, lastSyncAt };
  } finally {
    db.close();
  }
}

/** What a restore did. */
export interface RestoreReport {
  db: string;
  from: BackupInfo;
  /** The database that was replaced, kept as a `before-restore` backup (none when there was no database). */
  previous?: string;
}

/**
 * Replaces the database at `dbPath` by the backup `from`. Throws DatabaseLockedError while an engine (or any writer)
 * holds the database, and an error naming the problem for a backup that is missing, damaged or too new, or when
 * another program still has the database open. The restored file is a fresh consistent copy of the backup (the backup
 * file itself is never modified), 0600, put in place by an atomic rename.
 */
export function restoreDatabase(dbPath: string, from: string, latest: number): RestoreReport {
  const abs = resolve(dbPath);
  if (resolve(from) === abs) throw new Error(`${abs} cannot be restored from itself`);
  const lock = acquireLock(`${abs}.lock`);
  try {
    const info = inspectBackup(from, latest);
    let previous: string | undefined;
    if (existsSync(abs)) {
      const cur = new Database(abs, { fileMustExist: true });
      try {
        cur.pragma('busy_timeout = 5000');
        previous = backupTo(cur, backupPath(abs, 'before-restore'));
        // Out of WAL mode: its -wal is checkpointed and removed, so no stale log can be replayed into the restored file.
        // Needs the database to itself: a reader still holding it open fails this ("database is locked").
        try {
          cur.pragma('journal_mode = DELETE');
        } catch (e) {
          throw new Error(`${abs} is still open in another program (${errorMessage(e)}); close it and restore again`, { cause: e });
        }
      } finally {
        cur.close();
      }
    }
    const tmp = `${abs}.restore-${process.pid}`;
    if (existsSync(tmp)) unlinkSync(tmp);
    const src = new Database(info.path, { readonly: true, fileMustExist: true });
    try {
      backupTo(src, tmp);
    } finally {
      src.close();
    }
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, abs);
    for (const side of [`${abs}-wal`, `${abs}-shm`]) if (existsSync(side)) unlinkSync(side);
    try {
      const dir = openSync(dirname(abs), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    } catch {
      // a directory fsync is not supported everywhere; the rename is done either way
    }
    return { db: abs, from: info, previous };
  } finally {
    lock.release();
  }
}
