// Notices writes to context.db made by other programs (a script's `UPDATE v2_tasks SET status='completed'`, a
// reporting tool, sqlite3 by hand), so they reach the markdown and the dispatcher while the engine runs: the plan's
// "database change detection by polling".
//
// How: every `intervalMs`, `PRAGMA data_version` on the engine's own connection. SQLite changes that number, per
// connection, exactly when ANOTHER connection (of any process) committed since the last look; the engine's own writes
// never change it. So the poll costs one pragma (no table read), a write that does not touch `updated_at` is seen as
// well as one that does, and the engine never reacts to itself.
// Invariants:
//   - `onChange` never runs twice at once: a change seen while it runs is kept (the number is re-read after it) and
//     handled by the next run, so no outside write is lost;
//   - the timer never keeps the process alive (unref), and close() waits for a running `onChange`.
import type Database from 'better-sqlite3';
import { errorMessage } from '../../core/describe';

/** Options of DbChangePoller. */
export interface DbChangePollerOptions {
  /** The engine's open connection (read with one pragma; never written). */
  db: Database.Database;
  /** Time between two looks, ms, ≥ 1 (the config's `sync.watch_interval_ms`, the plan's `sync_daemon.watch_interval`). */
  intervalMs: number;
  /** Runs after another connection committed; never twice at once. */
  onChange: () => unknown;
  /** Errors of `onChange` or of the pragma (a closed or broken connection). Default: ignored. */
  onError?: (error: Error) => void;
}

/** Polls `PRAGMA data_version` and calls `onChange` after each commit made by another connection. */
export class DbChangePoller {
  private readonly intervalMs: number;
  private readonly version: () => number;
  private last: number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private closed = false;

  constructor(private readonly opts: DbChangePollerOptions) {
    if (!opts || !opts.db) throw new Error('DbChangePoller: db (an open connection) is required');
    if (!Number.isFinite(opts.intervalMs) || opts.intervalMs < 1) throw new Error(`DbChangePoller: intervalMs must be ≥ 1 ms, got ${String(opts.intervalMs)}`);
    if (typeof opts.onChange !== 'function') throw new Error(`DbChangePoller: onChange must be a function, got ${typeof opts.onChange}`);
    this.intervalMs = opts.intervalMs;
    const stmt = opts.db.prepare('PRAGMA data_version').pluck();
    this.version = () => stmt.get() as number;
    this.last = this.version();
    this.schedule();
  }

  /** Looks now (instead of at the next tick); resolves when a resulting `onChange` is done. */
  poll(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) return this.running;
    let now: number;
    try {
      now = this.version();
    } catch (e) {
      this.report(e);
      return Promise.resolve();
    }
    if (now === this.last) return Promise.resolve();
    this.last = now;
    this.running = (async () => {
      try {
        await this.opts.onChange();
      } catch (e) {
        this.report(e);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Stops polling; waits for a running `onChange`. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.poll().finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref();
  }

  private report(e: unknown): void {
    this.opts.onError?.(e instanceof Error ? e : new Error(errorMessage(e)));
  }
}
