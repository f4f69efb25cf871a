// The parser's ids pass: which numbers are the file's ids (its own numbering: docs/tasklist-format.md "Ids"), the
// file's dialect, and the id of every task — written, or provisional for a task written without one.
import { allocateTaskIds } from '../ids';
import { analyzeTaskLine, idKind } from '../taskLine';
import type { LineIndex } from '../textLines';
import type { Diagnostic, Dialect, EpicNode, IdKind, TaskNode } from '../model';
import type { Drafts, EpicDraft } from './drafts';

/** Weak id kinds (outline numbers, bare keys) read as ids when at least two tasks, and three quarters of those without a written id, start with one. */
const WEAK_KINDS: readonly IdKind[] = ['outline', 'key'];

/**
 * Decides which numbers are this file's ids (a Kiro file numbers every task `1.`, `2.1`; a roadmap with one "2.0
 * migration guide" does not), then sets every draft's id and title accordingly. See TaskList.numbering.
 */
export function readNumbering(drafts: Drafts): Set<IdKind> {
  const counts = new Map<IdKind, number>();
  let unnamed = 0;
  for (let d = 0; d < drafts.count; d++) {
    if (drafts.node(d).id !== '') continue; // the id written on the line (Drafts.finish)
    unnamed++;
    const w = drafts.rare(d)?.weakId;
    if (w) counts.set(w.kind, (counts.get(w.kind) ?? 0) + 1);
  }
  const kinds = new Set<IdKind>();
  for (const k of WEAK_KINDS) {
    const n = counts.get(k) ?? 0;
    if (n >= 2 && n * 4 >= unnamed * 3) kinds.add(k);
  }
  for (let d = 0; d < drafts.count; d++) {
    const r = drafts.rare(d);
    const node = drafts.node(d);
    if (node.id !== '' || !r?.weakId) continue; // the title without the id is the node's already
    if (kinds.has(r.weakId.kind)) {
      node.id = r.weakId.value;
      drafts.setWeak(d);
    } else if (r.titleWithWeakId !== undefined) {
      node.title = r.titleWithWeakId;
    }
  }
  return kinds;
}

/** The file's dialect (see model.ts): only the evidence of each format counts, never a heading name alone. */
export function detectDialect(drafts: Drafts, epics: readonly EpicDraft[], numbering: ReadonlySet<IdKind>): Dialect {
  let flat = 0;
  let dotted = 0;
  let tagged = false;
  for (let d = 0; d < drafts.count; d++) {
    const node = drafts.node(d);
    const v = node.id;
    if (v !== '' && idKind(v) === 'task') {
      if (v.includes('.')) dotted++;
      else flat++;
    }
    if (node.parallel || node.tags.some((g) => /^US\d+$/.test(g))) tagged = true;
  }
  const phases = epics.some((e) => e.phase);
  if (flat > 0 && (tagged || (phases && flat * 2 >= drafts.count))) return 'speckit';
  if (epics.some((e) => e.info.explicitEpic || e.features.some((f) => f.info.explicitFeature))) return 'coditect';
  if (dotted > 0 && dotted >= flat) return 'coditect';
  if (numbering.has('outline')) return 'kiro';
  return 'markdown';
}

export interface AssignedId {
  id: string;
  idExplicit: boolean;
}

/**
 * Sets every task's id (written, or provisional) and its epic and feature on its node, and returns the nodes (each an
 * AssignedId, indexed like the drafts: no object of its own per task, a 50 MB plan has 700,000) and the index of the
 * first task with each id, which the dependency pass resolves against (one map of 700,000 ids, not two).
 */
export function assignTaskIds(
  drafts: Drafts,
  dialect: Dialect,
  epics: readonly EpicNode[],
  /** The same epics as drafts, with their features and the ranges of their tasks. */
  sections: readonly EpicDraft[],
  diagnostics: Diagnostic[],
  lines: LineIndex,
): { ids: AssignedId[]; byId: IdIndex } {
  const dups: number[] = [];
  const slots = new Array<TaskNode>(drafts.count);
  const first = new IdIndex(slots, drafts.count);
  // Each task's epic and feature: the sections' tasks are ranges of the drafts.
  for (const e of sections)
    for (const f of e.direct ? [e.direct, ...e.features] : e.features)
      for (let d = f.tasks.from; d < f.tasks.to; d++) {
        const node = drafts.node(d);
        node.featureId = f.id;
        node.epicId = e.id;
      }
  for (let i = 0; i < drafts.count; i++) {
    // The node holds the id read from the line ('' for none) until the allocation below.
    const node = drafts.node(i);
    slots[i] = node;
    let written: string | undefined = node.id === '' ? undefined : node.id;
    if (written !== undefined) {
      // A number the file uses twice (`1.` under two headings, `#1` in Backlog.md's acceptance criteria and again in
      // its Definition of Done) is no error: the later task is known by another id.
      if (first.has(written) && (drafts.weak(i) || drafts.criterion(i))) written = undefined;
      else if (first.has(written)) dups.push(i);
      else first.set(written, i);
    }
    // The node is the allocation's slot: its id is the written one until allocateTaskIds says otherwise.
    node.id = written ?? '';
    node.idExplicit = written !== undefined;
  }
  const epicOrder = epics.map((e) => e.id);
  const ids = allocateTaskIds(slots, dialect, epicOrder);
  if (dups.length > 0) {
    // Suggest a fresh id for each duplicate, as if it had none, without moving any provisional id.
    const fixed = slots.map((s, i) => ({ id: ids[i], idExplicit: true, featureId: s.featureId, epicId: s.epicId }));
    for (const i of dups) fixed[i].idExplicit = false;
    const suggested = allocateTaskIds(fixed, dialect, epicOrder);
    for (const i of dups) {
      const line = drafts.line(i);
      // Where the id sits in its line: read again, for this rare error only (a draft keeps no columns).
      const id = analyzeTaskLine(lines.line(line), line)!.id!;
      const firstLine = drafts.line(first.get(id.value)!);
      diagnostics.push({
        line,
        column: id.valueStart,
        endLine: line,
        endColumn: id.valueEnd,
        severity: 'error',
        code: 'duplicate-id',
        message: `Task id ${id.value} is already used on line ${firstLine + 1}; dependencies on ${id.value} mean that first task (suggested new id: ${suggested[i]})`,
        data: { id: id.value, firstLine, suggestedId: suggested[i] },
      });
    }
  }
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i];
    s.id = ids[i];
    // A provisional id is never one written in the file (allocateTaskIds keeps clear of them), nor another's.
    if (!s.idExplicit) first.set(ids[i], i);
  }
  return { ids: slots, byId: first };
}

/**
 * The first task with each id: task numbers in an open-addressing table (4 bytes a slot, sized once for every task),
 * where a Map of 700,000 ids is 28 MB and leaves as much again behind as it grows. A task's id is read from its node
 * (`nodes[i].id`), so an entry's id must be on its node before another id is looked up or set.
 */
export class IdIndex {
  /** Task number + 1 per slot; 0 is an empty slot. */
  private readonly table: Int32Array;
  private readonly mask: number;

  constructor(
    private readonly nodes: readonly { id: string }[],
    capacity: number,
  ) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.table = new Int32Array(size);
    this.mask = size - 1;
  }

  /** The task with this id, or undefined. */
  get(id: string): number | undefined {
    const k = this.find(id);
    return this.table[k] === 0 ? undefined : this.table[k] - 1;
  }

  has(id: string): boolean {
    return this.table[this.find(id)] !== 0;
  }

  /** `id` is task `i`'s (which replaces the task it was before, as Map.set would). */
  set(id: string, i: number): void {
    this.table[this.find(id)] = i + 1;
  }

  /** The slot that holds `id`, or the empty slot where it goes. */
  private find(id: string): number {
    // FNV-1a over the UTF-16 code units, then linear probing.
    let h = 0x811c9dc5;
    for (let c = 0; c < id.length; c++) h = Math.imul(h ^ id.charCodeAt(c), 0x01000193);
    let k = h & this.mask;
    for (let e = this.table[k]; e !== 0 && this.nodes[e - 1].id !== id; e = this.table[k]) k = (k + 1) & this.mask;
    return k;
  }
}
