// Every message between the extension and the progress dashboard webview, declared once, GitLens-style: a message is
// `{ type, params }` and each type names its one params shape in a map. The engine's events reach the page under
// their own names with their own payloads (engineProtocol.ts declares them); the page's buttons run the editor's
// registered commands by id, the same path as the palette, the tree and the lenses.
// The webview bundle imports this file too: types and small guards only (no vscode, no jsonrpc at run time).
import type {
  ActivityAppendedParams,
  EngineNotifications,
  PlanChangedParams,
  PlanMetrics,
  PlanPatchedParams,
  ReviewView,
  StateChangedParams,
  TasksChangedParams,
} from './engineProtocol';
import type { PlanSnapshot, TaskView } from './views';

/** A message of a map of message types: `{ type: K; params: M[K] }` for each K. */
export type MessageOf<M> = { [K in keyof M]: { type: K; params: M[K] } }[keyof M];

export type NoticeLevel = 'info' | 'warning' | 'error';
export interface NoticeParams {
  level: NoticeLevel;
  message: string;
}
/** A `metrics:changed` carries the engine's answer to `coditect/metrics` (GetMetrics) as it is. */
export type MetricsChangedParams = PlanMetrics;

/** The metrics of a snapshot (or an engine's PlanMetrics) as sent: one rule for the engine, the editor's panel and the daemon's stream. */
export function metricsOf(s: Pick<PlanSnapshot, 'metrics' | 'kpis' | 'spend' | 'providerPauses'>): MetricsChangedParams {
  return { metrics: s.metrics, kpis: s.kpis, spend: s.spend, providerPauses: s.providerPauses ?? [] };
}

/** The task branches waiting for a person, the whole list each time (it is short): a row offers "Review". */
export interface ReviewsChangedParams {
  reviews: ReviewView[];
}

/**
 * The plan as a page gets it: the first `plan:changed` after `webview:ready` carries the whole plan but for its tasks
 * past the first FIRST_PAGE_TASKS, which follow in `plan:continued` pages (`rest` says how many are still to come),
 * so a 10,000-task plan's first screen is drawn from ~150 KB instead of ~4 MB. A `plan:changed` without `rest` (the
 * engine's own, the daemon's stream) is the whole plan.
 */
export interface PlanOpenedParams extends PlanChangedParams {
  /** Tasks still to come in `plan:continued` pages; absent or 0: the snapshot holds every task. */
  rest?: number;
}
/** The next tasks of the plan a `plan:changed` with `rest` began, in plan order. */
export interface PlanContinuedParams {
  /** The revision of the snapshot these tasks belong to (a page of an older snapshot is dropped). */
  revision?: number;
  tasks: TaskView[];
  /** Tasks still to come after these. */
  rest: number;
}

/** Tasks in the first message of a plan (the first screen's rows and more); the rest follow in pages of PAGE_TASKS. */
export const FIRST_PAGE_TASKS = 300;
export const PAGE_TASKS = 2500;

/** A snapshot as the messages a page gets it in: `plan:changed` with its first tasks, then `plan:continued` pages. */
export function planPages(snapshot: PlanSnapshot, first = FIRST_PAGE_TASKS, size = PAGE_TASKS): ToWebview[] {
  const all = snapshot.tasks;
  if (all.length <= first) return [{ type: 'plan:changed', params: { snapshot } }];
  const out: ToWebview[] = [{ type: 'plan:changed', params: { snapshot: { ...snapshot, tasks: all.slice(0, first) }, rest: all.length - first } }];
  for (let at = first; at < all.length; at += size) {
    const tasks = all.slice(at, at + size);
    out.push({
      type: 'plan:continued',
      params: { ...(snapshot.revision !== undefined ? { revision: snapshot.revision } : {}), tasks, rest: all.length - at - tasks.length },
    });
  }
  return out;
}

/** extension → webview. The first message after `webview:ready` is always `plan:changed` (the plan, maybe paged). */
export interface ToWebviewMessages {
  /** The whole plan, drawn from scratch: on ready, and when the plan's structure changed. */
  'plan:changed': PlanOpenedParams;
  /** The next page of the tasks of the `plan:changed` before it (see PlanOpenedParams). */
  'plan:continued': PlanContinuedParams;
  /** What a re-read of the plan changed (src/protocol/planPatch.ts); a page that missed one says `webview:ready` again. */
  'plan:patched': PlanPatchedParams;
  /** These tasks changed (with the progress of their groups). */
  'tasks:changed': TasksChangedParams;
  'state:changed': StateChangedParams;
  'activity:appended': ActivityAppendedParams;
  /** Fresh metrics (tasks/hour, success rate, throughput samples); the panel asks for them while tasks change. */
  'metrics:changed': MetricsChangedParams;
  /** The branches waiting for review (docs/isolation.md#review); sent after each `plan:changed` and when it changes. */
  'reviews:changed': ReviewsChangedParams;
  /** A line for the person, e.g. why the plan could not be loaded. */
  'notice:shown': NoticeParams;
}
export type ToWebview = MessageOf<ToWebviewMessages>;

/** The engine events the dashboard forwards as they are (the other messages are the panel's own). */
export const DASHBOARD_EVENTS = [
  'plan:changed',
  'plan:patched',
  'tasks:changed',
  'state:changed',
  'activity:appended',
] as const satisfies readonly (keyof EngineNotifications & keyof ToWebviewMessages)[];
export type DashboardEventName = (typeof DASHBOARD_EVENTS)[number];
export type DashboardEvent = Extract<ToWebview, { type: DashboardEventName }>;

/**
 * The registered commands the page may run, and what each takes: `plan` commands take nothing, `task` commands a
 * task id. The extension runs them with vscode.commands.executeCommand, so Restricted Mode, errors and messages are
 * handled once, by the command.
 */
export const DASHBOARD_COMMANDS = {
  'coditect.start': 'plan',
  'coditect.pause': 'plan',
  'coditect.resume': 'plan',
  'coditect.stop': 'plan',
  'coditect.runTaskWithAgent': 'task',
  'coditect.retryTask': 'task',
  'coditect.cancelTask': 'task',
  'coditect.revealTask': 'task',
  'coditect.showTaskLog': 'task',
  'coditect.reviewChanges': 'task',
} as const satisfies Record<string, 'plan' | 'task'>;
export type DashboardCommand = keyof typeof DASHBOARD_COMMANDS;
/** Commands that act on the whole plan (the header's buttons). */
export type PlanCommand = { [C in DashboardCommand]: (typeof DASHBOARD_COMMANDS)[C] extends 'plan' ? C : never }[DashboardCommand];
/** Commands that act on one task (rows, agents, activity). */
export type TaskCommand = Exclude<DashboardCommand, PlanCommand>;

export type RunCommandParams = { command: PlanCommand; taskId?: undefined } | { command: TaskCommand; taskId: string };

/** webview → extension. */
export interface FromWebviewMessages {
  /** The page has loaded its script and can take messages (again, after a reload or a failed load). */
  'webview:ready': Record<string, never>;
  /** Run one of DASHBOARD_COMMANDS. */
  'command:run': RunCommandParams;
}
export type FromWebview = MessageOf<FromWebviewMessages>;

const TO_WEBVIEW_TYPES = new Set<string>([
  'plan:changed',
  'plan:continued',
  'plan:patched',
  'tasks:changed',
  'state:changed',
  'activity:appended',
  'metrics:changed',
  'reviews:changed',
  'notice:shown',
]);
const NOTICE_LEVELS = new Set<string>(['info', 'warning', 'error']);

const isTaskId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length < 200;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates a message from the webview (it is untrusted input): a known type, and a command from the allow-list. */
export function isFromWebview(value: unknown): value is FromWebview {
  if (!isObject(value) || !isObject(value.params)) return false;
  const p = value.params;
  if (value.type === 'webview:ready') return true;
  if (value.type !== 'command:run' || typeof p.command !== 'string' || !Object.hasOwn(DASHBOARD_COMMANDS, p.command)) return false;
  return DASHBOARD_COMMANDS[p.command as DashboardCommand] === 'task' ? isTaskId(p.taskId) : p.taskId === undefined;
}

/** Checks the envelope of a message posted to the webview: the page drops anything else (other extensions' or stale pages' posts). */
export function isToWebview(value: unknown): value is ToWebview {
  if (!isObject(value) || typeof value.type !== 'string' || !TO_WEBVIEW_TYPES.has(value.type) || !isObject(value.params)) return false;
  const p = value.params;
  switch (value.type as ToWebview['type']) {
    case 'plan:changed':
      return (
        isObject(p.snapshot) &&
        Array.isArray(p.snapshot.tasks) &&
        isObject(p.snapshot.counts) &&
        (p.rest === undefined || (typeof p.rest === 'number' && p.rest >= 0))
      );
    case 'plan:continued':
      return Array.isArray(p.tasks) && typeof p.rest === 'number' && p.rest >= 0 && (p.revision === undefined || typeof p.revision === 'number');
    case 'plan:patched':
      return (
        typeof p.base === 'number' &&
        typeof p.revision === 'number' &&
        Array.isArray(p.shifts) &&
        Array.isArray(p.tasks) &&
        Array.isArray(p.removed) &&
        Array.isArray(p.epics) &&
        Array.isArray(p.features) &&
        isObject(p.counts)
      );
    case 'tasks:changed':
      return Array.isArray(p.tasks) && isObject(p.counts) && Array.isArray(p.groups) && Array.isArray(p.removed);
    case 'state:changed':
      return typeof p.state === 'string' && isObject(p.breakers);
    case 'activity:appended':
      return Array.isArray(p.entries);
    case 'metrics:changed':
      return isObject(p.metrics);
    case 'reviews:changed':
      return Array.isArray(p.reviews) && p.reviews.every((r) => isObject(r) && isTaskId(r.taskId) && isObject(r.stat) && typeof r.stat.text === 'string');
    case 'notice:shown':
      return typeof p.level === 'string' && NOTICE_LEVELS.has(p.level) && typeof p.message === 'string';
  }
}
