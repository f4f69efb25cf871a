// The parser's ids pass: which numbers are the file's ids (its own numbering: docs/tasklist-format.md "Ids"), the
// file's dialect, and the id of every task — written, or provisional for a task written without one.
import { allocateTaskIds } from '../ids';
import type { Diagnostic, Dialect, EpicNode, IdKind } from '../model';
import type { EpicDraft, TaskDraft } from './drafts';

/** Weak id kinds (outline numbers, bare keys) read as ids when at least two tasks, and three quarters of those without a written id, start with one. */
const WEAK_KINDS: readonly IdKind[] = ['outline', 'key'];

/**
 * Decides which numbers are this file's ids (a Kiro file numbers every task `1.`, `2.1`; a roadmap with one "2.0
 * migration guide" does not), then sets every draft's id and title accordingly. See TaskList.numbering.
 */
export function readNumbering(tasks: readonly TaskDraft[]): Set<IdKind> {
  const counts = new Map<IdKind, number>();
  let unnamed = 0;
  for (const d of tasks) {
    if (d.a.id) continue;
    unnamed++;
    const w = d.a.weakId;
    if (w) counts.set(w.kind, (counts.get(w.kind) ?? 0) + 1);
  }
  const kinds = new Set<IdKind>();
  for (const k of WEAK_KINDS) {
    const n = counts.get(k) ?? 0;
    if (n >= 2 && n * 4 >= unnamed * 3) kinds.add(k);
  }
  for (const d of tasks) {
    const { a } = d;
    if (a.id) {
      d.id = a.id;
      d.title = a.title;
    } else if (a.weakId && kinds.has(a.weakId.kind)) {
      d.id = a.weakId;
      d.weak = true;
      d.title = a.title;
    } else {
      d.title = a.titleWithWeakId ?? a.title;
    }
  }
  return kinds;
}

/** The file's dialect (see model.ts): only the evidence of each format counts, never a heading name alone. */
export function detectDialect(tasks: readonly TaskDraft[], epics: readonly EpicDraft[], numbering: ReadonlySet<IdKind>): Dialect {
  let flat = 0;
  let dotted = 0;
  let tagged = false;
  for (const d of tasks) {
    const v = d.id?.value;
    if (v !== undefined && d.id!.kind === 'task') {
      if (v.includes('.')) dotted++;
      else flat++;
    }
    if (d.a.meta.parallel || d.a.meta.tags.some((g) => /^US\d+$/.test(g))) tagged = true;
  }
  const phases = epics.some((e) => e.phase);
  if (flat > 0 && (tagged || (phases && flat * 2 >= tasks.length))) return 'speckit';
  if (epics.some((e) => e.info.explicitEpic || e.features.some((f) => f.info.explicitFeature))) return 'coditect';
  if (dotted > 0 && dotted >= flat) return 'coditect';
  if (numbering.has('outline')) return 'kiro';
  return 'markdown';
}

export interface AssignedId {
  id: string;
  idExplicit: boolean;
}

export function assignTaskIds(tasks: readonly TaskDraft[], dialect: Dialect, epics: readonly EpicNode[], diagnostics: Diagnostic[]): AssignedId[] {
  const first = new Map<string, number>();
  const dups: number[] = [];
  const slots = tasks.map((d, i) => {
    let written = d.id?.value;
    if (written !== undefined) {
      // A number the file uses twice (`1.` under two headings, `#1` in Backlog.md's acceptance criteria and again in
      // its Definition of Done) is no error: the later task is known by another id.
      if (first.has(written) && (d.weak || d.criterion)) written = undefined;
      else if (first.has(written)) dups.push(i);
      else first.set(written, i);
    }
    return { id: written ?? '', idExplicit: written !== undefined, featureId: d.feature!.id, epicId: d.epic!.id };
  });
  const epicOrder = epics.map((e) => e.id);
  const ids = allocateTaskIds(slots, dialect, epicOrder);
  if (dups.length > 0) {
    // Suggest a fresh id for each duplicate, as if it had none, without moving any provisional id.
    const fixed = slots.map((s, i) => ({ ...s, id: ids[i], idExplicit: true }));
    for (const i of dups) fixed[i].idExplicit = false;
    const suggested = allocateTaskIds(fixed, dialect, epicOrder);
    for (const i of dups) {
      const d = tasks[i];
      const id = d.id!;
      const firstLine = tasks[first.get(id.value)!].line;
      diagnostics.push({
        line: d.line,
        column: id.valueStart,
        endLine: d.line,
        endColumn: id.valueEnd,
        severity: 'error',
        code: 'duplicate-id',
        message: `Task id ${id.value} is already used on line ${firstLine + 1}; dependencies on ${id.value} mean that first task (suggested new id: ${suggested[i]})`,
        data: { id: id.value, firstLine, suggestedId: suggested[i] },
      });
    }
  }
  return ids.map((id, i) => ({ id, idExplicit: slots[i].idExplicit }));
}
