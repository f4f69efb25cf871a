// Ids for tasks written without one. The parser gives such a task a provisional id; sync keeps the task's identity in
// the database (src/core/identity.ts) and writes the id into the line only where the file's dialect writes ids (the
// CODITECT dialect, `writesIds`) or the person asks (`coditect ids --write`). A file with its own numbering, or with
// none, is never rewritten to add ids, and a completed task is never rewritten to add anything.
//
// Scheme of a provisional id (docs/tasklist-format.md, "Ids"): a prefix and a trailing number (`T001.` + `011`).
//  1. Family: the written task ids (`T…`) of the task's feature; if it has none, those of its epic; if none either,
//     the file's style: dotted `T<epic number>.NNN` (3 digits), or flat `TNNN` when most written ids in the file
//     are flat (Spec Kit) or the file is Spec Kit and has none. Other schemes (`SC-001`, `#12`, `2.1`) are the
//     person's own and are never continued: a provisional id in them could later collide with one they write.
//  2. Within the family, the most common prefix and its widest number give the shape; the number starts one above
//     the family's highest and skips every id already used anywhere in the file (written or just allocated).
//  3. Tasks are allocated in document order, each allocation joining its feature's and epic's family.
// The result depends only on the list (no clock, no randomness), so the same file always gets the same ids.
import { TERMINAL_STATUSES, type Dialect, type TaskList } from './model';
import type { TaskEdit } from './writer';

/** What allocation needs to know about one task. */
export interface IdSlot {
  id: string;
  idExplicit: boolean;
  featureId: string;
  epicId: string;
}

interface Family {
  prefixCounts: Map<string, number>;
  /** Highest number and widest digit count per prefix. */
  max: Map<string, { n: number; width: number }>;
  lastPrefix?: string;
}

const SPLIT_RE = /^(.*?)(\d+)$/;
const TASK_ID_RE = /^T\d/;

function newFamily(): Family {
  return { prefixCounts: new Map(), max: new Map() };
}

function addToFamily(f: Family, id: string): void {
  const m = SPLIT_RE.exec(id);
  if (!m) return;
  const [, prefix, digits] = m;
  f.prefixCounts.set(prefix, (f.prefixCounts.get(prefix) ?? 0) + 1);
  const cur = f.max.get(prefix);
  const n = Number(digits);
  if (!cur) f.max.set(prefix, { n, width: digits.length });
  else {
    cur.n = Math.max(cur.n, n);
    cur.width = Math.max(cur.width, digits.length);
  }
  f.lastPrefix = prefix;
}

/** The family's main prefix: the most common; on a tie, the one written last. */
function mainPrefix(f: Family): string | undefined {
  let best: string | undefined;
  let bestCount = -1;
  for (const [prefix, count] of f.prefixCounts) {
    if (count > bestCount || (count === bestCount && prefix === f.lastPrefix)) {
      best = prefix;
      bestCount = count;
    }
  }
  return best;
}

function getFamily(map: Map<string, Family>, key: string): Family {
  let f = map.get(key);
  if (!f) map.set(key, (f = newFamily()));
  return f;
}

/** The digits of an epic id (`E001` → `001`), or its 1-based position when it has none. */
function epicNumber(epicId: string, epicIndex: Map<string, number>): string {
  const m = /(\d+)/.exec(epicId);
  if (m) return m[1].padStart(3, '0');
  return String((epicIndex.get(epicId) ?? 0) + 1).padStart(3, '0');
}

/**
 * Returns the id for every slot: written ids unchanged, and a fresh id for each slot without one (see the scheme
 * above). `epicOrder` lists epic ids in document order (used only for epics whose id has no digits).
 */
export function allocateTaskIds(slots: readonly IdSlot[], dialect: Dialect, epicOrder: readonly string[] = []): string[] {
  // Every id written (the common case once a file has been synced): nothing to allocate, no families to build.
  let allExplicit = true;
  for (const s of slots) if (!s.idExplicit) allExplicit = false;
  if (allExplicit) return slots.map((s) => s.id);
  const taken = new Set<string>();
  const byFeature = new Map<string, Family>();
  const byEpic = new Map<string, Family>();
  let flat = 0;
  let dotted = 0;
  let flatWidth = 0;
  for (const s of slots) {
    if (!s.idExplicit) continue;
    taken.add(s.id);
    if (!TASK_ID_RE.test(s.id)) continue; // the person's own scheme: never continued (see the top of this file)
    addToFamily(getFamily(byFeature, s.featureId), s.id);
    addToFamily(getFamily(byEpic, s.epicId), s.id);
    const flatM = /^T(\d+)$/.exec(s.id);
    if (flatM) {
      flat++;
      flatWidth = Math.max(flatWidth, flatM[1].length);
    } else if (/^T\d+(?:\.\d+)+$/.test(s.id)) dotted++;
  }
  const flatScheme = flat > dotted || (flat === 0 && dotted === 0 && dialect === 'speckit');
  const fileFlat = newFamily();
  if (flatScheme) for (const id of taken) if (/^T\d+$/.test(id)) addToFamily(fileFlat, id);
  const epicIndex = new Map(epicOrder.map((id, i) => [id, i]));

  const out: string[] = [];
  for (const s of slots) {
    if (s.idExplicit) {
      out.push(s.id);
      continue;
    }
    let family = byFeature.get(s.featureId);
    if (!family || family.prefixCounts.size === 0) family = byEpic.get(s.epicId);
    let prefix: string;
    let width: number;
    let start: number;
    const main = family && family.prefixCounts.size > 0 ? mainPrefix(family) : undefined;
    if (family && main !== undefined) {
      const mx = family.max.get(main)!;
      prefix = main;
      width = mx.width;
      start = mx.n + 1;
    } else if (flatScheme) {
      prefix = 'T';
      width = flatWidth || 3;
      start = (fileFlat.max.get('T')?.n ?? 0) + 1;
    } else {
      prefix = `T${epicNumber(s.epicId, epicIndex)}.`;
      width = 3;
      start = 1;
    }
    let n = start;
    let id = prefix + String(n).padStart(width, '0');
    while (taken.has(id)) id = prefix + String(++n).padStart(width, '0');
    taken.add(id);
    addToFamily(getFamily(byFeature, s.featureId), id);
    addToFamily(getFamily(byEpic, s.epicId), id);
    if (flatScheme && prefix === 'T') addToFamily(fileFlat, id);
    out.push(id);
  }
  return out;
}

/**
 * Whether sync writes the ids of tasks written without one into their lines: in the CODITECT dialect by default
 * (`write_ids` unset), always or never when the person says so. Any other file keeps its own numbering (or none).
 */
export function writesIds(list: TaskList, setting: WriteIds = 'dialect'): boolean {
  return setting === 'always' || (setting === 'dialect' && list.dialect === 'coditect');
}

/** The `sync.write_ids` setting: `dialect` (only CODITECT files), `always`, `never`. */
export type WriteIds = 'dialect' | 'always' | 'never';

/**
 * One `assignId` edit per task written without an id: the id it is known by (its provisional id, or the id sync
 * matched it to), so the line then says what the database already holds. Completed and skipped tasks are left as
 * they are: a finished line is never rewritten to add anything.
 */
export function missingIdEdits(list: TaskList): TaskEdit[] {
  const edits: TaskEdit[] = [];
  const seen = new Set<string>();
  for (const t of list.tasks) {
    // A criterion is a person's checklist line, never work to refer to: it keeps its text as written.
    if (t.idExplicit || t.criterion || TERMINAL_STATUSES.has(t.status) || seen.has(t.id)) continue;
    seen.add(t.id);
    edits.push({ taskId: t.id, assignId: t.id });
  }
  return edits;
}

/**
 * The next free id in the series of `near` (`T001.007` → `T001.015` when T001.014 is the highest of the series),
 * keeping the zero padding; without `near`, in the most common series of `existing` (the editor's quick fix for a
 * duplicate or missing id).
 */
export function nextFreeId(existing: Iterable<string>, near?: string): string {
  const ids = [...existing];
  const taken = new Set(ids);
  const split = (id: string): { prefix: string; num: string } | undefined => {
    const m = SPLIT_RE.exec(id);
    return m ? { prefix: m[1], num: m[2] } : undefined;
  };
  let series = near ? split(near) : undefined;
  if (!series) {
    const counts = new Map<string, { n: number; sample: { prefix: string; num: string } }>();
    for (const id of ids) {
      const s = split(id);
      if (!s) continue;
      const c = counts.get(s.prefix);
      if (c) c.n++;
      else counts.set(s.prefix, { n: 1, sample: s });
    }
    series = [...counts.values()].sort((a, b) => b.n - a.n)[0]?.sample ?? { prefix: 'T', num: '000' };
  }
  const { prefix } = series;
  let width = series.num.length;
  let max = 0;
  for (const id of ids) {
    const s = split(id);
    if (!s || s.prefix !== prefix) continue;
    max = Math.max(max, Number(s.num));
    width = Math.max(width, s.num.length);
  }
  let n = max + 1;
  let candidate = `${prefix}${String(n).padStart(width, '0')}`;
  while (taken.has(candidate)) candidate = `${prefix}${String(++n).padStart(width, '0')}`;
  return candidate;
}
