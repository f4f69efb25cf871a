// Writes what finished attempts settle (task end + attempt row, one transaction: TaskStorePort.settle) and never
// drops one. When the database cannot take it (DbGate: locked past the busy timeout, disk full, read-only), the
// record goes to the result journal (a file, so a crash or stop meanwhile loses nothing) and is written, in order,
// when the gate's retry finds the database writable; only then does the orchestrator apply it (`landed`), so
// dependents start exactly when the completion is in the database. replayResults() writes a previous engine's
// journal at start-up, before leases are recovered: a finished task is never run again.
import type { ResultJournal } from './db/resultJournal';
import type { SettleRecord, TaskStorePort, WriteGate } from './ports';
import { errorMessage } from '../core/describe';

/** Called once a record is in the database: whether the lease was still held (else the result was discarded). */
export type Landed = (held: boolean) => void;

/** Options of ResultWriter. */
export interface ResultWriterOptions {
  store: TaskStorePort;
  gate: WriteGate;
  /** Where waiting records are kept; without one they wait in memory only. */
  journal?: ResultJournal;
  /** A problem worth a log line (journal not writable, a write that failed for another reason). */
  warn(message: string): void;
}

/** The durable writer of settlements (see the file comment). */
export class ResultWriter {
  private readonly queue: { rec: SettleRecord; landed: Landed }[] = [];
  private closed = false;

  constructor(private readonly opts: ResultWriterOptions) {}

  /** Records waiting for the database. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Writes `rec` now when the database takes it (then `landed` runs before this returns), else keeps it and writes it
   * later. An error that is not a database fault (a bug) is reported and the record counts as not held.
   */
  write(rec: SettleRecord, landed: Landed): void {
    if (this.queue.length === 0 && !this.opts.gate.blocked) {
      const r = this.tryWrite(rec);
      if ('held' in r) return landed(r.held);
      this.keep(rec, landed);
      this.opts.gate.failed(r.fault); // reported after the record is journaled: whoever reads the report finds it there
      return;
    }
    this.keep(rec, landed);
  }

  /** Stops retrying; waiting records stay in the journal for the next engine. Returns how many wait. Idempotent. */
  close(): number {
    this.closed = true;
    return this.queue.length;
  }

  /** `held`: written (false also for a write that failed for good, reported); `fault`: the database takes no writes now, keep it. */
  private tryWrite(rec: SettleRecord): { held: boolean } | { fault: unknown } {
    let held: boolean;
    try {
      held = this.opts.store.settle(rec);
    } catch (e) {
      if (this.opts.gate.isFault(e)) return { fault: e };
      this.opts.warn(`could not record the end of ${rec.taskId}: ${errorMessage(e)}`);
      return { held: false };
    }
    this.opts.gate.succeeded();
    return { held };
  }

  private keep(rec: SettleRecord, landed: Landed): void {
    this.queue.push({ rec, landed });
    try {
      this.opts.journal?.add(rec);
    } catch (e) {
      this.opts.warn(
        `the result of ${rec.taskId} waits in memory only (${this.opts.journal?.path} not writable: ${errorMessage(e)}); it is lost if the engine stops before the database takes it`,
      );
    }
    if (this.queue.length === 1) this.opts.gate.whenFree(() => this.flush());
  }

  private flush(): void {
    if (this.closed) return;
    while (this.queue.length > 0) {
      const { rec, landed } = this.queue[0];
      const r = this.tryWrite(rec);
      if ('fault' in r) {
        this.opts.gate.failed(r.fault);
        this.opts.gate.whenFree(() => this.flush());
        return;
      }
      this.queue.shift();
      try {
        this.opts.journal?.remove(rec);
      } catch (e) {
        this.opts.warn(`${this.opts.journal?.path}: could not drop the written result of ${rec.taskId}: ${errorMessage(e)}`);
      }
      // A crash between the write and the journal's removal writes it again at the next start: settle() then finds
      // the lease gone and changes nothing.
      landed(r.held);
    }
  }
}

/**
 * Writes a previous engine's waiting results (call at start-up, holding the writer lock, before recovering leases).
 * Returns the task ids written; records the database still refuses stay in the journal.
 */
export function replayResults(store: TaskStorePort, journal: ResultJournal): { written: string[]; discarded: string[] } {
  const written: string[] = [];
  const discarded: string[] = [];
  for (const rec of journal.entries()) {
    const held = store.settle(rec);
    (held ? written : discarded).push(rec.taskId);
    journal.remove(rec);
  }
  return { written, discarded };
}
