// The cost ledger's sums, read from `agent_execution_log` (one row per attempt, every provider): by epic, feature,
// task, agent type, model, provider, day (local time) or engine run. One aggregate statement per report, so a database
// of 100,000 attempts is summed in one scan (npm run bench: "coditect cost on 100,000 attempt rows"). Only reads.
import type Database from 'better-sqlite3';
import { emptySpendTotal, type CostRate, type CostReport, type SpendGrouping, type SpendRow, type SpendTotal } from '../../protocol/spend';

/** The key each grouping sums by (SQL over `agent_execution_log l` joined with its task `t`). */
const KEY_SQL: Readonly<Record<SpendGrouping, string>> = {
  epic: `COALESCE(t.epic_id, '(unknown)')`,
  feature: `COALESCE(t.feature_id, '(unknown)')`,
  task: `l.task_id`,
  agent: `l.agent_type`,
  model: `COALESCE(l.model, '(unknown)')`,
  provider: `COALESCE(l.provider, '(unknown)')`,
  // Days are the person's: the local date the attempt ended (summed by dayRows; this is its meaning, for reference).
  day: `date(l.completed_at, 'localtime')`,
  run: `COALESCE(l.run_id, '(unknown)')`,
};

/** Titles of the plan's epics, features and tasks, for the groupings keyed by them. */
const TITLE_SQL: Partial<Readonly<Record<SpendGrouping, string>>> = {
  epic: `SELECT epic_id AS id, title FROM v2_epics`,
  feature: `SELECT feature_id AS id, title FROM v2_features`,
  task: `SELECT task_id AS id, title FROM v2_tasks`,
};

const SUMS = `
  COALESCE(SUM(l.cost_usd), 0) AS costUsd,
  COALESCE(SUM(CASE WHEN l.cost_estimated = 1 THEN l.cost_usd END), 0) AS estimatedUsd,
  COUNT(*) AS attempts,
  COALESCE(SUM(l.tokens_in), 0) AS tokensIn,
  COALESCE(SUM(l.tokens_out), 0) AS tokensOut,
  COALESCE(SUM(l.tokens_cache_read), 0) AS cacheReadTokens,
  COALESCE(SUM(l.tokens_cache_write), 0) AS cacheWriteTokens,
  COUNT(CASE WHEN l.cost_usd IS NULL AND (l.tokens_in > 0 OR l.tokens_out > 0) THEN 1 END) AS unpriced`;

/**
 * The attempt rows as the sums read them: through the covering index of migration 009, never the rows themselves
 * (each carries kilobytes of output). Named, because for a GROUP BY the planner prefers an index in the group's order
 * (idx_agent_log_agent_type) and then reads every row: 3-10× slower on 100,000 attempts (npm run bench).
 */
const ATTEMPTS = 'agent_execution_log l INDEXED BY idx_agent_log_spend';

/** Which attempts a report sums: every finished one, optionally only those that ended since `sinceIso` or in one run. */
export interface SpendFilter {
  /** ISO-8601 UTC: attempts that ended at or after it. */
  sinceIso?: string;
  runId?: string;
}

function where(f: SpendFilter): { sql: string; params: string[] } {
  const clauses = ['l.completed_at IS NOT NULL'];
  const params: string[] = [];
  if (f.sinceIso !== undefined) {
    clauses.push('l.completed_at >= ?');
    params.push(f.sinceIso);
  }
  if (f.runId !== undefined) {
    clauses.push('l.run_id = ?');
    params.push(f.runId);
  }
  return { sql: clauses.join(' AND '), params };
}

function round(t: SpendTotal): SpendTotal {
  // Sums of many small floats: cents of cents are noise, not a figure.
  return { ...t, costUsd: Math.round(t.costUsd * 1e6) / 1e6, estimatedUsd: Math.round(t.estimatedUsd * 1e6) / 1e6 };
}

/** The total of the attempts `f` selects. */
export function spendTotal(db: Database.Database, f: SpendFilter = {}): SpendTotal {
  const w = where(f);
  const row = db.prepare<string[], SpendTotal>(`SELECT ${SUMS} FROM ${ATTEMPTS} WHERE ${w.sql}`).get(...w.params);
  return round(row ?? emptySpendTotal());
}

/** The sums of SUMS again, over per-task partial sums `a` (what an epic or feature grouping adds up). */
const RESUMS = `
  SUM(a.costUsd) AS costUsd, SUM(a.estimatedUsd) AS estimatedUsd, SUM(a.attempts) AS attempts, SUM(a.tokensIn) AS tokensIn,
  SUM(a.tokensOut) AS tokensOut, SUM(a.cacheReadTokens) AS cacheReadTokens, SUM(a.cacheWriteTokens) AS cacheWriteTokens,
  SUM(a.unpriced) AS unpriced`;

/** Spend grouped `by`, most expensive first (then by key), with the plan's titles for epics, features and tasks. */
export function spendRows(db: Database.Database, by: SpendGrouping, f: SpendFilter = {}): SpendRow[] {
  const key = KEY_SQL[by];
  const w = where(f);
  if (by === 'day') return dayRows(db, w);
  // By epic or feature: one statement that sums the attempts per task off the covering index first, then joins each
  // task (not each attempt) to its epic and feature and sums again: the join runs once per task, not per attempt row.
  const sql =
    by === 'epic' || by === 'feature'
      ? `SELECT ${key} AS key, ${RESUMS} FROM (SELECT l.task_id, ${SUMS} FROM ${ATTEMPTS} WHERE ${w.sql} GROUP BY l.task_id) a
         LEFT JOIN v2_tasks t ON t.task_id = a.task_id GROUP BY 1 ORDER BY costUsd DESC, key`
      : `SELECT ${key} AS key, ${SUMS} FROM ${ATTEMPTS} WHERE ${w.sql} GROUP BY 1 ORDER BY costUsd DESC, key`;
  const rows = db
    .prepare<string[], SpendRow>(sql)
    .all(...w.params)
    .map((r): SpendRow => ({ ...round(r), key: String(r.key) }));
  const titleSql = TITLE_SQL[by];
  if (titleSql && rows.length > 0) {
    const titles = new Map((db.prepare(titleSql).all() as { id: string; title: string }[]).map((r) => [r.id, r.title]));
    for (const r of rows) {
      const title = titles.get(r.key);
      if (title !== undefined) r.title = title;
    }
  }
  return rows;
}

/**
 * Spend per local day. SQLite's date(…, 'localtime') on every row cost more than the scan itself (311 vs 90 ms on
 * 100,000 attempts, npm run bench), so the sums are taken per UTC hour in SQL and folded into local days here: exact
 * wherever the local offset is a whole number of hours through each hour summed. Where it is not (a :30 or :45 zone),
 * minutes are summed instead, which is exact everywhere. A time that is not ISO-8601 UTC (an adopted row) keeps the
 * date it was written with.
 */
function dayRows(db: Database.Database, w: { sql: string; params: string[] }): SpendRow[] {
  let days = new Map<string, SpendRow>();
  for (const width of [13, 16]) {
    const buckets = db
      .prepare<string[], SpendRow>(`SELECT substr(l.completed_at, 1, ${width}) AS key, ${SUMS} FROM ${ATTEMPTS} WHERE ${w.sql} GROUP BY 1`)
      .all(...w.params);
    days = new Map();
    let exact = true;
    for (const b of buckets) {
      const key = String(b.key);
      const start = Date.parse(`${key.replace(' ', 'T')}${width === 13 ? ':00' : ''}:00Z`);
      if (width === 13 && !Number.isNaN(start) && !(wholeHourOffset(start) && wholeHourOffset(start + 3_599_999))) {
        exact = false;
        break;
      }
      const day = Number.isNaN(start) ? key.slice(0, 10) : localDate(start);
      let row = days.get(day);
      if (!row) days.set(day, (row = { key: day, ...emptySpendTotal() }));
      for (const k of SUM_KEYS) row[k] += b[k];
    }
    if (exact) break;
  }
  return [...days.values()].map((r) => ({ ...round(r), key: r.key })).sort((a, b) => b.costUsd - a.costUsd || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

const SUM_KEYS = [
  'costUsd',
  'estimatedUsd',
  'attempts',
  'tokensIn',
  'tokensOut',
  'cacheReadTokens',
  'cacheWriteTokens',
  'unpriced',
] as const satisfies readonly (keyof SpendTotal)[];

function wholeHourOffset(t: number): boolean {
  return new Date(t).getTimezoneOffset() % 60 === 0;
}

/** `YYYY-MM-DD` of the local day `t` falls in (what SQLite's date(…, 'localtime') writes). */
function localDate(t: number): string {
  const d = new Date(t);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** `coditect cost`: the total and the rows of one grouping. */
export function costReport(db: Database.Database, by: SpendGrouping, f: SpendFilter = {}): CostReport {
  return { by, total: spendTotal(db, f), rows: spendRows(db, by, f) };
}

/** Tasks per agent type whose recent cost per estimated hour is averaged (the pre-dispatch estimate's basis). */
export const RATE_SAMPLE_TASKS = 20;

/**
 * What an estimated hour of work has recently cost, per agent type: over the last RATE_SAMPLE_TASKS tasks of that
 * type completed with an estimate (`estimated_hours` > 0) and a known cost, every attempt of each summed, divided by
 * their estimates. `next --json` multiplies a task's estimate by it.
 */
export function costPerEstimatedHour(db: Database.Database): CostRate[] {
  return db
    .prepare<[number], CostRate>(
      `WITH done AS (
         SELECT task_id, agent_type, MAX(completed_at) AS at FROM agent_execution_log WHERE status = 'completed' GROUP BY task_id
       ), costs AS (
         SELECT task_id, SUM(cost_usd) AS usd FROM agent_execution_log WHERE cost_usd IS NOT NULL GROUP BY task_id
       ), ranked AS (
         SELECT d.agent_type, c.usd, t.estimated_hours AS hours, ROW_NUMBER() OVER (PARTITION BY d.agent_type ORDER BY d.at DESC) AS n
         FROM done d JOIN costs c ON c.task_id = d.task_id JOIN v2_tasks t ON t.task_id = d.task_id
         WHERE t.estimated_hours > 0
       )
       SELECT agent_type AS agentType, SUM(usd) / SUM(hours) AS usdPerHour, COUNT(*) AS tasks FROM ranked WHERE n <= ? GROUP BY agent_type ORDER BY agent_type`,
    )
    .all(RATE_SAMPLE_TASKS)
    .map((r) => ({ ...r, usdPerHour: Math.round(r.usdPerHour * 1e6) / 1e6 }));
}

/** ISO-8601 UTC of the local midnight that started the day of `now` (the per-day budget's and "today"'s start). */
export function localDayStartIso(now: number): string {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.toISOString();
}
