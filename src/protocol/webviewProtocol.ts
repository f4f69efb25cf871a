// Every message between the extension and the progress dashboard webview, declared once.
// The webview bundle imports this file too, so it holds types and tiny guards only (no vscode, no jsonrpc).
import type { ActivityEntry, BreakerState, GroupProgressView, MetricsView, OrchestrationState, PlanCounts, PlanSnapshot, TaskView } from './views';

/** Messages the extension posts to the webview. The first one after `ready` is always `snapshot`. */
export type ToWebview =
  /** extension → webview: draw everything from scratch (also sent again when the plan's structure changes). */
  | { type: 'snapshot'; snapshot: PlanSnapshot }
  /** extension → webview: these tasks changed. */
  | { type: 'tasks'; tasks: TaskView[]; counts: PlanCounts; groups: GroupProgressView[]; removed: string[] }
  /** extension → webview: new activity entries. */
  | { type: 'activity'; entries: ActivityEntry[] }
  /** extension → webview: orchestration state and breakers. */
  | { type: 'state'; state: OrchestrationState; breakers: Record<string, BreakerState> }
  /** extension → webview: fresh metrics (tasks/hour, success rate, throughput samples…). */
  | { type: 'metrics'; metrics: MetricsView }
  /** extension → webview: a one-line message for the person, e.g. why a control request failed. */
  | { type: 'notice'; level: NoticeLevel; message: string };

export type NoticeLevel = 'info' | 'warning' | 'error';

/** Orchestration controls the dashboard offers. */
export type ControlAction = 'start' | 'pause' | 'resume' | 'stop';
/** Per-task actions the dashboard offers (cancel on an active agent, retry on a failed task, run on a ready one). */
export type TaskAction = 'run' | 'retry' | 'cancel';

/** Messages the webview posts to the extension. */
export type FromWebview =
  /** webview → extension: the page has loaded its script and can take messages. */
  | { type: 'ready' }
  /** webview → extension: reveal a task's line in the editor. */
  | { type: 'revealTask'; taskId: string }
  /** webview → extension: run a command (start/pause/resume/stop). */
  | { type: 'control'; action: ControlAction }
  /** webview → extension: run, retry or cancel one task. */
  | { type: 'taskAction'; action: TaskAction; taskId: string };

/** The webview messages that ask the engine to do something (the rest are handled by the panel itself). */
export type DashboardRequest = Extract<FromWebview, { type: 'control' } | { type: 'taskAction' }>;

/**
 * What the extension feeds the dashboard after the snapshot, named after the engine notifications they come from
 * (`coditect/tasksChanged`, `coditect/planChanged`, `coditect/stateChanged`, `coditect/activity`).
 * `metrics:changed` is optional for a producer: the panel refreshes metrics itself after tasks change.
 */
export type DashboardEvent =
  | { type: 'tasks:changed'; tasks: TaskView[]; counts: PlanCounts; groups: GroupProgressView[]; removed: string[] }
  | { type: 'plan:changed'; snapshot: PlanSnapshot }
  | { type: 'state:changed'; state: OrchestrationState; breakers: Record<string, BreakerState> }
  | { type: 'activity:appended'; entries: ActivityEntry[] }
  | { type: 'metrics:changed'; metrics: MetricsView };

const FROM_WEBVIEW_TYPES = new Set(['ready', 'revealTask', 'control', 'taskAction']);
const CONTROL_ACTIONS = new Set<string>(['start', 'pause', 'resume', 'stop']);
const TASK_ACTIONS = new Set<string>(['run', 'retry', 'cancel']);
const TO_WEBVIEW_TYPES = new Set(['snapshot', 'tasks', 'activity', 'state', 'metrics', 'notice']);
const NOTICE_LEVELS = new Set<string>(['info', 'warning', 'error']);

const isTaskId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length < 200;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates a message from the webview (it is untrusted input). */
export function isFromWebview(value: unknown): value is FromWebview {
  if (!isObject(value)) return false;
  const m = value;
  if (typeof m.type !== 'string' || !FROM_WEBVIEW_TYPES.has(m.type)) return false;
  if (m.type === 'revealTask') return isTaskId(m.taskId);
  if (m.type === 'control') return typeof m.action === 'string' && CONTROL_ACTIONS.has(m.action);
  if (m.type === 'taskAction') return typeof m.action === 'string' && TASK_ACTIONS.has(m.action) && isTaskId(m.taskId);
  return true;
}

/** Checks the envelope of a message posted to the webview: the webview drops anything else (other extensions' or stale pages' posts). */
export function isToWebview(value: unknown): value is ToWebview {
  if (!isObject(value)) return false;
  const m = value;
  if (typeof m.type !== 'string' || !TO_WEBVIEW_TYPES.has(m.type)) return false;
  switch (m.type) {
    case 'snapshot':
      return isObject(m.snapshot) && Array.isArray(m.snapshot.tasks) && isObject(m.snapshot.counts);
    case 'tasks':
      return Array.isArray(m.tasks) && isObject(m.counts) && Array.isArray(m.groups) && Array.isArray(m.removed);
    case 'activity':
      return Array.isArray(m.entries);
    case 'state':
      return typeof m.state === 'string' && isObject(m.breakers);
    case 'metrics':
      return isObject(m.metrics);
    case 'notice':
      return typeof m.level === 'string' && NOTICE_LEVELS.has(m.level) && typeof m.message === 'string';
  }
  return false;
}

/** Maps an event from the engine to the message the webview takes (a plan change is a new snapshot). */
export function toWebviewMessage(e: DashboardEvent): ToWebview {
  switch (e.type) {
    case 'tasks:changed':
      return { type: 'tasks', tasks: e.tasks, counts: e.counts, groups: e.groups, removed: e.removed };
    case 'plan:changed':
      return { type: 'snapshot', snapshot: e.snapshot };
    case 'state:changed':
      return { type: 'state', state: e.state, breakers: e.breakers };
    case 'activity:appended':
      return { type: 'activity', entries: e.entries };
    case 'metrics:changed':
      return { type: 'metrics', metrics: e.metrics };
  }
}
