import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AgentError, type AgentRunContext } from '../../../src/engine/agents/agent';
import { ClaudeCodeAgent, parseClaudeOutput } from '../../../src/engine/agents/claudeCodeAgent';
import { allStrings, cleanup, deferred, FAKE_BIN, becomesDead, isAlive, makeTask, makeTempDir, testSandbox } from '../../fakes/agentTestKit';

const KEY = 'sk-ant-api03-CLAUDECODE-doNotLeak-abcdef123456';

async function expectAgentError(p: Promise<unknown>): Promise<AgentError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AgentError, `expected AgentError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the run to fail');
}

describe('ClaudeCodeAgent (fake claude executable on PATH)', () => {
  let cwd: string;
  let record: string;
  let chunks: { stream: string; chunk: string }[];
  const ctx = (mode: string, over: Partial<AgentRunContext> = {}): AgentRunContext => ({
    signal: new AbortController().signal,
    env: { PATH: `${FAKE_BIN}:${process.env.PATH}`, FAKE_CLAUDE_MODE: mode, FAKE_CLI_RECORD: record, ANTHROPIC_API_KEY: KEY },
    onOutput: (stream, chunk) => chunks.push({ stream, chunk }),
    sandbox: testSandbox(cwd),
    ...over,
  });
  beforeEach(() => {
    cwd = makeTempDir();
    record = path.join(cwd, '.record.json');
    chunks = [];
  });
  afterEach(() => cleanup(cwd));

  it('runs `claude -p <prompt> --output-format json` in the task cwd and parses the result object', async () => {
    const agent = new ClaudeCodeAgent('cc', { outputFormat: 'json', permissionMode: 'acceptEdits', allowedTools: ['Read', 'Edit', 'Bash(npm test:*)'] });
    const r = await agent.run(makeTask(cwd), ctx('ok'));
    const rec = JSON.parse(readFileSync(record, 'utf8'));
    assert.equal(rec.cwd, cwd);
    assert.equal(rec.argv[0], '-p');
    assert.match(rec.argv[1], /^You are backend-developer specialized agent\.\n\n# Task T001: Add a greeting module/, 'the plan’s role line first');
    assert.deepEqual(rec.argv.slice(2), ['--output-format', 'json', '--permission-mode', 'acceptEdits', '--allowedTools', 'Read', 'Edit', 'Bash(npm test:*)']);
    assert.equal(rec.env.ANTHROPIC_API_KEY, KEY, 'the child gets the key through its environment');
    assert.equal(r.summary, 'Done: You are backend-developer specialized agent.');
    assert.equal(r.costUsd, 0.0421);
    assert.equal(r.sessionId, 'sess-fake-123');
    assert.equal(r.tokensIn, 135);
    assert.equal(r.tokensOut, 45);
    assert.equal(r.model, 'claude-sonnet-5-5');
    assert.equal(r.exitCode, 0);
  });

  it('with stream-json adds --verbose and reports live progress', async () => {
    const r = await new ClaudeCodeAgent('cc').run(makeTask(cwd), ctx('ok'));
    const rec = JSON.parse(readFileSync(record, 'utf8'));
    assert.deepEqual(rec.argv.slice(2), ['--output-format', 'stream-json', '--verbose', '--permission-mode', 'acceptEdits'], 'acceptEdits by default');
    assert.equal(r.sessionId, 'sess-fake-123');
    const progress = chunks
      .filter((c) => c.stream === 'progress')
      .map((c) => c.chunk)
      .join('');
    assert.match(progress, /session started/);
    assert.match(progress, /tool Read README\.md/);
    assert.match(progress, /Working on it/);
  });

  it('classifies a usage-limit result as rate_limited with the wait until the reset', async () => {
    const e = await expectAgentError(new ClaudeCodeAgent('cc', { outputFormat: 'json' }).run(makeTask(cwd), ctx('ratelimit')));
    assert.equal(e.kind, 'rate_limited');
    assert.ok(e.retryAfterMs !== undefined && e.retryAfterMs > 100_000 && e.retryAfterMs <= 120_000, `retryAfterMs ${e.retryAfterMs}`);
  });

  it('classifies an invalid key as auth, max turns as fatal, execution errors as transient', async () => {
    const agent = new ClaudeCodeAgent('cc', { outputFormat: 'json' });
    assert.equal((await expectAgentError(agent.run(makeTask(cwd), ctx('auth')))).kind, 'auth');
    const maxTurns = await expectAgentError(agent.run(makeTask(cwd), ctx('maxturns')));
    assert.equal(maxTurns.kind, 'fatal');
    assert.match(maxTurns.message, /turn limit/);
    const exec = await expectAgentError(agent.run(makeTask(cwd), ctx('error')));
    assert.equal(exec.kind, 'transient');
    assert.match(exec.message, /Something broke/);
  });

  it('reports malformed output and crashes without a result object', async () => {
    const agent = new ClaudeCodeAgent('cc', { outputFormat: 'json' });
    const bad = await expectAgentError(agent.run(makeTask(cwd), ctx('malformed')));
    assert.equal(bad.kind, 'transient');
    assert.match(bad.message, /no "type":"result" object/);
    const crash = await expectAgentError(agent.run(makeTask(cwd), ctx('crash')));
    assert.match(crash.message, /exited with code 3.*segmentation fault/s);
  });

  it('a missing executable is a config error naming it', async () => {
    const e = await expectAgentError(new ClaudeCodeAgent('cc', { executable: 'claude-not-installed-xyz' }).run(makeTask(cwd), ctx('ok')));
    assert.equal(e.kind, 'config');
    assert.match(e.message, /claude-not-installed-xyz/);
  });

  it('on abort kills the CLI and its grandchildren even when SIGTERM is ignored', async () => {
    const ac = new AbortController();
    const pids = deferred<number[]>();
    let buf = '';
    const p = new ClaudeCodeAgent('cc').run(makeTask(cwd), {
      ...ctx('hang'),
      // Unsandboxed: the pids the child prints are host pids only outside a PID namespace (sandbox.test.ts covers the sandboxed kill).
      sandbox: testSandbox(cwd, { mode: 'off' }),
      signal: ac.signal,
      killGraceMs: 100,
      onOutput: (stream, c) => {
        if (stream !== 'stdout') return;
        buf += c;
        const line = buf.split('\n').find((l) => l.includes('"pids"'));
        if (line) pids.resolve(JSON.parse(line).pids);
      },
    });
    const ps = await pids.promise;
    for (const pid of ps) assert.ok(isAlive(pid));
    ac.abort();
    const e = await expectAgentError(p);
    assert.equal(e.kind, 'cancelled');
    for (const pid of ps) assert.equal(await becomesDead(pid), true, `pid ${pid} survived`);
  });

  it('passes long prompts on stdin instead of argv', async () => {
    const agent = new ClaudeCodeAgent('cc', { outputFormat: 'json', maxPromptArgBytes: 100 });
    const r = await agent.run(makeTask(cwd), ctx('ok'));
    const rec = JSON.parse(readFileSync(record, 'utf8'));
    assert.deepEqual(rec.argv, ['-p', '--output-format', 'json', '--permission-mode', 'acceptEdits']);
    assert.match(rec.stdin, /^You are backend-developer specialized agent\.\n\n# Task T001/);
    assert.match(r.summary, /backend-developer specialized agent/);
  });

  it('never puts the API key in results or errors', async () => {
    const agent = new ClaudeCodeAgent('cc', { outputFormat: 'json' });
    const ok = await agent.run(makeTask(cwd, { title: `echo ${KEY}` }), ctx('ok'));
    for (const s of allStrings(ok)) assert.ok(!s.includes(KEY), s.slice(0, 100));
    const e = await expectAgentError(agent.run(makeTask(cwd), ctx('auth')));
    for (const s of allStrings(e)) assert.ok(!s.includes(KEY));
  });

  it('parseClaudeOutput takes the last result line of stream-json and the model from init', () => {
    const out = [
      JSON.stringify({ type: 'system', subtype: 'init', session_id: 's1', model: 'claude-opus-5-5' }),
      'garbage line',
      JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'fine', session_id: 's1' }),
    ].join('\n');
    const p = parseClaudeOutput(out);
    assert.equal(p.result?.result, 'fine');
    assert.equal(p.model, 'claude-opus-5-5');
    assert.equal(p.sessionId, 's1');
    assert.equal(parseClaudeOutput('nothing').result, undefined);
  });

  it('validates its options', () => {
    assert.throws(
      () => new ClaudeCodeAgent('cc', { outputFormat: 'xml' as 'json' }),
      /agent "cc" \(claude-code\): outputFormat must be one of "json", "stream-json", got "xml"/,
    );
    assert.throws(() => new ClaudeCodeAgent('cc', { allowedTools: 'Read' as unknown as string[] }), /allowedTools must be an array of strings/);
  });
});
