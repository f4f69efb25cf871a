// The parser's group pass (docs/tasklist-format.md "Groups, optional tasks, criteria"): a task with nested tasks is a
// group. It waits for each of its children that the engine runs (an edge per child, source `implicit`), and each of
// its descendants waits for what the group itself waits for, so a child never starts before a dependency written on
// its parent and the parent is never started (the engine ticks it) before its children are done.
import type { DependencyRef } from '../model';
import { addBlocking, isGroupDraft, isPlainWork, type EpicDraft, type TaskDraft } from './drafts';
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

export function markPhaseSummaries(tasks: readonly TaskDraft[], epics: readonly EpicDraft[]): void {
  const phases = new Map<number, EpicDraft>();
  for (const e of epics) if (e.phase && e.info.phaseNo !== undefined && !phases.has(e.info.phaseNo)) phases.set(e.info.phaseNo, e);
  if (phases.size === 0) return;
  for (const d of tasks) {
    if (d.parent || d.criterion || d.children || d.epic?.phase) continue;
    const m = PHASE_SUMMARY_RE.exec(d.node!.title);
    const ph = m ? phases.get(Number(m[1])) : undefined;
    if (ph && ph.tasks.some((t) => t !== d && !t.criterion)) (d.rare ??= {}).phaseOf = ph;
  }
}

export function applyGroupRules(tasks: readonly TaskDraft[], ids: readonly AssignedId[], deps: DependencyRef[][]): void {
  const idOf = (d: TaskDraft) => ids[d.i!].id;
  for (const d of tasks) {
    if (!isGroupDraft(d)) continue;
    for (const c of d.children ?? []) if (!c.criterion && !c.optional) addBlocking(deps, d.i, idOf(c), 'implicit', c.line);
    // A phase's checkbox waits for the phase's work (its groups are covered by their children).
    const phase = d.rare?.phaseOf;
    if (phase) for (const t of phase.tasks) if (isPlainWork(t)) addBlocking(deps, d.i, idOf(t), 'implicit', t.line);
  }
  // Parents come before their children in document order, so a parent's list already holds what it inherited.
  for (const d of tasks) {
    const p = d.parent;
    if (!p || d.criterion || !isGroupDraft(p)) continue;
    const inside = descendants(p, idOf);
    const own = idOf(d);
    for (const r of deps[p.i!]) {
      if (r.type !== 'blocks' || inside.has(r.id) || r.id === own) continue;
      addBlocking(deps, d.i, r.id, r.source, r.line);
    }
  }
}

const descendantCache = new WeakMap<TaskDraft, Set<string>>();

function descendants(d: TaskDraft, idOf: (d: TaskDraft) => string): Set<string> {
  let s = descendantCache.get(d);
  if (s) return s;
  s = new Set<string>();
  const work = [...(d.children ?? [])];
  while (work.length > 0) {
    const c = work.pop()!;
    s.add(idOf(c));
    if (c.children) work.push(...c.children);
  }
  descendantCache.set(d, s);
  return s;
}
