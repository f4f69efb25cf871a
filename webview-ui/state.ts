// The dashboard's view model and the pure reducer that applies the extension's messages to it.
// No DOM here: every rule about what a message changes lives in this file so it can be tested in plain Node.
import { countsAsDone } from '../src/core/progress';
import { displayState, remainingOf } from '../src/protocol/presentation';
import type { PlanPatchedParams, ReviewView, TasksChangedParams } from '../src/protocol/engineProtocol';
import { applyPlanPatch, patchFit } from '../src/protocol/planPatch';
import { diffReviews } from '../src/protocol/reviews';
import type { PlanContinuedParams, ToWebview } from '../src/protocol/webviewProtocol';
import type {
  ActiveAgentView,
  ActivityEntry,
  BreakerState,
  EpicView,
  FeatureView,
  GroupProgressView,
  KpiView,
  MetricsView,
  OrchestrationState,
  PlanCounts,
  PlanSnapshot,
  ProviderPauseView,
  TaskView,
} from '../src/protocol/views';
import type { SpendView } from '../src/protocol/spend';
import { emptyPlanCounts } from '../src/protocol/views';

/** Activity entries kept in memory (the panel shows fewer). */
export const ACTIVITY_LIMIT = 200;
/** Throughput samples kept for the chart; older ones are dropped first. */
export const THROUGHPUT_LIMIT = 500;

export interface Notice {
  level: 'info' | 'warning' | 'error';
  message: string;
}

/** Everything the dashboard draws. Treated as immutable: the reducer returns a new model. */
export interface DashboardModel {
  /** False until the first snapshot arrived; increments before it are ignored (the snapshot covers them). */
  loaded: boolean;
  /** The plan's revision (PlanSnapshot.revision): a `plan:patched` applies to it. */
  revision?: number;
  tasklistPath: string;
  state: OrchestrationState;
  /** Why a limit paused orchestration (a budget reached); absent when running or paused by a person. */
  pausedFor?: string;
  /** Providers waiting for a rate or usage limit to reset. */
  providerPauses: ProviderPauseView[];
  simulated: boolean;
  readOnly: boolean;
  breakers: Record<string, BreakerState>;
  epics: EpicView[];
  features: FeatureView[];
  tasks: ReadonlyMap<string, TaskView>;
  /** Task ids in plan order. */
  order: readonly string[];
  /** Tasks of the plan still to come in `plan:continued` pages (0: `tasks` is the whole plan). */
  rest: number;
  counts: PlanCounts;
  active: ActiveAgentView[];
  metrics: MetricsView;
  /** Client clock (ms) when `metrics` arrived: uptime ticks on from there. */
  metricsAt: number;
  /** The plan's KPIs from the database; absent from an engine that sends none. */
  kpis?: KpiView;
  /** The cost ledger: this run, today, all time, budgets and what they hold. */
  spend?: SpendView;
  /** Oldest first, at most ACTIVITY_LIMIT. */
  activity: ActivityEntry[];
  /** Task branches waiting for a person, by task id (`reviews:changed`; not part of the plan, so a snapshot keeps them). */
  reviews: ReadonlyMap<string, ReviewView>;
  notice?: Notice;
}

/** What one message changed, so the view patches only those parts. */
export interface ModelChange {
  /** Redraw everything (a snapshot). */
  full: boolean;
  /** Ids of tasks added or changed. */
  tasks: string[];
  /** Ids of tasks a `plan:continued` page appended (the plan's, not news: their rows do not flash). */
  appended: string[];
  removed: string[];
  counts: boolean;
  /** Epics whose totals may have moved. */
  epics: string[];
  active: boolean;
  /** Entries appended by this message, oldest first. */
  activityAdded: ActivityEntry[];
  state: boolean;
  metrics: boolean;
  notice: boolean;
  /** A patch for a plan the page does not have arrived (it missed one): the page asks for a whole snapshot again. */
  resync: boolean;
}

/** The model before any snapshot arrived. */
export function emptyModel(): DashboardModel {
  return {
    loaded: false,
    tasklistPath: '',
    state: 'idle',
    providerPauses: [],
    simulated: false,
    readOnly: false,
    breakers: {},
    epics: [],
    features: [],
    tasks: new Map(),
    order: [],
    rest: 0,
    counts: emptyPlanCounts(),
    active: [],
    metrics: { tasksPerHour: 0, avgCompletionMs: 0, successRate: null, uptimeSeconds: 0, throughput: [] },
    metricsAt: 0,
    activity: [],
    reviews: new Map(),
  };
}

/** A change that changes nothing; callers set the parts that did. */
export function noChange(): ModelChange {
  return {
    full: false,
    tasks: [],
    appended: [],
    removed: [],
    counts: false,
    epics: [],
    active: false,
    activityAdded: [],
    state: false,
    metrics: false,
    notice: false,
    resync: false,
  };
}

/** Applies one message from the extension; `now` is the client clock in ms (injected so tests are deterministic). */
export function applyMessage(model: DashboardModel, msg: ToWebview, now: number): { model: DashboardModel; change: ModelChange } {
  const change = noChange();
  switch (msg.type) {
    case 'plan:changed':
      return { model: fromSnapshot(msg.params.snapshot, msg.params.rest ?? 0, now, model.notice, model.reviews), change: { ...change, full: true } };
    case 'notice:shown':
      return { model: { ...model, notice: { level: msg.params.level, message: msg.params.message } }, change: { ...change, notice: true } };
    case 'reviews:changed': {
      // Kept even before the first snapshot (it is not part of the plan). The rows of the tasks whose review appeared,
      // changed or went are repainted: a row offers "Review".
      const { byTask, changed } = diffReviews(model.reviews, msg.params.reviews);
      if (changed.length === 0) return { model, change };
      return { model: { ...model, reviews: byTask }, change: { ...change, tasks: changed.filter((id) => model.tasks.has(id)) } };
    }
    default:
      break; // an increment: below
  }
  // Increments before the first snapshot describe a plan we have not drawn; the snapshot will include them.
  if (!model.loaded) return { model, change };
  switch (msg.type) {
    case 'plan:continued':
      return applyPage(model, msg.params);
    case 'tasks:changed':
    case 'plan:patched':
      // An increment to a plan whose pages are still coming (a host sends none before the last): start again.
      if (model.rest > 0) return { model, change: { ...change, resync: true } };
      return msg.type === 'tasks:changed' ? applyTasks(model, msg.params, now) : applyPatch(model, msg.params, now);
    case 'activity:appended': {
      const added = newEntries(model.activity, msg.params.entries);
      if (added.length === 0) return { model, change };
      const activity = model.activity.concat(added).slice(-ACTIVITY_LIMIT);
      return { model: { ...model, activity }, change: { ...change, activityAdded: added } };
    }
    case 'state:changed': {
      const { pausedFor: _old, ...rest } = model;
      const pausedFor = msg.params.pausedFor;
      return {
        model: { ...rest, state: msg.params.state, breakers: msg.params.breakers, ...(pausedFor !== undefined ? { pausedFor } : {}) },
        change: { ...change, state: true },
      };
    }
    case 'metrics:changed': {
      // Fields an older sender leaves out keep what the snapshot said.
      const p = msg.params;
      const next: DashboardModel = {
        ...model,
        metrics: p.metrics,
        metricsAt: now,
        ...(p.kpis !== undefined ? { kpis: p.kpis } : {}),
        ...(p.spend !== undefined ? { spend: p.spend } : {}),
        ...(p.providerPauses !== undefined ? { providerPauses: p.providerPauses } : {}),
      };
      return { model: next, change: { ...change, metrics: true } };
    }
  }
}

/** Clears the notice (the person dismissed it). */
export function dismissNotice(model: DashboardModel): DashboardModel {
  if (!model.notice) return model;
  const { notice: _dropped, ...rest } = model;
  return rest;
}

function fromSnapshot(s: PlanSnapshot, rest: number, now: number, notice: Notice | undefined, reviews: ReadonlyMap<string, ReviewView>): DashboardModel {
  const tasks = new Map<string, TaskView>();
  for (const t of s.tasks) tasks.set(t.id, t);
  return {
    loaded: true,
    ...(s.revision !== undefined ? { revision: s.revision } : {}),
    tasklistPath: s.tasklistPath,
    state: s.state,
    ...(s.pausedFor !== undefined ? { pausedFor: s.pausedFor } : {}),
    providerPauses: s.providerPauses ?? [],
    simulated: s.simulated,
    readOnly: s.readOnly,
    breakers: s.breakers,
    epics: s.epics,
    features: s.features,
    tasks,
    order: s.tasks.map((t) => t.id),
    rest,
    counts: s.counts,
    active: s.active,
    metrics: s.metrics,
    metricsAt: now,
    ...(s.kpis !== undefined ? { kpis: s.kpis } : {}),
    ...(s.spend !== undefined ? { spend: s.spend } : {}),
    activity: s.activity.slice(-ACTIVITY_LIMIT),
    reviews,
    // An error notice (e.g. "could not load the plan") is stale once a snapshot arrived; others stay until dismissed.
    notice: notice?.level === 'error' ? undefined : notice,
  };
}

/** The next page of the plan's tasks (`plan:continued`): appended in plan order; a page of another snapshot is dropped. */
function applyPage(model: DashboardModel, p: PlanContinuedParams): { model: DashboardModel; change: ModelChange } {
  const change = noChange();
  if (model.rest === 0 || p.revision !== model.revision) return { model, change };
  const tasks = new Map(model.tasks);
  const added: string[] = [];
  for (const t of p.tasks) {
    if (!tasks.has(t.id)) added.push(t.id);
    tasks.set(t.id, t);
  }
  const next: DashboardModel = { ...model, tasks, order: model.order.concat(added), rest: p.rest };
  // The filter chips count the tasks the page has: they move with each page.
  return { model: next, change: { ...change, appended: added, counts: true } };
}

function applyTasks(model: DashboardModel, p: TasksChangedParams, now: number): { model: DashboardModel; change: ModelChange } {
  const { tasks: changed, removed, counts, groups } = p;
  const change = noChange();
  const tasks = new Map(model.tasks);
  let order = model.order;

  const removedIds = removed.filter((id) => tasks.has(id));
  for (const id of removedIds) tasks.delete(id);
  if (removedIds.length > 0) {
    const gone = new Set(removedIds);
    order = order.filter((id) => !gone.has(id));
  }

  const added: string[] = [];
  for (const t of changed) {
    if (!tasks.has(t.id)) added.push(t.id);
    tasks.set(t.id, t);
  }
  // A task unknown to the snapshot has no known position; the engine sends plan:changed for structural edits,
  // so this only happens in a race, and the end of the list is an honest place for it.
  if (added.length > 0) order = order.concat(added);

  // Group progress is the engine's (one rule of done, src/core/progress.ts): taken as sent, never recounted here.
  const sent = new Map(groups.map((g) => [`${g.kind}:${g.id}`, g]));
  const movedEpics: string[] = [];
  const withProgress = <G extends EpicView | FeatureView>(kind: GroupProgressView['kind'], g: G): G => {
    const p = sent.get(`${kind}:${g.id}`);
    if (!p || (p.done === g.done && p.total === g.total)) return g;
    if (kind === 'epic') movedEpics.push(g.id);
    return { ...g, done: p.done, total: p.total };
  };
  const epics = sent.size ? model.epics.map((e) => withProgress('epic', e)) : model.epics;
  const features = sent.size ? model.features.map((f) => withProgress('feature', f)) : model.features;

  const active = nextActive(model.active, changed, removedIds, now);
  const activeChanged = active !== model.active;

  let metrics = model.metrics;
  const last = metrics.throughput[metrics.throughput.length - 1];
  const remaining = remainingOf(counts);
  if (!last || last.completed !== counts.done || last.remaining !== remaining) {
    // Sample locally so the chart moves with every completion; the next `metrics` message replaces the series.
    const throughput = metrics.throughput.concat({ at: new Date(now).toISOString(), completed: counts.done, remaining });
    metrics = { ...metrics, throughput: throughput.slice(-THROUGHPUT_LIMIT) };
  }

  const next: DashboardModel = { ...model, tasks, order, epics, features, counts, active, metrics };
  return {
    model: next,
    change: {
      ...change,
      tasks: changed.map((t) => t.id),
      removed: removedIds,
      counts: true,
      epics: movedEpics,
      active: activeChanged,
      metrics: metrics !== model.metrics,
    },
  };
}

/** A re-read of the plan: the changed tasks and groups patched in; a move of tasks (added, removed, reordered) redraws. */
function applyPatch(model: DashboardModel, p: PlanPatchedParams, now: number): { model: DashboardModel; change: ModelChange } {
  const change = noChange();
  const fit = patchFit(model.revision, p);
  if (fit === 'has') return { model, change };
  if (fit === 'gap') return { model, change: { ...change, resync: true } };
  const current = model.order.map((id) => model.tasks.get(id)!);
  const next = applyPlanPatch({ revision: model.revision, epics: model.epics, features: model.features, tasks: current }, p);
  const tasks = new Map<string, TaskView>();
  for (const t of next.tasks) tasks.set(t.id, t);
  const active = nextActive(model.active, next.changed, next.removed, now);
  const epicIds = new Set(model.epics.map((e) => e.id));
  const updated: DashboardModel = {
    ...model,
    revision: next.revision,
    tasks,
    order: next.moved ? next.tasks.map((t) => t.id) : model.order,
    epics: next.epics,
    features: next.features,
    counts: p.counts,
    active,
  };
  if (next.moved) return { model: updated, change: { ...change, full: true } };
  return {
    model: updated,
    change: {
      ...change,
      tasks: next.changed.map((t) => t.id),
      counts: true,
      epics: next.groups.filter((id) => epicIds.has(id)),
      active: active !== model.active,
    },
  };
}

/** Active agents after tasks changed: running tasks join (keeping their original start), finished ones leave. */
function nextActive(current: ActiveAgentView[], changed: TaskView[], removed: string[], now: number): ActiveAgentView[] {
  const byId = new Map(current.map((a) => [a.taskId, a]));
  let dirty = false;
  for (const id of removed) dirty = byId.delete(id) || dirty;
  for (const t of changed) {
    const had = byId.get(t.id);
    if (t.status === 'in_progress') {
      const startedAt = t.startedAt ?? had?.startedAt ?? new Date(now).toISOString();
      const agent = had?.agent ?? t.route.agent;
      const attempt = had?.attempt ?? t.retryCount + 1;
      if (!had || had.title !== t.title || had.startedAt !== startedAt) {
        byId.set(t.id, { taskId: t.id, title: t.title, agent, startedAt, attempt });
        dirty = true;
      }
    } else if (had) {
      byId.delete(t.id);
      dirty = true;
    }
  }
  return dirty ? [...byId.values()] : current;
}

const entryKey = (e: ActivityEntry): string => `${e.at}\u0000${e.kind}\u0000${e.taskId ?? ''}\u0000${e.message}`;

/** Entries not already at the tail of the log: events replayed after a snapshot must not appear twice. */
function newEntries(existing: ActivityEntry[], incoming: ActivityEntry[]): ActivityEntry[] {
  const recent = new Set(existing.slice(-100).map(entryKey));
  const out: ActivityEntry[] = [];
  for (const e of incoming) {
    const k = entryKey(e);
    if (recent.has(k)) continue;
    recent.add(k);
    out.push(e);
  }
  return out;
}

/** The dashboard's task filters. */
export type TaskFilter = 'open' | 'running' | 'ready' | 'failed' | 'waiting' | 'done' | 'all';

export const TASK_FILTERS: readonly TaskFilter[] = ['open', 'running', 'ready', 'failed', 'waiting', 'done', 'all'];

/** Whether a task is shown under a filter (and an optional epic). */
export function matchesFilter(t: TaskView, filter: TaskFilter, epicId?: string): boolean {
  if (epicId !== undefined && t.epicId !== epicId) return false;
  switch (filter) {
    case 'all':
      return true;
    case 'open':
      // The work still ahead: everything not done. The dashboard's default view.
      return !countsAsDone(t);
    case 'running':
      return t.status === 'in_progress';
    case 'ready':
      return displayState(t) === 'ready';
    case 'failed':
      return t.status === 'failed' || t.status === 'timeout' || t.status === 'cancelled';
    case 'waiting':
      // Blocked (the engine's one definition, TaskView.blocked), or pending on unfinished dependencies.
      return t.blocked !== undefined || (t.status === 'pending' && !t.ready);
    case 'done':
      return countsAsDone(t);
  }
}
