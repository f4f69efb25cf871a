// What a person may do with a task now, and markdown escaping for the editor's hovers and tooltips. How states and
// figures read lives in src/protocol/presentation.ts (shared with the dashboard and the CLI). Plain Node: no vscode.
import { displayState, type StateFields } from '../protocol/presentation';
import type { TaskView } from '../protocol/views';

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

/** A gate waiting for a person's approval (docs/costs-and-gates.md#gates): Approve and Reject apply to it. */
export function isWaitingGate(t: Pick<TaskView, 'gate' | 'status'>): boolean {
  return t.gate !== undefined && t.status === 'blocked';
}
