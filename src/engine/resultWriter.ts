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
  /**
   * Records written in the same turn of the event loop are written together at its end, in one transaction
   * (TaskStorePort.settleAll), and `landed` runs then: a hundred attempts ending together cost one commit, not a
   * hundred. Without it, each is written at once and `landed` runs before write() returns. The price: a slot freed
   * early in a turn is refilled at its end. Worth it where results come in bulk (a coordinator of workers reads many at
   * once); the in-process engine, whose results come one by one, refills each slot at once.
   */
  perTurn?: boolean;
}

/** The durable writer of settlements (see the file comment). */
export class ResultWriter {
  private readonly queue: { rec: SettleRecord; landed: Landed }[] = [];
  /** Records of this turn (perTurn), written at its end. */
  private turn: { rec: SettleRecord; landed: Landed }[] = [];
  /** This turn's records are landing (their `landed` runs). */
  private landing = false;
  private readonly turnWritten: (() => void)[] = [];
  private closed = false;

  constructor(private readonly opts: ResultWriterOptions) {}

  /**
   * Records of this turn not landed yet (perTurn): until they have, what they change (dependents ready, a limit reached)
   * does not count yet, so whoever decides what starts next waits for them (afterTurn).
   */
  get inTurn(): number {
    return this.turn.length + (this.landing ? 1 : 0);
  }

  /** Runs `f` each time a turn's records have landed (all of them: written, or kept for the database). */
  afterTurn(f: () => void): void {
    this.turnWritten.push(f);
  }

  /** Records waiting for the database. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Writes `rec` now when the database takes it (then `landed` runs before this returns), else keeps it and writes it
   * later. An error that is not a database fault (a bug) is reported and the record counts as not held.
   */
  write(rec: SettleRecord, landed: Landed): void {
    if (this.opts.perTurn && !this.closed && (this.turn.length > 0 || (this.queue.length === 0 && !this.opts.gate.blocked))) {
      this.turn.push({ rec, landed });
      if (this.turn.length === 1) setImmediate(() => this.writeTurn());
      return;
    }
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
    this.writeTurn(); // this turn's records are written (or journaled) before the writer stops
    this.closed = true;
    return this.queue.length;
  }

  /** Writes this turn's records now (perTurn) instead of at the end of the turn: an engine that stops waits for them. */
  writeNow(): void {
    this.writeTurn();
  }

  /**
   * Writes this turn's records in one transaction, then runs their `landed` in order. A fault (the database takes no
   * writes) writes none of them: they wait, journaled, in order, as a single refused write does. A record that fails
   * for another reason is reported and counts as not held, as in tryWrite.
   */
  private writeTurn(): void {
    const batch = this.turn;
    this.turn = [];
    if (batch.length === 0) return;
    try {
      this.landing = true;
      this.land(batch);
    } finally {
      this.landing = false;
    }
    for (const f of this.turnWritten) f();
  }

  private land(batch: { rec: SettleRecord; landed: Landed }[]): void {
    if (this.queue.length > 0 || this.opts.gate.blocked) {
      for (const b of batch) this.keep(b.rec, b.landed);
      return;
    }
    let results: ({ held: boolean } | { error: unknown })[];
    try {
      results = this.opts.store.settleAll(
        batch.map((b) => b.rec),
        (e) => this.opts.gate.isFault(e),
      );
    } catch (e) {
      if (this.opts.gate.isFault(e)) {
        for (const b of batch) this.keep(b.rec, b.landed);
        this.opts.gate.failed(e); // reported after the records are journaled, as in write()
        return;
      }
      results = batch.map(() => ({ error: e }));
    }
    this.opts.gate.succeeded();
    batch.forEach((b, i) => {
      const r = results[i];
      if ('error' in r) this.opts.warn(`could not record the end of ${b.rec.taskId}: ${errorMessage(r.error)}`);
      try {
        b.landed('held' in r ? r.held : false);
      } catch (e) {
        this.opts.warn(`after recording the end of ${b.rec.taskId}: ${errorMessage(e)}`);
      }
    });
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
