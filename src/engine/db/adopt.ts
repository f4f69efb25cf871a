// Adopting a context.db that CODITECT did not create: the plan says `v2_epics`, `v2_features`, `v2_tasks` and
// `v2_plan_sync` are "already operational" (a Python sync script made them) and gives the DDL of
// `task_dependencies`, `orchestrator_state` and `agent_execution_log`. A database at user_version 0 that holds any
// of our tables is taken over in place: each such table becomes ours (our columns and constraints) with every row and
// every one of its own columns kept — columns we do not know stay beside ours with their values. Rows are matched to
// the markdown by task id at the next sync. Tables we do not know, and their indexes, triggers and views, are never
// touched. The caller runs this inside the migration transaction (foreign keys off, checked before commit) after a
// backup, so a refusal leaves the file as it was.
import type Database from 'better-sqlite3';
import { errorMessage, textOf } from '../../core/describe';
import { TASK_STATUSES, type TaskStatus } from '../../core/model';

/** The tables CODITECT owns; one that exists in a database at user_version 0 is adopted. */
export const OWN_TABLES = [
  'v2_epics',
  'v2_features',
  'v2_tasks',
  'task_dependencies',
  'v2_plan_sync',
  'orchestrator_state',
  'agent_execution_log',
  'engine_state',
];

/** What an adoption did, table by table. */
export interface AdoptionReport {
  /** Adopted table → rows kept. */
  rows: Record<string, number>;
  /** Adopted table → its columns kept beside ours (not known to CODITECT). */
  keptColumns: Record<string, string[]>;
  /**
   * Adopted table → their column → ours it now reads: a column of theirs that became one of ours under our name
   * (`v2_epics.name` → `title`) stays readable by its old name, a generated column, so their reports, views and
   * indexes that name it keep working (writes go to our column).
   */
  aliasColumns: Record<string, Record<string, string>>;
  /** Epics and features created so that adopted tasks have a parent (the next sync gives them their titles). */
  placeholders: string[];
}

/** Thrown when an existing database cannot be adopted as it is; names the table, the column and the values. */
export class AdoptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdoptionError';
  }
}

interface Column {
  name: string;
  type: string;
  hidden: number;
}

type Row = Record<string, unknown>;

/**
 * Where one of our columns comes from in an adopted table: the first of `from` that the table has (that column is
 * ours afterwards, not kept beside). A column of theirs with our name is copied as it is without being listed.
 */
type Mapping = string[];

const STATUS_SYNONYMS: Record<string, TaskStatus> = {
  done: 'completed',
  complete: 'completed',
  completed: 'completed',
  finished: 'completed',
  todo: 'pending',
  open: 'pending',
  pending: 'pending',
  not_started: 'pending',
  new: 'pending',
  ready: 'pending',
  in_progress: 'in_progress',
  'in-progress': 'in_progress',
  active: 'in_progress',
  running: 'in_progress',
  started: 'in_progress',
  blocked: 'blocked',
  failed: 'failed',
  error: 'failed',
  timeout: 'timeout',
  cancelled: 'cancelled',
  canceled: 'cancelled',
  skipped: 'skipped',
};
const PRIORITY_SYNONYMS: Record<string, string> = {
  p0: 'P0',
  p1: 'P1',
  p2: 'P2',
  p3: 'P3',
  '0': 'P0',
  '1': 'P1',
  '2': 'P2',
  '3': 'P3',
  critical: 'P0',
  high: 'P1',
  medium: 'P2',
  low: 'P3',
};

/** Per adopted table: our column → the names it may have there (see Mapping). */
const MAPS: Record<string, Record<string, Mapping>> = {
  v2_epics: { epic_id: ['epic_id', 'id'], title: ['title', 'name', 'epic_name'] },
  v2_features: { feature_id: ['feature_id', 'id'], title: ['title', 'name', 'feature_name'] },
  // `description` is the title only when there is no title column; beside a title it is kept as their own text.
  v2_tasks: {
    task_id: ['task_id', 'id'],
    title: ['title', 'name', 'task_name', 'description'],
    estimated_hours: ['estimated_hours', 'estimate_hours', 'hours', 'estimate'],
  },
  task_dependencies: { dependency_task_id: ['dependency_task_id', 'depends_on_id', 'depends_on', 'prerequisite_id'] },
  v2_plan_sync: {
    sync_id: ['sync_id', 'id'],
    synced_at: ['synced_at', 'sync_time', 'timestamp', 'created_at'],
    tasklist_path: ['tasklist_path', 'markdown_path', 'source_file', 'file_path'],
  },
  agent_execution_log: {
    log_id: ['log_id', 'id'],
    agent_type: ['agent_type', 'agent'],
    completed_at: ['completed_at', 'ended_at'],
    status: ['status', 'outcome'],
  },
};

/** `T001.010` → `E001`; `F001.02` → `E001`: the plan's id scheme, for rows that never recorded their epic. */
function epicOfId(id: string): string {
  const m = /^[A-Za-z]+(\d+)[.-]/.exec(id);
  return m ? `E${m[1]}` : 'E000';
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

function columnsOf(db: Database.Database, table: string): Column[] {
  return db.prepare(`PRAGMA table_xinfo(${quote(table)})`).all() as Column[];
}

/** Our tables present in a database that CODITECT never migrated (user_version 0). */
export function tablesToAdopt(db: Database.Database): string[] {
  const names = new Set(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[]);
  return OWN_TABLES.filter((t) => names.has(t));
}

/**
 * Adopts `tables` (see tablesToAdopt): moves them aside, lets `createSchema` build ours, copies every row in with
 * their other columns added, creates placeholder parents, drops the moved tables and recreates their own indexes and
 * triggers. Throws AdoptionError (naming table, column and values) for rows that cannot become ours.
 */
export function adoptTables(db: Database.Database, tables: string[], createSchema: () => void): AdoptionReport {
  const report: AdoptionReport = { rows: {}, keptColumns: {}, aliasColumns: {}, placeholders: [] };
  // Their own indexes and triggers on the tables we adopt, to recreate afterwards (SQLite drops them with the table).
  const extras = db
    .prepare(
      `SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL AND tbl_name IN (${tables.map(() => '?').join(',')})`,
    )
    .all(...tables) as { type: string; name: string; tbl_name: string; sql: string }[];
  // Moving our tables aside must not rewrite the references that tables, views and triggers we do not know hold to
  // them (they must keep naming v2_tasks…, which is ours again afterwards): legacy_alter_table.
  // (The caller runs migrations with legacy_alter_table on.)
  for (const t of tables) db.exec(`ALTER TABLE ${quote(t)} RENAME TO ${quote(`adopt_${t}`)}`);
  // Their indexes and triggers go with the moved tables; their names are free for ours (the plan's index names).
  for (const x of extras) db.exec(`DROP ${x.type.toUpperCase()} ${quote(x.name)}`);
  createSchema();
  // Parents before children: a feature's epic is known when its tasks are copied.
  const featureEpic = new Map<string, string>();
  for (const t of OWN_TABLES.filter((x) => tables.includes(x))) {
    const moved = `adopt_${t}`;
    const theirs = columnsOf(db, moved).filter((c) => c.hidden === 0);
    const ours = columnsOf(db, t);
    const theirByLower = new Map(theirs.map((c) => [c.name.toLowerCase(), c.name]));
    // Our column → their column it is read from.
    const source = new Map<string, string>();
    for (const c of ours) {
      if (c.hidden !== 0) continue; // generated: computed, never written
      const candidates = MAPS[t]?.[c.name] ?? [c.name];
      const found = candidates.map((n) => theirByLower.get(n)).find((n) => n !== undefined);
      if (found !== undefined) source.set(c.name, found);
    }
    const used = new Set(source.values());
    const kept = theirs.filter((c) => !used.has(c.name));
    for (const c of kept) {
      // Their column named like our generated one (v2_tasks.description beside a title) replaces it: real text.
      if (ours.some((o) => o.name === c.name)) db.exec(`ALTER TABLE ${quote(t)} DROP COLUMN ${quote(c.name)}`);
      db.exec(`ALTER TABLE ${quote(t)} ADD COLUMN ${quote(c.name)} ${c.type}`);
    }
    // Their name of a column that is ours now stays readable: a virtual generated column under that name.
    const aliases: Record<string, string> = {};
    for (const [oursName, theirsName] of source) {
      const lower = theirsName.toLowerCase();
      if (ours.some((o) => o.name.toLowerCase() === lower)) continue; // the same name, or another column of ours
      const type = theirs.find((c) => c.name === theirsName)?.type ?? '';
      db.exec(`ALTER TABLE ${quote(t)} ADD COLUMN ${quote(theirsName)} ${type} GENERATED ALWAYS AS (${quote(oursName)}) VIRTUAL`);
      aliases[theirsName] = oursName;
    }
    if (Object.keys(aliases).length) report.aliasColumns[t] = aliases;
    const rows = db.prepare(`SELECT * FROM ${quote(moved)} ORDER BY rowid`).all() as Row[];
    const problems = new Map<string, number>();
    const positions = new Map<string, number>();
    let insert: Database.Statement | undefined;
    for (const row of rows) {
      const out: Row = {};
      for (const [ours, theirs] of source) if (row[theirs] !== null && row[theirs] !== undefined) out[ours] = row[theirs];
      for (const k of kept) out[k.name] = row[k.name];
      fixRow(t, out, row, featureEpic, positions, (p) => problems.set(p, (problems.get(p) ?? 0) + 1));
      const cols = Object.keys(out);
      // One statement per column set (the rows of a table nearly always share it). OR IGNORE: a row repeated under
      // a UNIQUE key (the same dependency written twice) is the same fact.
      const sql = `INSERT OR IGNORE INTO ${quote(t)} (${cols.map(quote).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
      if (!insert || insert.source !== sql) insert = db.prepare(sql);
      insert.run(...cols.map((c) => out[c] as never));
      if (t === 'v2_features') featureEpic.set(String(out.feature_id), String(out.epic_id));
    }
    if (problems.size > 0) {
      const list = [...problems].map(([p, n]) => `${p} (${n} row${n === 1 ? '' : 's'})`).join('; ');
      throw new AdoptionError(`cannot adopt ${t}: ${list}. Change those rows (the database was left unchanged) and open it again`);
    }
    report.rows[t] = rows.length;
    if (kept.length) report.keptColumns[t] = kept.map((c) => c.name);
    db.exec(`DROP TABLE ${quote(moved)}`);
  }
  report.placeholders = addPlaceholders(db);
  for (const x of extras) {
    if (db.prepare(`SELECT 1 FROM sqlite_master WHERE name = ?`).get(x.name)) continue; // ours has one by that name
    try {
      db.exec(x.sql);
    } catch (e) {
      throw new AdoptionError(
        `cannot adopt ${x.tbl_name}: its ${x.type} ${x.name} does not apply to the adopted table (${errorMessage(e)}); drop or change it, then open again`,
      );
    }
  }
  return report;
}

/** Normalises one adopted row of `t` in place; reports values that cannot be ours. */
function fixRow(t: string, out: Row, row: Row, featureEpic: Map<string, string>, positions: Map<string, number>, problem: (p: string) => void): void {
  const text = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : textOf(v));
  if ((t === 'v2_epics' || t === 'v2_features' || t === 'v2_tasks') && out.priority !== undefined) {
    const p = PRIORITY_SYNONYMS[textOf(out.priority).trim().toLowerCase()];
    if (p) out.priority = p;
    else problem(`priority '${textOf(out.priority)}' is not P0–P3 (nor critical, high, medium, low)`);
  }
  if (t === 'v2_epics') out.title ??= out.epic_id;
  if (t === 'v2_features') {
    out.title ??= out.feature_id;
    out.epic_id ??= epicOfId(String(out.feature_id));
  }
  if (t === 'v2_tasks') {
    if (out.task_id === undefined) return problem('a task without a task_id');
    out.task_id = text(out.task_id);
    out.title ??= out.task_id;
    if (out.status !== undefined) {
      const s = STATUS_SYNONYMS[textOf(out.status).trim().toLowerCase().replace(/ /g, '_')];
      if (s) out.status = s;
      else problem(`status '${textOf(out.status)}' is not one of ${TASK_STATUSES.join(', ')} (nor done, todo, in-progress…)`);
    }
    // The merge base of an adopted row is "nothing happened yet": progress on either side (a ticked box, a status
    // set in the database) is a change at the first sync and is kept; two different progresses meet the conflict rule.
    out.synced_status = 'pending';
    // A task that never recorded its feature or epic gets placeholders, which the next sync replaces from the markdown.
    if (out.feature_id === undefined) out.feature_id = `${text(out.epic_id) ?? epicOfId(String(out.task_id))}.00`;
    out.epic_id ??= featureEpic.get(String(out.feature_id)) ?? epicOfId(String(out.task_id));
    if (out.status === 'completed') out.completed_at ??= out.updated_at;
  }
  if (t === 'task_dependencies') {
    out.dependency_type = /soft/i.test(textOf(out.dependency_type ?? '')) ? 'soft_dependency' : 'blocks';
    const task = String(out.task_id);
    const n = positions.get(task) ?? 0;
    positions.set(task, n + 1);
    out.position = n;
  }
  if (t === 'agent_execution_log') {
    out.agent_type ??= 'unknown';
    out.status ??= 'running';
    out.attempt ??= Number(out.retry_count ?? 0) + 1;
    if (out.started_ms === undefined && typeof out.started_at === 'string') {
      // SQLite's datetime('now') has no zone: it is UTC.
      const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(out.started_at) ? out.started_at : `${out.started_at.replace(' ', 'T')}Z`);
      if (Number.isFinite(ms)) out.started_ms = ms;
    }
    if (out.execution_time_seconds === undefined && typeof row.duration_ms === 'number') out.execution_time_seconds = row.duration_ms / 1000;
  }
}

/** Epics and features that adopted rows name but no adopted row defines; returns their ids. */
function addPlaceholders(db: Database.Database): string[] {
  const made: string[] = [];
  const epics = db
    .prepare(
      `SELECT epic_id FROM v2_features WHERE epic_id NOT IN (SELECT epic_id FROM v2_epics)
       UNION SELECT epic_id FROM v2_tasks WHERE epic_id NOT IN (SELECT epic_id FROM v2_epics)`,
    )
    .pluck()
    .all() as string[];
  const addEpic = db.prepare(`INSERT INTO v2_epics (epic_id, title, id_explicit) VALUES (?, ?, 0)`);
  for (const e of epics) {
    addEpic.run(e, e);
    made.push(e);
  }
  const features = db.prepare(`SELECT DISTINCT feature_id, epic_id FROM v2_tasks WHERE feature_id NOT IN (SELECT feature_id FROM v2_features)`).all() as {
    feature_id: string;
    epic_id: string;
  }[];
  const addFeature = db.prepare(`INSERT INTO v2_features (feature_id, epic_id, title, id_explicit) VALUES (?, ?, ?, 0)`);
  for (const f of features) {
    addFeature.run(f.feature_id, f.epic_id, f.feature_id);
    made.push(f.feature_id);
  }
  return made;
}
