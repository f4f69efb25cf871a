// Builds what the UI and the CLI show (TaskView, PlanCounts, PlanSnapshot) from the engine's live plan (planState.ts)
// and the database's runtime rows. Pure functions over their inputs: the runtime decides when to call them.
import { overlappingPaths, taskPaths } from '../core/fileClaims';
import type { DependencyGraph } from '../core/graph';
import { countsInProgress, type TaskList, type TaskNode } from '../core/model';
import { addToProgress, countsAsDone, emptyProgress, type Progress } from '../core/progress';
import { type RoutingConfig, routeTask } from '../core/routing';
import {
  emptyPlanCounts,
  type EpicView,
  type FeatureView,
  type GroupProgressView,
  type LastRunView,
  type PlanCounts,
  type RouteView,
  type TaskView,
  taskKind,
} from '../protocol/views';
import { fileHoldText } from '../protocol/presentation';
import type { PlanState } from './planState';
import type { TaskRuntime } from './ports';

/**
 * Everything needed to describe tasks: the engine's one live plan (the orchestrator's PlanState: the list, the graph
 * with the statuses, the file claims), read, never copied, and the database's rows as last read (retry counts, start
 * times), which only the views use.
 */
export interface PlanModel {
  readonly plan: PlanState;
  runtimes: Map<string, TaskRuntime>;
}

/**
 * Routing decisions already made, per keyword map (a config's, immutable once loaded), by everything else a decision
 * reads. Routing every task by keywords on every snapshot was most of a 10,000-task plan's snapshot time (~1 s),
 * repeated on each sync of a keystroke's text (#15).
 */
const routeMemo = new WeakMap<Record<string, string[]>, Map<string, RouteView>>();
/** Decisions kept per keyword map before they are dropped (titles typed letter by letter leave old ones behind). */
const ROUTE_MEMO_MAX = 50_000;

/** The routing decision for a task, as the UI shows it. */
export function routeView(model: PlanModel, task: TaskNode, routing: RoutingConfig): RouteView {
  const epic = model.plan.epics.get(task.epicId);
  const feature = model.plan.features.get(task.featureId);
  let memo = routeMemo.get(routing.agentMappings);
  if (!memo) routeMemo.set(routing.agentMappings, (memo = new Map()));
  const key = [
    task.agent ?? '',
    task.id,
    task.title,
    task.epicId,
    epic?.title ?? '',
    feature?.title ?? '',
    Object.hasOwn(routing.priorityOverrides, task.id) ? (routing.priorityOverrides[task.id] ?? '') : '',
    Object.hasOwn(routing.epicFallbacks, task.epicId) ? (routing.epicFallbacks[task.epicId] ?? '') : '',
    routing.defaultAgent ?? '',
  ].join('\u0000');
  let v = memo.get(key);
  if (!v) {
    const d = routeTask(task, { epic, feature }, routing);
    v = { agent: d.agent, rule: d.rule, reason: d.reason };
    if (memo.size >= ROUTE_MEMO_MAX) memo.clear();
    memo.set(key, v);
  }
  // A copy: a view handed out is the caller's.
  return { ...v };
}

/** One task as the UI shows it. */
export function taskView(model: PlanModel, task: TaskNode, routing: RoutingConfig, lastRun: LastRunView | undefined): TaskView {
  const rt = model.runtimes.get(task.id);
  const status = model.plan.status(task.id);
  const dependents = model.plan.graph.dependentsOf(task.id).map((e) => e.from);
  const view: TaskView = {
    id: task.id,
    title: task.title,
    status,
    ready: status === 'pending' && model.plan.graph.isReady(task.id),
    epicId: task.epicId,
    featureId: task.featureId,
    line: task.line,
    priority: task.priority,
    estimateHours: task.estimateHours,
    route: routeView(model, task, routing),
    dependsOn: model.plan.graph.dependenciesOf(task.id).map((e) => ({ id: e.to, type: e.type, source: e.source })),
    waitingOn: model.plan.graph.waitingOn(task.id),
    dependents,
    blockers: task.blockers,
    blocked: model.plan.graph.blockage(task.id),
    verify: task.verify,
    retryCount: rt?.retryCount ?? 0,
    startedAt: status === 'in_progress' ? rt?.startedAt : undefined,
    lastRun,
  };
  const files = pathsOf(model.plan.list, task);
  if (files.length > 0) {
    view.files = files;
    const hold = view.ready ? model.plan.claims.holdOf(task.id, files) : undefined;
    if (hold) view.fileHold = fileHoldText(hold);
  }
  const kind = taskKind(task);
  if (kind) view.kind = kind;
  if (task.parent !== undefined) view.parent = task.parent;
  if (task.gate !== undefined) view.gate = task.gate;
  return view;
}

/**
 * Counts by status over `ids` (a duplicate id counts once per occurrence), from the graph's statuses. Criteria and
 * optional tasks (per `nodes`) are counted apart, in `criteria` and `optional`: the plan is done without them.
 */
export function countTasks(graph: DependencyGraph, ids: Iterable<string>, nodes?: ReadonlyMap<string, TaskNode>): PlanCounts {
  const c = emptyPlanCounts();
  for (const id of ids) {
    const node = nodes?.get(id);
    if (node && !countsInProgress(node)) {
      const apart = node.criterion ? (c.criteria ??= { done: 0, total: 0 }) : (c.optional ??= { done: 0, total: 0 });
      apart.total++;
      if (countsAsDone({ status: graph.statusOf(id) ?? 'pending' })) apart.done++;
      continue;
    }
    c.total++;
    const s = graph.statusOf(id) ?? 'pending';
    if (countsAsDone({ status: s })) c.done++;
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
    model.plan.graph,
    model.plan.list.tasks.map((t) => t.id),
    model.plan.byId,
  );
}

/** Epic and feature rows with their progress (done by the core rule, src/core/progress.ts). */
export function groupViews(model: PlanModel): { epics: EpicView[]; features: FeatureView[] } {
  const fTotals = new Map<string, Progress>();
  const eTotals = new Map<string, Progress>();
  for (const t of model.plan.list.tasks) {
    if (!countsInProgress(t)) continue;
    const input = { status: model.plan.status(t.id) };
    for (const [m, key] of [
      [fTotals, t.featureId],
      [eTotals, t.epicId],
    ] as const) {
      let p = m.get(key);
      if (!p) m.set(key, (p = emptyProgress()));
      addToProgress(p, input);
    }
  }
  const features: FeatureView[] = model.plan.list.features.map((f) => {
    const v: FeatureView = { id: f.id, title: f.title, line: f.line, epicId: f.epicId, ...(fTotals.get(f.id) ?? emptyProgress()) };
    if (f.gate) v.gate = model.plan.graph.featureGateApproved(f.id) ? 'approved' : model.plan.graph.featureGateWaiting(f.id) ? 'waiting' : 'open';
    return v;
  });
  const epics: EpicView[] = model.plan.list.epics.map((e) => ({
    id: e.id,
    title: e.title,
    line: e.line,
    ...(eTotals.get(e.id) ?? emptyProgress()),
    features: model.plan.list.features.filter((f) => f.epicId === e.id).map((f) => f.id),
  }));
  return { epics, features };
}

/** Task nodes per epic and per feature id, built once per parsed list (a change message recounts only its groups). */
const membersByList = new WeakMap<TaskList, Map<string, TaskNode[]>>();

function groupMembers(list: TaskList): Map<string, TaskNode[]> {
  let m = membersByList.get(list);
  if (m) return m;
  m = new Map();
  for (const t of list.tasks) {
    for (const key of [`feature:${t.featureId}`, `epic:${t.epicId}`]) {
      let ts = m.get(key);
      if (!ts) m.set(key, (ts = []));
      ts.push(t);
    }
  }
  membersByList.set(list, m);
  return m;
}

/** Progress of the epics and features holding `taskIds`, for a change message: O(tasks in those groups). */
export function groupProgress(model: PlanModel, taskIds: Iterable<string>): GroupProgressView[] {
  const wanted = new Map<string, GroupProgressView>();
  for (const id of taskIds) {
    const t = model.plan.byId.get(id);
    if (!t) continue;
    for (const [kind, gid] of [
      ['feature', t.featureId],
      ['epic', t.epicId],
    ] as const) {
      if (!gid || wanted.has(`${kind}:${gid}`)) continue;
      wanted.set(`${kind}:${gid}`, { kind, id: gid, ...emptyProgress() });
    }
  }
  const members = groupMembers(model.plan.list);
  for (const [key, g] of wanted) {
    for (const t of members.get(key) ?? []) if (countsInProgress(t)) addToProgress(g, { status: model.plan.status(t.id) });
  }
  return [...wanted.values()];
}

/**
 * Whether every task of `featureId` that counts towards progress is done (the core rule), counting `alsoDone` as done
 * (tasks whose completion the plan's statuses may not show yet). A feature with no such task is not done.
 */
export function featureDone(model: PlanModel, featureId: string, alsoDone: ReadonlySet<string>): boolean {
  const tasks = (groupMembers(model.plan.list).get(`feature:${featureId}`) ?? []).filter(countsInProgress);
  return tasks.length > 0 && tasks.every((t) => alsoDone.has(t.id) || countsAsDone({ status: model.plan.status(t.id) }));
}

/** The paths each task names (src/core/fileClaims.ts), per parsed list: a list never changes once parsed. */
const pathsByList = new WeakMap<TaskList, Map<string, string[]>>();

/** The paths `task` names: its `Files:` lines and the paths in its title. */
export function pathsOf(list: TaskList, task: TaskNode): string[] {
  let m = pathsByList.get(list);
  if (!m) pathsByList.set(list, (m = new Map()));
  let p = m.get(task.id);
  if (!p) m.set(task.id, (p = taskPaths(task)));
  return p;
}

/**
 * A task entered or left `in_progress` (the plan's claims follow by themselves): the pending tasks whose file hold may
 * have changed with it (they name a path it names), for the views to redraw; O(tasks) only when it names paths.
 */
export function fileHoldsMoved(model: PlanModel, taskId: string): string[] {
  const mine = model.plan.pathsOf(taskId);
  if (mine.length === 0) return [];
  const { list } = model.plan;
  const out: string[] = [];
  for (const t of list.tasks) {
    if (t.id === taskId || model.plan.status(t.id) !== 'pending') continue;
    if (overlappingPaths(pathsOf(list, t), mine).length > 0) out.push(t.id);
  }
  return out;
}
