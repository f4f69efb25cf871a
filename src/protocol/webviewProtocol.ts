// Every message between the extension and the progress dashboard webview, declared once.
// The webview bundle imports this file too, so it holds types and tiny guards only (no vscode, no jsonrpc).
import type { ActivityEntry, BreakerState, OrchestrationState, PlanCounts, PlanSnapshot, TaskView } from './views';

/** Messages the extension posts to the webview. The first one after `ready` is always `snapshot`. */
export type ToWebview =
  /** extension → webview: draw everything from scratch. */
  | { type: 'snapshot'; snapshot: PlanSnapshot }
  /** extension → webview: these tasks changed. */
  | { type: 'tasks'; tasks: TaskView[]; counts: PlanCounts; removed: string[] }
  /** extension → webview: new activity entries. */
  | { type: 'activity'; entries: ActivityEntry[] }
  /** extension → webview: orchestration state and breakers. */
  | { type: 'state'; state: OrchestrationState; breakers: Record<string, BreakerState> };

/** Messages the webview posts to the extension. */
export type FromWebview =
  /** webview → extension: the page has loaded its script and can take messages. */
  | { type: 'ready' }
  /** webview → extension: reveal a task's line in the editor. */
  | { type: 'revealTask'; taskId: string }
  /** webview → extension: run a command (start/pause/resume/stop). */
  | { type: 'control'; action: 'start' | 'pause' | 'resume' | 'stop' };

const FROM_WEBVIEW_TYPES = new Set(['ready', 'revealTask', 'control']);
const CONTROL_ACTIONS = new Set(['start', 'pause', 'resume', 'stop']);

/** Validates a message from the webview (it is untrusted input). */
export function isFromWebview(value: unknown): value is FromWebview {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  if (typeof m.type !== 'string' || !FROM_WEBVIEW_TYPES.has(m.type)) return false;
  if (m.type === 'revealTask') return typeof m.taskId === 'string' && m.taskId.length > 0 && m.taskId.length < 200;
  if (m.type === 'control') return typeof m.action === 'string' && CONTROL_ACTIONS.has(m.action);
  return true;
}
