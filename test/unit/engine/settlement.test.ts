import { attemptSpendOf } from '../../../src/engine/spend/attemptSpend';
import { strict as assert } from 'node:assert';
import type { AttemptReport } from '../../../src/engine/executor';
import { RetryPolicy } from '../../../src/engine/resilience';
import { attemptEndOf, settlementOf } from '../../../src/engine/settlement';

const policy = new RetryPolicy({ maxAttempts: 2, initialDelayMs: 100, maxDelayMs: 1000, jitter: 'none' }, 5000);
const base: AttemptReport = { attemptId: 1, startedAt: 0, endedAt: 10, ok: false };
const fail = (kind: string, extra: Partial<AttemptReport> = {}): AttemptReport => ({
  ...base,
  failure: { kind: kind as never, message: `${kind}!` },
  errorKind: kind,
  ...extra,
});

describe('settlement', () => {
  it('maps each way an attempt ends to the attempt outcome, the task status and the retry count', () => {
    const rows: [string, AttemptReport, number, string, string, number | undefined][] = [
      ['success', { ...base, ok: true, result: { summary: 'did it' } }, 0, 'completed', 'completed', undefined],
      ['transient, budget left', fail('transient'), 1, 'failed', 'pending', 2],
      ['transient, budget spent', fail('transient'), 2, 'failed', 'failed', undefined],
      ['verify, first time', { ...fail('verify'), failure: { kind: 'verify', message: 'v', verifySignature: 's1' } }, 0, 'verify_failed', 'pending', 1],
      ['rate limited', fail('rate_limited'), 2, 'released', 'pending', undefined],
      ['auth', fail('auth'), 0, 'failed', 'failed', undefined],
      ['config', fail('config'), 0, 'failed', 'failed', undefined],
      ['fatal', fail('fatal'), 0, 'failed', 'failed', undefined],
      ['timeout', fail('timeout', { stopped: 'timeout' }), 0, 'timeout', 'timeout', undefined],
      ['cancel', fail('cancelled', { stopped: 'cancel' }), 0, 'cancelled', 'cancelled', undefined],
      ['engine stop', fail('cancelled', { stopped: 'shutdown' }), 1, 'released', 'pending', undefined],
      ['person marks it', fail('cancelled', { stopped: 'marked' }), 1, 'released', 'pending', undefined],
      ['breaker race', fail('transient', { refused: true }), 1, 'released', 'pending', undefined],
    ];
    for (const [name, report, retryCount, outcome, status, newCount] of rows) {
      const s = settlementOf(report, retryCount, policy);
      assert.equal(s.outcome, outcome, `${name}: outcome`);
      assert.equal(s.status, status, `${name}: status`);
      assert.equal(s.retryCount, newCount, `${name}: retry count`);
    }
    assert.equal(settlementOf({ ...base, ok: true, result: { summary: 'did it' } }, 0, policy).resultSummary, 'did it');
    assert.deepEqual(settlementOf(fail('transient'), 1, policy).decision, { action: 'retry', delayMs: 200, reason: 'retry 2/2 in 200ms: transient!' });
    assert.deepEqual(settlementOf(fail('rate_limited'), 0, policy).decision?.action, 'release');
  });

  it("a breaker probe that finds the provider still failing spends none of its task's retries, even the last one", () => {
    // Retries exhausted (2 of 2): an ordinary transient failure now fails the task…
    assert.equal(settlementOf(fail('transient'), 2, policy).status, 'failed');
    // …but as the half-open probe it goes back to pending with its count unchanged, like the tasks waiting behind it.
    const s = settlementOf(fail('transient', { probe: true }), 2, policy);
    assert.equal(s.status, 'pending');
    assert.equal(s.outcome, 'released');
    assert.equal(s.retryCount, undefined);
    assert.match(s.releaseWhy ?? '', /probe found the provider still failing \(no retry spent\)/);
    // What is the task's own problem still counts on a probe.
    assert.equal(settlementOf(fail('auth', { probe: true }), 0, policy).status, 'failed');
  });

  it('lets a task off at most max_attempts failed probes, then charges the probe like any transient failure', () => {
    // A task whose own attempt always fails transiently would otherwise be the probe forever and the run never end.
    assert.equal(settlementOf(fail('transient', { probe: true }), 0, policy, undefined, 1).outcome, 'released');
    const charged = settlementOf(fail('transient', { probe: true }), 0, policy, undefined, 2);
    assert.equal(charged.outcome, 'failed');
    assert.equal(charged.retryCount, 1);
    assert.equal(charged.decision?.action, 'retry');
    assert.equal(settlementOf(fail('transient', { probe: true }), 2, policy, undefined, 2).status, 'failed');
  });

  it('the attempt row carries the decision, and says when a late result was discarded', () => {
    const report = { ...fail('transient'), result: undefined };
    const s = settlementOf(report, 0, policy);
    const held = attemptEndOf(report, s, true, attemptSpendOf(report.result));
    assert.equal(held.outcome, 'failed');
    assert.match(held.error!, /retry 1\/2 in 100ms: transient!/);
    const lost = attemptEndOf(
      { ...base, ok: true, result: { summary: 'late', exitCode: 0 } },
      settlementOf({ ...base, ok: true, result: { summary: 'late' } }, 0, policy),
      false,
      attemptSpendOf(undefined),
    );
    assert.equal(lost.outcome, 'released');
    assert.match(lost.error!, /lease was lost.*discarded/);
    assert.equal(lost.summary, 'late');
  });
});

describe('attemptEndOf: what a failed attempt spent', () => {
  it('records the tokens, cost and session a failed agent reported (its AgentError), not only a success’s', () => {
    const report: AttemptReport = {
      ...fail('transient'),
      spent: { tokensIn: 120, tokensOut: 7, costUsd: 0.0021, sessionId: 'sess-1', model: 'claude-opus-5-5' },
    };
    const end = attemptEndOf(report, settlementOf(report, 0, policy), true, attemptSpendOf(report.spent));
    assert.equal(end.outcome, 'failed');
    assert.equal(end.tokensIn, 120);
    assert.equal(end.tokensOut, 7);
    assert.equal(end.costUsd, 0.0021);
    assert.equal(end.sessionId, 'sess-1');
  });
});
