// Finished attempts whose results the database could not take yet (locked past the busy timeout, disk full): kept in
// a small private file next to the database, `<db>.results`, until they are written. A crash or a stop while they
// wait does not lose them: the next engine writes them before it recovers leases (replayResults in resultWriter.ts),
// so a task that finished is never run again. One JSON record per line; the file is replaced atomically on every
// change and removed when empty.
// A full disk is exactly when the journal is needed and cannot be written: the engine keeps a reserve file of
// RESERVE_BYTES beside it (`<db>.results.reserve`, random bytes so no file system stores it as a hole or compresses
// it) and gives that space up to the journal when a write fails with ENOSPC. A record that still does not fit is
// written with its output cut to its tail (the status and summary are what the next start needs).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { PRIVATE_FILE_MODE } from '../privateFiles';
import { writeFileAtomic } from '../sync/atomicWrite';
import type { SettleRecord } from '../ports';
import { errorMessage } from '../../core/describe';

/** The journal's file for a database. */
export function resultJournalPath(dbPath: string): string {
  return `${dbPath}.results`;
}

/** Disk space kept for the journal (see the file comment). */
export const RESERVE_BYTES = 256 * 1024;
/** Output kept per stream of a record written in its cut form. */
const CUT_OUTPUT_CHARS = 4096;

/** The reserve file of a journal. */
export function journalReservePath(journalPath: string): string {
  return `${journalPath}.reserve`;
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

  /**
   * Makes sure the reserve exists (call at start, and it is called when the journal empties). Best effort: returns
   * the error when the disk has no room for it, undefined when it is there.
   */
  reserve(): string | undefined {
    const at = journalReservePath(this.path);
    if (existsSync(at)) return undefined;
    try {
      writeFileAtomic(at, randomBytes(RESERVE_BYTES), { mode: PRIVATE_FILE_MODE });
      return undefined;
    } catch (e) {
      return errorMessage(e);
    }
  }

  private save(): void {
    if (this.records.size === 0) {
      if (existsSync(this.path)) unlinkSync(this.path);
      this.reserve();
      return;
    }
    const records = [...this.records.values()];
    const write = (recs: SettleRecord[]): void =>
      void writeFileAtomic(this.path, new TextEncoder().encode(recs.map((r) => JSON.stringify(r)).join('\n') + '\n'), { mode: PRIVATE_FILE_MODE });
    try {
      write(records);
      return;
    } catch (e) {
      if (!isNoSpace(e)) throw e;
    }
    // The disk is full: give the journal the reserved space, then, if the records still do not fit, their output cut.
    try {
      unlinkSync(journalReservePath(this.path));
    } catch {
      /* no reserve left */
    }
    try {
      write(records);
    } catch (e) {
      if (!isNoSpace(e)) throw e;
      write(records.map(cutOutput));
    }
  }
}

function isNoSpace(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** `rec` with its attempt's stdout and stderr cut to their last CUT_OUTPUT_CHARS. */
function cutOutput(rec: SettleRecord): SettleRecord {
  if (!rec.end) return rec;
  const cut = (s: string | undefined): string | undefined =>
    s === undefined || s.length <= CUT_OUTPUT_CHARS ? s : `[cut to its last ${CUT_OUTPUT_CHARS} characters: the disk was full]\n${s.slice(-CUT_OUTPUT_CHARS)}`;
  return { ...rec, end: { ...rec.end, stdout: cut(rec.end.stdout), stderr: cut(rec.end.stderr) } };
}

function keyOf(r: SettleRecord): string {
  return `${r.owner}\0${r.taskId}\0${r.attemptId ?? ''}`;
}
