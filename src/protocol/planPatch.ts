// Applies a `plan:patched` (engineProtocol.ts) to a client's copy of the plan: the one rule the extension's plan store
// and the dashboard both use, so a patch means the same thing wherever it lands. Pure: no platform, no mutation.
import type { LineShift, PlanPatchedParams } from './engineProtocol';
import type { EpicView, FeatureView, TaskView } from './views';

/** The parts of a plan a patch changes. */
export interface PatchablePlan {
  revision?: number;
  epics: readonly EpicView[];
  features: readonly FeatureView[];
  /** In document (line) order. */
  tasks: readonly TaskView[];
}

/**
 * What a client does with a patch: `apply` it (its plan is at the patch's base), skip it because it already `has` it
 * (a snapshot taken after the patch was sent: the dashboard and the event stream take theirs while events queue), or
 * ask for a fresh snapshot because it missed one in between (`gap`).
 */
export type PatchFit = 'apply' | 'has' | 'gap';

export function patchFit(revision: number | undefined, p: Pick<PlanPatchedParams, 'base' | 'revision'>): PatchFit {
  if (revision === undefined) return 'gap';
  if (p.revision <= revision) return 'has';
  return p.base === revision ? 'apply' : 'gap';
}

export interface PatchedPlan {
  revision: number;
  epics: EpicView[];
  features: FeatureView[];
  /** In document (line) order. */
  tasks: TaskView[];
  /** The tasks the patch sent (added or changed besides their line), as they are now. */
  changed: TaskView[];
  /** Ids of the tasks that were in the plan and are not any more. */
  removed: string[];
  /** Ids of the epics and features whose view changed besides their line. */
  groups: string[];
  /**
   * Tasks were added or removed, changed their feature, or changed their order: views that show the plan's structure
   * redraw it. Lines that only moved (a line typed above them) leave the structure as it was.
   */
  moved: boolean;
}

/** The line delta of an item at `line` (0 when no shift covers it); `shifts` are sorted by `from` and do not overlap. */
export function shiftAt(shifts: readonly LineShift[], line: number): number {
  let lo = 0;
  let hi = shifts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = shifts[mid]!;
    if (line < s.from) hi = mid - 1;
    else if (line > s.to) lo = mid + 1;
    else return s.delta;
  }
  return 0;
}

/** The plan after the patch (the caller checked patchFit first). */
export function applyPlanPatch(plan: PatchablePlan, p: PlanPatchedParams): PatchedPlan {
  const sent = new Map(p.tasks.map((t) => [t.id, t]));
  const gone = new Set(p.removed);
  const tasks: TaskView[] = [];
  const removed: string[] = [];
  let moved = false;
  for (const t of plan.tasks) {
    if (gone.has(t.id)) {
      removed.push(t.id);
      continue;
    }
    const next = sent.get(t.id);
    if (next) {
      sent.delete(t.id);
      if (next.featureId !== t.featureId || next.epicId !== t.epicId) moved = true;
      tasks.push(next);
      continue;
    }
    const d = shiftAt(p.shifts, t.line);
    tasks.push(d === 0 ? t : { ...t, line: t.line + d });
  }
  // What is left of `sent` is new to this plan.
  for (const t of sent.values()) tasks.push(t);
  if (sent.size > 0 || removed.length > 0) moved = true;
  if (!inLineOrder(tasks)) {
    tasks.sort((a, b) => a.line - b.line);
    moved = true;
  }
  const groups: string[] = [];
  const epics = patchGroups(plan.epics, p.epics, p.shifts, groups);
  const features = patchGroups(plan.features, p.features, p.shifts, groups);
  return { revision: p.revision, epics, features, tasks, changed: p.tasks, removed, groups, moved };
}

function patchGroups<G extends EpicView | FeatureView>(current: readonly G[], sent: readonly G[], shifts: readonly LineShift[], changed: string[]): G[] {
  const byId = new Map(sent.map((g) => [g.id, g]));
  return current.map((g) => {
    const next = byId.get(g.id);
    if (next) {
      changed.push(g.id);
      return next;
    }
    const d = shiftAt(shifts, g.line);
    return d === 0 ? g : { ...g, line: g.line + d };
  });
}

function inLineOrder(tasks: readonly TaskView[]): boolean {
  for (let i = 1; i < tasks.length; i++) if (tasks[i - 1]!.line > tasks[i]!.line) return false;
  return true;
}
