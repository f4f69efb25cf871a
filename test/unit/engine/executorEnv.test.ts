// executeAttempt's environment: an agent that reads it gets the job's environment with the attempt's mark; an agent
// that never reads it (an in-process agent, a zero-work job on a queue worker) costs no copy of the environment.
import * as assert from 'node:assert/strict';
import type { Agent, AgentResult, AgentRunContext } from '../../../src/engine/agents/agent';
import { ATTEMPT_ENV } from '../../../src/engine/agents/orphans';
import { executeAttempt, type AttemptJob } from '../../../src/engine/executor';
import { ProviderGates } from '../../../src/engine/resilience';

/** An environment that counts every read of its variables (process.env reads each with a system call). */
function countingEnv(vars: Record<string, string>): { env: Record<string, string | undefined>; reads: () => number } {
  let reads = 0;
  const env = new Proxy(vars as Record<string, string | undefined>, {
    get: (t, k) => (reads++, Reflect.get(t, k)),
    ownKeys: (t) => (reads++, Reflect.ownKeys(t)),
    getOwnPropertyDescriptor: (t, k) => (reads++, Reflect.getOwnPropertyDescriptor(t, k)),
  });
  return { env, reads: () => reads };
}

function agentThat(run: (ctx: AgentRunContext) => void): Agent {
  return {
    name: 'probe',
    provider: 'probe',
    run: (_task, ctx) => {
      run(ctx);
      return Promise.resolve({ summary: 'done', exitCode: 0 } as AgentResult);
    },
  } as Agent;
}

function job(agent: Agent, env: Record<string, string | undefined>): AttemptJob {
  return {
    taskId: 'T1',
    attempt: 1,
    agentType: 'probe',
    agent,
    routeRule: 'manual',
    input: { id: 'T1', title: 'Do it' } as AttemptJob['input'],
    cwd: '/nowhere',
    env,
    runId: 'run-1',
    timeoutMs: 60_000,
    killGraceMs: 100,
    controller: new AbortController(),
  };
}

const deps = () => ({
  store: { recordAttemptStart: () => 42 },
  gates: new ProviderGates({ failureThreshold: 3, cooldownMs: 1000 }),
  now: Date.now,
  redact: (s: string) => s,
});

describe('executeAttempt: the attempt environment', () => {
  it('an agent reading it gets the job environment with the attempt mark', async () => {
    let seen: Record<string, string | undefined> | undefined;
    const r = await executeAttempt(
      deps(),
      job(
        agentThat((ctx) => (seen = { ...ctx.env })),
        { HOME: '/home/x', KEY: 'v' },
      ),
    );
    assert.equal(r.ok, true);
    assert.deepEqual(seen, { HOME: '/home/x', KEY: 'v', [ATTEMPT_ENV]: 'run-1#42' });
  });

  it('reading it twice gives the same object (one copy per attempt)', async () => {
    const got: unknown[] = [];
    await executeAttempt(
      deps(),
      job(
        agentThat((ctx) => got.push(ctx.env, ctx.env)),
        { A: '1' },
      ),
    );
    assert.equal(got[0], got[1]);
  });

  it('an agent that never reads it never reads the job environment', async () => {
    const { env, reads } = countingEnv({ HOME: '/home/x', KEY: 'v' });
    const r = await executeAttempt(
      deps(),
      job(
        agentThat(() => undefined),
        env,
      ),
    );
    assert.equal(r.ok, true);
    assert.equal(reads(), 0);
  });
});
