// What a finished attempt means, turned into what the orchestrator writes and says: the settlement record (the task's
// end and its attempt row's, one transaction), what to do once it is written (schedule the retry, `attempt:finished`)
// and once the status is applied (the task's own event and activity line). The rules themselves are settlement.ts's;
// this adds what they need of the run: the spend priced once, the budget, the gate, the breaker probes let off, the
// Verify failure seen before. The orchestrator frees the slot and the lease first, and writes the record
// (finishClaim); this never touches the database.
//
// Invariants:
//   - the spend is priced once, here, and every consumer (attempt row, metrics, budgets) gets that one figure;
//   - a retry's backoff is scheduled BEFORE the status goes back to pending, so the task does not go straight back to
//     the ready lanes, and only when the write held (a lost lease decides nothing);
//   - free probes are counted per task until it settles on anything but pending (at most retry.max_attempts, settlement.ts);
//   - a `Gate: review` task's result is blocked, never completed, until a person approves it.
import type { ActivityEntry } from '../protocol/views';
import type { OrchestratorConfig } from './config';
import type { AttemptReport, StopWhy } from './executor';
import type { OrchestratorEvents } from './orchestratorEvents';
import type { FinishTask, SettleRecord } from './ports';
import type { RetryPolicy } from './resilience';
import { parseAgentReport } from '../core/agentReport';
import { attemptEndOf, settlementOf } from './settlement';
import { attemptSpendOf } from './spend/attemptSpend';

/** The attempt being settled, as the orchestrator ran it. */
export interface SettlingAttempt {
  readonly taskId: string;
  readonly agentType: string;
  readonly provider: string;
  readonly attempt: number;
  /** Why the engine stopped it, when it did. */
  readonly stop?: StopWhy;
}

/** What settling needs of the orchestrator. */
export interface SettleHost {
  /** Lease owner id of this engine (the record's owner). */
  readonly owner: string;
  now(): number;
  prices(): OrchestratorConfig['prices'];
  retryPolicy(): RetryPolicy;
  /** Why an attempt that cost `usd` takes its task over budget, or undefined (DispatchLimits.overBudget); absent: no budgets. */
  readonly overBudget?: (taskId: string, usd: number) => string | undefined;
  /** The task is a `Gate: review` task. */
  reviewGated(taskId: string): boolean;
  titleOf(taskId: string): string;
  /** Pauses a rate-limited provider for `ms`; returns until when (epoch ms). */
  pauseProvider(provider: string, ms: number, reason: string): number;
  /** Waits out a retry's backoff (unless the engine is stopping or closed: the task then stays pending for the next start). */
  scheduleRetry(taskId: string, delayMs: number): void;
  /** Takes a task out of the ready lanes (a person's mark sets its status next). */
  unqueue(taskId: string): void;
  /** A `Gate: review` task's result waits for a person (gateDecisions.ts). */
  reviewWaiting(taskId: string, files?: string[]): void;
  emit<K extends keyof OrchestratorEvents>(event: K, payload: OrchestratorEvents[K]): void;
  log(kind: ActivityEntry['kind'], message: string, taskId?: string): void;
}

/** A settlement ready to write: the record, then `recorded(held)` once written, then `after()` once its status is applied. */
export interface SettleSteps {
  rec: SettleRecord;
  recorded(held: boolean): void;
  after(): void;
}

/** Settles the attempts of one orchestrator, remembering per task what the next settlement needs of the earlier ones. */
export class AttemptSettler {
  /** Failed breaker probes that spent none of the task's retries, per task until it settles (at most retry.max_attempts). */
  private readonly freeProbes = new Map<string, number>();
  /** The last Verify failure's signature per task: failing the same way twice is not retried. */
  private readonly verifySigs = new Map<string, string>();

  constructor(private readonly host: SettleHost) {}

  /** A person reset the task (retry, mark pending, a rejected gate): its next Verify failure is not "the same twice". */
  forgetVerify(taskId: string): void {
    this.verifySigs.delete(taskId);
  }

  /** What `report` means for its task, as steps to write and announce. Provider pauses of a rate limit happen now. */
  settle(rt: SettlingAttempt, report: AttemptReport): SettleSteps {
    const h = this.host;
    const { taskId, agentType, attempt } = rt;
    // What the attempt spent, as every consumer counts it (the attempt row, metrics, budgets): priced once, here.
    const spend = attemptSpendOf(report.result ?? report.spent, h.prices());
    // An attempt that failed having taken its task to its budget (its agent said what it cost only at the end) is not retried.
    if (!report.ok && !report.stopped && !report.refused && report.failure && report.failure.kind !== 'budget') {
      const over = h.overBudget?.(taskId, spend.costUsd ?? 0);
      if (over !== undefined) {
        report.failure = { kind: 'budget', message: `${over} (the attempt failed: ${report.failure.message})` };
        report.errorKind = 'budget';
      }
    }
    const failure = report.failure;
    const settlement = settlementOf(report, attempt - 1, h.retryPolicy(), this.verifySigs.get(taskId), this.freeProbes.get(taskId));
    if (report.probe && settlement.outcome === 'released' && settlement.releaseWhy !== undefined && !report.stopped && !report.refused)
      this.freeProbes.set(taskId, (this.freeProbes.get(taskId) ?? 0) + 1);
    else if (settlement.status !== 'pending') this.freeProbes.delete(taskId);
    if (failure?.kind === 'verify' && failure.verifySignature) this.verifySigs.set(taskId, failure.verifySignature);
    const { outcome, decision, releaseWhy } = settlement;
    const finish: FinishTask = { status: settlement.status, retryCount: settlement.retryCount, resultSummary: settlement.resultSummary, now: h.now() };
    // A `Gate: review` task's result waits for a person: blocked (its dependents held) until approved.
    const gated = finish.status === 'completed' && !report.landing && h.reviewGated(taskId);
    if (gated) finish.status = 'blocked';
    if (decision?.action === 'release') {
      const reason = decision.usageLimit ? 'usage limit' : 'rate limited';
      const until = h.pauseProvider(rt.provider, decision.pauseMs, reason);
      // A usage limit lasts hours: it is kept (the runtime stores it) so a restarted engine waits for the reset too.
      if (decision.usageLimit) h.emit('provider:paused', { provider: rt.provider, until, reason });
    }

    // The task's end and its attempt row's end in one transaction; the row says whether the result counted.
    const rec: SettleRecord = { taskId, owner: h.owner, finish };
    if (report.attemptId >= 0) {
      rec.attemptId = report.attemptId;
      rec.end = attemptEndOf(report, settlement, true, spend);
      rec.lostError = attemptEndOf(report, settlement, false, spend).error;
    }
    const recorded = (held: boolean): void => {
      // Delay the retry BEFORE the status change, so the task does not go straight back to the ready lanes.
      if (held && decision?.action === 'retry') h.scheduleRetry(taskId, decision.delayMs);
      h.emit('attempt:finished', {
        taskId,
        agentType,
        provider: rt.provider,
        attempt,
        outcome: held ? outcome : 'released',
        durationMs: report.endedAt - report.startedAt,
        tokensIn: spend.tokensIn,
        tokensOut: spend.tokensOut,
        cacheReadTokens: spend.cacheReadTokens,
        cacheWriteTokens: spend.cacheWriteTokens,
        costUsd: spend.costUsd,
        costEstimated: spend.costEstimated,
        model: spend.model,
      });
    };

    const after = (): void => {
      const durationMs = report.endedAt - report.startedAt;
      if (report.landing?.kind === 'resolving') {
        h.log('info', `${taskId}: ${report.landing.reason}`, taskId);
        return;
      }
      if (report.landing) {
        h.log(report.landing.kind === 'needs_review' ? 'failed' : 'info', `${taskId}: ${report.landing.reason}`, taskId);
        h.emit('review:waiting', { taskId, state: report.landing.kind, title: h.titleOf(taskId), reason: report.landing.reason });
        return;
      }
      const files = report.filesChanged ?? parseAgentReport(report.result?.summary)?.filesChanged;
      if (gated) {
        h.reviewWaiting(taskId, files);
        return;
      }
      if (outcome === 'completed') {
        h.emit('task:completed', { taskId, agentType, attempt, durationMs, summary: report.result?.summary ?? '', ...(files ? { files } : {}) });
        h.log(
          'completed',
          `${taskId} completed by ${agentType} in ${Math.round(durationMs)} ms${report.verifyOutput !== undefined ? ' (verified)' : ''}`,
          taskId,
        );
        return;
      }
      if (releaseWhy !== undefined) {
        if (rt.stop === 'marked') h.unqueue(taskId); // markTask sets the final status next
        h.log('info', `${taskId} released to pending: ${releaseWhy}`, taskId);
        return;
      }
      if (!decision) return;
      switch (decision.action) {
        case 'retry':
          h.emit('task:retrying', { taskId, agentType, attempt, delayMs: decision.delayMs, reason: decision.reason, rateLimited: false });
          h.log('retry', `${taskId}: ${decision.reason}`, taskId);
          break;
        case 'release':
          h.emit('task:retrying', { taskId, agentType, attempt, delayMs: decision.pauseMs, reason: decision.reason, rateLimited: true });
          h.log('retry', `${taskId}: ${decision.reason}`, taskId);
          break;
        case 'fail':
          if (decision.status === 'timeout') {
            h.emit('task:timeout', { taskId, agentType, attempt, reason: decision.reason });
            h.log('timeout', `${taskId}: ${decision.reason}`, taskId);
          } else if (decision.status === 'cancelled') {
            h.emit('task:cancelled', { taskId, agentType, attempt, reason: decision.reason });
            h.log('cancelled', `${taskId}: ${decision.reason}`, taskId);
          } else {
            h.emit('task:failed', { taskId, agentType, attempt, reason: decision.reason, errorKind: report.errorKind });
            h.log('failed', `${taskId} failed: ${decision.reason}`, taskId);
          }
          break;
      }
    };
    return { rec, recorded, after };
  }
}
