// Copies of context.db: a consistent snapshot of a live database (`VACUUM INTO`: a transaction-consistent copy that
// readers and the WAL do not disturb, and that another connection's writes meanwhile cannot tear), private to the
// user (0600 files in a 0700 folder). Used before a migration touches an existing database, by the periodic backup
// (backupTimer.ts), by `coditect backup` and before `coditect restore` replaces a database.
import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createPrivateFile, PRIVATE_DIR_MODE } from '../privateFiles';

/** Why a backup was taken; part of its file name. Only `periodic` ones are pruned (backup.keep). */
export type BackupReason = 'periodic' | 'manual' | 'before-restore' | 'before-reconcile' | `before-v${number}`;

/** Folder of the backups of `dbPath`: `<folder of the db>/backups`. */
export function backupDir(dbPath: string): string {
  return join(dirname(dbPath), 'backups');
}

const stemOf = (dbPath: string): string => basename(dbPath).replace(/\.[^.]*$/, '');

/** `context-20251218T101500123Z-<reason>.db` in backupDir: names sort by time. */
export function backupPath(dbPath: string, reason: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  const stem = stemOf(dbPath);
  let path = join(backupDir(dbPath), `${stem}-${stamp}-${reason}.db`);
  for (let n = 2; existsSync(path); n++) path = join(backupDir(dbPath), `${stem}-${stamp}-${reason}-${n}.db`);
  return path;
}

/**
 * Writes a consistent copy of the open database `db` to `dest` (which must not exist), readable by the user only: the
 * file is created 0600 before SQLite fills it, so it is never visible with wider bits.
 */
export function backupTo(db: Database.Database, dest: string): string {
  if (existsSync(dest)) throw new Error(`backup ${dest} already exists`);
  const dir = dirname(dest);
  const existed = existsSync(dir);
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  // Our own folder is private whatever the umask; a folder the person named (--out) keeps its mode.
  if (!existed || basename(dir) === 'backups') chmodSync(dir, PRIVATE_DIR_MODE);
  createPrivateFile(dest);
  try {
    db.prepare('VACUUM INTO ?').run(dest);
  } catch (e) {
    try {
      unlinkSync(dest);
    } catch {
      /* never created */
    }
    throw e;
  }
  chmodSync(dest, 0o600);
  return dest;
}

/**
 * A consistent copy of the database FILE at `dbPath` through a read-only connection: no writer lock, so it works while
 * an engine runs and writes (the copy is one read transaction: the engine's later commits are not in it, none is torn).
 */
export function backupFile(dbPath: string, dest: string, busyTimeoutMs = 5000): string {
  if (!existsSync(dbPath)) throw new Error(`database not found: ${dbPath}`);
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    return backupTo(db, dest);
  } finally {
    db.close();
  }
}

/** One backup file of a database, as its name describes it. */
export interface BackupFile {
  path: string;
  /** When it was taken (from its name). */
  takenAt: Date;
  reason: string;
  bytes: number;
}

const STAMP = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/;

/** The backups of `dbPath` in its backup folder, newest first (files named by backupPath; others are ignored). */
export function listBackups(dbPath: string): BackupFile[] {
  const dir = backupDir(dbPath);
  if (!existsSync(dir)) return [];
  const prefix = `${stemOf(dbPath)}-`;
  const out: BackupFile[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix) || !name.endsWith('.db')) continue;
    const rest = name.slice(prefix.length, -3);
    const dash = rest.indexOf('-');
    if (dash < 0) continue;
    const m = STAMP.exec(rest.slice(0, dash));
    if (!m) continue;
    const takenAt = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]));
    const reason = rest.slice(dash + 1).replace(/-\d+$/, '');
    const path = join(dir, name);
    out.push({ path, takenAt, reason, bytes: statSync(path).size });
  }
  return out.sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime() || b.path.localeCompare(a.path));
}

/** Deletes all but the newest `keep` backups taken for `reason`; returns the deleted paths. Others are never touched. */
export function pruneBackups(dbPath: string, reason: BackupReason, keep: number): string[] {
  const old = listBackups(dbPath)
    .filter((b) => b.reason === reason)
    .slice(keep);
  for (const b of old) unlinkSync(b.path);
  return old.map((b) => b.path);
}
