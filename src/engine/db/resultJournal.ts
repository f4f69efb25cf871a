// Finished attempts whose results the database could not take yet (locked past the busy timeout, disk full): kept in
// a small private file next to the database, `<db>.results`, until they are written. A crash or a stop while they
// wait does not lose them: the next engine writes them before it recovers leases (replayResults in resultWriter.ts),
// so a task that finished is never run again. One JSON record per line; the file is replaced atomically on every
// change and removed when empty.
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { PRIVATE_FILE_MODE } from '../privateFiles';
import { writeFileAtomic } from '../sync/atomicWrite';
import type { SettleRecord } from '../ports';
import { errorMessage } from '../../core/describe';

/** The journal's file for a database. */
export function resultJournalPath(dbPath: string): string {
  return `${dbPath}.results`;
}

/** Pending settlements, mirrored in a file (see the file comment). */
export class ResultJournal {
  private readonly records = new Map<string, SettleRecord>();
  /** Lines of the file that could not be read back (named in the engine's log). */
  readonly unreadable: string[] = [];

  /** Reads the journal of `path` (none: empty). */
  constructor(readonly path: string) {
    if (!existsSync(path)) return;
    const text = readFileSync(path, 'utf8');
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        const rec = JSON.parse(line) as SettleRecord;
        if (typeof rec?.taskId !== 'string' || typeof rec.owner !== 'string' || typeof rec.finish?.status !== 'string') throw new Error('not a result');
        this.records.set(keyOf(rec), rec);
      } catch (e) {
        this.unreadable.push(`${path}:${i + 1}: ${errorMessage(e)}`);
      }
    });
  }

  /** Records waiting, oldest first. */
  entries(): SettleRecord[] {
    return [...this.records.values()];
  }

  get size(): number {
    return this.records.size;
  }

  /** Keeps `rec` durably (fsync'd) until remove(); throws when the file cannot be written (disk full). */
  add(rec: SettleRecord): void {
    this.records.set(keyOf(rec), rec);
    this.save();
  }

  /** Forgets a record once it is in the database. */
  remove(rec: SettleRecord): void {
    if (this.records.delete(keyOf(rec))) this.save();
  }

  private save(): void {
    if (this.records.size === 0) {
      if (existsSync(this.path)) unlinkSync(this.path);
      return;
    }
    const text = [...this.records.values()].map((r) => JSON.stringify(r)).join('\n') + '\n';
    writeFileAtomic(this.path, new TextEncoder().encode(text), { mode: PRIVATE_FILE_MODE });
  }
}

function keyOf(r: SettleRecord): string {
  return `${r.owner}\0${r.taskId}\0${r.attemptId ?? ''}`;
}
