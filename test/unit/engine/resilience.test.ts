import { strict as assert } from 'node:assert';
import { AgentError } from '../../../src/engine/agents/agent';
import { parseConfig } from '../../../src/engine/config';
import { ProviderGates, RetryPolicy, isBrokenCircuit, type GateChange, type GateTimers } from '../../../src/engine/resilience';

/** A manual clock: timers fire only when the test advances time. */
function manualTimers(): GateTimers & { advance(ms: number): void; pending(): number } {
  let now = 1_000_000;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(h) {
      timers.delete(h as number);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = until;
    },
    pending: () => timers.size,
  };
}

const transient = () => new AgentError('HTTP 500', 'transient', 'p');

describe('resilience', () => {
  describe('RetryPolicy', () => {
    it('backs off exponentially from the initial delay up to the cap (1, 2, 4, 8, 16 s by default)', () => {
      const p = new RetryPolicy({ maxAttempts: 7, initialDelayMs: 1000, maxDelayMs: 16000, jitter: 'none' });
      assert.deepEqual(
        [1, 2, 3, 4, 5, 6, 7].map((n) => p.delayFor(n)),
        [1000, 2000, 4000, 8000, 16000, 16000, 16000],
      );
    });

    it("grows the delay by the plan's orchestrator.retry_backoff_base (3: 1, 3, 9 s, then the cap)", () => {
      const config = parseConfig({ orchestrator: { retry_backoff_base: 3 }, retry: { jitter: 'none' } }, 'c', { env: {} });
      const p = RetryPolicy.fromConfig(config);
      assert.deepEqual(
        [1, 2, 3, 4].map((n) => p.delayFor(n)),
        [1000, 3000, 9000, 16000],
      );
    });

    it('with half jitter stays within [d/2, d) of each step', () => {
      const p = new RetryPolicy({ maxAttempts: 5, initialDelayMs: 1000, maxDelayMs: 16000, jitter: 'half' });
      for (let i = 0; i < 50; i++) {
        for (const [n, d] of [
          [1, 1000],
          [3, 4000],
          [5, 16000],
        ] as const) {
          const v = p.delayFor(n);
          assert.ok(v >= d / 2 && v < d, `retry ${n}: ${v} outside [${d / 2}, ${d})`);
        }
      }
    });

    it('retries transient failures until the budget is spent, then fails with the count', () => {
      const p = new RetryPolicy({ maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 100, jitter: 'none' });
      assert.deepEqual(p.decide({ kind: 'transient', message: 'boom' }, 0), { action: 'retry', delayMs: 10, reason: 'retry 1/2 in 10ms: boom' });
      assert.equal((p.decide({ kind: 'transient', message: 'boom' }, 1) as { delayMs: number }).delayMs, 20);
      const last = p.decide({ kind: 'transient', message: 'boom' }, 2);
      assert.equal(last.action, 'fail');
      assert.match(last.reason, /gave up after 3 attempts \(2 retries allowed\): boom/);
    });

    it('fails fast on auth, config and fatal; timeout and cancel end in their own status', () => {
      const p = new RetryPolicy({ maxAttempts: 5, initialDelayMs: 10, maxDelayMs: 100, jitter: 'none' });
      for (const kind of ['auth', 'config', 'fatal'] as const) {
        const d = p.decide({ kind, message: 'nope' }, 0);
        assert.equal(d.action, 'fail', kind);
        assert.equal((d as { status: string }).status, 'failed');
        assert.match(d.reason, /nope/);
      }
      assert.match(p.decide({ kind: 'auth', message: 'x' }, 0).reason, /authentication failed \(not retried/);
      assert.deepEqual(p.decide({ kind: 'timeout', message: 't' }, 0), { action: 'fail', status: 'timeout', reason: 't' });
      assert.deepEqual(p.decide({ kind: 'cancelled', message: 'c' }, 0), { action: 'fail', status: 'cancelled', reason: 'c' });
    });

    it('releases a rate-limited task for the retry-after time (or the default pause) without spending a retry', () => {
      const p = new RetryPolicy({ maxAttempts: 0, initialDelayMs: 10, maxDelayMs: 100, jitter: 'none' }, 777);
      const d = p.decide({ kind: 'rate_limited', message: '429', retryAfterMs: 2500 }, 0);
      assert.equal(d.action, 'release');
      assert.equal((d as { pauseMs: number }).pauseMs, 2500);
      assert.equal((p.decide({ kind: 'rate_limited', message: '429' }, 0) as { pauseMs: number }).pauseMs, 777);
    });

    it('retries a verification failure once, but not when it fails the same way twice', () => {
      const p = new RetryPolicy({ maxAttempts: 5, initialDelayMs: 10, maxDelayMs: 100, jitter: 'none' });
      assert.equal(p.decide({ kind: 'verify', message: 'exit 1', verifySignature: 'a' }, 0).action, 'retry');
      assert.equal(p.decide({ kind: 'verify', message: 'exit 1', verifySignature: 'b' }, 1, 'a').action, 'retry');
      const same = p.decide({ kind: 'verify', message: 'exit 1', verifySignature: 'b' }, 2, 'b');
      assert.equal(same.action, 'fail');
      assert.match(same.reason, /verification failed the same way twice/);
    });

    it('rejects bad settings naming the value', () => {
      assert.throws(() => new RetryPolicy({ maxAttempts: -1, initialDelayMs: 1, maxDelayMs: 1, jitter: 'none' }), /maxAttempts.*-1/);
      assert.throws(() => new RetryPolicy({ maxAttempts: 1, initialDelayMs: 10, maxDelayMs: 1, jitter: 'none' }), /maxDelayMs.*got 1/);
    });
  });

  describe('ProviderGates', () => {
    it('opens after N consecutive failures, half-opens after the cool-down for exactly one probe, closes on success', async () => {
      const t = manualTimers();
      const gates = new ProviderGates({ failureThreshold: 3, cooldownMs: 1000, timers: t });
      const changes: GateChange[] = [];
      gates.onChange((c) => changes.push(c));
      const fail = async () => {
        gates.begin('p');
        await assert.rejects(gates.execute('p', () => Promise.reject(transient())));
      };
      await fail();
      await fail();
      // A success resets the consecutive count.
      gates.begin('p');
      await gates.execute('p', async () => 'ok');
      await fail();
      await fail();
      assert.equal(gates.state('p'), 'closed');
      assert.ok(gates.canDispatch('p'));
      await fail();
      assert.equal(gates.state('p'), 'open');
      assert.equal(gates.canDispatch('p'), false);
      await assert.rejects(
        gates.execute('p', async () => 1),
        (e: unknown) => isBrokenCircuit(e),
      );

      t.advance(999);
      assert.equal(gates.state('p'), 'open');
      t.advance(1);
      assert.equal(gates.state('p'), 'half_open');
      assert.deepEqual(
        changes.map((c) => c.state),
        ['open', 'half_open'],
      );
      assert.ok(gates.canDispatch('p'));
      gates.begin('p');
      assert.equal(gates.canDispatch('p'), false, 'only one probe');
      let finishProbe!: (v: string) => void;
      const probe = gates.execute('p', () => new Promise<string>((r) => (finishProbe = r)));
      assert.equal(gates.canDispatch('p'), false);
      finishProbe('fine');
      assert.equal(await probe, 'fine');
      assert.equal(gates.state('p'), 'closed');
      assert.ok(gates.canDispatch('p'));
      assert.deepEqual(
        changes.map((c) => c.state),
        ['open', 'half_open', 'closed'],
      );
      gates.dispose();
    });

    it('a failed probe opens the breaker again for another cool-down', async () => {
      const t = manualTimers();
      const gates = new ProviderGates({ failureThreshold: 1, cooldownMs: 500, timers: t });
      gates.begin('p');
      await assert.rejects(gates.execute('p', () => Promise.reject(transient())));
      assert.equal(gates.state('p'), 'open');
      t.advance(500);
      gates.begin('p');
      await assert.rejects(gates.execute('p', () => Promise.reject(transient())));
      assert.equal(gates.state('p'), 'open');
      assert.equal(gates.canDispatch('p'), false);
      t.advance(500);
      assert.equal(gates.state('p'), 'half_open');
      gates.dispose();
    });

    it('a probe whose attempt never ran (its dispatch rolled back) is ended without an outcome: the next dispatch probes', async () => {
      const t = manualTimers();
      const gates = new ProviderGates({ failureThreshold: 1, cooldownMs: 500, timers: t });
      gates.begin('p');
      await assert.rejects(gates.execute('p', () => Promise.reject(transient())));
      t.advance(500);
      assert.equal(gates.begin('p'), true);
      assert.equal(gates.canDispatch('p'), false, 'the probe holds the provider');
      gates.endProbe('p');
      assert.equal(gates.state('p'), 'half_open', 'nothing learnt: still cooled down, not closed');
      assert.equal(gates.canDispatch('p'), true);
      assert.equal(gates.begin('p'), true, 'the next dispatch is the probe');
      gates.dispose();
    });

    it('only provider-level failures count: fatal, rate limits and cancels do not open it', async () => {
      const gates = new ProviderGates({ failureThreshold: 1, cooldownMs: 500, timers: manualTimers() });
      for (const kind of ['fatal', 'rate_limited', 'cancelled'] as const) {
        await assert.rejects(gates.execute('p', () => Promise.reject(new AgentError(kind, kind, 'p'))));
        assert.equal(gates.state('p'), 'closed', kind);
      }
      await assert.rejects(gates.execute('p', () => Promise.reject(new AgentError('401', 'auth', 'p'))));
      assert.equal(gates.state('p'), 'open');
      assert.equal(gates.state('other'), 'closed', 'breakers are per provider');
      assert.ok(gates.canDispatch('other'));
      gates.dispose();
    });

    it('a 429 pause stops dispatch to that provider until it ends, and the longer pause wins', () => {
      const t = manualTimers();
      const gates = new ProviderGates({ failureThreshold: 3, cooldownMs: 1000, timers: t });
      const changes: string[] = [];
      gates.onChange((c) => changes.push(`${c.provider}:${c.state}`));
      gates.pause('p', 2000);
      gates.pause('p', 500);
      assert.equal(gates.state('p'), 'paused');
      assert.equal(gates.canDispatch('p'), false);
      assert.ok(gates.canDispatch('q'));
      t.advance(1999);
      assert.equal(gates.canDispatch('p'), false);
      t.advance(1);
      assert.ok(gates.canDispatch('p'));
      assert.deepEqual(changes, ['p:paused', 'p:closed']);
      gates.dispose();
      assert.equal(t.pending(), 0, 'dispose clears timers');
    });
  });
});
