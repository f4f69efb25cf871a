// The plan's agent prompt and four-point report through the real engine (EngineRuntime on a real plan file and
// context.db): a command agent and the Anthropic agent against the scripted Messages API receive a prompt that opens
// with the plan's role line and asks for the four points; the report they answer with lands in the attempt row
// (files_changed, tests_run, completion_status) and in the task log.
import { strict as assert } from 'node:assert';
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/engine/logger';
import { enginePaths } from '../../../src/engine/paths';
import { EngineRuntime } from '../../../src/engine/runtime';
import { FakeMessagesApi, textTurn } from '../../fakes/messagesApiServer';

const PLAN = `# Plan

## E001: Core

### F001.01: Bus

- [ ] **T001.001** Provision the message bus with docker compose (P0, 2h)
`;

const REPORT = `Provisioned it.

1. What you did: Wrote the compose file for the bus.
2. Files changed:
   - docker-compose.yml
   - docs/bus.md
3. Tests run:
   - docker compose config: ok
4. Completion status: complete`;

describe("the plan's prompt and four-point report through the engine", function () {
  this.timeout(60_000);
  let dir: string;
  let logs: string[];
  let rt: EngineRuntime | undefined;

  const open = async (agent: Record<string, unknown>, env: Record<string, string> = {}): Promise<EngineRuntime> => {
    writeFileSync(
      join(dir, '.coditect', 'config.json'),
      JSON.stringify({ default_agent: 'a', agents: { a: agent }, sandbox: { mode: 'off' }, isolation: 'none' }),
    );
    rt = await EngineRuntime.open({
      paths: enginePaths(join(dir, 'PLAN.md')),
      watch: false,
      env: { PATH: process.env.PATH, HOME: dir, ...env },
      logger: createLogger({ stream: new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }), level: 'debug' }),
      engineVersion: 'test',
    });
    return rt;
  };
  const runOne = async (r: EngineRuntime): Promise<void> => {
    assert.equal((await r.runTask({ taskId: 'T001.001' })).started, true);
    await r.idle();
  };
  const row = (): Record<string, unknown> => {
    const db = new Database(join(dir, '.coditect', 'context.db'), { readonly: true });
    try {
      return db
        .prepare(`SELECT agent_type, status, files_changed, tests_run, completion_status FROM agent_execution_log WHERE task_id = 'T001.001'`)
        .get() as Record<string, unknown>;
    } finally {
      db.close();
    }
  };
  const expectReport = (r: EngineRuntime): void => {
    assert.equal(r.snapshot().tasks[0].status, 'completed', logs.join(''));
    assert.deepEqual(row(), {
      agent_type: 'devops-engineer',
      status: 'completed',
      files_changed: JSON.stringify(['docker-compose.yml', 'docs/bus.md']),
      tests_run: JSON.stringify(['docker compose config: ok']),
      completion_status: 'complete',
    });
    const [attempt] = r.taskLog('T001.001');
    assert.deepEqual(
      [attempt.filesChanged, attempt.testsRun, attempt.completionStatus],
      [['docker-compose.yml', 'docs/bus.md'], ['docker compose config: ok'], 'complete'],
    );
  };

  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'coditect-report-')));
    logs = [];
    writeFileSync(join(dir, 'PLAN.md'), PLAN);
    mkdirSync(join(dir, '.coditect'));
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`engine log of the failed test:\n${logs.join('')}\n`);
    await rt?.close();
    rt = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('a command agent gets the role line first and the four points on stdin; its report reaches the attempt row', async () => {
    // The agent checks its prompt itself and fails (exit 3) when it is not the plan's; then answers with the report.
    const script = `
      let p = ''; process.stdin.on('data', (d) => (p += d)); process.stdin.on('end', () => {
        const first = p.split('\\n')[0];
        if (first !== 'You are devops-engineer specialized agent.') { console.error('first line: ' + first); process.exit(3); }
        if (!/Execute this task and report:\\n1\\. What you did\\n2\\. Files changed\\n3\\. Tests run\\n4\\. Completion status/.test(p)) { console.error('no four points'); process.exit(4); }
        if (!/Priority: P0\\nEstimated Hours: 2\\n/.test(p)) { console.error('no priority/estimate'); process.exit(5); }
        process.stdout.write(${JSON.stringify(REPORT)});
      });`;
    const r = await open({ kind: 'command', executable: process.execPath, args: ['-e', script], stdin: 'prompt' });
    await runOne(r);
    expectReport(r);
  });

  it('the Anthropic agent (real SDK, scripted Messages API) sends the plan’s prompt; the answer’s report reaches the row', async () => {
    const api = new FakeMessagesApi();
    const baseURL = await api.start();
    try {
      api.enqueue(textTurn(REPORT));
      const r = await open({ kind: 'anthropic', baseURL }, { ANTHROPIC_API_KEY: 'sk-ant-api03-TEST-KEY-0123456789' });
      await runOne(r);
      assert.equal(api.requests.length, 1);
      const content = api.requests[0].body.messages[0].content as string | { type: string; text: string }[];
      const prompt = typeof content === 'string' ? content : content.map((b) => b.text).join('');
      assert.equal(prompt.split('\n')[0], 'You are devops-engineer specialized agent.');
      assert.match(prompt, /Execute this task and report:\n1\. What you did\n2\. Files changed\n3\. Tests run\n4\. Completion status\n/);
      assert.deepEqual(api.failures, []);
      expectReport(r);
    } finally {
      await api.close();
    }
  });
});
