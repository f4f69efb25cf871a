// Migration 010 (migrations/010_check_lists.sql says why): the CHECKs `col IN ('a', 'b', 'c', …)` of the tables a
// sync writes row by row become `col = 'a' OR col = 'b' OR …`, which SQLite evaluates without building a temporary
// index of the list for every row. Same values accepted and refused; no stored row is read or written.
import type Database from 'better-sqlite3';

/** The tables a sync writes a row per task, feature or epic to. */
const TABLES = ['v2_epics', 'v2_features', 'v2_tasks', 'task_dependencies'];

/** `CHECK (col IN ('a', 'b', 'c'…))` with three or more quoted values (SQLite checks two or fewer cheaply already). */
const IN_LIST_CHECK = /CHECK \((\w+) IN \(('[^'\n]*'(?:, '[^'\n]*'){2,})\)\)/g;

/** `sql` (a CREATE TABLE) with each IN-list CHECK of three or more values written as comparisons joined by OR. */
export function orCheckLists(sql: string): string {
  return sql.replace(IN_LIST_CHECK, (_all, column: string, list: string) => {
    const values = list.split(', ');
    return `CHECK (${values.map((v) => `${column} = ${v}`).join(' OR ')})`;
  });
}

/**
 * Rewrites the CHECKs of TABLES in place (orCheckLists), inside the caller's transaction. The schema text is edited
 * through writable_schema (better-sqlite3 runs SQLite in defensive mode, which forbids it: lifted for these
 * statements only) and the schema version bumped so every connection reloads it.
 */
export function rewriteCheckLists(db: Database.Database): void {
  const rows = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN (${TABLES.map(() => '?').join(', ')})`).all(...TABLES) as {
    name: string;
    sql: string;
  }[];
  const changed = rows.map((r) => ({ name: r.name, sql: orCheckLists(r.sql) })).filter((c, i) => c.sql !== rows[i].sql);
  if (changed.length === 0) return;
  const version = db.pragma('schema_version', { simple: true }) as number;
  db.unsafeMode(true);
  try {
    db.pragma('writable_schema = ON');
    try {
      const set = db.prepare(`UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?`);
      for (const c of changed) set.run(c.sql, c.name);
      db.pragma(`schema_version = ${version + 1}`);
    } finally {
      db.pragma('writable_schema = OFF');
    }
  } finally {
    db.unsafeMode(false);
  }
  // The new text is parsed here (a schema SQLite cannot read would throw, and the migration rolls back).
  for (const c of changed) db.prepare(`SELECT * FROM "${c.name}" LIMIT 0`).all();
}
