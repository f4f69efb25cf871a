// What differs between the task list and context.db, task by task, and what the next sync would make of it: the plan's
// "manual reconciliation tool" (docs/sync.md#reconcile). Pure: the caller parses the markdown, resolves the identities
// of tasks written without an id, and reads the rows.
//
// The plan fields (title, priority, estimate, agent, verify, blockers, dependencies) are the person's: the engine never
// changes them, so a difference there is always a markdown edit not synced yet, and the markdown wins it. Only a status
// can differ for both reasons (the engine finished a task, a person ticked one); that is where a person may choose a
// side per task (`coditect reconcile --use-markdown|--use-db`).
import { engineStatusRule, mergeTask, sameFieldValue, taskFields, type MergeConflict, type TaskFields } from './merge';
import { MERGED_TASK_FIELDS, type MergedTaskField, type TaskList, type TaskStatus } from './model';

/** A task row as the database has it. */
export interface DbTaskState {
  id: string;
  /** The fields as last synced (`status` = synced_status: the merge base). */
  base: TaskFields;
  /** Its status now. */
  status: TaskStatus;
  archived: boolean;
}

/** How one task differs. */
export type DifferenceKind =
  /** In the markdown, not in the database (or archived there): the next sync adds (restores) it. */
  | 'only-markdown'
  /** In the database, gone from the markdown: the next sync archives it (its row and history stay). */
  | 'only-database'
  /** In both, different fields. */
  | 'changed';

/** One task that differs, with both sides and the outcome of the next sync. */
export interface TaskDifference {
  taskId: string;
  kind: DifferenceKind;
  /** 0-based line in the markdown, when it is there. */
  line?: number;
  title: string;
  /** The fields that differ (changed only). */
  fields: MergedTaskField[];
  markdownStatus?: TaskStatus;
  databaseStatus?: TaskStatus;
  /** The status both last agreed on. */
  baseStatus?: TaskStatus;
  /** Canonical text of each side's fields (the caller hashes it: the per-task checksums). */
  markdownFields?: string;
  databaseFields?: string;
  /** What the next sync does with the status, and by which rule (changed, status differs). */
  nextSync?: { status: TaskStatus; from: 'markdown' | 'database'; rule: string };
}

/** A canonical, stable text of a task's fields: equal fields, equal text. */
export function canonicalFields(f: TaskFields): string {
  return JSON.stringify(MERGED_TASK_FIELDS.map((k) => [k, f[k] ?? null]));
}

/**
 * Every task of `list` (identities already resolved) and of `rows` that differs, in markdown order, then the tasks only
 * the database has.
 */
export function reconcilePlan(list: TaskList, rows: ReadonlyMap<string, DbTaskState>): TaskDifference[] {
  const out: TaskDifference[] = [];
  const seen = new Set<string>();
  for (const task of list.tasks) {
    if (seen.has(task.id)) continue; // a duplicate id syncs once, as the first
    seen.add(task.id);
    const md = taskFields(task);
    const row = rows.get(task.id);
    if (!row || row.archived) {
      out.push({
        taskId: task.id,
        kind: 'only-markdown',
        line: task.line,
        title: task.title,
        fields: [],
        markdownStatus: md.status,
        markdownFields: canonicalFields(md),
      });
      continue;
    }
    const db: TaskFields = { ...row.base, status: row.status };
    const fields = MERGED_TASK_FIELDS.filter((f) => !sameFieldValue(f, md[f], db[f]));
    if (fields.length === 0) continue;
    const d: TaskDifference = {
      taskId: task.id,
      kind: 'changed',
      line: task.line,
      title: task.title,
      fields,
      markdownStatus: md.status,
      databaseStatus: row.status,
      baseStatus: row.base.status,
      markdownFields: canonicalFields(md),
      databaseFields: canonicalFields(db),
    };
    if (fields.includes('status')) d.nextSync = statusOutcome(task.id, row.base, md, db);
    out.push(d);
  }
  for (const row of rows.values()) {
    if (seen.has(row.id) || row.archived) continue;
    const db: TaskFields = { ...row.base, status: row.status };
    out.push({ taskId: row.id, kind: 'only-database', title: row.base.title, fields: [], databaseStatus: row.status, databaseFields: canonicalFields(db) });
  }
  return out;
}

/** The status the three-way merge (src/core/merge.ts) settles on, and which side it came from. */
function statusOutcome(id: string, base: TaskFields, md: TaskFields, db: TaskFields): TaskDifference['nextSync'] {
  const merged = mergeTask(id, base, md, db);
  const conflict: MergeConflict | undefined = merged.conflicts.find((c) => c.field === 'status');
  // The engine's own rules first (docs/sync.md): the sync applies them after the merge, so the answer is the sync's.
  const engineRule = engineStatusRule(base.status, md.status, merged.fields.status, db.status);
  if (engineRule) return { status: db.status, from: 'database', rule: engineRule };
  if (conflict) return { status: merged.fields.status, from: conflict.winner, rule: conflict.rule };
  const from = merged.fields.status === md.status ? 'markdown' : 'database';
  return { status: merged.fields.status, from, rule: from === 'markdown' ? 'changed-in-markdown' : 'changed-in-database' };
}
