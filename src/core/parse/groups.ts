// The parser's group pass (docs/tasklist-format.md "Groups, optional tasks, criteria"): a task with nested tasks is a
// group. It waits for each of its children that the engine runs (an edge per child, source `implicit`), and each of
// its descendants waits for what the group itself waits for, so a child never starts before a dependency written on
// its parent and the parent is never started (the engine ticks it) before its children are done.
import type { DependencyRef } from '../model';
import { addBlocking, someTask, type Drafts, type EpicDraft } from './drafts';
import type { AssignedId } from './numbering';

const PHASE_SUMMARY_RE = /^(?:\*\*|__)?Phase[ \t]+(\d+)\b/i;

/**
 * A checkbox outside a phase whose title names a phase of the file (`- [ ] **Phase 2: Sharing** - invite people`, the
 * phase list of a GSD roadmap) stands for that phase: a group of its tasks, never work of its own. Runs before the
 * dependency passes, so they see it as a group.
 */
/** The title names a phase (`**Phase 2: …**`): such a line may stand for the phase (the incremental parser re-reads the file). */
export function namesPhase(title: string): boolean {
  return PHASE_SUMMARY_RE.test(title);
}

export function markPhaseSummaries(drafts: Drafts, epics: readonly EpicDraft[]): void {
  const phases = new Map<number, EpicDraft>();
  for (const e of epics) if (e.phase && e.info.phaseNo !== undefined && !phases.has(e.info.phaseNo)) phases.set(e.info.phaseNo, e);
  if (phases.size === 0) return;
  for (const e of epics) {
    if (e.phase) continue;
    for (let d = e.tasks.from; d < e.tasks.to; d++) {
      if (drafts.parent(d) >= 0 || drafts.criterion(d) || drafts.children(d)) continue;
      const m = PHASE_SUMMARY_RE.exec(drafts.node(d).title);
      const ph = m ? phases.get(Number(m[1])) : undefined;
      if (ph && someTask(ph.tasks, (t) => t !== d && !drafts.criterion(t))) drafts.rareFor(d).phaseOf = ph;
    }
  }
}

export function applyGroupRules(drafts: Drafts, ids: readonly AssignedId[], deps: DependencyRef[][]): void {
  const idOf = (d: number) => ids[d].id;
  for (let d = 0; d < drafts.count; d++) {
    if (!drafts.isGroup(d)) continue;
    for (const c of drafts.children(d) ?? []) if (!drafts.criterion(c) && !drafts.optional(c)) addBlocking(deps, d, idOf(c), 'implicit', drafts.line(c));
    // A phase's checkbox waits for the phase's work (its groups are covered by their children).
    const phase = drafts.rare(d)?.phaseOf;
    if (phase) for (let t = phase.tasks.from; t < phase.tasks.to; t++) if (drafts.isPlainWork(t)) addBlocking(deps, d, idOf(t), 'implicit', drafts.line(t));
  }
  // Parents come before their children in document order, so a parent's list already holds what it inherited.
  const cache = new Map<number, Set<string>>();
  for (let d = 0; d < drafts.count; d++) {
    const p = drafts.parent(d);
    if (p < 0 || drafts.criterion(d) || !drafts.isGroup(p)) continue;
    const inside = descendants(drafts, p, idOf, cache);
    const own = idOf(d);
    for (const r of deps[p]) {
      if (r.type !== 'blocks' || inside.has(r.id) || r.id === own) continue;
      addBlocking(deps, d, r.id, r.source, r.line);
    }
  }
}

/** The ids of every task nested (at any depth) in `d`'s list item; computed once per group. */
function descendants(drafts: Drafts, d: number, idOf: (d: number) => string, cache: Map<number, Set<string>>): Set<string> {
  let s = cache.get(d);
  if (s) return s;
  s = new Set<string>();
  const work = [...(drafts.children(d) ?? [])];
  while (work.length > 0) {
    const c = work.pop()!;
    s.add(idOf(c));
    const cc = drafts.children(c);
    if (cc) work.push(...cc);
  }
  cache.set(d, s);
  return s;
}
