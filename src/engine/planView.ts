// Builds what the UI and the CLI show (TaskView, PlanCounts, PlanSnapshot) from the parsed plan, the database's
// runtime rows and the dependency graph. Pure functions over their inputs: the runtime decides when to call them.
import { DependencyGraph } from '../core/graph';
import type { TaskList, TaskNode, TaskStatus } from '../core/model';
import { type RoutingConfig, routeTask } from '../core/routing';
import { emptyPlanCounts, type EpicView, type FeatureView, type LastRunView, type PlanCounts, type RouteView, type TaskView } from '../protocol/views';
import type { TaskRuntime } from './ports';

/** Everything needed to describe tasks; rebuilt when the plan or a status changes. */
export interface PlanModel {
  list: TaskList;
  graph: DependencyGraph;
  /** Effective status per task id: the database's when it has a row, else the markdown's. */
  statuses: Map<string, TaskStatus>;
  runtimes: Map<string, TaskRuntime>;
  byId: Map<string, TaskNode>;
}

/** Combines the parsed list with the database rows into one model; `previous` is the model's graph before (see GraphOptions). */
export function buildPlanModel(list: TaskList, runtimes: Map<string, TaskRuntime>, previous?: DependencyGraph): PlanModel {
  const statuses = new Map<string, TaskStatus>();
  for (const t of list.tasks) statuses.set(t.id, runtimes.get(t.id)?.status ?? t.status);
  const graph = DependencyGraph.fromTaskList(list, statuses, { previous });
  return { list, graph, statuses, runtimes, byId: new Map(list.tasks.map((t) => [t.id, t])) };
}

/** The routing decision for a task, as the UI shows it. */
export function routeView(model: PlanModel, task: TaskNode, routing: RoutingConfig): RouteView {
  const epic = model.list.epics.find((e) => e.id === task.epicId);
  const feature = model.list.features.find((f) => f.id === task.featureId);
  const d = routeTask(task, { epic, feature }, routing);
  return { agent: d.agent, rule: d.rule, reason: d.reason };
}

/** One task as the UI shows it. */
export function taskView(model: PlanModel, task: TaskNode, routing: RoutingConfig, lastRun: LastRunView | undefined): TaskView {
  const rt = model.runtimes.get(task.id);
  const status = model.statuses.get(task.id) ?? task.status;
  const dependents = model.graph.dependentsOf(task.id).map((e) => e.from);
  return {
    id: task.id,
    title: task.title,
    status,
    ready: status === 'pending' && model.graph.isReady(task.id),
    epicId: task.epicId,
    featureId: task.featureId,
    line: task.line,
    priority: task.priority,
    estimateHours: task.estimateHours,
    route: routeView(model, task, routing),
    dependsOn: model.graph.dependenciesOf(task.id).map((e) => ({ id: e.to, type: e.type, source: e.source })),
    waitingOn: model.graph.waitingOn(task.id),
    dependents,
    blockers: task.blockers,
    blocked: model.graph.blockage(task.id),
    verify: task.verify,
    retryCount: rt?.retryCount ?? 0,
    startedAt: status === 'in_progress' ? rt?.startedAt : undefined,
    lastRun,
  };
}

/** Counts by status over `ids` (a duplicate id counts once per occurrence), from the graph's statuses. */
export function countTasks(graph: DependencyGraph, ids: Iterable<string>): PlanCounts {
  const c = emptyPlanCounts();
  for (const id of ids) {
    c.total++;
    const s = graph.statusOf(id) ?? 'pending';
    // One definition of blocked (the graph's): the status `blocked`, and every pending task held by something only a
    // person can change. `pending` is what is left: ready, or waiting for dependencies that will get done.
    if (graph.isBlocked(id)) c.blocked++;
    else if (s === 'in_progress') c.inProgress++;
    else if (s === 'pending') {
      c.pending++;
      if (graph.isReady(id)) c.ready++;
    } else if (s !== 'blocked') c[s]++;
  }
  return c;
}

/** Counts by status; `ready` ⊆ `pending`, `blocked` as the graph defines it (see countTasks). */
export function planCounts(model: PlanModel): PlanCounts {
  return countTasks(
    model.graph,
    model.list.tasks.map((t) => t.id),
  );
}

/** Epic and feature rows with their progress. Skipped tasks count as done. */
export function groupViews(model: PlanModel): { epics: EpicView[]; features: FeatureView[] } {
  const done = (t: TaskNode): boolean => {
    const s = model.statuses.get(t.id) ?? t.status;
    return s === 'completed' || s === 'skipped';
  };
  const fTotals = new Map<string, { total: number; completed: number }>();
  const eTotals = new Map<string, { total: number; completed: number }>();
  for (const t of model.list.tasks) {
    for (const [m, key] of [
      [fTotals, t.featureId],
      [eTotals, t.epicId],
    ] as const) {
      const c = m.get(key) ?? { total: 0, completed: 0 };
      c.total++;
      if (done(t)) c.completed++;
      m.set(key, c);
    }
  }
  const features: FeatureView[] = model.list.features.map((f) => ({
    id: f.id,
    title: f.title,
    line: f.line,
    epicId: f.epicId,
    total: fTotals.get(f.id)?.total ?? 0,
    completed: fTotals.get(f.id)?.completed ?? 0,
  }));
  const epics: EpicView[] = model.list.epics.map((e) => ({
    id: e.id,
    title: e.title,
    line: e.line,
    total: eTotals.get(e.id)?.total ?? 0,
    completed: eTotals.get(e.id)?.completed ?? 0,
    features: model.list.features.filter((f) => f.epicId === e.id).map((f) => f.id),
  }));
  return { epics, features };
}
