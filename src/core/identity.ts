// Who a task written without an id is, from one sync to the next. The file does not say (and in most dialects we
// never write an id into it), so the database keeps the identity: each such task is matched to the row it was last
// synced as by its heading path and title, then by its title alone (the section was renamed or the task moved), then
// by a similar title in the same section (the title was edited). A task that matches nothing is new: it keeps its
// provisional id unless that id belongs to another row, and then gets the next free one. Pure: the sync service
// hands in what it last synced; nothing here reads the database.
import type { TaskList, TaskNode } from './model';

/** A task as the last sync stored it. */
export interface KnownTask {
  id: string;
  /** False for a task whose id was never written in the file (the ones matched here). */
  idExplicit: boolean;
  title: string;
  /** Titles of its epic and feature, as `epic / feature` (see headingPath). */
  path: string;
  archived: boolean;
}

/** Least similarity (Dice coefficient of character bigrams) for an edited title to still be the same task. */
export const SAME_TASK_SIMILARITY = 0.6;

/** The heading path of a task as identity uses it: its epic's and its feature's titles. */
export function headingPath(epicTitle: string | undefined, featureTitle: string | undefined): string {
  return `${normalize(epicTitle ?? '')} / ${normalize(featureTitle ?? '')}`;
}

/**
 * `list` with every task written without an id known by the id of the row it matches in `known` (see the top of this
 * file); dependencies on renamed tasks follow them. Returns `list` itself when no task needed another id.
 */
export function resolveIdentities(list: TaskList, known: Iterable<KnownTask>): TaskList {
  const unnamed: number[] = [];
  list.tasks.forEach((t, i) => {
    if (!t.idExplicit) unnamed.push(i);
  });
  if (unnamed.length === 0) return list;
  const written = new Set<string>();
  for (const t of list.tasks) if (t.idExplicit) written.add(t.id);
  const taken = new Set<string>(written);
  const rows: KnownTask[] = [];
  for (const k of known) {
    taken.add(k.id);
    // A row whose id a task now writes belongs to that task.
    if (!k.idExplicit && !written.has(k.id)) rows.push(k);
  }
  const paths = pathsOf(list);
  const finalId = new Map<number, string>();
  const usedRow = new Set<KnownTask>();
  const match = (i: number, row: KnownTask) => {
    finalId.set(i, row.id);
    usedRow.add(row);
  };

  if (rows.length > 0) {
    // 1. Same section, same title; 2. same title anywhere. Rows in document order, so equal titles pair in order.
    const byKey = groupBy(rows, (r) => `${r.path}\n${normalize(r.title)}`);
    const byTitle = groupBy(rows, (r) => normalize(r.title));
    for (const pass of [
      (i: number) => byKey.get(`${paths[i]}\n${normalize(list.tasks[i].title)}`),
      (i: number) => byTitle.get(normalize(list.tasks[i].title)),
    ]) {
      for (const i of unnamed) {
        if (finalId.has(i)) continue;
        const row = pass(i)?.find((r) => !usedRow.has(r));
        if (row) match(i, row);
      }
    }
    // 3. An edited title in the same section: the most similar pairs first.
    const pairs: { i: number; row: KnownTask; score: number }[] = [];
    const free = rows.filter((r) => !usedRow.has(r));
    if (free.length > 0) {
      const freeByPath = groupBy(free, (r) => r.path);
      for (const i of unnamed) {
        if (finalId.has(i)) continue;
        for (const row of freeByPath.get(paths[i]) ?? []) {
          const score = similarity(list.tasks[i].title, row.title);
          if (score >= SAME_TASK_SIMILARITY) pairs.push({ i, row, score });
        }
      }
      pairs.sort((a, b) => b.score - a.score || a.i - b.i);
      for (const p of pairs) if (!finalId.has(p.i) && !usedRow.has(p.row)) match(p.i, p.row);
    }
  }
  for (const id of finalId.values()) taken.add(id);
  // New tasks keep their provisional id unless a row (or a matched task) already holds it.
  for (const i of unnamed) {
    if (finalId.has(i)) continue;
    let id = list.tasks[i].id;
    if (taken.has(id)) id = nextFree(id, taken);
    taken.add(id);
    finalId.set(i, id);
  }
  const renames = new Map<string, string>();
  for (const [i, id] of finalId) if (list.tasks[i].id !== id) renames.set(list.tasks[i].id, id);
  return renames.size === 0 ? list : renameTasks(list, renames);
}

/** `list` with tasks (and dependencies on them) renamed by `renames` (old id → new id). */
export function renameTasks(list: TaskList, renames: ReadonlyMap<string, string>): TaskList {
  const tasks = list.tasks.map((t) => {
    const id = t.idExplicit ? t.id : (renames.get(t.id) ?? t.id);
    const depsChange = t.dependsOn.some((d) => renames.has(d.id));
    if (id === t.id && !depsChange) return t;
    const node: TaskNode = { ...t, id };
    if (depsChange) node.dependsOn = t.dependsOn.map((d) => (renames.has(d.id) ? { ...d, id: renames.get(d.id)! } : d));
    return node;
  });
  return { ...list, tasks };
}

function pathsOf(list: TaskList): string[] {
  const epics = new Map(list.epics.map((e) => [e.id, e.title]));
  const features = new Map(list.features.map((f) => [f.id, f.title]));
  return list.tasks.map((t) => headingPath(epics.get(t.epicId), features.get(t.featureId)));
}

function groupBy<T>(items: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of items) {
    const k = key(x);
    const g = out.get(k);
    if (g) g.push(x);
    else out.set(k, [x]);
  }
  return out;
}

const NON_WORD_RE = /[^\p{L}\p{N}]+/gu;

/** Case, punctuation and spacing do not make another task. */
function normalize(s: string): string {
  return s.toLowerCase().replace(NON_WORD_RE, ' ').trim();
}

/** Dice coefficient of the character bigrams of two normalised titles, 0..1. */
export function similarity(a: string, b: string): number {
  const x = normalize(a);
  const y = normalize(b);
  if (x === y) return 1;
  if (x.length < 2 || y.length < 2) return 0;
  const grams = new Map<string, number>();
  for (let i = 0; i < x.length - 1; i++) {
    const g = x.slice(i, i + 2);
    grams.set(g, (grams.get(g) ?? 0) + 1);
  }
  let common = 0;
  for (let i = 0; i < y.length - 1; i++) {
    const g = y.slice(i, i + 2);
    const n = grams.get(g) ?? 0;
    if (n > 0) {
      common++;
      grams.set(g, n - 1);
    }
  }
  return (2 * common) / (x.length - 1 + y.length - 1);
}

const SPLIT_RE = /^(.*?)(\d+)$/;

/** The next id of `id`'s series (same prefix, same width) that is not taken. */
export function nextFree(id: string, taken: ReadonlySet<string>): string {
  const m = SPLIT_RE.exec(id);
  const prefix = m ? m[1] : `${id}.`;
  const width = m ? m[2].length : 3;
  let n = m ? Number(m[2]) : 0;
  let next: string;
  do next = prefix + String(++n).padStart(width, '0');
  while (taken.has(next));
  return next;
}
