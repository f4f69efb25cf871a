// Files the engine creates that hold plan data, logs or control: private to the user whatever the umask
// (0700 directories, 0600 files). Under umask 000 another local user could otherwise read the database, or connect
// to the control socket and pause the daemon.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import * as path from 'node:path';

/** Mode of the engine's directories (`.coditect/`, logs). */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of the engine's files (db, -wal, -shm, lock, pid file, logs, control socket). */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `dir` (and missing parents) 0700. An existing directory is made 0700 only when it is the engine's own
 * (`.coditect`): a folder the person chose for `--db` keeps its mode.
 */
export function ensurePrivateDir(dir: string): void {
  const existed = existsSync(dir);
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  // mkdir applied the umask (0777 under umask 000), and an existing dir kept its mode.
  if (!existed || path.basename(dir) === '.coditect') chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Makes each existing path 0600 (missing ones are skipped: a -wal that does not exist yet). */
export function makePrivate(...paths: string[]): void {
  for (const p of paths) if (existsSync(p)) chmodSync(p, PRIVATE_FILE_MODE);
}

/**
 * Creates `file` empty with mode 0600 if it does not exist, then makes it 0600. SQLite creates a database's -wal and
 * -shm with the database file's mode, so a database created this way keeps them private too.
 */
export function createPrivateFile(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  chmodSync(file, PRIVATE_FILE_MODE);
}

/** Runs `fn` (which creates a file or socket synchronously) under umask 077, so it is never visible with wider bits. */
export function withPrivateUmask<T>(fn: () => T): T {
  const old = process.umask(0o077);
  try {
    return fn();
  } finally {
    process.umask(old);
  }
}
