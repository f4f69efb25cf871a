// Which orchestrator events a person hears about, and in what words (docs/costs-and-gates.md#notifications). Each
// maps to one NotifyEvent; a state is announced once per change (a plan that stays stalled is not announced again).
import { changedFilesText, formatWhen } from '../../protocol/presentation';
import type { AttentionParams } from '../../protocol/engineProtocol';
import type { Orchestrator } from '../orchestrator';

/** What the runtime tells the mapping about the plan as a whole. */
export interface PlanFacts {
  /** Done/total of the plan by the core rule, when every task is done; otherwise undefined. */
  done(): { total: number } | undefined;
  /** Why the plan cannot finish, one sentence per stall. */
  stalls(): string[];
}

/**
 * Passes `orch`'s events that need a person, or say it is done, to `send` (the webhook and command, and the editors);
 * returns the detach function.
 */
export function notifyEngineEvents(orch: Orchestrator, send: (e: AttentionParams) => void, plan: PlanFacts): () => void {
  let lastState = '';
  const offs = [
    orch.on('gate:waiting', (e) =>
      send({
        kind: 'gate_waiting',
        taskId: e.taskId,
        message: `${e.taskId} waits for a person's approval: ${e.title}${e.files ? ` (${changedFilesText(e.files)})` : ''}`,
      }),
    ),
    orch.on('review:waiting', (e) =>
      send({
        kind: 'review_waiting',
        taskId: e.taskId,
        message:
          e.state === 'awaiting_review'
            ? `${e.taskId} is done and waits for review before it lands: ${e.title}`
            : `${e.taskId} needs review, its work was not landed: ${e.reason}`,
      }),
    ),
    orch.on('task:failed', (e) => send({ kind: 'task_failed', taskId: e.taskId, message: `${e.taskId} failed after attempt ${e.attempt}: ${e.reason}` })),
    orch.on('breaker:changed', (e) => {
      if (e.state === 'open' && e.previous !== 'open')
        send({ kind: 'breaker_open', provider: e.provider, message: `provider ${e.provider} keeps failing: its breaker opened and its tasks wait` });
    }),
    orch.on('provider:paused', (e) =>
      send({
        kind: 'usage_limit',
        provider: e.provider,
        until: new Date(e.until).toISOString(),
        message: `provider ${e.provider} paused until ${formatWhen(e.until)} (${e.reason}); its tasks wait, other providers go on`,
      }),
    ),
    orch.on('state:changed', (e) => {
      const done = e.state === 'idle' ? plan.done() : undefined;
      // A person's own pause (no reason) needs no one; a limit's pause, a stall and the end do.
      const key = done ? 'done' : e.state === 'paused' && e.pausedFor ? `paused:${e.pausedFor}` : e.state === 'stalled' ? 'stalled' : e.state;
      if (key === lastState) return;
      lastState = key;
      if (done) send({ kind: 'done', message: `all ${done.total} tasks are done` });
      else if (e.state === 'paused' && e.pausedFor) send({ kind: 'paused', message: `dispatch paused: ${e.pausedFor}` });
      else if (e.state === 'stalled') send({ kind: 'stalled', message: `the plan cannot finish: ${plan.stalls().join('; ') || 'nothing can start'}` });
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
