// Checkpoints context.db's write-ahead log off the engine's event loop. SQLite's own auto-checkpoint runs inside
// whichever commit takes the WAL past 1,000 pages: the pages copied into the database file and two fsyncs, 8-15 ms on
// the development machine, on the one thread that also decides and dispatches. With workers over Redis that was one
// stall every ~50 tasks, and it set the dispatch p99 at the engine's default concurrency (docs/server.md#measured).
//
// Here the writer's auto-checkpoint is off and a worker thread with its own connection runs
// `PRAGMA wal_checkpoint(PASSIVE)` every `intervalMs`. PASSIVE never waits for, nor blocks, the writer or a reader: it
// copies the frames no reader still needs, and once all are copied the writer's next transaction starts the WAL again
// from its beginning, so the WAL stays as large as what is written between two checkpoints.
//
// Invariants:
// - Only the engine that holds the writer lock runs one (the runtime), so there is one checkpointer per database.
// - Whenever the thread is not running (it failed to start, died, or a checkpoint failed with anything but a busy
//   lock), the writer has SQLite's auto-checkpoint back: the WAL never grows without bound.
// - close() stops the thread before the writer closes (the runtime's order): the writer's own close then checkpoints
//   and removes the WAL, as it always did.
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { errorMessage } from '../../core/describe';

/** SQLite's default `wal_autocheckpoint`, given back to the writer whenever the thread does not run. */
const SQLITE_AUTO_CHECKPOINT_PAGES = 1000;

/** What one checkpoint did (SQLite's `wal_checkpoint` row): frames in the WAL and frames copied into the database. */
export interface CheckpointResult {
  busy: boolean;
  logFrames: number;
  checkpointedFrames: number;
}

export interface WalCheckpointerOptions {
  /** The writer's connection (the engine's one writer). */
  db: Database.Database;
  /** Absolute path of the database file. */
  path: string;
  /** Between two checkpoints, ms [200]. */
  intervalMs?: number;
  warn(message: string): void;
  /** Told once, when the thread is ready and the writer's auto-checkpoint is off. */
  debug?(message: string): void;
  /** Called after each checkpoint (for tests and figures). */
  onCheckpoint?(r: CheckpointResult): void;
  /** The better-sqlite3 module the thread loads [the one this process loaded]. */
  driver?: string;
}

// Plain CommonJS, evaluated as the thread's code: the engine's bundle has no file of its own to point a Worker at.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    parentPort.postMessage({ ok: true, busy: r.busy === 1, logFrames: r.log, checkpointedFrames: r.checkpointed });
  } catch (e) {
    parentPort.postMessage({ ok: false, code: e && e.code, message: String((e && e.message) || e) });
  }
});
parentPort.postMessage({ ready: true });
`;

type ThreadReply = { ready: true } | ({ ok: true } & CheckpointResult) | { ok: false; code?: string; message: string };

/** Runs the WAL's checkpoints on a worker thread while the engine writes (see the file comment). */
export class WalCheckpointer {
  private thread?: Worker;
  private timer?: NodeJS.Timeout;
  /** A checkpoint asked for and not answered yet: the next tick skips (one at a time). */
  private inFlight = false;
  private closing?: Promise<void>;
  /** Between two checkpoints, ms (the option, resolved and checked once). */
  private readonly intervalMs: number;

  private constructor(private readonly opts: WalCheckpointerOptions) {
    const { intervalMs = 200 } = opts;
    if (!Number.isInteger(intervalMs) || intervalMs < 1) throw new RangeError(`WalCheckpointer intervalMs must be a positive integer, got ${intervalMs}`);
    this.intervalMs = intervalMs;
  }

  /** Starts the thread and turns the writer's auto-checkpoint off once the thread is ready. */
  static start(opts: WalCheckpointerOptions): WalCheckpointer {
    const c = new WalCheckpointer(opts);
    c.startThread();
    return c;
  }

  /** Stops the thread (a checkpoint in flight ends first) and gives the writer its auto-checkpoint back. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      const thread = this.thread;
      this.thread = undefined;
      if (thread) {
        const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
        thread.postMessage('close');
        // A thread that does not end within a second (a checkpoint stuck on the disk) is stopped; the writer's
        // close then checkpoints as it always did.
        const stuck = setTimeout(() => void thread.terminate(), 1000);
        await exited;
        clearTimeout(stuck);
      }
      this.autoCheckpointBack();
    })();
    return this.closing;
  }

  private startThread(): void {
    const { path } = this.opts;
    let thread: Worker;
    try {
      thread = new Worker(THREAD_SOURCE, { eval: true, workerData: { driver: this.opts.driver ?? require.resolve('better-sqlite3'), path } });
    } catch (e) {
      this.failed(`could not start: ${errorMessage(e)}`);
      return;
    }
    this.thread = thread;
    // Never what keeps the process alive: an engine that exits without close() leaves the WAL to the next open, as a
    // killed one always did.
    thread.unref();
    // The thread's own failures (its connection could not open, it died): the writer checkpoints again by itself.
    thread.on('error', (e) => this.failed(errorMessage(e)));
    thread.on('exit', (code) => {
      if (this.thread === thread) this.failed(`its thread exited (code ${code})`);
    });
    thread.on('message', (m: ThreadReply) => this.onReply(m));
  }

  private onReply(m: ThreadReply): void {
    if ('ready' in m) {
      if (this.thread === undefined) return;
      this.opts.db.pragma('wal_autocheckpoint = 0');
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
      this.opts.debug?.(`database checkpoints run on their own thread, every ${this.intervalMs} ms`);
      return;
    }
    this.inFlight = false;
    if (m.ok) {
      this.opts.onCheckpoint?.({ busy: m.busy, logFrames: m.logFrames, checkpointedFrames: m.checkpointedFrames });
      return;
    }
    // Another connection checkpointing at the same moment (a CLI closing its own): the next tick tries again.
    if (m.code === 'SQLITE_BUSY' || m.code === 'SQLITE_LOCKED') return;
    this.failed(`a checkpoint failed: ${m.message}`);
  }

  private tick(): void {
    if (this.inFlight || !this.thread) return;
    this.inFlight = true;
    this.thread.postMessage('checkpoint');
  }

  /** The thread is not running any more: the writer's own auto-checkpoint is back, and it is said why. */
  private failed(why: string): void {
    const thread = this.thread;
    this.thread = undefined;
    clearInterval(this.timer);
    this.autoCheckpointBack();
    if (thread) void thread.terminate();
    if (!this.closing) this.opts.warn(`database checkpoints on their own thread stopped (${why}): the database checkpoints within its commits again`);
  }

  private autoCheckpointBack(): void {
    if (this.opts.db.open) this.opts.db.pragma(`wal_autocheckpoint = ${SQLITE_AUTO_CHECKPOINT_PAGES}`);
  }
}
