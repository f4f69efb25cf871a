// Usage limits through the built CLI and the fake Claude Code CLI: a "usage limit reached|<reset>" answer pauses the
// provider until the reset it gave, spends no retry and fails no task, the run resumes by itself at the reset, and a
// pause still running when the engine stops is kept: the next engine (here `status`) shows it and waits for it too.
import { strict as assert } from 'node:assert';
import { join, delimiter } from 'node:path';
import Database from 'better-sqlite3';
import { cliEnv, ensureBuilt, removeWorkspace, ROOT, runCli, startCli, tempWorkspace } from '../cli/cliHarness';

const PLAN = `# Plan

## E001: Core

### F001.01: Bus

- [ ] **T001.001** Provision the bus (P0, 2h)
- [ ] **T001.002** Publisher (P1, 4h)
`;

// The fake reads its script from its environment: passed by name, as `sandbox.env_allow` does for any variable.
const CONFIG = JSON.stringify({
  default_agent: 'cc',
  agents: { cc: { kind: 'claude-code', outputFormat: 'json' } },
  sandbox: { env_allow: ['FAKE_CLAUDE_MODE', 'FAKE_CLAUDE_RESET_S', 'FAKE_CLAUDE_STATE'] },
});

describe('usage limits (built bundle, fake Claude Code CLI)', function () {
  this.timeout(90_000);
  let dir: string;
  before(() => ensureBuilt());
  afterEach(() => dir && removeWorkspace(dir));

  const rows = (sql: string) => {
    const db = new Database(join(dir, '.coditect/context.db'), { readonly: true });
    try {
      return db.prepare(sql).all() as Record<string, unknown>[];
    } finally {
      db.close();
    }
  };

  it('pauses the provider until the reset it gave, spends no retry, and goes on by itself at the reset', async () => {
    dir = tempWorkspace({ 'TASKLIST.md': PLAN, 'config.json': CONFIG });
    const env = cliEnv({
      PATH: `${join(ROOT, 'test/fakes/bin')}${delimiter}${process.env.PATH ?? ''}`,
      FAKE_CLAUDE_MODE: 'usagelimit',
      FAKE_CLAUDE_RESET_S: '2',
      FAKE_CLAUDE_STATE: join(dir, 'limit-hit'),
    });
    const run = await runCli(['run', 'TASKLIST.md', '--config', 'config.json', '--concurrency', '1', '--json'], dir, env);
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    assert.equal(JSON.parse(run.stdout).outcome, 'completed');
    assert.match(run.stderr, /provider claude-code paused until .* \(usage limit\); its tasks wait, other providers go on/);
    const attempts = rows(`SELECT task_id, status, error, started_ms, retry_count FROM agent_execution_log ORDER BY log_id`);
    assert.equal(attempts[0].status, 'released', 'the limited attempt is released, not failed');
    assert.match(String(attempts[0].error), /usage limit reached; the provider is paused \d+m?s without spending a retry/);
    const reset = Number(/limit reached\|(\d+)/.exec(String(attempts[0].error))![1]) * 1000;
    for (const a of attempts.slice(1)) assert.ok(Number(a.started_ms) >= reset, `no attempt before the reset: ${JSON.stringify(a)}`);
    assert.deepEqual(rows(`SELECT task_id, status, retry_count FROM v2_tasks ORDER BY task_id`), [
      { task_id: 'T001.001', status: 'completed', retry_count: 0 },
      { task_id: 'T001.002', status: 'completed', retry_count: 0 },
    ]);
  });

  it('a pause still running when the engine stops is kept: the next engine shows it, and no task failed', async () => {
    dir = tempWorkspace({ 'TASKLIST.md': PLAN, 'config.json': CONFIG });
    const env = cliEnv({
      PATH: `${join(ROOT, 'test/fakes/bin')}${delimiter}${process.env.PATH ?? ''}`,
      FAKE_CLAUDE_MODE: 'usagelimit',
      FAKE_CLAUDE_RESET_S: '3600',
    });
    const child = startCli(['run', 'TASKLIST.md', '--config', 'config.json', '--concurrency', '1'], dir, env);
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/paused until/.test(stderr)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`run exited (${code}) before the pause: ${stderr}`)));
    });
    // The run waits for the reset (it is not stalled); interrupted, it stops.
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 1);

    const status = await runCli(['status', 'TASKLIST.md', '--config', 'config.json', '--json'], dir, env);
    const s = JSON.parse(status.stdout);
    assert.equal(s.breakers['claude-code'], 'paused');
    assert.equal(s.providerPauses.length, 1);
    assert.equal(s.providerPauses[0].reason, 'usage limit');
    const until = Date.parse(s.providerPauses[0].until);
    assert.ok(until > Date.now() + 3_000_000, `paused until the reset an hour ahead: ${s.providerPauses[0].until}`);
    assert.equal(s.counts.failed, 0);
    const text = await runCli(['status', 'TASKLIST.md', '--config', 'config.json'], dir, env);
    assert.match(text.stdout, /provider claude-code: paused until ([A-Z][a-z]{2} \d{1,2}, )?\d\d:\d\d \(usage limit\); its tasks wait/);
    assert.deepEqual(rows(`SELECT status, retry_count FROM v2_tasks WHERE task_id = 'T001.001'`), [{ status: 'pending', retry_count: 0 }]);
  });
});
