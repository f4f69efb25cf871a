// Every message between the extension and the progress dashboard webview, declared once, GitLens-style: a message is
// `{ type, params }` and each type names its one params shape in a map. The engine's events reach the page under
// their own names with their own payloads (engineProtocol.ts declares them); the page's buttons run the editor's
// registered commands by id, the same path as the palette, the tree and the lenses.
// The webview bundle imports this file too: types and small guards only (no vscode, no jsonrpc at run time).
import type {
  ActivityAppendedParams,
  EngineNotifications,
  PlanChangedParams,
  PlanPatchedParams,
  ReviewView,
  StateChangedParams,
  TasksChangedParams,
} from './engineProtocol';
import type { SpendView } from './spend';
import type { KpiView, MetricsView, PlanSnapshot, ProviderPauseView } from './views';

/** A message of a map of message types: `{ type: K; params: M[K] }` for each K. */
export type MessageOf<M> = { [K in keyof M]: { type: K; params: M[K] } }[keyof M];

export type NoticeLevel = 'info' | 'warning' | 'error';
export interface NoticeParams {
  level: NoticeLevel;
  message: string;
}
export interface MetricsChangedParams {
  metrics: MetricsView;
  /** The plan's KPIs, spend and provider pauses move with the same refresh (absent from an engine that has none). */
  kpis?: KpiView;
  spend?: SpendView;
  providerPauses?: ProviderPauseView[];
}

/** The `metrics:changed` a client sends from a fresh snapshot: one rule for the editor's panel and the daemon's stream. */
export function metricsOf(s: Pick<PlanSnapshot, 'metrics' | 'kpis' | 'spend' | 'providerPauses'>): MetricsChangedParams {
  return { metrics: s.metrics, kpis: s.kpis, spend: s.spend, providerPauses: s.providerPauses ?? [] };
}

/** The task branches waiting for a person, the whole list each time (it is short): a row offers "Review". */
export interface ReviewsChangedParams {
  reviews: ReviewView[];
}

/** extension → webview. The first message after `webview:ready` is always `plan:changed` (the whole plan). */
export interface ToWebviewMessages {
  /** The whole plan, drawn from scratch: on ready, and when the plan's structure changed. */
  'plan:changed': PlanChangedParams;
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
      return isObject(p.snapshot) && Array.isArray(p.snapshot.tasks) && isObject(p.snapshot.counts);
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
