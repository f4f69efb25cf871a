// The editor's copy of the plan: a snapshot from the engine, then the engine's increments applied to it.
// Views (tree, CodeLens, status bar) read from here and listen to its events, so each engine event is
// decoded once and every view refreshes only what changed. Plain Node: no vscode import.
import type { ActivityAppendedParams, PlanChangedParams, PlanPatchedParams, StateChangedParams, TasksChangedParams } from '../protocol/engineProtocol';
import { applyPlanPatch, patchFit, type PatchFit } from '../protocol/planPatch';
import type { EpicView, FeatureView, GroupProgressView, PlanSnapshot, TaskView } from '../protocol/views';
import { TypedEmitter } from '../core/typedEmitter';
import { stamp, traceNow } from './perfTrace';

/** How many activity entries the store keeps (the dashboard asks the engine for more when it needs them). */
export const ACTIVITY_CAP = 200;

export interface TasksUpdate {
  /** The changed tasks, as they are now. */
  tasks: TaskView[];
  removed: string[];
  /** Epic and feature ids whose progress (completed/total) changed. */
  groups: string[];
  /** Tasks were added, removed or moved: views that show structure must redraw. */
  structural: boolean;
}

/** Events of the plan store, `noun:verb`. */
export interface PlanStoreEvents {
  /** A whole new snapshot (first load, engine restart, structural change): redraw everything. */
  'plan:replaced': PlanChangedParams;
  'tasks:updated': TasksUpdate;
  'state:changed': StateChangedParams;
  'activity:appended': ActivityAppendedParams;
}

/** The plan as the editor knows it, kept current from engine events. */
export class PlanStore {
  readonly events = new TypedEmitter<PlanStoreEvents>();
  private current: PlanSnapshot | undefined;
  private readonly tasksById = new Map<string, TaskView>();
  private readonly epicsById = new Map<string, EpicView>();
  private readonly featuresById = new Map<string, FeatureView>();
  private readonly tasksByFeature = new Map<string, TaskView[]>();

  /** The current snapshot, undefined before the engine sent one. */
  get snapshot(): PlanSnapshot | undefined {
    return this.current;
  }

  task(id: string): TaskView | undefined {
    return this.tasksById.get(id);
  }
  epic(id: string): EpicView | undefined {
    return this.epicsById.get(id);
  }
  feature(id: string): FeatureView | undefined {
    return this.featuresById.get(id);
  }
  epics(): readonly EpicView[] {
    return this.current?.epics ?? [];
  }
  featuresOf(epicId: string): FeatureView[] {
    const e = this.epicsById.get(epicId);
    if (!e) return [];
    return e.features.map((f) => this.featuresById.get(f)).filter((f): f is FeatureView => f !== undefined);
  }
  /** Tasks of a feature in document order. */
  tasksOf(featureId: string): readonly TaskView[] {
    return this.tasksByFeature.get(featureId) ?? [];
  }
  tasks(): readonly TaskView[] {
    return this.current?.tasks ?? [];
  }

  /** Replaces everything with a fresh snapshot. */
  replace(snapshot: PlanSnapshot): void {
    const t0 = traceNow();
    this.current = {
      ...snapshot,
      epics: [...snapshot.epics],
      features: [...snapshot.features],
      tasks: [...snapshot.tasks],
      activity: snapshot.activity.slice(-ACTIVITY_CAP),
    };
    this.reindex();
    const t1 = traceNow();
    this.events.emit('plan:replaced', { snapshot: this.current });
    stamp('store:replaced', { tasks: snapshot.tasks.length, indexMs: Math.round(t1 - t0), listenersMs: Math.round(traceNow() - t1) });
  }

  /**
   * Applies a `plan:patched` (a re-read of the plan's text); emits `tasks:updated` with what it changed: a line typed
   * above tasks moves them, which redraws no tree and recomputes no lens but those near the view. Returns what it did
   * with the patch: on a `gap` the caller fetches a whole snapshot.
   */
  applyPatch(p: PlanPatchedParams): PatchFit {
    const snap = this.current;
    const fit = patchFit(snap?.revision, p);
    if (!snap || fit !== 'apply') return fit;
    const next = applyPlanPatch(snap, p);
    const { gates: _old, ...rest } = snap;
    this.current = {
      ...rest,
      revision: next.revision,
      epics: next.epics,
      features: next.features,
      tasks: next.tasks,
      counts: p.counts,
      diagnostics: p.diagnostics,
      ...(p.gates !== undefined ? { gates: p.gates } : {}),
    };
    this.reindex();
    this.events.emit('tasks:updated', { tasks: next.changed, removed: next.removed, groups: next.groups, structural: next.moved });
    return fit;
  }

  /**
   * Applies a `tasksChanged` increment; emits `tasks:updated` with the epics/features whose progress moved. Group
   * progress is the engine's (it counts with the one rule of done): the store takes it as sent, never recounts.
   */
  applyTasks(p: TasksChangedParams): void {
    const snap = this.current;
    if (!snap) return;
    const changed: TaskView[] = [];
    let structural = false;
    for (const t of p.tasks) {
      const old = this.tasksById.get(t.id);
      this.tasksById.set(t.id, t);
      changed.push(t);
      if (!old) {
        // A task the snapshot did not have (the engine's `planChanged` normally follows).
        structural = true;
        snap.tasks.push(t);
        continue;
      }
      this.replaceIn(snap.tasks, old, t);
      if (old.featureId !== t.featureId || old.epicId !== t.epicId || old.line !== t.line) structural = true;
      const siblings = this.tasksByFeature.get(t.featureId);
      if (siblings) this.replaceIn(siblings, old, t);
    }
    const removed: string[] = [];
    for (const id of p.removed) {
      const old = this.tasksById.get(id);
      if (!old) continue;
      this.tasksById.delete(id);
      snap.tasks.splice(snap.tasks.indexOf(old), 1);
      removed.push(id);
      structural = true;
    }
    const groups: string[] = [];
    for (const g of p.groups) if (this.setProgress(g)) groups.push(g.id);
    snap.counts = p.counts;
    // Status changes (the common case) keep the per-feature lists in place; only moves re-sort them.
    if (structural) this.rebuildFeatureIndex();
    this.events.emit('tasks:updated', { tasks: changed, removed, groups, structural });
  }

  /** Applies a `stateChanged` notification. */
  applyState(p: StateChangedParams): void {
    if (!this.current) return;
    this.current.state = p.state;
    this.current.breakers = p.breakers;
    this.events.emit('state:changed', p);
  }

  /** Appends activity entries, keeping the newest ACTIVITY_CAP. */
  appendActivity(p: ActivityAppendedParams): void {
    if (!this.current) return;
    const all = this.current.activity.concat(p.entries);
    this.current.activity = all.length > ACTIVITY_CAP ? all.slice(-ACTIVITY_CAP) : all;
    this.events.emit('activity:appended', p);
  }

  /** Forgets the plan (the engine went away). */
  clear(): void {
    this.current = undefined;
    this.tasksById.clear();
    this.epicsById.clear();
    this.featuresById.clear();
    this.tasksByFeature.clear();
  }

  /** Takes a group's progress from the engine; true when it moved. Group views are replaced, never mutated. */
  private setProgress(g: GroupProgressView): boolean {
    const snap = this.current!;
    if (g.kind === 'feature') {
      const f = this.featuresById.get(g.id);
      if (!f || (f.done === g.done && f.total === g.total)) return false;
      const nf = { ...f, done: g.done, total: g.total };
      this.featuresById.set(f.id, nf);
      this.replaceIn(snap.features, f, nf);
      return true;
    }
    const e = this.epicsById.get(g.id);
    if (!e || (e.done === g.done && e.total === g.total)) return false;
    const ne = { ...e, done: g.done, total: g.total };
    this.epicsById.set(e.id, ne);
    this.replaceIn(snap.epics, e, ne);
    return true;
  }

  private replaceIn<T>(list: T[], old: T, next: T): void {
    const i = list.indexOf(old);
    if (i >= 0) list[i] = next;
  }

  private reindex(): void {
    const snap = this.current!;
    this.tasksById.clear();
    this.epicsById.clear();
    this.featuresById.clear();
    for (const t of snap.tasks) this.tasksById.set(t.id, t);
    for (const e of snap.epics) this.epicsById.set(e.id, e);
    for (const f of snap.features) this.featuresById.set(f.id, f);
    this.rebuildFeatureIndex();
  }

  private rebuildFeatureIndex(): void {
    this.tasksByFeature.clear();
    if (!this.current) return;
    const tasks = [...this.current.tasks].sort((a, b) => a.line - b.line);
    for (const t of tasks) {
      let list = this.tasksByFeature.get(t.featureId);
      if (!list) this.tasksByFeature.set(t.featureId, (list = []));
      list.push(t);
    }
  }
}
