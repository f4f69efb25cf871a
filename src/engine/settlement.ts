// What one finished attempt means for its task — a pure function of the attempt's report and the retry policy, so
// the lifecycle rules live in one small place: the attempt row's outcome, the task's next status, and the decision.
//
//   agent + verify ok                         → attempt completed,            task completed
//     isolated, awaiting review               → attempt completed,            task blocked (a person accepts or rejects)
//     isolated, conflict / merged check fails → attempt failed,               task blocked (needs review)
//   engine stop / person's mark / breaker race → attempt released,            task pending, retry count unchanged
//   transient / first verify failure          → attempt failed|verify_failed, task pending after backoff, count + 1
//   rate limited (429)                        → attempt released,             task pending, provider paused
//   breaker probe failing transiently         → attempt released,             task pending, retry count unchanged
//     (at most retry.max_attempts free probes per task; after that the probe's failure counts like any transient one)
//   auth, config, fatal, verify same twice    → attempt failed|verify_failed, task failed (no retry)
//   timeout / cancel                          → attempt timeout|cancelled,    task timeout|cancelled
//   task budget reached (stopped, or at end)  → attempt budget_exceeded,      task failed (no retry)
import type { AttemptOutcome } from '../protocol/views';
import type { AttemptReport } from './executor';
import type { AttemptEnd, FinishTask } from './ports';
import type { RetryDecision, RetryPolicy } from './resilience';
import type { AttemptSpend } from './spend/attemptSpend';

/** How an attempt settles its task. */
export interface Settlement {
  outcome: AttemptOutcome;
  status: FinishTask['status'];
  /** New retry count, when it changes. */
  retryCount?: number;
  resultSummary?: string;
  /** The retry policy's decision, for failures. */
  decision?: RetryDecision;
  /** Set when the task goes back to pending through no fault of its own (stop, a person's mark, a breaker race). */
  releaseWhy?: string;
}

/**
 * Settles an attempt. `retryCount` is the task's count before the attempt (attempt − 1). `freeProbes` is how many of
 * this task's failed probes were already let off without spending a retry.
 */
export function settlementOf(report: AttemptReport, retryCount: number, policy: RetryPolicy, previousVerifySignature?: string, freeProbes = 0): Settlement {
  if (report.ok && report.landing?.kind === 'resolving') {
    // Not the task's failure and bounded by AUTO_RESOLVE_MAX: no retry is spent.
    return { outcome: 'released', status: 'pending', releaseWhy: report.landing.reason, resultSummary: report.result?.summary };
  }
  if (report.ok && report.landing) {
    // Done and verified, but not landed: the task waits for a person (review, conflict, a failing check on the merge).
    return { outcome: report.landing.kind === 'awaiting_review' ? 'completed' : 'failed', status: 'blocked', resultSummary: report.result?.summary };
  }
  if (report.ok) return { outcome: 'completed', status: 'completed', resultSummary: report.result?.summary };
  if (report.stopped === 'shutdown' || report.stopped === 'marked' || report.refused) {
    return { outcome: 'released', status: 'pending', releaseWhy: report.failure?.message ?? 'released' };
  }
  const f = report.failure ?? { kind: 'fatal' as const, message: 'the attempt ended without a result' };
  if (report.probe && f.kind === 'transient' && freeProbes < policy.settings.maxAttempts) {
    // The probe found the provider still failing: the breaker opens again and the task waits for the next probe,
    // like the tasks queued behind it, without spending one of its own retries. Bounded: a task whose own attempt
    // fails the same transient way every time (it, not the provider, is the problem) would otherwise be the probe
    // forever, the breaker never closing and the run never ending; after max_attempts free probes it is charged.
    return { outcome: 'released', status: 'pending', releaseWhy: `the breaker's probe found the provider still failing (no retry spent): ${f.message}` };
  }
  const decision = policy.decide(f, retryCount, previousVerifySignature);
  const failedOutcome: AttemptOutcome = f.kind === 'verify' ? 'verify_failed' : f.kind === 'budget' ? 'budget_exceeded' : 'failed';
  switch (decision.action) {
    case 'retry':
      return { outcome: failedOutcome, status: 'pending', retryCount: retryCount + 1, decision };
    case 'release':
      return { outcome: 'released', status: 'pending', decision };
    case 'fail':
      return {
        outcome: decision.status === 'timeout' ? 'timeout' : decision.status === 'cancelled' ? 'cancelled' : failedOutcome,
        status: decision.status,
        decision,
      };
  }
}

/**
 * The attempt row's end. `held`: the lease was still ours at finish; otherwise the result was discarded. `spend` is
 * what the attempt spent as the ledger counts it (attemptSpendOf): recorded whether the attempt succeeded or not, a
 * failed attempt's tokens were paid for too.
 */
export function attemptEndOf(report: AttemptReport, s: Settlement, held: boolean, spend: AttemptSpend): AttemptEnd {
  const r = report.result;
  const error = held
    ? (s.decision?.reason ?? report.failure?.message ?? report.landing?.reason)
    : `the lease was lost before the attempt ended; its result was discarded${report.failure ? ` (${report.failure.message})` : ''}`;
  return {
    outcome: held ? s.outcome : 'released',
    endedAt: report.endedAt,
    exitCode: r?.exitCode ?? report.verifyExitCode,
    stdout: r?.stdout,
    stderr: r?.stderr,
    error,
    errorKind: report.errorKind,
    ...spend,
    summary: r?.summary,
    verifyOutput: report.verifyOutput,
    ...(report.filesChanged !== undefined ? { filesChanged: report.filesChanged } : {}),
  };
}
