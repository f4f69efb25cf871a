// The plan's "automatic backups every 6 hours": a running engine copies its database into `<db folder>/backups` every
// `backup.interval_hours` and keeps the newest `backup.keep` of these periodic copies. The schedule follows the newest
// periodic backup on disk, so an engine restarted every hour still takes one every interval, not one per start.
import type Database from 'better-sqlite3';
import { errorMessage } from '../../core/describe';
import { backupPath, backupTo, listBackups, pruneBackups } from './backup';

/** What the timer needs; `intervalMs` 0 turns it off. */
export interface BackupTimerOptions {
  db: Database.Database;
  dbPath: string;
  intervalMs: number;
  keep: number;
  log: { info(m: string): void; warn(m: string): void };
  /** Called after each periodic backup (tests, metrics). */
  onBackup?: (path: string) => void;
  now?: () => number;
}

/** When a failed backup is tried again (a database locked by another program, a full disk). */
const RETRY_MS = 60_000;

/** A running schedule of periodic backups; close() is idempotent. */
export class BackupTimer {
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(private opts: BackupTimerOptions) {
    this.schedule();
  }

  /** New interval or retention (a reloaded config): the schedule restarts from the newest backup on disk. */
  reconfigure(intervalMs: number, keep: number): void {
    if (this.closed) return;
    this.opts = { ...this.opts, intervalMs, keep };
    this.schedule();
  }

  /** Ms until the next backup is due: the newest periodic backup's time + interval (now when there is none). */
  dueInMs(): number {
    const newest = listBackups(this.opts.dbPath).find((b) => b.reason === 'periodic');
    const now = (this.opts.now ?? Date.now)();
    return newest === undefined ? 0 : Math.max(0, newest.takenAt.getTime() + this.opts.intervalMs - now);
  }

  /** Takes one periodic backup now and prunes the old ones; returns its path. */
  backupNow(): string {
    const { db, dbPath, keep } = this.opts;
    const path = backupTo(db, backupPath(dbPath, 'periodic', new Date((this.opts.now ?? Date.now)())));
    const pruned = pruneBackups(dbPath, 'periodic', keep);
    this.opts.log.info(`backup: ${path}${pruned.length ? ` (removed ${pruned.length} older periodic backup(s), keeping ${keep})` : ''}`);
    this.opts.onBackup?.(path);
    return path;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed || this.opts.intervalMs <= 0) return;
    let delay: number;
    try {
      delay = this.dueInMs();
    } catch (e) {
      this.opts.log.warn(`backup: cannot read the backup folder: ${errorMessage(e)}`);
      delay = RETRY_MS;
    }
    this.arm(delay);
  }

  private arm(delay: number): void {
    // setTimeout holds at most 2^31-1 ms (24.8 days); a longer interval re-arms on the way.
    const step = Math.min(delay, 2_147_483_647);
    this.timer = setTimeout(() => {
      if (this.closed) return;
      if (step < delay) return this.arm(delay - step);
      try {
        this.backupNow();
        this.arm(this.opts.intervalMs);
      } catch (e) {
        this.opts.log.warn(`backup: not taken (${errorMessage(e)}); trying again in ${RETRY_MS / 1000} s`);
        this.arm(RETRY_MS);
      }
    }, step);
    // A pending backup never keeps a finished process alive.
    this.timer.unref();
  }
}
