// The orchestrator's events (`noun:verb`) and what each carries: one catalogue, read by the orchestrator that emits
// them, the helpers that emit on its behalf (attemptSettler.ts) and everyone who listens (runtime, metrics, tests).
import type { RoutingDecision } from '../core/routing';
import type { TaskStatus } from '../core/model';
import type { ActivityAppendedParams, AttemptUsage, StateChangedParams } from '../protocol/engineProtocol';
import type { AttemptOutcome, BreakerState } from '../protocol/views';
import type { GateKind } from '../protocol/gates';
import type { GroupCompleted } from './planState';

/** How a task's agent was chosen: the routing decision, or `manual` for "Run with agent". */
export interface RouteInfo {
  agent: string;
  rule: RoutingDecision['rule'] | 'manual';
  reason: string;
}

/** Events of the orchestrator, `noun:verb`. */
export interface OrchestratorEvents {
  /**
   * An attempt started (after the claim). For a task that was queued: `queuedMs` is ready → started (slot waits
   * included); `dispatchLatencyMs` is the dispatcher's own reaction time, from the later of "became ready" and "the
   * last thing that allowed more starts" (a slot freed, a breaker/pause changed, start/resume, a new config).
   */
  'task:started': { taskId: string; agentType: string; provider: string; attempt: number; route: RouteInfo; dispatchLatencyMs?: number; queuedMs?: number };
  /** `files`: what the attempt changed (its branch's diff when isolated, else its report's "Files changed"), when known. */
  'task:completed': { taskId: string; agentType: string; attempt: number; durationMs: number; summary: string; files?: string[] };
  /** Final failure (not retried). */
  'task:failed': { taskId: string; agentType: string; attempt: number; reason: string; errorKind?: string };
  /** Back to pending for another attempt: after `delayMs` of backoff, or (rateLimited) when the provider's pause ends. */
  'task:retrying': { taskId: string; agentType: string; attempt: number; delayMs: number; reason: string; rateLimited: boolean };
  'task:timeout': { taskId: string; agentType: string; attempt: number; reason: string };
  'task:cancelled': { taskId: string; agentType?: string; attempt?: number; reason: string };
  /** Any status change the orchestrator made (for write-back to the markdown and the UI). */
  'task:statusChanged': { taskId: string; status: TaskStatus; previous: TaskStatus };
  /** Live output of a running attempt (redacted). Only produced while someone listens. */
  'task:output': { taskId: string; stream: 'stdout' | 'stderr' | 'progress'; chunk: string };
  /** Every finished attempt, whatever happens to the task next (metrics). */
  'attempt:finished': AttemptUsage & {
    taskId: string;
    agentType: string;
    provider: string;
    attempt: number;
    outcome: AttemptOutcome;
    durationMs: number;
  };
  'state:changed': StateChangedParams;
  'breaker:changed': { provider: string; state: BreakerState; previous: BreakerState };
  /** A provider's usage limit paused it until `until` (epoch ms): tasks for it wait, none fails. */
  'provider:paused': { provider: string; until: number; reason: string };
  /** A gate waits for a person's approval (a `Gate: review` task's result, a checkpoint whose dependencies are done). */
  'gate:waiting': { taskId: string; kind: GateKind; title: string; files?: string[] };
  /**
   * An isolated task's work waits for a person: `awaiting_review` (merge.policy review) or `needs_review` (a conflict,
   * a failing check on the merged result, refused changes). `reason` is redacted.
   */
  'review:waiting': { taskId: string; state: 'awaiting_review' | 'needs_review'; title: string; reason: string };
  'activity:appended': ActivityAppendedParams;
  /** A feature or an epic just completed (checkpoint time). */
  'checkpoint:reached': GroupCompleted;
}
