// Builds what the UI and the CLI show (TaskView, PlanCounts, PlanSnapshot) from the parsed plan, the database's
// runtime rows and the dependency graph. Pure functions over their inputs: the runtime decides when to call them.
import { FileClaims, overlappingPaths, taskPaths } from '../core/fileClaims';
import { DependencyGraph } from '../core/graph';
import { countsInProgress, type EpicNode, type FeatureNode, type PriorityWeights, type TaskList, type TaskNode, type TaskStatus } from '../core/model';
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

/**
 * Combines the parsed list with the database rows into one model; `previous` is the model's graph before,
 * `priorityWeights` the dispatch weights, `approvedGates` the gated features approved (see GraphOptions).
 */
export function buildPlanModel(
  list: TaskList,
  runtimes: Map<string, TaskRuntime>,
  previous?: DependencyGraph,
  priorityWeights?: PriorityWeights,
  approvedGates?: ReadonlySet<string>,
): PlanModel {
  const statuses = new Map<string, TaskStatus>();
  for (const t of list.tasks) statuses.set(t.id, runtimes.get(t.id)?.status ?? t.status);
  const graph = DependencyGraph.fromTaskList(list, statuses, { previous, priorityWeights, approvedGates });
  return { list, graph, statuses, runtimes, byId: new Map(list.tasks.map((t) => [t.id, t])) };
}

/** Each task list's epics and features by id (a list is never changed once parsed). */
const groupIndex = new WeakMap<TaskList, { epics: Map<string, EpicNode>; features: Map<string, FeatureNode> }>();
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
  let index = groupIndex.get(model.list);
  if (!index) {
    index = { epics: new Map(model.list.epics.map((e) => [e.id, e])), features: new Map(model.list.features.map((f) => [f.id, f])) };
    groupIndex.set(model.list, index);
  }
  const epic = index.epics.get(task.epicId);
  const feature = index.features.get(task.featureId);
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
  const status = model.statuses.get(task.id) ?? task.status;
  const dependents = model.graph.dependentsOf(task.id).map((e) => e.from);
  const view: TaskView = {
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
  const files = pathsOf(model.list, task);
  if (files.length > 0) {
    view.files = files;
    const hold = view.ready ? inProgressClaims(model).holdOf(task.id, files) : undefined;
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
    model.graph,
    model.list.tasks.map((t) => t.id),
    model.byId,
  );
}

/** Epic and feature rows with their progress (done by the core rule, src/core/progress.ts). */
export function groupViews(model: PlanModel): { epics: EpicView[]; features: FeatureView[] } {
  const fTotals = new Map<string, Progress>();
  const eTotals = new Map<string, Progress>();
  for (const t of model.list.tasks) {
    if (!countsInProgress(t)) continue;
    const input = { status: model.statuses.get(t.id) ?? t.status };
    for (const [m, key] of [
      [fTotals, t.featureId],
      [eTotals, t.epicId],
    ] as const) {
      let p = m.get(key);
      if (!p) m.set(key, (p = emptyProgress()));
      addToProgress(p, input);
    }
  }
  const features: FeatureView[] = model.list.features.map((f) => {
    const v: FeatureView = { id: f.id, title: f.title, line: f.line, epicId: f.epicId, ...(fTotals.get(f.id) ?? emptyProgress()) };
    if (f.gate) v.gate = model.graph.featureGateApproved(f.id) ? 'approved' : model.graph.featureGateWaiting(f.id) ? 'waiting' : 'open';
    return v;
  });
  const epics: EpicView[] = model.list.epics.map((e) => ({
    id: e.id,
    title: e.title,
    line: e.line,
    ...(eTotals.get(e.id) ?? emptyProgress()),
    features: model.list.features.filter((f) => f.epicId === e.id).map((f) => f.id),
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
    const t = model.byId.get(id);
    if (!t) continue;
    for (const [kind, gid] of [
      ['feature', t.featureId],
      ['epic', t.epicId],
    ] as const) {
      if (!gid || wanted.has(`${kind}:${gid}`)) continue;
      wanted.set(`${kind}:${gid}`, { kind, id: gid, ...emptyProgress() });
    }
  }
  const members = groupMembers(model.list);
  for (const [key, g] of wanted) {
    for (const t of members.get(key) ?? []) if (countsInProgress(t)) addToProgress(g, { status: model.statuses.get(t.id) ?? t.status });
  }
  return [...wanted.values()];
}

/**
 * Whether every task of `featureId` that counts towards progress is done (the core rule), counting `alsoDone` as done
 * (tasks whose completion the plan's statuses may not show yet). A feature with no such task is not done.
 */
export function featureDone(model: PlanModel, featureId: string, alsoDone: ReadonlySet<string>): boolean {
  const tasks = (groupMembers(model.list).get(`feature:${featureId}`) ?? []).filter(countsInProgress);
  return tasks.length > 0 && tasks.every((t) => alsoDone.has(t.id) || countsAsDone({ status: model.statuses.get(t.id) ?? t.status }));
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

/** Paths held by the model's tasks in progress; built on first use after forgetFileClaims (one pass over the plan). */
const claimsByModel = new WeakMap<PlanModel, FileClaims>();

export function inProgressClaims(model: PlanModel): FileClaims {
  let c = claimsByModel.get(model);
  if (c) return c;
  c = new FileClaims();
  for (const t of model.list.tasks) if (model.statuses.get(t.id) === 'in_progress') c.claim(t.id, pathsOf(model.list, t));
  claimsByModel.set(model, c);
  return c;
}

/**
 * A task entered or left `in_progress`: the claims are rebuilt on next use. Returns the pending tasks whose file hold
 * may have changed with it (they name a path it names), for the views to redraw; O(tasks) only when it names paths.
 */
export function forgetFileClaims(model: PlanModel, taskId: string): string[] {
  claimsByModel.delete(model);
  const node = model.byId.get(taskId);
  const mine = node ? pathsOf(model.list, node) : [];
  if (mine.length === 0) return [];
  const out: string[] = [];
  for (const t of model.list.tasks) {
    if (t.id === taskId || model.statuses.get(t.id) !== 'pending') continue;
    if (overlappingPaths(pathsOf(model.list, t), mine).length > 0) out.push(t.id);
  }
  return out;
}
