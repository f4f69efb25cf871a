// What a retry is told about the attempts before it: the session it may continue (when the agent left one) and why
// the last attempt did not complete. Pure: reads the task's recorded attempts, newest first.
import type { AgentTaskInput } from './agents/agent';
import type { AttemptView } from '../protocol/engineProtocol';

/** Recorded attempts a retry looks back over. */
export const RETRY_CONTEXT_ATTEMPTS = 20;

/** Longest previous error put into a retry's prompt, characters. */
export const MAX_PREVIOUS_ERROR_CHARS = 2000;

/**
 * The retry fields of a task input from its attempts (newest first): `resume` is the session of the newest attempt
 * of the same agent type that reported one, with what that session cost across all its attempts (agents that
 * report a session's running total subtract it); `previousError` is the newest ended attempt's error.
 */
export function retryContext(attempts: readonly AttemptView[], agentType: string): Pick<AgentTaskInput, 'resume' | 'previousError'> {
  const out: Pick<AgentTaskInput, 'resume' | 'previousError'> = {};
  const lastEnded = attempts.find((a) => a.outcome !== 'running');
  if (lastEnded?.error) {
    const e = lastEnded.error;
    out.previousError = e.length <= MAX_PREVIOUS_ERROR_CHARS ? e : `${e.slice(0, MAX_PREVIOUS_ERROR_CHARS)}…`;
  }
  const withSession = attempts.find((a) => a.agent === agentType && a.sessionId);
  if (withSession?.sessionId) {
    const sessionId = withSession.sessionId;
    let cost: number | undefined;
    for (const a of attempts) if (a.sessionId === sessionId && a.costUsd !== undefined) cost = (cost ?? 0) + a.costUsd;
    out.resume = cost === undefined ? { sessionId } : { sessionId, priorCostUsd: cost };
  }
  return out;
}
