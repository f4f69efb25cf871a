// The REAL Claude Code CLI (the pinned @anthropic-ai/claude-code dev dependency) run by the real engine (`coditect
// run`, built bundle) through its claude-code agent, against the scripted model server. Nothing reaches the network:
// the CLI's base URL is the local server, telemetry and non-essential traffic are off by environment, HOME is a temp
// dir, and a refusing proxy in HTTPS_PROXY/HTTP_PROXY records any attempt to go elsewhere (each test asserts none).
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../../src/engine/db/database';
import { TaskStore } from '../../../src/engine/db/taskStore';
import { agentTypeCatalog } from '../../../src/engine/agents/agentTypes';
import { ClaudeCodeAgent } from '../../../src/engine/agents/claudeCodeAgent';
import { DEFAULT_AGENT_MAPPINGS } from '../../../src/core/routing';
import { rolePrompt } from '../../../src/engine/agents/prompt';
import { makeTask } from '../../fakes/agentTestKit';
import type { AttemptView } from '../../../src/protocol/engineProtocol';
import { apiError, expectToolResult, FakeMessagesApi, textTurn, toolTurn, usageLimited, type RecordedRequest } from '../../fakes/messagesApiServer';
import { RecordingProxy } from '../../fakes/recordingProxy';
import { claudeCodeEnv } from './claudeCodeEnv';
import { ensureBuilt, removeWorkspace, ROOT, runCli, tempWorkspace, type CliRun } from '../cli/cliHarness';

/** The pinned CLI, as `npm ci` installs it. */
const CLAUDE = join(ROOT, 'node_modules/.bin/claude');
const KEY = 'sk-ant-api03-REALCLI-doNotLeak-0123456789abcdef';
/** Price of the CLI's default model (claude-opus-5-5): USD per token in and out. */
const IN_PRICE = 4 / 1e6;
const OUT_PRICE = 20 / 1e6;

const TASK = 'T001.001';

function plan(title: string, verify?: string): string {
  return `# Plan\n\n## E001: Core\n\n### F001.01: Greeting\n\n- [ ] **${TASK}** ${title} (P1)\n${verify ? `  - Verify: ${verify}\n` : ''}`;
}

/** True when the request's system prompt or messages contain `text`. */
function requestHas(req: RecordedRequest, text: string): boolean {
  return JSON.stringify(req.body).includes(text);
}

describe('the real Claude Code CLI through the engine (scripted model server)', function () {
  // Each CLI start takes a few seconds on this machine; a test runs one to three.
  this.timeout(120_000);
  let api: FakeMessagesApi;
  let proxy: RecordingProxy;
  let baseURL: string;
  let proxyURL: string;
  let dir: string;
  let home: string;

  before(ensureBuilt);
  beforeEach(async () => {
    api = new FakeMessagesApi();
    proxy = new RecordingProxy();
    baseURL = await api.start();
    proxyURL = await proxy.start();
    home = mkdtempSync(join(tmpdir(), 'coditect-claude-home-'));
  });
  afterEach(async function () {
    const attempts = proxy.attempts;
    await api.close();
    await proxy.close();
    removeWorkspace(home);
    if (dir) removeWorkspace(dir);
    if (this.currentTest?.state === 'passed') assert.deepEqual(attempts, [], 'the CLI tried to reach the network');
  });

  /** The environment the engine (and so the CLI) runs with. */
  function env(over: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    return claudeCodeEnv({ home, baseURL, proxyURL, key: KEY }, over);
  }

  /** A workspace with the plan and a config whose default agent is the real CLI with `agent` options. */
  function workspace(planText: string, agent: Record<string, unknown> = {}, config: Record<string, unknown> = {}): void {
    dir = tempWorkspace({
      'TASKLIST.md': planText,
      'config.json': JSON.stringify({
        default_agent: 'claude',
        agents: { claude: { kind: 'claude-code', executable: CLAUDE, ...agent } },
        retry: { max_attempts: 2, initial_delay_ms: 10, max_delay_ms: 10 },
        rate_limit: { default_pause_ms: 200 },
        ...config,
      }),
    });
  }

  function run(e: NodeJS.ProcessEnv = env()): Promise<CliRun> {
    return runCli(['run', 'TASKLIST.md', '--config', 'config.json', '--json'], dir, e);
  }

  /** The task's attempts (oldest first) and its runtime row, read through the store after the engine exited. */
  function recorded(): { attempts: AttemptView[]; retryCount: number; summary?: string } {
    const handle = openDatabase(join(dir, '.coditect/context.db'));
    try {
      const store = new TaskStore(handle);
      const rt = store.runtimes().get(TASK)!;
      return { attempts: store.attempts(TASK).reverse(), retryCount: rt.retryCount, summary: rt.resultSummary };
    } finally {
      handle.close();
    }
  }

  /** The CLI's own result object, from the attempt's recorded stdout. */
  function resultObject(a: AttemptView): Record<string, any> {
    const line = (a.stdout ?? '')
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('{"') && l.includes('"type":"result"'));
    assert.ok(line, `no result object in the attempt's stdout: ${(a.stdout ?? '').slice(-500)}`);
    return JSON.parse(line);
  }

  it('writes the file with Write in the task cwd, runs the Verify command with Bash, ticks the checkbox; tokens and cost come from the result', async () => {
    const verify = 'grep -q "hello from claude" greeting.txt';
    workspace(plan('Write the greeting file', verify));
    api.enqueue(
      toolTurn([{ name: 'Write', input: { file_path: 'greeting.txt', content: 'hello from claude\n' } }], { input_tokens: 1200, output_tokens: 80 }),
      toolTurn([{ name: 'Bash', input: { command: verify, description: 'Run the acceptance check' } }], { input_tokens: 1300, output_tokens: 40 }, undefined, {
        expect: expectToolResult(/File created successfully/, { isError: false }),
      }),
      textTurn(
        'Wrote greeting.txt; the acceptance check passes.',
        { input_tokens: 1500, output_tokens: 30 },
        { expect: expectToolResult(/^/, { isError: false }) },
      ),
    );
    const r = await run();
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.deepEqual(api.failures, []);
    assert.equal(api.remaining, 0);
    assert.equal(readFileSync(join(dir, 'greeting.txt'), 'utf8'), 'hello from claude\n', 'the real CLI wrote the file in the task cwd');
    assert.match(readFileSync(join(dir, 'TASKLIST.md'), 'utf8'), /^- \[x\] \*\*T001\.001\*\*/m);

    // The prompt the model got is the engine's, with the Verify command as the goal.
    assert.ok(requestHas(api.requests[0]!, `# Task ${TASK}: Write the greeting file`));
    assert.ok(requestHas(api.requests[0]!, JSON.stringify(verify).slice(1, -1)));
    assert.equal(api.requests[0]!.headers['x-api-key'], KEY);

    const { attempts, summary } = recorded();
    assert.equal(attempts.length, 1);
    const a = attempts[0]!;
    assert.equal(a.outcome, 'completed');
    const res = resultObject(a);
    assert.equal(res.subtype, 'success');
    assert.equal(a.tokensIn, 4000);
    assert.equal(a.tokensOut, 150);
    assert.equal(a.tokensIn, res.usage.input_tokens + res.usage.cache_creation_input_tokens + res.usage.cache_read_input_tokens);
    assert.equal(a.costUsd, res.total_cost_usd, 'the cost on the row is the CLI’s own figure');
    assert.ok(Math.abs(a.costUsd! - (4000 * IN_PRICE + 150 * OUT_PRICE)) < 1e-9, `cost ${a.costUsd}`);
    assert.equal(a.sessionId, api.sessionIds()[0]);
    assert.equal(summary, 'Wrote greeting.txt; the acceptance check passes.');
    assert.ok(!readFileSync(join(dir, '.coditect/context.db')).includes(KEY), 'the key is nowhere in the database');
  });

  it('never waits on a permission prompt: a command the mode does not allow is denied, the model is told, the summary says so', async () => {
    workspace(plan('Fetch the greeting'));
    api.enqueue(
      toolTurn([{ name: 'Bash', input: { command: 'curl -s http://example.invalid/greeting -o greeting.txt', description: 'download' } }]),
      textTurn('Could not download the greeting.', undefined, { expect: expectToolResult(/requires approval/i, { isError: true }) }),
    );
    const r = await run();
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.deepEqual(api.failures, []);
    assert.ok(!existsSync(join(dir, 'greeting.txt')));
    const { attempts, summary } = recorded();
    const init = JSON.parse((attempts[0]!.stdout ?? '').split('\n').find((l) => l.includes('"subtype":"init"'))!);
    assert.equal(init.permissionMode, 'acceptEdits', 'the mode the engine passes');
    assert.deepEqual(
      resultObject(attempts[0]!).permission_denials.map((d: { tool_name: string }) => d.tool_name),
      ['Bash'],
    );
    assert.match(summary!, /The permission mode denied 1 tool call\(s\): Bash curl -s http:\/\/example\.invalid\/greeting/);
  });

  it('retries by resuming the session the failed attempt left (--resume): the server sees one session and the whole conversation', async () => {
    workspace(plan('Write the greeting file', 'test -f greeting.txt'));
    api.enqueue(
      toolTurn([{ name: 'Bash', input: { command: 'ls', description: 'look around' } }], { input_tokens: 100, output_tokens: 10 }),
      apiError(500, 'api_error', 'Internal server error'),
      toolTurn([{ name: 'Write', input: { file_path: 'greeting.txt', content: 'hi\n' } }], { input_tokens: 200, output_tokens: 20 }),
      textTurn('Done on the second attempt.', { input_tokens: 300, output_tokens: 30 }),
    );
    const r = await run();
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.deepEqual(api.failures, []);
    const sessions = api.sessionIds();
    assert.equal(sessions.length, 4);
    assert.equal(new Set(sessions).size, 1, `one session across both attempts: ${sessions.join(', ')}`);
    // The retry's first request carries the first attempt's conversation (its `ls` call) and the retry prompt.
    const retry = api.requests[2]!;
    assert.ok(requestHas(retry, '"command":"ls"'));
    assert.ok(requestHas(retry, 'This is attempt 2'));
    assert.ok(requestHas(retry, 'The previous attempt ended with'));

    const { attempts, retryCount } = recorded();
    assert.deepEqual(
      attempts.map((a) => a.outcome),
      ['failed', 'completed'],
    );
    assert.equal(retryCount, 1);
    assert.equal(attempts[0]!.sessionId, sessions[0]);
    assert.equal(attempts[1]!.sessionId, sessions[0]);
    assert.match(attempts[0]!.error!, /API status 500/);
    // Each row holds its own share: the CLI reports the resumed session's running total.
    const first = 100 * IN_PRICE + 10 * OUT_PRICE;
    const second = 500 * IN_PRICE + 50 * OUT_PRICE;
    assert.ok(Math.abs(attempts[0]!.costUsd! - first) < 1e-9, `first ${attempts[0]!.costUsd}`);
    assert.ok(Math.abs(resultObject(attempts[1]!).total_cost_usd - (first + second)) < 1e-9);
    assert.ok(Math.abs(attempts[1]!.costUsd! - second) < 1e-9, `second ${attempts[1]!.costUsd}`);
  });

  it('a retry whose session the CLI does not have (another HOME, cleaned up) starts a new session instead of failing', async () => {
    dir = tempWorkspace();
    api.enqueue(textTurn('Fresh start.', { input_tokens: 100, output_tokens: 10 }));
    const gone = '11111111-2222-4333-8444-555555555555';
    const progress: string[] = [];
    const agent = new ClaudeCodeAgent('claude', { executable: CLAUDE });
    const r = await agent.run(makeTask(dir, { attempt: 2, resume: { sessionId: gone, priorCostUsd: 5 } }), {
      signal: new AbortController().signal,
      env: env(),
      onOutput: (stream, chunk) => stream === 'progress' && progress.push(chunk),
    });
    assert.equal(r.summary, 'Fresh start.');
    assert.ok(r.sessionId && r.sessionId !== gone);
    assert.equal(api.sessionIds()[0], r.sessionId);
    assert.ok(Math.abs(r.costUsd! - (100 * IN_PRICE + 10 * OUT_PRICE)) < 1e-9, 'the old session’s cost is not subtracted from a new one');
    assert.match(progress.join(''), new RegExp(`session ${gone} not found; starting a new session`));
  });

  it('passes the per-task budget as --max-budget-usd and honours the CLI’s own stop: failed, not retried, cost recorded', async () => {
    workspace(plan('Write the greeting file'), { maxBudgetUsd: 0.05 });
    api.enqueue(toolTurn([{ name: 'Bash', input: { command: 'ls' } }], { input_tokens: 20_000, output_tokens: 10 }), textTurn('never reached'));
    const r = await run();
    assert.equal(r.code, 1, r.stderr.slice(-3000));
    assert.equal(api.remaining, 1, 'the CLI stopped after the turn that passed the budget');
    const { attempts } = recorded();
    assert.equal(attempts.length, 1, 'a budget stop is not retried');
    assert.equal(attempts[0]!.outcome, 'failed');
    assert.match(attempts[0]!.error!, /budget limit reached/);
    assert.match(attempts[0]!.error!, /Reached maximum budget \(\$0\.05\)/);
    assert.ok(Math.abs(attempts[0]!.costUsd! - (20_000 * IN_PRICE + 10 * OUT_PRICE)) < 1e-9, `cost ${attempts[0]!.costUsd}`);
  });

  it('a usage limit (429) pauses the provider and runs the task again without spending a retry', async () => {
    workspace(plan('Write the greeting file'), {}, { retry: { max_attempts: 0, initial_delay_ms: 10, max_delay_ms: 10 } });
    api.enqueue(usageLimited(Math.floor(Date.now() / 1000) + 3600), textTurn('Done after the pause.'));
    const r = await run();
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const { attempts, retryCount } = recorded();
    assert.deepEqual(
      attempts.map((a) => a.outcome),
      ['released', 'completed'],
    );
    assert.match(attempts[0]!.error!, /rate limited by the provider; paused 200ms without spending a retry/);
    assert.match(attempts[0]!.error!, /API status 429/);
    assert.equal(retryCount, 0, 'with max_attempts 0 any spent retry would have failed the task');
  });

  it('passes the plan’s agent types as subagents and runs the task as its routed type; a delegation reaches the other type’s role prompt', async () => {
    workspace(plan('Add the greeting API endpoint'));
    api.enqueue(
      toolTurn([
        {
          name: 'Agent',
          input: {
            description: 'Write the tests',
            prompt: 'Write tests for the greeting endpoint',
            subagent_type: 'testing-specialist',
            run_in_background: false,
          },
        },
      ]),
      textTurn('Tests written.'),
      textTurn('Endpoint added; tests delegated to testing-specialist.', undefined, { expect: expectToolResult(/Tests written/) }),
    );
    const r = await run();
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.deepEqual(api.failures, []);
    const [main, sub] = api.requests;
    assert.ok(requestHas(main!, rolePrompt('backend-development')), 'the session runs as the routed type');
    const testing = agentTypeCatalog(DEFAULT_AGENT_MAPPINGS).find((t) => t.name === 'testing-specialist')!;
    assert.ok(requestHas(main!, `testing-specialist: ${testing.description}`), 'the other types are offered with the descriptions routing uses');
    assert.ok(requestHas(sub!, rolePrompt('testing-specialist')), 'the delegated subagent runs with its type’s role prompt');
    assert.ok(!requestHas(sub!, rolePrompt('backend-development')));
    assert.equal(recorded().attempts[0]!.agent, 'backend-development');
  });

  it('with --bare (API key only, tools Bash, Edit and Read) an allowed command writes the file', async () => {
    const write = 'echo bare > greeting.txt';
    workspace(plan('Write the greeting file', 'test -f greeting.txt'), { bare: true, allowedTools: [`Bash(${write})`] });
    api.enqueue(
      toolTurn([{ name: 'Bash', input: { command: write } }], undefined, undefined, {
        expect: (req) => {
          const tools = (req.body.tools ?? []).map((t: { name: string }) => t.name).sort();
          return JSON.stringify(tools) === '["Bash","Edit","Read"]' ? undefined : `bare tools: ${JSON.stringify(tools)}`;
        },
      }),
      textTurn('Written.', undefined, { expect: expectToolResult(/^/, { isError: false }) }),
    );
    const r = await run();
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.deepEqual(api.failures, []);
    assert.equal(readFileSync(join(dir, 'greeting.txt'), 'utf8'), 'bare\n');
  });

  it('not logged in (no key, no login): an auth failure, not retried, reported with the CLI’s own words', async () => {
    workspace(plan('Write the greeting file'));
    writeFileSync(join(home, '.keep'), '');
    const r = await run(env({ ANTHROPIC_API_KEY: undefined }));
    assert.equal(r.code, 1);
    assert.equal(api.requests.length, 0);
    const { attempts } = recorded();
    assert.equal(attempts.length, 1, 'retry.max_attempts is 2, yet an auth failure is not retried');
    assert.match(attempts[0]!.error!, /authentication failed \(not retried: fix the credentials, then retry\)/);
    assert.match(attempts[0]!.error!, /Not logged in · Please run \/login/);
    assert.match(readFileSync(join(dir, 'TASKLIST.md'), 'utf8'), /`status:failed`/);
  });
});
