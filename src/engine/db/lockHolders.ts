// Which other processes have a database open, so a lock held past the busy timeout can be reported by pid
// ("database is locked by pid 4242 (sqlite3 context.db)") instead of an anonymous "database is locked".
// SQLite does not say who holds its lock; on Linux /proc/<pid>/fd does say who has the file open. Elsewhere, and for
// processes of other users, nothing is found and the caller says "another connection".
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A process that has the database (or its -wal) open. */
export interface LockHolder {
  pid: number;
  /** Its command line, cut to 80 characters. */
  command?: string;
}

/** Processes other than this one that have `dbPath` or its `-wal`/`-shm` open (Linux /proc; [] elsewhere). */
export function lockHolders(dbPath: string): LockHolder[] {
  const targets = new Set([dbPath, `${dbPath}-wal`, `${dbPath}-shm`]);
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return [];
  }
  const out: LockHolder[] = [];
  for (const p of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      continue; // gone, or another user's
    }
    const holds = fds.some((fd) => {
      try {
        return targets.has(readlinkSync(`/proc/${p}/fd/${fd}`));
      } catch {
        return false;
      }
    });
    if (!holds) continue;
    let command: string | undefined;
    try {
      // One line whatever the arguments hold (a `node -e` script has newlines).
      command = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').replace(/\s+/g, ' ').trim().slice(0, 80) || undefined;
    } catch {
      command = undefined;
    }
    out.push({ pid: Number(p), command });
  }
  return out;
}
