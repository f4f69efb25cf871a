// Copies of context.db: a consistent snapshot of a live database (`VACUUM INTO`: a transaction-consistent copy that
// readers and the WAL do not disturb), private to the user. Used before a migration touches an existing database, by
// the periodic backup and by `coditect backup`.
import type Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Folder of the backups of `dbPath`: `<folder of the db>/backups`. */
export function backupDir(dbPath: string): string {
  return join(dirname(dbPath), 'backups');
}

/** `context-20251218T101500123Z-<reason>.db` in backupDir: names sort by time. */
export function backupPath(dbPath: string, reason: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  const stem = basename(dbPath).replace(/\.[^.]*$/, '');
  let path = join(backupDir(dbPath), `${stem}-${stamp}-${reason}.db`);
  for (let n = 2; existsSync(path); n++) path = join(backupDir(dbPath), `${stem}-${stamp}-${reason}-${n}.db`);
  return path;
}

/** Writes a consistent copy of the open database `db` to `dest` (which must not exist), readable by the user only. */
export function backupTo(db: Database.Database, dest: string): string {
  if (existsSync(dest)) throw new Error(`backup ${dest} already exists`);
  mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
  db.prepare('VACUUM INTO ?').run(dest);
  chmodSync(dest, 0o600);
  return dest;
}
