// `coditect cost` and the spend in `status --json`, through the built CLI: a plan run on the (fake) Codex CLI, which
// reports tokens and no cost, is priced from the table (marked estimated) and summed by epic, model and day.
import { strict as assert } from 'node:assert';
import { existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { cliEnv, ensureBuilt, removeWorkspace, ROOT, runCli, tempWorkspace } from '../cli/cliHarness';

const PLAN = `# Plan

## E001: Core

### F001.01: Bus

- [ ] **T001.001** Provision the bus (P1, 2h)
- [ ] **T001.002** Publisher (P1, 4h)
  - Depends on: T001.001

## E002: Docs

### F002.01: Guide

- [ ] **T002.001** Write the guide (P2, 1h)
`;

describe('coditect cost (built bundle, fake Codex CLI)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => ensureBuilt());
  afterEach(() => dir && removeWorkspace(dir));

  it('sums what the attempts cost by epic, model and day; status --json carries the spend; cost only reads', async () => {
    const config = { default_agent: 'cx', agents: { cx: { kind: 'codex', model: 'gpt-5' } } };
    dir = tempWorkspace({ 'TASKLIST.md': PLAN, 'config.json': JSON.stringify(config) });
    const env = cliEnv({ PATH: `${join(ROOT, 'test/fakes/bin')}${delimiter}${process.env.PATH ?? ''}` });
    const run = await runCli(['run', 'TASKLIST.md', '--config', 'config.json', '--json'], dir, env);
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    // The fake prints input 200 (50 of them cached) and output 30 tokens per attempt; gpt-5 is 1.25 / 0.125 / 10 USD per MTok.
    const each = Math.round(((150 * 1.25 + 50 * 0.125 + 30 * 10) / 1e6) * 1e6) / 1e6;

    const db = join(dir, '.coditect/context.db');
    const files = [db, `${db}-wal`].filter((f) => existsSync(f));
    const before = files.map((f) => statSync(f).mtimeMs);
    const byEpic = await runCli(['cost', 'TASKLIST.md', '--json'], dir, env);
    assert.equal(byEpic.code, 0, byEpic.stderr);
    const r = JSON.parse(byEpic.stdout);
    assert.equal(r.by, 'epic');
    assert.equal(r.total.attempts, 3);
    assert.equal(r.total.tokensIn, 600);
    assert.equal(r.total.cacheReadTokens, 150);
    assert.equal(r.total.tokensOut, 90);
    assert.equal(r.total.costUsd, Math.round(3 * each * 1e6) / 1e6);
    assert.equal(r.total.estimatedUsd, r.total.costUsd, 'every cost was computed here: all of it is estimated');
    assert.deepEqual(
      r.rows.map((x: { key: string; title: string; attempts: number }) => [x.key, x.title, x.attempts]),
      [
        ['E001', 'Core', 2],
        ['E002', 'Docs', 1],
      ],
    );
    const byModel = JSON.parse((await runCli(['cost', 'TASKLIST.md', '--by', 'model', '--json'], dir, env)).stdout);
    assert.deepEqual(
      byModel.rows.map((x: { key: string }) => x.key),
      ['gpt-5'],
    );
    const text = await runCli(['cost', 'TASKLIST.md', '--by', 'day'], dir, env);
    assert.match(text.stdout, /~\$0\.00\d\d estimated\) · 3 attempts · 600 tokens in, 90 out/);
    assert.match(text.stdout, /^\s+\d{4}-\d\d-\d\d\s+\$0\.00\d\d/m);
    assert.deepEqual(
      files.map((f) => statSync(f).mtimeMs),
      before,
      'cost only reads the database',
    );

    const status = JSON.parse((await runCli(['status', 'TASKLIST.md', '--config', 'config.json', '--json'], dir, env)).stdout);
    assert.equal(status.spend.total.costUsd, r.total.costUsd);
    assert.equal(status.spend.today.attempts, 3);
    assert.equal(status.spend.run.attempts, 0, 'status opened its own engine: a run that spent nothing');
    assert.deepEqual(
      status.spend.byEpic.map((x: { key: string }) => x.key),
      ['E001', 'E002'],
    );

    const bad = await runCli(['cost', 'TASKLIST.md', '--by', 'colour'], dir, env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--by expects one of epic, feature, task, agent, model, provider, day, run, got 'colour'/);
  });
});
