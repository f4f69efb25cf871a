// The single-writer lock of a database file: `<db>.lock`, created exclusively ('wx'), holding the owner's pid.
// Why a lock file and not only SQLite's own locks: SQLite serialises transactions but happily lets two engines
// interleave them, and two engines on one context.db would each dispatch the same tasks. The lock makes the second
// opener fail at once with a message naming the holder.
//
// A lock left behind by a dead process (SIGKILL, power loss) is taken over. "Dead" means: no such pid, a zombie, or
// a pid reused by a newer process (the holder's start time, from /proc, differs). Taking over moves the stale file
// aside with an atomic rename and checks that what was moved is still the stale lock, so two processes taking over
// at once cannot both win.
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { errorMessage } from '../../core/describe';

/** Contents of a lock file. */
export interface LockInfo {
  pid: number;
  host: string;
  /** Random token telling this holder's file from a successor's. */
  nonce: string;
  /** Process start time in clock ticks since boot (Linux /proc), to detect a reused pid. */
  procStart?: number;
  acquiredAt: string;
  /** The holder's database, in a lock that is not the database's own (the plan's: planLock.ts). */
  db?: string;
}

/** Thrown when a live process holds the lock. */
export class DatabaseLockedError extends Error {
  constructor(
    readonly lockPath: string,
    readonly holder: Partial<LockInfo>,
  ) {
    super(
      `database is in use by another process: ${lockPath} is held by pid ${holder.pid ?? '?'}` +
        (holder.host && holder.host !== hostname() ? ` on host ${holder.host}` : '') +
        (holder.acquiredAt ? ` since ${holder.acquiredAt}` : '') +
        ' (one writer per database file; stop that process or use another --db)',
    );
    this.name = 'DatabaseLockedError';
  }
}

/** A held lock; `release()` is idempotent and removes the file only while it is still ours. */
export interface LockHandle {
  readonly path: string;
  readonly info: LockInfo;
  release(): void;
}

/** A lock file younger than this with unreadable contents is assumed to be mid-creation by a live process. */
const UNREADABLE_GRACE_MS = 5_000;

/** Start time of `pid` in clock ticks since boot, or undefined where /proc is unavailable. */
export function processStartTicks(pid: number | 'self'): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; fields after the parenthesised command name (which may contain spaces) start at field 3.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(rest[22 - 3]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` runs (a zombie has exited and counts as dead). EPERM means alive under another user. */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc: kill(0) said it exists
  }
}

function readLock(path: string): { raw: string; info?: Partial<LockInfo> } | undefined {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const info = JSON.parse(raw) as Partial<LockInfo>;
    return { raw, info: info && typeof info === 'object' ? info : undefined };
  } catch {
    return { raw };
  }
}

/** True when the holder described by `info` is certainly gone. Locks of other hosts are never judged stale. */
function holderDead(info: Partial<LockInfo>): boolean {
  if (info.host !== undefined && info.host !== hostname()) return false;
  if (typeof info.pid !== 'number') return false;
  if (!pidAlive(info.pid)) return true;
  if (typeof info.procStart === 'number') {
    const now = processStartTicks(info.pid);
    if (now !== undefined && now !== info.procStart) return true; // the pid was reused by a newer process
  }
  return false;
}

function tryCreate(path: string, info: LockInfo): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new Error(`cannot create lock file ${path}: ${errorMessage(e)}`, { cause: e });
  }
  try {
    writeSync(fd, `${JSON.stringify(info)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Takes the exclusive lock at `lockPath`, taking over a stale one. Throws DatabaseLockedError naming the live
 * holder's pid.
 */
export function acquireLock(lockPath: string, extra: Pick<LockInfo, 'db'> = {}): LockHandle {
  const info: LockInfo = {
    pid: process.pid,
    host: hostname(),
    nonce: randomBytes(12).toString('hex'),
    procStart: processStartTicks('self'),
    acquiredAt: new Date().toISOString(),
    ...extra,
  };
  for (let round = 0; round < 8; round++) {
    if (tryCreate(lockPath, info)) return handle(lockPath, info);
    const seen = readLock(lockPath);
    if (!seen) continue; // released between our attempt and the read: try again
    if (!seen.info || typeof seen.info.pid !== 'number') {
      // Unreadable: a holder may be writing it right now. Only an old unreadable file is garbage.
      let age: number;
      try {
        age = Date.now() - statSync(lockPath).mtimeMs;
      } catch {
        continue;
      }
      if (age < UNREADABLE_GRACE_MS) throw new DatabaseLockedError(lockPath, {});
    } else if (!holderDead(seen.info)) {
      throw new DatabaseLockedError(lockPath, seen.info);
    }
    takeOverStale(lockPath, seen.raw);
  }
  throw new Error(`could not acquire ${lockPath}: it kept changing hands (several processes starting at once?)`);
}

/** Moves the stale lock aside; if what got moved is not the stale file we judged, puts it back. */
function takeOverStale(lockPath: string, staleRaw: string): void {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lockPath, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  let moved = '';
  try {
    moved = readFileSync(aside, 'utf8');
  } catch {
    /* treat as changed */
  }
  if (moved !== staleRaw) {
    // Another process took the lock over between our read and our rename: give it back (link fails if yet
    // another lock appeared meanwhile, in which case that one stands).
    try {
      linkSync(aside, lockPath);
    } catch {
      /* another lock exists */
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    /* already gone */
  }
}

function handle(path: string, info: LockInfo): LockHandle {
  let released = false;
  const onExit = (): void => release();
  function release(): void {
    if (released) return;
    released = true;
    process.removeListener('exit', onExit);
    // MUST NOT remove a successor's lock: only unlink while the file still carries our nonce.
    const seen = readLock(path);
    if (seen?.info?.nonce === info.nonce) {
      try {
        unlinkSync(path);
      } catch {
        /* gone already */
      }
    }
  }
  // A clean exit without close() still releases the lock; a crash leaves it stale for the next opener.
  process.on('exit', onExit);
  return { path, info, release };
}
