// Usage limits: the reset time a provider's answer names, what counts as a usage limit (not a burst rate limit), the
// decision (release, pause until the reset or the configured default, no retry spent) and the gate's shown reason.
import { strict as assert } from 'node:assert';
import { classifyFailureText, resetTimeIn } from '../../../src/engine/agents/cliFailure';
import { parseConfig } from '../../../src/engine/config';
import { ProviderGates, RetryPolicy, isUsageLimit } from '../../../src/engine/resilience';

/** Epoch ms of a local time today (the parser reads reset times in local time). */
function localAt(h: number, m = 0): number {
  const d = new Date(2026, 11, 2, h, m, 0, 0);
  return d.getTime();
}

describe('usage limits', () => {
  it('reads the reset time of a usage-limit message: the next such local time', () => {
    const now = localAt(13, 20);
    assert.equal(resetTimeIn('5-hour limit reached ∙ resets 3pm', now), localAt(15) - now);
    assert.equal(resetTimeIn('Your limit will reset at 14:05 (Europe/Berlin)', now), localAt(14, 5) - now);
    assert.equal(resetTimeIn('usage limit reached, resets at 2:30 am', now), localAt(26, 30) - now, 'a time already past today is tomorrow');
    assert.equal(resetTimeIn('resets 12am', now), localAt(24) - now);
    assert.equal(resetTimeIn('resets 3', now), undefined, 'a bare number is not a time');
    assert.equal(resetTimeIn('resets at 25:00', now), undefined);
    assert.equal(resetTimeIn('nothing about time', now), undefined);
    assert.deepEqual(classifyFailureText('Claude usage limit reached ∙ resets 3pm', now), { kind: 'rate_limited', retryAfterMs: localAt(15) - now });
    assert.deepEqual(classifyFailureText('Claude AI usage limit reached|1796220000', 1796216400000), { kind: 'rate_limited', retryAfterMs: 3_600_000 });
  });

  it('tells a usage limit (words, or a wait of 5 minutes or more) from a burst rate limit', () => {
    assert.equal(isUsageLimit('Claude AI usage limit reached|1796220000', 1000), true);
    assert.equal(isUsageLimit('Quota exceeded for requests per day', undefined), true);
    assert.equal(isUsageLimit('anthropic: HTTP 429 rate_limit_error: too many requests', 300_000), true);
    assert.equal(isUsageLimit('anthropic: HTTP 429 rate_limit_error: rate limit reached', 20_000), false);
    assert.equal(isUsageLimit('too many requests', undefined), false);
  });

  it('releases the task and pauses the provider until the reset, or the configured default when none is given', () => {
    const config = parseConfig({ rate_limit: { usage_limit_pause_ms: 7_200_000 } }, 'test', { env: {} });
    assert.equal(config.rateLimit.usageLimitPauseMs, 7_200_000);
    assert.equal(parseConfig({}, 'test', { env: {} }).rateLimit.usageLimitPauseMs, 18_000_000, 'default: 5 h');
    assert.throws(() => parseConfig({ rate_limit: { usage_limit_pause_ms: -1 } }, 'test', { env: {} }), /rate_limit\.usage_limit_pause_ms/);
    const policy = RetryPolicy.fromConfig(config);
    const given = policy.decide({ kind: 'rate_limited', message: 'usage limit reached ∙ resets 3pm', retryAfterMs: 5_400_000 }, 4);
    assert.deepEqual(
      { ...given, reason: undefined },
      { action: 'release', pauseMs: 5_400_000, usageLimit: true, reason: undefined },
      'the last retry is not spent either',
    );
    assert.match((given as { reason: string }).reason, /^usage limit reached; the provider is paused 1h 30m without spending a retry/);
    const none = policy.decide({ kind: 'rate_limited', message: 'Quota exhausted' }, 0);
    assert.equal((none as { pauseMs: number }).pauseMs, 7_200_000);
    assert.match((none as { reason: string }).reason, /paused 2h 00m \(no reset time given: rate_limit\.usage_limit_pause_ms\)/);
    const burst = policy.decide({ kind: 'rate_limited', message: 'too many requests' }, 0);
    assert.deepEqual({ ...burst, reason: undefined }, { action: 'release', pauseMs: 30_000, usageLimit: false, reason: undefined });
  });

  it('the gate says until when and why a provider is paused, and a longer pause wins', () => {
    let now = 1_000_000;
    const timers: { fn: () => void; at: number }[] = [];
    const gates = new ProviderGates({
      failureThreshold: 3,
      cooldownMs: 1000,
      timers: { now: () => now, setTimeout: (fn, ms) => timers.push({ fn, at: now + ms }), clearTimeout: () => undefined },
    });
    assert.equal(gates.pause('claude-code', 60_000, 'usage limit'), now + 60_000);
    assert.equal(gates.pause('claude-code', 1_000, 'rate limited'), now + 60_000, 'a shorter pause does not cut a longer one');
    assert.deepEqual(gates.pauses(), [{ provider: 'claude-code', until: now + 60_000, reason: 'usage limit' }]);
    assert.equal(gates.canDispatch('claude-code'), false);
    assert.equal(gates.canDispatch('anthropic'), true, 'other providers go on');
    now += 60_000;
    for (const t of timers) if (t.at <= now) t.fn();
    assert.deepEqual(gates.pauses(), []);
    assert.equal(gates.canDispatch('claude-code'), true);
    gates.dispose();
  });
});
