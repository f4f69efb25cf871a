// Budgets through the built CLI on the fake Codex CLI (which reports tokens, priced here from the table): a day budget
// reached pauses `coditect run` with the reason, a second run the same day starts paused, `status` shows the hold
// and `next --json` the pre-dispatch estimate (estimate hours × what an estimated hour recently cost on that agent type).
import { strict as assert } from 'node:assert';
import { delimiter, join } from 'node:path';
import { cliEnv, ensureBuilt, removeWorkspace, ROOT, runCli, tempWorkspace } from '../cli/cliHarness';
import { BUS_PLAN } from './busPlan';

describe('budgets (built bundle, fake Codex CLI)', function () {
  this.timeout(90_000);
  let dir: string;
  before(() => ensureBuilt());
  afterEach(() => dir && removeWorkspace(dir));

  it('a day budget reached pauses the run with the reason; the next run starts paused; status and next --json show it', async () => {
    // The fake prints input 200 (50 cached) and output 30 tokens per attempt: gpt-5 prices that at $0.000494.
    const each = (150 * 1.25 + 50 * 0.125 + 30 * 10) / 1e6;
    // One agent type for every task (no keyword routing): its rate is averaged over both completed tasks.
    const config = { default_agent: 'cx', agents: { cx: { kind: 'codex', model: 'gpt-5' } }, agent_mappings: {}, budget: { per_day_usd: 1.5 * each } };
    dir = tempWorkspace({ 'TASKLIST.md': BUS_PLAN, 'config.json': JSON.stringify(config) });
    const env = cliEnv({ PATH: `${join(ROOT, 'test/fakes/bin')}${delimiter}${process.env.PATH ?? ''}` });
    const args = ['TASKLIST.md', '--config', 'config.json', '--concurrency', '1', '--json'];

    const run = await runCli(['run', ...args], dir, env);
    assert.equal(run.code, 1, run.stderr.slice(-2000));
    const r = JSON.parse(run.stdout);
    assert.equal(r.outcome, 'paused');
    assert.match(r.pausedFor, /^day budget \$0\.0007 reached \(\$0\.0010 spent today\)$/);
    assert.equal(r.counts.completed, 2);

    const again = JSON.parse((await runCli(['run', ...args], dir, env)).stdout);
    assert.equal(again.outcome, 'paused', 'the day budget counts every run of the day');
    assert.equal(again.counts.completed, 2, 'nothing more ran');

    const status = JSON.parse((await runCli(['status', ...args], dir, env)).stdout);
    assert.deepEqual(
      status.spend.holds.map((h: { scope: string }) => h.scope),
      ['day'],
    );
    assert.equal(status.spend.budgets[0].scope, 'day');
    const text = await runCli(['status', 'TASKLIST.md', '--config', 'config.json'], dir, env);
    assert.match(text.stdout, /budget per day: \$0\.0010 of \$0\.0007/);
    assert.match(text.stdout, /held: day budget \$0\.0007 reached/);

    // Two completed tasks of 2 h and 4 h cost `each` apiece: an estimated hour costs each/3; T001.003 is estimated 3 h.
    const next = JSON.parse((await runCli(['next', ...args], dir, env)).stdout);
    assert.deepEqual(
      next.ready.map((t: { id: string }) => t.id),
      ['T001.003'],
    );
    const rate = Math.round(((2 * each) / 6) * 1e6) / 1e6;
    assert.deepEqual(status.spend.rates, [{ agentType: next.ready[0].agent, usdPerHour: rate, tasks: 2 }]);
    assert.equal(next.ready[0].estimateUsd, Math.round(3 * rate * 1e6) / 1e6);
  });
});
