import * as assert from 'node:assert/strict';
import { AgentError } from '../../../src/engine/agents/agent';
import { DryRunAgent } from '../../../src/engine/agents/dryRunAgent';
import { makeTask } from '../../fakes/agentTestKit';

const ctx = (signal = new AbortController().signal) => ({ signal, env: {} });

async function outcomes(agent: DryRunAgent, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    try {
      await agent.run(makeTask('/tmp', { id: `T${i}` }), ctx());
      out.push('ok');
    } catch (e) {
      out.push((e as AgentError).kind);
    }
  }
  return out;
}

describe('DryRunAgent', () => {
  it('is marked simulated and says so plainly in its summary', async () => {
    const a = new DryRunAgent('sim');
    assert.equal(a.simulated, true);
    const r = await a.run(makeTask('/tmp'), ctx());
    assert.match(r.summary, /^\[dry-run\] simulated/);
    assert.equal(r.costUsd, 0);
  });

  it('is deterministic for a seed, independent of run order, and the failure rate is roughly honoured', async () => {
    const a = await outcomes(new DryRunAgent('a', { failureRate: 0.3, seed: 42 }), 200);
    const b = await outcomes(new DryRunAgent('b', { failureRate: 0.3, seed: 42 }), 200);
    assert.deepEqual(a, b);
    const fails = a.filter((o) => o !== 'ok').length;
    assert.ok(fails > 30 && fails < 90, `expected about 60 failures, got ${fails}`);
    assert.ok(a.filter((o) => o !== 'ok').every((k) => k === 'transient'));
    const c = await outcomes(new DryRunAgent('c', { failureRate: 0.3, seed: 7 }), 200);
    assert.notDeepEqual(a, c, 'another seed gives another sequence');
    const agent = new DryRunAgent('d', { failureRate: 0.5, durationMs: { minMs: 10, maxMs: 500 }, seed: 3 });
    assert.deepEqual(agent.plan('T9', 2), agent.plan('T9', 2));
  });

  it('draws durations inside the configured range', () => {
    const a = new DryRunAgent('r', { durationMs: { minMs: 100, maxMs: 200 } });
    for (let i = 0; i < 100; i++) {
      const d = a.plan(`T${i}`, 1).durationMs;
      assert.ok(d >= 100 && d <= 200, `duration ${d}`);
    }
  });

  it('zero duration yields a turn of the event loop: a chain of instant runs never starves what waits for one', async () => {
    const order: string[] = [];
    // What the engine queues to tell the editor about a change (its flush is a setImmediate).
    setImmediate(() => order.push('flush'));
    const agent = new DryRunAgent('z');
    let chain = Promise.resolve();
    for (let i = 0; i < 100; i++) chain = chain.then(() => agent.run(makeTask('/tmp', { id: `T${i}` }), ctx()).then(() => void order.push(`T${i}`)));
    await chain;
    assert.equal(order.indexOf('flush'), 0, `the flush ran after ${order.indexOf('flush')} instant runs`);
    assert.equal(order.length, 101);
  });

  it('a delayed run is cancelled by the signal with kind cancelled', async () => {
    const ac = new AbortController();
    const p = new DryRunAgent('s', { durationMs: 60_000 }).run(makeTask('/tmp'), ctx(ac.signal));
    ac.abort();
    await assert.rejects(p, (e: unknown) => e instanceof AgentError && e.kind === 'cancelled');
  });

  it('uses the configured failure kind and validates options', async () => {
    await assert.rejects(
      new DryRunAgent('f', { failureRate: 1, failureKind: 'rate_limited' }).run(makeTask('/tmp'), ctx()),
      (e: unknown) => e instanceof AgentError && e.kind === 'rate_limited' && e.retryAfterMs === 1000,
    );
    assert.throws(() => new DryRunAgent('v', { failureRate: 2 }), /agent "v" \(dry-run\): failureRate must be a number between 0 and 1, got 2/);
    assert.throws(() => new DryRunAgent('v', { durationMs: { minMs: 10, maxMs: 5 } }), /maxMs \(5\) must be >= durationMs.minMs \(10\)/);
  });
});
