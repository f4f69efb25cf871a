// The parser's feature-gate pass (docs/costs-and-gates.md#gates): a feature with `Gate: review` in its section is
// reviewed as a whole. A task outside the feature that waits for any of its tasks waits for all of them (implicit
// edges, like a group's), so it never starts before the feature is done; the graph then holds it until a person
// approves the feature (DependencyGraph, GraphOptions.approvedGates).
import type { DependencyRef } from '../model';
import { addBlocking, type Drafts, type EpicDraft } from './drafts';
import type { AssignedId } from './numbering';

export function applyFeatureGates(drafts: Drafts, epics: readonly EpicDraft[], ids: readonly AssignedId[], deps: DependencyRef[][]): void {
  // Feature of each task id of a gated feature (its section's tasks are consecutive: from … to).
  const gatedBy = new Map<string, { from: number; to: number; work: number[] }>();
  for (const e of epics) {
    for (const f of e.features) {
      if (!f.gate) continue;
      const work: number[] = [];
      for (let d = f.tasks.from; d < f.tasks.to; d++) if (drafts.isPlainWork(d) || drafts.isGroup(d)) work.push(d);
      const range = { from: f.tasks.from, to: f.tasks.to, work };
      for (let d = f.tasks.from; d < f.tasks.to; d++) gatedBy.set(ids[d].id, range);
    }
  }
  if (gatedBy.size === 0) return;
  for (let d = 0; d < drafts.count; d++) {
    const seen = new Set<object>();
    // A snapshot: addBlocking appends to this list, and what it appends is already the whole feature.
    for (const r of deps[d].slice()) {
      const f = r.type === 'blocks' ? gatedBy.get(r.id) : undefined;
      if (!f || seen.has(f) || (d >= f.from && d < f.to)) continue;
      seen.add(f);
      for (const w of f.work) addBlocking(deps, d, ids[w].id, 'implicit', r.line);
    }
  }
}
