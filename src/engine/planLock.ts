// One engine per task list, whatever database each uses: two engines on one plan with different `--db` both ran 16 of
// 60 tasks (#14 item 8), because the single-writer lock is the database's (`<db>.lock`). This lock is the plan's: a
// lock file (lockFile.ts: pid, start time, stale take-over) named after the plan's real path, kept OUTSIDE the
// workspace (nothing appears in `git status`) in a private per-user directory, `/tmp/coditect-<uid>/` (the OS temp
// folder on Windows). Not taken from the environment (TMPDIR, XDG_RUNTIME_DIR): an editor's engine and a shell's
// `coditect run` see different environments and MUST find the same lock. Engines on other hosts sharing the file
// over a network file system are not seen.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { acquireLock, DatabaseLockedError, type LockHandle, type LockInfo } from './db/lockFile';
import { PRIVATE_DIR_MODE } from './privateFiles';

/** A live engine runs the same task list (with another database). */
export class PlanLockedError extends DatabaseLockedError {
  constructor(
    readonly planPath: string,
    lockPath: string,
    holder: Partial<LockInfo>,
  ) {
    super(lockPath, holder);
    this.name = 'PlanLockedError';
    this.message =
      `${planPath} is already run by another engine: pid ${holder.pid ?? '?'}${holder.db ? ` with database ${holder.db}` : ''}` +
      `${holder.acquiredAt ? ` since ${holder.acquiredAt}` : ''} (lock ${lockPath}); one engine per task list: stop that one, or attach to it with the same --db`;
  }
}

/** The directory of plan locks: private to this user (created 0700; refused when another user owns it or it is a link). */
export function planLockDir(): string {
  const uid = process.getuid?.();
  const dir = uid === undefined ? join(tmpdir(), 'coditect') : join('/tmp', `coditect-${uid}`);
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const st = lstatSync(dir);
  // In a shared /tmp another user could have made this name first, to read or steal our locks.
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid))
    throw new Error(`${dir} is not a directory of this user (uid ${uid}): refusing to keep plan locks there`);
  return dir;
}

/** The lock file of the task list at `planPath` (its real path: a symlink and its target are one plan). */
export function planLockPath(planPath: string): string {
  let real = resolve(planPath);
  try {
    real = realpathSync(real);
  } catch {
    /* not created yet: its path is its name */
  }
  return join(planLockDir(), `plan-${createHash('sha256').update(real).digest('hex').slice(0, 32)}.lock`);
}

/** Takes the plan's lock for an engine using `dbPath`; throws PlanLockedError naming the live holder. */
export function acquirePlanLock(planPath: string, dbPath: string): LockHandle {
  const lockPath = planLockPath(planPath);
  try {
    return acquireLock(lockPath, { db: dbPath });
  } catch (e) {
    if (e instanceof DatabaseLockedError) throw new PlanLockedError(planPath, lockPath, e.holder);
    throw e;
  }
}
