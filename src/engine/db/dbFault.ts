// Database errors that go away by themselves (another program holds the write lock, the disk filled up, the file was
// made read-only for a while) and so are waited out, never turned into a lost result: what they are and how to say so.
// better-sqlite3 throws a SqliteError whose `code` is SQLite's extended result code name (SQLITE_BUSY_SNAPSHOT…).
import { lockHolders } from './lockHolders';

/** What keeps the database from taking a write for now. */
export type DbFaultKind = 'locked' | 'disk-full' | 'io' | 'read-only';

/** A database error worth waiting out (see dbFaultOf). */
export interface DbFault {
  kind: DbFaultKind;
  /** SQLite's result code name, e.g. SQLITE_BUSY. */
  code: string;
  message: string;
}

/** The fault an error is, or undefined when it is not one worth waiting out (a bug, a closed connection, corruption). */
export function dbFaultOf(e: unknown): DbFault | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string') return undefined;
  const kind: DbFaultKind | undefined =
    code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
      ? 'locked'
      : code === 'SQLITE_FULL' || code === 'ENOSPC'
        ? 'disk-full'
        : code.startsWith('SQLITE_IOERR')
          ? 'io'
          : code.startsWith('SQLITE_READONLY')
            ? 'read-only'
            : undefined;
  return kind && { kind, code, message: e.message };
}

/** True when `e` is a database lock held past the busy timeout. */
export function isDbLocked(e: unknown): boolean {
  return dbFaultOf(e)?.kind === 'locked';
}

/**
 * The fault as a person reads it, naming the database and, for a lock, the processes that have it open
 * ("database /w/.coditect/context.db is locked by pid 4242 (sqlite3 context.db)").
 */
export function describeDbFault(f: DbFault, dbPath: string): string {
  switch (f.kind) {
    case 'locked': {
      const holders = lockHolders(dbPath);
      const by = holders.length ? ` by ${holders.map((h) => `pid ${h.pid}${h.command ? ` (${h.command})` : ''}`).join(', ')}` : ' by another connection';
      return `database ${dbPath} is locked${by} longer than the busy timeout (${f.code})`;
    }
    case 'disk-full':
      return `disk full: database ${dbPath} cannot grow (${f.code})`;
    case 'io':
      return `I/O error writing database ${dbPath} (${f.code}: ${f.message})`;
    case 'read-only':
      return `database ${dbPath} is read-only (${f.code}: ${f.message}); make it writable again`;
  }
}
