// What state a task is shown in, and small text helpers shared by the tree, CodeLens, hovers and status bar.
// Plain Node: no vscode import.
import type { TaskView } from '../protocol/views';

/** The states the editor distinguishes (a finer cut than TaskStatus: `pending` splits into ready/pending/blocked). */
export type DisplayState = 'ready' | 'pending' | 'running' | 'completed' | 'blocked' | 'failed' | 'timeout' | 'cancelled' | 'skipped';

export const DISPLAY_STATES: readonly DisplayState[] = ['ready', 'pending', 'running', 'completed', 'blocked', 'failed', 'timeout', 'cancelled', 'skipped'];

type StateFields = Pick<TaskView, 'status' | 'ready' | 'blocked'>;

/**
 * How a task is shown: running, ready, waiting on dependencies (pending), blocked (the engine's one definition,
 * `TaskView.blocked`: a person must act — a `Blocked by:`, a cycle, a failure upstream…)...
 */
export function displayState(t: StateFields): DisplayState {
  if (t.blocked) return 'blocked';
  switch (t.status) {
    case 'in_progress':
      return 'running';
    case 'pending':
      return t.ready ? 'ready' : 'pending';
    default:
      return t.status;
  }
}

/** Human words for a display state. */
export const STATE_LABEL: Readonly<Record<DisplayState, string>> = {
  ready: 'ready',
  pending: 'waiting',
  running: 'running',
  completed: 'completed',
  blocked: 'blocked',
  failed: 'failed',
  timeout: 'timed out',
  cancelled: 'cancelled',
  skipped: 'skipped',
};

/** A duration as people read it: `45s`, `2m`, `1h 05m`. Negative or non-finite values read `0s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Milliseconds a running task has been running at `now`, or undefined when unknown. */
export function elapsedMs(t: Pick<TaskView, 'startedAt'>, now: number): number | undefined {
  if (!t.startedAt) return undefined;
  const start = Date.parse(t.startedAt);
  return Number.isFinite(start) ? Math.max(0, now - start) : undefined;
}

/** `3/16 · 19%` (percent rounded; `0/0` for an empty group). */
export function progressText(completed: number, total: number): string {
  if (total <= 0) return '0/0';
  return `${completed}/${total} · ${Math.round((completed / total) * 100)}%`;
}

/** Escapes text for a MarkdownString so titles written by people render as text, never as links or HTML. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}

/** Whether a task can be started by a person now. */
export function canRun(t: StateFields): boolean {
  return displayState(t) === 'ready';
}

/** Whether a task can be reset to pending by Retry. */
export function canRetry(t: Pick<TaskView, 'status'>): boolean {
  return t.status === 'failed' || t.status === 'timeout' || t.status === 'cancelled';
}
