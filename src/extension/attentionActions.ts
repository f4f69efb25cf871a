// What a notification of the engine's calls for a person offers (attention.ts shows them): the buttons per kind and
// the kinds shown by default. Pure, tested in plain Node.
import type { AttentionKind, AttentionParams } from '../protocol/engineProtocol';

/** A button of a notification: its label and the command it runs. */
export interface AttentionAction {
  title: string;
  command: string;
  args?: unknown[];
}

/** The kinds shown when the setting is not set (package.json's default says the same; a unit test holds them equal). */
export const DEFAULT_SHOWN_KINDS: readonly AttentionKind[] = ['gate_waiting', 'review_waiting', 'paused', 'breaker_open', 'usage_limit', 'stalled'];

/** The buttons that answer an event, most likely first. */
export function attentionActions(p: AttentionParams): AttentionAction[] {
  const task = p.taskId !== undefined ? [p.taskId] : [];
  switch (p.kind) {
    case 'gate_waiting':
      return [
        { title: 'Approve', command: 'coditect.approveGate', args: task },
        { title: 'Reject…', command: 'coditect.rejectGate', args: task },
        { title: 'Reveal', command: 'coditect.revealTask', args: task },
      ];
    case 'review_waiting':
      return [
        { title: 'Review Changes', command: 'coditect.reviewChanges', args: task },
        { title: 'Show Log', command: 'coditect.showTaskLog', args: task },
        { title: 'Reveal', command: 'coditect.revealTask', args: task },
      ];
    case 'paused':
      return [
        { title: 'Resume', command: 'coditect.resume' },
        { title: 'Open Dashboard', command: 'coditect.openDashboard' },
      ];
    case 'task_failed':
      return [
        { title: 'Show Log', command: 'coditect.showTaskLog', args: task },
        { title: 'Retry', command: 'coditect.retryTask', args: task },
      ];
    case 'done':
      return [{ title: 'Open Dashboard', command: 'coditect.openDashboard' }];
    case 'breaker_open':
    case 'usage_limit':
    case 'stalled':
      return [
        { title: 'Open Dashboard', command: 'coditect.openDashboard' },
        { title: 'Show Output', command: 'coditect.showOutput' },
      ];
  }
}
