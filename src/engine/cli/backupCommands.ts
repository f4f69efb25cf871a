// `coditect backup` and `coditect restore` (docs/cli.md, docs/runbook.md#backups). A backup reads the database through
// a read-only connection, so it works while an engine runs and writes; a restore needs the database to itself and is
// refused while an engine runs.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { socketAnswers } from '../control';
import { backupFile, backupPath, listBackups } from '../db/backup';
import { latestSchemaVersion } from '../db/database';
import { DatabaseLockedError } from '../db/lockFile';
import { inspectBackup, restoreDatabase } from '../db/restore';
import type { EnginePaths } from '../paths';
import { UsageError, type CliOptions } from './args';

type Print = (s: string) => void;

/** sha256 of a file, read in chunks (a database may be large). */
export function fileSha256(path: string): string {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** `coditect backup`: a consistent copy of the database, also while an engine writes it. */
export function cmdBackup(paths: EnginePaths, o: CliOptions, out: Print): { code: number } {
  if (!existsSync(paths.dbPath)) throw new UsageError(`no database at ${paths.dbPath} yet: nothing to back up (coditect sync creates it)`);
  const dest = o.out !== undefined ? resolve(o.out) : backupPath(paths.dbPath, 'manual');
  if (existsSync(dest)) throw new UsageError(`--out ${dest} already exists; name a new file`);
  backupFile(paths.dbPath, dest);
  const info = inspectBackup(dest, latestSchemaVersion());
  const sha256 = fileSha256(dest);
  const bytes = statSync(dest).size;
  if (o.json) out(JSON.stringify({ db: paths.dbPath, backup: dest, bytes, sha256, schemaVersion: info.schemaVersion, tasks: info.tasks }, null, 2));
  else out(`backed up ${paths.dbPath} to ${dest} (${bytes} bytes, schema ${info.schemaVersion}, ${info.tasks} tasks, sha256 ${sha256})`);
  return { code: 0 };
}

/**
 * `coditect restore`: without --from, lists the backups (and changes nothing); with --from FILE|latest, puts that backup
 * in place of the database, keeping the replaced one as a `before-restore` backup. Refused while an engine runs.
 */
export async function cmdRestore(paths: EnginePaths, o: CliOptions, out: Print, err: Print): Promise<{ code: number }> {
  const backups = listBackups(paths.dbPath);
  if (o.from === undefined) {
    if (o.json)
      out(
        JSON.stringify(
          { db: paths.dbPath, backups: backups.map((b) => ({ path: b.path, takenAt: b.takenAt.toISOString(), reason: b.reason, bytes: b.bytes })) },
          null,
          2,
        ),
      );
    else if (backups.length === 0) out(`no backups of ${paths.dbPath} yet`);
    else {
      out(`backups of ${paths.dbPath}, newest first (coditect restore --from FILE|latest puts one back):`);
      for (const b of backups) out(`  ${b.takenAt.toISOString()}  ${b.reason.padEnd(14)} ${String(b.bytes).padStart(10)} bytes  ${b.path}`);
    }
    return { code: 0 };
  }
  let from: string;
  if (o.from === 'latest') {
    if (backups.length === 0) throw new UsageError(`--from latest: no backups of ${paths.dbPath} yet`);
    from = backups[0].path;
  } else from = resolve(o.from);
  if (await socketAnswers(paths.socketPath)) {
    err(`an engine runs for ${paths.tasklistPath}: a database in use is never replaced; stop it first (coditect daemon stop, or close the editor's engine)`);
    return { code: 1 };
  }
  let r;
  try {
    r = restoreDatabase(paths.dbPath, from, latestSchemaVersion());
  } catch (e) {
    if (e instanceof DatabaseLockedError) {
      err(`not restored: ${e.message}`);
      return { code: 1 };
    }
    throw e;
  }
  if (o.json)
    out(
      JSON.stringify(
        { db: r.db, restoredFrom: r.from.path, schemaVersion: r.from.schemaVersion, tasks: r.from.tasks, lastSyncAt: r.from.lastSyncAt, previous: r.previous },
        null,
        2,
      ),
    );
  else {
    out(
      `restored ${r.db} from ${r.from.path} (schema ${r.from.schemaVersion}, ${r.from.tasks} tasks${r.from.lastSyncAt ? `, last synced ${r.from.lastSyncAt}` : ''})`,
    );
    if (r.previous) out(`the database it replaced is kept as ${r.previous}`);
    out(
      `the next sync merges it with the task list three-way (the markdown keeps its text and its newer edits); \`coditect reconcile ${paths.tasklistPath}\` shows the differences first`,
    );
  }
  return { code: 0 };
}
