// `coditect reconcile`: the plan's "checksums + manual reconciliation tool" (docs/sync.md#reconcile, docs/cli.md).
// Without --use-*, it only reads: the markdown, and the database through a read-only connection; nothing is written,
// not even the database. With --use-markdown / --use-db, the person chooses which side's STATUS a task keeps; the
// choice is made by moving that task's merge base, then one ordinary sync does the writing — the markdown changes only
// by the sync's surgical checkbox/badge edits, so not a byte of the person's text is lost.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { decodeTaskList } from '../../core/decode';
import { headingPath, resolveIdentities, type KnownTask } from '../../core/identity';
import type { TaskList } from '../../core/model';
import { parseTaskList } from '../../core/parser';
import { reconcilePlan, type DbTaskState, type TaskDifference } from '../../core/reconcile';
import { errorMessage } from '../../core/describe';
import { socketAnswers } from '../control';
import { backupPath, backupTo } from '../db/backup';
import { openDatabase, openDatabaseReadOnly } from '../db/database';
import { DatabaseLockedError } from '../db/lockFile';
import { readStoredPlan } from '../db/planStore';
import type Database from 'better-sqlite3';
import type { EnginePaths } from '../paths';
import { SyncService } from '../sync/syncService';
import { UsageError, type CliOptions } from './args';

type Print = (s: string) => void;

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** Both sides of the plan, compared. */
export interface ReconcileReport {
  file: string;
  db: string;
  checksums: {
    /** sha256 of the markdown text now. */
    markdown: string;
    /** sha256 of the markdown as the last sync left it (v2_plan_sync.md_checksum_after), and when. */
    lastSynced?: string;
    lastSyncedAt?: string;
    /** sha256 of the sorted `id=status` pairs of the database's live tasks. */
    database: string;
  };
  /** The markdown changed since the last sync (its checksum differs from lastSynced). */
  markdownChangedSinceSync: boolean;
  differences: (TaskDifference & { markdownChecksum?: string; databaseChecksum?: string })[];
}

/** Reads the markdown and compares it with the rows of `db` (any connection; nothing is written). */
export function compareWithDatabase(tasklistPath: string, db: Database.Database, dbPath: string): ReconcileReport {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(tasklistPath);
  } catch (e) {
    throw new UsageError(`cannot read task list ${tasklistPath}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`);
  }
  const text = decodeTaskList(bytes).text;
  const plan = readStoredPlan(db);
  const known: KnownTask[] = [];
  const rows = new Map<string, DbTaskState>();
  for (const t of plan.tasks.values()) {
    const path = headingPath(plan.epics.get(t.extras.epicId)?.title, plan.features.get(t.extras.featureId)?.title);
    known.push({ id: t.id, idExplicit: t.extras.idExplicit, title: t.fields.title, path, archived: t.archived });
    rows.set(t.id, { id: t.id, base: t.fields, status: t.status, archived: t.archived });
  }
  const list: TaskList = resolveIdentities(parseTaskList(text), known);
  const last = db.prepare(`SELECT md_checksum_after, synced_at FROM v2_plan_sync ORDER BY sync_id DESC LIMIT 1`).get() as
    { md_checksum_after: string | null; synced_at: string } | undefined;
  const live = [...rows.values()]
    .filter((r) => !r.archived)
    .map((r) => `${r.id}=${r.status}`)
    .sort();
  const markdown = sha256(text);
  const short = (s: string | undefined): string | undefined => (s === undefined ? undefined : sha256(s).slice(0, 12));
  return {
    file: tasklistPath,
    db: dbPath,
    checksums: { markdown, lastSynced: last?.md_checksum_after ?? undefined, lastSyncedAt: last?.synced_at, database: sha256(live.join('\n')) },
    markdownChangedSinceSync: last?.md_checksum_after !== markdown,
    differences: reconcilePlan(list, rows).map((d) => ({ ...d, markdownChecksum: short(d.markdownFields), databaseChecksum: short(d.databaseFields) })),
  };
}

/** The ids of a --use-* option: comma-separated, or `all` (every task whose status differs). */
function chosen(values: readonly string[] | undefined, diffs: TaskDifference[]): string[] {
  const ids = (values ?? [])
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.includes('all')) return diffs.filter((d) => d.fields.includes('status')).map((d) => d.taskId);
  return ids;
}

function describe(d: TaskDifference & { markdownChecksum?: string; databaseChecksum?: string }): string {
  const at = d.line !== undefined ? `line ${d.line + 1}` : 'not in the markdown';
  const sums = `[md ${d.markdownChecksum ?? '–'} db ${d.databaseChecksum ?? '–'}]`;
  if (d.kind === 'only-markdown') return `${d.taskId.padEnd(10)} ${at}: only in the markdown → the next sync adds it ${sums}`;
  if (d.kind === 'only-database')
    return `${d.taskId.padEnd(10)} ${at}: only in the database (${d.databaseStatus}) → the next sync archives it, history kept ${sums}`;
  const parts: string[] = [];
  if (d.fields.includes('status')) {
    const n = d.nextSync!;
    parts.push(
      `status: markdown ${d.markdownStatus}, database ${d.databaseStatus} (both were ${d.baseStatus}) → the next sync keeps ${n.status} from the ${n.from} (${n.rule})`,
    );
  }
  const others = d.fields.filter((f) => f !== 'status');
  if (others.length) parts.push(`${others.join(', ')} edited in the markdown → the next sync takes the markdown's`);
  return `${d.taskId.padEnd(10)} ${at}: ${parts.join('; ')} ${sums}`;
}

/** Prints the report (reading mode). */
function print(r: ReconcileReport, o: CliOptions, out: Print): void {
  if (o.json) {
    const { differences, ...rest } = r;
    out(
      JSON.stringify(
        {
          ...rest,
          differences: differences.map(({ markdownFields: _m, databaseFields: _d, line, ...d }) => ({
            ...d,
            ...(line !== undefined ? { line: line + 1 } : {}),
          })),
        },
        null,
        2,
      ),
    );
    return;
  }
  const c = r.checksums;
  out(
    `${r.file}: markdown sha256 ${c.markdown.slice(0, 12)}${c.lastSynced ? `, last synced ${c.lastSynced.slice(0, 12)} at ${c.lastSyncedAt}` : ', never synced'}`,
  );
  out(`${r.db}: status checksum ${c.database.slice(0, 12)}`);
  if (r.differences.length === 0) {
    out('the markdown and the database agree on every task');
    return;
  }
  for (const d of r.differences) out(`  ${describe(d)}`);
  const statusIds = r.differences.filter((d) => d.fields.includes('status')).map((d) => d.taskId);
  out(`${r.differences.length} task(s) differ.`);
  if (statusIds.length)
    out(
      `Choose a side per task (no engine may run): coditect reconcile ${r.file} --use-markdown ${statusIds[0]} or --use-db ${statusIds[0]} (comma-separated ids, or all)`,
    );
}

/** Runs the command. */
export async function cmdReconcile(paths: EnginePaths, o: CliOptions, out: Print, err: Print): Promise<{ code: number }> {
  if (!existsSync(paths.dbPath)) throw new UsageError(`no database at ${paths.dbPath} yet: nothing to reconcile (coditect sync creates it)`);
  const writing = (o.useMarkdown?.length ?? 0) + (o.useDb?.length ?? 0) > 0;
  if (!writing) {
    const h = openDatabaseReadOnly(paths.dbPath);
    try {
      print(compareWithDatabase(paths.tasklistPath, h.db, paths.dbPath), o, out);
    } finally {
      h.close();
    }
    return { code: 0 };
  }
  if (await socketAnswers(paths.socketPath)) {
    err(`an engine runs for ${paths.tasklistPath}: it syncs by itself; stop it first to choose sides (coditect daemon stop)`);
    return { code: 1 };
  }
  let handle;
  try {
    handle = openDatabase(paths.dbPath);
  } catch (e) {
    if (e instanceof DatabaseLockedError) {
      err(`not reconciled: ${e.message}`);
      return { code: 1 };
    }
    throw e;
  }
  try {
    const before = compareWithDatabase(paths.tasklistPath, handle.db, paths.dbPath);
    const byId = new Map(before.differences.map((d) => [d.taskId, d]));
    const toMd = chosen(o.useDb, before.differences);
    const toDb = chosen(o.useMarkdown, before.differences);
    const both = toMd.filter((id) => toDb.includes(id));
    if (both.length) throw new UsageError(`${both.join(', ')}: named for both --use-markdown and --use-db; choose one side per task`);
    for (const id of [...toMd, ...toDb]) {
      const d = byId.get(id);
      if (!d) throw new UsageError(`${id}: the markdown and the database agree on it (or it is not a task of ${paths.tasklistPath}); nothing to choose`);
      if (!d.fields.includes('status'))
        throw new UsageError(`${id}: ${d.kind === 'changed' ? 'only markdown edits differ' : d.kind.replace('-', ' ')}; only a status can be chosen`);
    }
    for (const id of toDb)
      if (byId.get(id)!.markdownStatus === 'in_progress')
        throw new UsageError(`${id}: the markdown says in_progress; only the engine starts tasks (use --use-db, or change the line)`);
    const copy = backupTo(handle.db, backupPath(handle.path, 'before-reconcile'));
    // The merge base decides which side "changed": base := the other side's status, so the chosen side's status is the
    // change the sync takes (src/core/merge.ts). One transaction; then one forced sync writes both places.
    const setBase = handle.db.prepare<[string, string]>(`UPDATE v2_tasks SET synced_status = ? WHERE task_id = ?`);
    handle.db.transaction(() => {
      for (const id of toMd) setBase.run(byId.get(id)!.markdownStatus!, id);
      for (const id of toDb) setBase.run(byId.get(id)!.databaseStatus!, id);
    })();
    const sync = new SyncService({ handle, tasklistPath: paths.tasklistPath });
    let r;
    try {
      r = await sync.syncFromDisk({ force: true });
    } finally {
      await sync.close();
    }
    const after = compareWithDatabase(paths.tasklistPath, handle.db, paths.dbPath);
    const left = new Map(after.differences.map((d) => [d.taskId, d]));
    const done = [...toMd.map((id) => [id, 'database'] as const), ...toDb.map((id) => [id, 'markdown'] as const)].map(([id, from]) => ({
      taskId: id,
      from,
      status: from === 'database' ? byId.get(id)!.databaseStatus : byId.get(id)!.markdownStatus,
      settled: !left.get(id)?.fields.includes('status'),
    }));
    if (o.json)
      out(
        JSON.stringify(
          { file: paths.tasklistPath, db: handle.path, backup: copy, chosen: done, synced: r.applied, remaining: after.differences.length },
          null,
          2,
        ),
      );
    else {
      for (const d of done) out(`${d.taskId}: ${d.status} from the ${d.from}${d.settled ? '' : ' — still differs (see coditect reconcile)'}`);
      out(`database copied to ${copy} first; ${after.differences.length} task(s) still differ`);
    }
    return { code: done.every((d) => d.settled) ? 0 : 1 };
  } finally {
    handle.close();
  }
}
