// The engine's view of whether context.db takes writes. A write that fails with a fault worth waiting out (another
// program holds the write lock past the busy timeout, the disk is full, the file is read-only: dbFault.ts) marks the
// gate blocked; whoever still has work to write registers it with whenFree(). The gate then retries with
// exponential backoff: each retry first probes the write lock without waiting (BEGIN IMMEDIATE under busy_timeout 0),
// so a held lock never freezes the engine for a whole busy timeout per retry, and only then runs the waiting work.
// For the same reason, while a lock episode lasts every other write on the connection fails at once instead of
// waiting the busy timeout: better-sqlite3 waits synchronously, so each such write froze the engine for 5 s — a
// SIGTERM was not even seen until it ended, and shutdown's own write-back waited 5 s more (a stop measured 9.7 s
// after SIGTERM). The writes that fail so are the ones the gate exists for: kept (the result journal) or retried.
// Blocked and free are reported once per episode, with the cause ("locked by pid 4242 (sqlite3 …)").
import type Database from 'better-sqlite3';
import type { WriteGate } from '../ports';
import { RetryTimer } from '../retryTimer';
import { dbFaultOf, describeDbFault, type DbFault } from './dbFault';

/** Options of DbGate. */
export interface DbGateOptions {
  db: Database.Database;
  /** Absolute path of the database (named in reports). */
  path: string;
  /** The gate became blocked: `message` names the cause and the database. */
  onBlocked?(fault: DbFault, message: string): void;
  /** The gate is free again after `blockedMs`. */
  onFree?(blockedMs: number): void;
  /** First retry delay, ms. Default 250. */
  initialRetryMs?: number;
  /** Largest retry delay, ms. Default 8000. */
  maxRetryMs?: number;
}

/** Whether context.db takes writes, and the work waiting until it does (see the file comment). */
export class DbGate implements WriteGate {
  private current?: { fault: DbFault; since: number };
  private waiting: (() => void)[] = [];
  private readonly timer: RetryTimer;
  private closed = false;
  /** The connection's busy timeout before a lock episode set it to 0; undefined while none lasts. */
  private normalBusyMs?: number;

  constructor(private readonly opts: DbGateOptions) {
    this.timer = new RetryTimer({ initialMs: opts.initialRetryMs ?? 250, maxMs: opts.maxRetryMs ?? 8000, onFire: () => this.retry() });
  }

  /** The fault that blocks writes now, or undefined while the database takes them. */
  get fault(): DbFault | undefined {
    return this.current?.fault;
  }

  /** True while a write failed with a fault and nothing has been written since. */
  get blocked(): boolean {
    return this.current !== undefined;
  }

  /** Whether `e` is a fault worth waiting out (dbFault.ts); nothing is marked. */
  isFault(e: unknown): boolean {
    return dbFaultOf(e) !== undefined;
  }

  /**
   * Classifies a write's error: a fault worth waiting out marks the gate blocked (reported once) and is returned;
   * anything else returns undefined and the caller handles it as before.
   */
  failed(e: unknown): DbFault | undefined {
    const fault = dbFaultOf(e);
    if (!fault || this.closed) return fault;
    if (!this.current) {
      this.current = { fault, since: Date.now() };
      this.opts.onBlocked?.(fault, describeDbFault(fault, this.opts.path));
    } else if (this.current.fault.kind !== fault.kind) {
      // The cause changed (the lock cleared, now the disk is full): say so.
      this.current.fault = fault;
      this.opts.onBlocked?.(fault, describeDbFault(fault, this.opts.path));
    }
    this.waitForLock(fault.kind !== 'locked');
    this.timer.schedule();
    return fault;
  }

  /** A write went through: the gate is free (reported once) and the backoff starts over. */
  succeeded(): void {
    this.timer.reset();
    this.waitForLock(true);
    if (!this.current) return;
    const ms = Date.now() - this.current.since;
    this.current = undefined;
    this.opts.onFree?.(ms);
  }

  /** Runs `work` at the next retry the database may take writes (once; `work` registers again if it fails again). */
  whenFree(work: () => void): void {
    if (this.closed) return;
    this.waiting.push(work);
    this.timer.schedule();
  }

  /**
   * Stops retrying; waiting work is dropped (its owner keeps what it must, e.g. the result journal). Idempotent. A
   * lock episode's zero busy timeout stays: the engine's last writes while it shuts down do not wait for the lock.
   */
  close(): void {
    this.closed = true;
    this.timer.dispose();
    this.waiting = [];
  }

  private retry(): void {
    if (this.closed) return;
    if (this.current?.fault.kind === 'locked') {
      if (this.lockHeld()) {
        this.timer.schedule();
        return;
      }
      this.waitForLock(true); // the lock is gone: the waiting work's writes may wait for a passing one again
    }
    const work = this.waiting.splice(0);
    for (const w of work) w();
    // Whoever failed again called failed(), which armed the next retry; work that registered again keeps it armed.
    if (this.waiting.length > 0) this.timer.schedule();
  }

  /**
   * `wait` false: writes on the connection fail at once while another holds the lock (busy timeout 0, during a lock
   * episode); true: they wait the busy timeout they had again.
   */
  private waitForLock(wait: boolean): void {
    const db = this.opts.db;
    if (!db.open || wait === (this.normalBusyMs === undefined)) return;
    if (wait) {
      db.pragma(`busy_timeout = ${this.normalBusyMs}`);
      this.normalBusyMs = undefined;
    } else {
      this.normalBusyMs = db.pragma('busy_timeout', { simple: true }) as number;
      db.pragma('busy_timeout = 0');
    }
  }

  /** True when another connection holds the write lock right now (probed without waiting). */
  private lockHeld(): boolean {
    const db = this.opts.db;
    if (!db.open || db.inTransaction) return false;
    const busy = db.pragma('busy_timeout', { simple: true }) as number;
    db.pragma('busy_timeout = 0');
    try {
      db.exec('BEGIN IMMEDIATE');
      db.exec('ROLLBACK');
      return false;
    } catch (e) {
      return dbFaultOf(e)?.kind === 'locked';
    } finally {
      db.pragma(`busy_timeout = ${busy}`);
    }
  }
}
