// Opening context.db: the single-writer lock, pragmas, and the schema migrations.
// A database of another tool that holds the plan's tables is adopted (adopt.ts); a copy is taken before the first
// migration touches existing data (backup.ts).
// Schema lives in numbered files `src/engine/db/migrations/NNN_name.sql` (embedded in the bundles, migrationFiles.ts);
// `PRAGMA user_version` records the last one applied. Each migration runs in its own transaction, so a failing
// migration leaves the database at the previous version, never half-migrated.
import { createPrivateFile, ensurePrivateDir, makePrivate } from '../privateFiles';
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { adoptTables, tablesToAdopt, type AdoptionReport } from './adopt';
import { backupPath, backupTo } from './backup';
import { rewriteCheckLists } from './checkLists';
import { acquireLock, type LockHandle } from './lockFile';
import { migrationFiles, migrationFilesIn } from './migrationFiles';
import { errorMessage } from '../../core/describe';

/** One schema migration file. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Options of openDatabase. */
export interface OpenDatabaseOptions {
  /** How long a statement waits for another connection's lock, in ms. Default 5000. */
  busyTimeoutMs?: number;
  /** Directory of `NNN_name.sql` migrations to use instead of this build's own (tests). */
  migrationsDir?: string;
}

/** An open database. `close()` is idempotent: closes the connection and releases the writer lock. */
export interface DatabaseHandle {
  readonly db: Database.Database;
  /** Absolute path of the database file. */
  readonly path: string;
  /** `PRAGMA user_version` after migrations. */
  readonly schemaVersion: number;
  readonly readonly: boolean;
  /** What opening did to the file: the schema version found, the backup taken before migrating, an adoption. */
  readonly opened: OpenReport;
  close(): void;
}

/** What openDatabase did to an existing file (see DatabaseHandle.opened). */
export interface OpenReport {
  /** `PRAGMA user_version` found (0: new, or never migrated by CODITECT). */
  migratedFrom: number;
  /** The copy taken before the first migration touched existing data. */
  backupPath?: string;
  /** Tables of another tool taken over (see adopt.ts). */
  adopted?: AdoptionReport;
}

/** Thrown for a database written by a newer build than this one. */
export class SchemaTooNewError extends Error {
  constructor(
    readonly path: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `${path}: database schema version ${found} is newer than this build of CODITECT supports (${supported}); ` +
        'upgrade CODITECT, or use another database file (--db)',
    );
    this.name = 'SchemaTooNewError';
  }
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** What a migration does that SQL cannot, by migration name: run after its file, in the same transaction. */
const MIGRATION_CODE: Record<string, (db: Database.Database) => void> = {
  check_lists: rewriteCheckLists,
};

/** Applies one migration: its SQL, then its code step if it has one. */
function applyMigration(db: Database.Database, m: Migration): void {
  db.exec(m.sql);
  MIGRATION_CODE[m.name]?.(db);
}
const MIGRATION_FILE = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

/**
 * Reads and checks the migrations: versions must run 1, 2, 3… without gaps or duplicates. Without `dir`, this build's
 * own (src/engine/db/migrations, embedded in a bundle); with it, the `NNN_name.sql` files of that folder.
 */
export function loadMigrations(dir?: string): Migration[] {
  const where = dir ?? 'src/engine/db/migrations';
  const out: Migration[] = [];
  for (const f of dir === undefined ? migrationFiles() : migrationFilesIn(dir)) {
    const m = MIGRATION_FILE.exec(f.name);
    if (!m) throw new Error(`${join(where, f.name)}: migration file names must look like 001_name.sql`);
    out.push({ version: Number(m[1]), name: m[2], sql: f.sql });
  }
  out.sort((a, b) => a.version - b.version);
  out.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`${where}: migrations must be numbered 1, 2, 3… without gaps; found ${m.version} at position ${i + 1}`);
  });
  if (out.length === 0) throw new Error(`${where}: no migrations`);
  return out;
}

/** Schema version this build creates (the highest migration). */
export function latestSchemaVersion(dir?: string): number {
  const all = loadMigrations(dir);
  return all[all.length - 1].version;
}

function validate(opts: OpenDatabaseOptions): void {
  const t = opts.busyTimeoutMs;
  if (t !== undefined && (!Number.isInteger(t) || t < 0)) throw new Error(`busyTimeoutMs must be a non-negative integer, got ${String(t)}`);
}

/**
 * Opens (creating it and its directory if needed) the database for writing: takes the single-writer lock
 * `<path>.lock`, sets WAL, foreign keys and the busy timeout, and migrates to the latest schema. Refuses a database
 * from a newer schema (SchemaTooNewError) and one held by a live process (DatabaseLockedError).
 */
export function openDatabase(path: string, opts: OpenDatabaseOptions = {}): DatabaseHandle {
  validate(opts);
  const migrations = loadMigrations(opts.migrationsDir);
  const latest = migrations[migrations.length - 1].version;
  const memory = path === ':memory:';
  const abs = memory ? path : resolve(path);
  if (!memory) ensurePrivateDir(dirname(abs));
  const lock: LockHandle | undefined = memory ? undefined : acquireLock(`${abs}.lock`);
  // Private whatever the umask: created 0600 before SQLite opens it, so its -wal and -shm are created 0600 too.
  if (!memory) {
    createPrivateFile(abs);
    makePrivate(`${abs}-wal`, `${abs}-shm`, `${abs}.lock`);
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(abs);
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
    const found = db.pragma('user_version', { simple: true }) as number;
    // Checked before anything writes: a newer database must stay untouched.
    if (found > latest) throw new SchemaTooNewError(abs, found, latest);
    const tables = db.prepare(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'`).pluck().get() as number;
    // Before the first migration of a database that holds anything (ours of an older build, or another tool's):
    // a copy as it was, so a migration can never cost data.
    const backup = !memory && found < latest && tables > 0 ? backupTo(db, backupPath(abs, `before-v${latest}`)) : undefined;
    // WAL + NORMAL: a commit survives a process crash; only an OS crash may lose the last transactions. Set before
    // migrating a new file (its migrations commit without an fsync each), after migrating an existing one (so that a
    // refused migration or adoption leaves it byte for byte as it was).
    const walMode = (): void => {
      if (!memory) db!.pragma('journal_mode = WAL');
      db!.pragma('synchronous = NORMAL');
    };
    if (tables === 0) walMode();
    const adopted = migrate(db, migrations, found);
    if (tables > 0) walMode();
    db.pragma('foreign_keys = ON');
    return makeHandle(db, abs, latest, false, lock, { migratedFrom: found, backupPath: backup, adopted });
  } catch (e) {
    try {
      db?.close();
    } finally {
      lock?.release();
    }
    if (e instanceof SchemaTooNewError) throw e;
    const msg = errorMessage(e);
    throw Object.assign(new Error(`cannot open database ${abs}: ${msg}`), { cause: e });
  }
}

/**
 * Opens an existing database read-only, without the writer lock (status queries while an engine runs).
 * Refuses a missing file, a database that was never migrated, one not yet migrated to this build's schema and one from
 * a newer schema.
 */
export function openDatabaseReadOnly(path: string, opts: OpenDatabaseOptions = {}): DatabaseHandle {
  validate(opts);
  const latest = latestSchemaVersion(opts.migrationsDir);
  const abs = resolve(path);
  if (!existsSync(abs)) throw new Error(`database not found: ${abs}`);
  const db = new Database(abs, { readonly: true, fileMustExist: true });
  try {
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
    const found = db.pragma('user_version', { simple: true }) as number;
    if (found > latest) throw new SchemaTooNewError(abs, found, latest);
    if (found === 0) throw new Error(`${abs}: not a CODITECT database (schema version 0); sync a task list into it first`);
    // Read-only cannot migrate, and the queries of this build name the latest schema's columns.
    if (found < latest)
      throw new Error(
        `${abs}: database schema version ${found} is older than this build's (${latest}); open it for writing once (coditect sync) to migrate it`,
      );
    return makeHandle(db, abs, found, true, undefined);
  } catch (e) {
    db.close();
    throw e;
  }
}

/**
 * Applies the migrations after `found`, each in its own transaction. Foreign keys are off meanwhile (the SQLite way
 * to rebuild a table: create new, copy, drop old, rename; `PRAGMA foreign_keys` cannot change inside a transaction)
 * and checked before each commit: a migration that leaves a dangling reference rolls back, naming the first one.
 */
function migrate(db: Database.Database, migrations: Migration[], found: number): AdoptionReport | undefined {
  db.pragma('foreign_keys = OFF');
  // A rebuild renames tables: with legacy_alter_table, SQLite neither rewrites nor re-checks the views and triggers
  // of other tables that name them (an adopted database's own views must keep naming v2_tasks, not break midway).
  db.pragma('legacy_alter_table = ON');
  try {
    return migrateSteps(db, migrations, found);
  } finally {
    db.pragma('legacy_alter_table = OFF');
  }
}

function migrateSteps(db: Database.Database, migrations: Migration[], found: number): AdoptionReport | undefined {
  const checkForeignKeys = (what: string): void => {
    const bad = db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
    if (bad.length === 0) return;
    const b = bad[0];
    throw new Error(`${what} leaves ${bad.length} row(s) naming a missing ${b.parent}, first: ${b.table} rowid ${b.rowid}`);
  };
  // A database CODITECT never migrated that already holds our tables (the plan's, made by another tool): adopted in
  // ONE transaction with every migration, so a refusal leaves it exactly as it was.
  const adopt = found === 0 ? tablesToAdopt(db) : [];
  if (adopt.length > 0) {
    const latest = migrations[migrations.length - 1];
    return db.transaction(() => {
      const report = adoptTables(db, adopt, () => {
        for (const m of migrations) applyMigration(db, m);
      });
      checkForeignKeys(`adopting ${adopt.join(', ')}`);
      db.pragma(`user_version = ${latest.version}`);
      return report;
    })();
  }
  const steps = migrations.filter((m) => m.version > found);
  // A new, empty file takes every migration in one transaction (one commit; a failure leaves it empty). A database
  // with data takes them one by one, so a failing one leaves it at the previous version, never half-migrated.
  const empty = (db.prepare(`SELECT COUNT(*) FROM sqlite_master`).pluck().get() as number) === 0;
  const run = (m: Migration): void => {
    applyMigration(db, m);
    checkForeignKeys(`migration ${m.version} (${m.name})`);
    db.pragma(`user_version = ${m.version}`);
  };
  if (empty && steps.length > 1) db.transaction(() => steps.forEach(run))();
  else for (const m of steps) db.transaction(() => run(m))();
  return undefined;
}

/** Log lines saying what opening did to an existing file (nothing for a database already at this build's schema). */
export function describeOpen(h: DatabaseHandle): string[] {
  const o = h.opened;
  const out: string[] = [];
  if (o.backupPath) out.push(`database ${h.path}: copied to ${o.backupPath} before migrating from schema ${o.migratedFrom} to ${h.schemaVersion}`);
  if (o.adopted) {
    const a = o.adopted;
    const tables = Object.entries(a.rows).map(([t, n]) => {
      const kept = a.keptColumns[t] ? `; kept columns ${a.keptColumns[t].join(', ')}` : '';
      const aliases = Object.entries(a.aliasColumns[t] ?? {}).map(([theirs, ours]) => `${theirs} (now ${ours})`);
      return `${t} (${n} rows${kept}${aliases.length ? `; readable as before: ${aliases.join(', ')}` : ''})`;
    });
    out.push(`database ${h.path}: adopted ${tables.join(', ')}; rows are matched to the markdown by task id at the next sync`);
    if (a.placeholders.length) out.push(`database ${h.path}: placeholder epics/features ${a.placeholders.join(', ')} until the markdown names them`);
  }
  return out;
}

function makeHandle(
  db: Database.Database,
  path: string,
  schemaVersion: number,
  readonly: boolean,
  lock: LockHandle | undefined,
  opened: OpenReport = { migratedFrom: schemaVersion },
): DatabaseHandle {
  let closed = false;
  return {
    db,
    path,
    schemaVersion,
    readonly,
    opened,
    close(): void {
      if (closed) return;
      closed = true;
      // Every step runs even if an earlier one throws; the lock is released last, after the connection is gone.
      let first: unknown;
      try {
        if (db.open) db.close();
      } catch (e) {
        first = e;
      }
      try {
        lock?.release();
      } catch (e) {
        first ??= e;
      }
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows the first caught value as it was
      if (first) throw first;
    },
  };
}
