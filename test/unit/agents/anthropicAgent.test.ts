import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { AgentError, type AgentRunContext } from '../../../src/engine/agents/agent';
import { AnthropicAgent, parseRetryAfter } from '../../../src/engine/agents/anthropicAgent';
import { apiError, FakeMessagesApi, malformedJson, rateLimited, textTurn, toolTurn } from '../../fakes/messagesApiServer';
import { allStrings, cleanup, makeTask, makeTempDir } from '../../fakes/agentTestKit';

// Distinctive fake key: asserted absent from every string the agent produces.
const KEY = 'sk-ant-api03-FAKEKEY-doNotLeak-7f3c9e1a2b4d6f8h0j';

function toolResults(body: any): { tool_use_id: string; content: string; is_error?: boolean }[] {
  const last = body.messages[body.messages.length - 1];
  assert.equal(last.role, 'user');
  return last.content;
}

async function expectAgentError(p: Promise<unknown>): Promise<AgentError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AgentError, `expected AgentError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the run to fail');
}

describe('AnthropicAgent (real SDK against a fake Messages API)', () => {
  let api: FakeMessagesApi;
  let baseURL: string;
  let cwd: string;
  let outside: string;
  let outputs: string[];

  const ctx = (over: Partial<AgentRunContext> = {}): AgentRunContext => ({
    signal: new AbortController().signal,
    env: { ANTHROPIC_API_KEY: KEY, PATH: process.env.PATH },
    onOutput: (_s, chunk) => outputs.push(chunk),
    ...over,
  });
  const agent = (over: ConstructorParameters<typeof AnthropicAgent>[1] = {}) =>
    new AnthropicAgent('claude-api', { baseURL, model: 'claude-sonnet-5-5', ...over });

  beforeEach(async () => {
    api = new FakeMessagesApi();
    baseURL = await api.start();
    cwd = makeTempDir();
    outside = makeTempDir('coditect-outside-');
    outputs = [];
  });
  afterEach(async () => {
    await api.close();
    cleanup(cwd);
    cleanup(outside);
  });

  it('returns the text answer, sends the key only in the auth header, and a task-focused prompt', async () => {
    api.enqueue(textTurn('Implemented the greeting module.', { input_tokens: 100, output_tokens: 20 }));
    const task = makeTask(cwd, { dependencies: [{ id: 'T000', title: 'Scaffold', resultSummary: 'Created package.json' }], verify: 'npm test' });
    const r = await agent().run(task, ctx());
    assert.equal(r.summary, 'Implemented the greeting module.');
    assert.equal(r.model, 'claude-sonnet-5-5');
    assert.equal(api.requests.length, 1);
    const req = api.requests[0]!;
    // This SDK version sends the API key as `Authorization: Bearer <key>` (see client.js apiKeyAuth); accept either header.
    const sent = req.headers['x-api-key'] ?? String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    assert.equal(sent, KEY);
    assert.equal(req.body.model, 'claude-sonnet-5-5');
    assert.equal(typeof req.body.max_tokens, 'number');
    assert.deepEqual(
      req.body.tools.map((t: { name: string }) => t.name),
      ['read_file', 'write_file', 'list_files'],
    );
    const prompt: string = req.body.messages[0].content;
    assert.match(prompt, /T001: Add a greeting module/);
    assert.match(prompt, /E001 — Foundations/);
    assert.match(prompt, /F001\.01 — Greeting/);
    assert.match(prompt, /Created package\.json/);
    assert.match(prompt, /npm test/);
    assert.ok(!JSON.stringify(req.body).includes(KEY), 'the key must not be in the request body');
  });

  it('runs a multi-turn tool loop: list, read, write inside cwd; sums tokens and computes cost', async () => {
    writeFileSync(path.join(cwd, 'README.md'), 'hello readme');
    mkdirSync(path.join(cwd, 'src'));
    api.enqueue(
      toolTurn([{ name: 'list_files', input: { path: '.' } }], { input_tokens: 1000, output_tokens: 100 }),
      toolTurn([{ name: 'read_file', input: { path: 'README.md' } }], { input_tokens: 2000, output_tokens: 200 }),
      toolTurn([{ name: 'write_file', input: { path: 'src/greet.ts', content: 'export const hi = 1;\n' } }], { input_tokens: 3000, output_tokens: 300 }),
      textTurn('Wrote src/greet.ts', { input_tokens: 4000, output_tokens: 400 }),
    );
    const r = await agent().run(makeTask(cwd), ctx());
    assert.equal(r.summary, 'Wrote src/greet.ts');
    assert.equal(readFileSync(path.join(cwd, 'src/greet.ts'), 'utf8'), 'export const hi = 1;\n');
    assert.equal(api.requests.length, 4);
    const listed = toolResults(api.requests[1]!.body)[0]!;
    assert.match(listed.content, /README\.md/);
    assert.match(listed.content, /src\//);
    assert.equal(listed.tool_use_id, api.requests[1]!.body.messages[1].content[0].id);
    assert.equal(toolResults(api.requests[2]!.body)[0]!.content, 'hello readme');
    assert.match(toolResults(api.requests[3]!.body)[0]!.content, /wrote 21 bytes to src\/greet\.ts/);
    assert.equal(r.tokensIn, 10000);
    assert.equal(r.tokensOut, 1000);
    // claude-sonnet-5-5: $2 / MTok in, $10 / MTok out
    assert.equal(r.costUsd, (10000 * 2 + 1000 * 10) / 1e6);
    assert.ok(
      outputs.some((o) => /tool write_file src\/greet\.ts/.test(o)),
      'progress should mention the tool call',
    );
  });

  it('uses overridden prices and reports no cost for an unknown model', async () => {
    api.enqueue(textTurn('ok', { input_tokens: 1_000_000, output_tokens: 1_000_000 }));
    const priced = await agent({ model: 'my-custom-model', prices: { 'my-custom-model': { inputPerMTok: 1, outputPerMTok: 2 } } }).run(makeTask(cwd), ctx());
    assert.equal(priced.costUsd, 3);
    api.enqueue(textTurn('ok'));
    const unpriced = await agent({ model: 'unknown-model-x' }).run(makeTask(cwd), ctx());
    assert.equal(unpriced.costUsd, undefined);
    assert.equal(unpriced.tokensIn, 10);
  });

  it('refuses path traversal, absolute paths outside and symlink escapes with a tool_result error', async () => {
    writeFileSync(path.join(outside, 'secret.txt'), 'TOP-SECRET-CONTENT');
    symlinkSync(outside, path.join(cwd, 'link-out'));
    symlinkSync(path.join(outside, 'nope', 'new.txt'), path.join(cwd, 'dangling'));
    api.enqueue(
      toolTurn([
        { name: 'read_file', input: { path: '../' + path.basename(outside) + '/secret.txt' } },
        { name: 'read_file', input: { path: path.join(outside, 'secret.txt') } },
        { name: 'read_file', input: { path: 'link-out/secret.txt' } },
        { name: 'write_file', input: { path: 'link-out/planted.txt', content: 'x' } },
        { name: 'write_file', input: { path: 'dangling', content: 'x' } },
        { name: 'list_files', input: { path: 'link-out' } },
      ]),
      textTurn('could not escape'),
    );
    const r = await agent().run(makeTask(cwd), ctx());
    assert.equal(r.summary, 'could not escape');
    const results = toolResults(api.requests[1]!.body);
    assert.equal(results.length, 6);
    for (const res of results) {
      assert.equal(res.is_error, true, `expected an error for ${res.content}`);
      assert.match(res.content, /^refused: /);
      assert.ok(!res.content.includes('TOP-SECRET-CONTENT'));
    }
    assert.equal(existsSync(path.join(outside, 'planted.txt')), false);
    assert.equal(existsSync(path.join(outside, 'nope', 'new.txt')), false);
  });

  it('maps 429 to rate_limited with retryAfterMs from retry-after seconds', async () => {
    api.enqueue(rateLimited({ 'retry-after': '7' }));
    const e = await expectAgentError(agent().run(makeTask(cwd), ctx()));
    assert.equal(e.kind, 'rate_limited');
    assert.equal(e.retryAfterMs, 7000);
    assert.equal(e.provider, 'anthropic');
    assert.equal(api.requests.length, 1, 'the SDK must not retry by itself (maxRetries 0)');
  });

  it('reads retry-after-ms and HTTP-date retry-after', async () => {
    api.enqueue(rateLimited({ 'retry-after-ms': '1500' }));
    assert.equal((await expectAgentError(agent().run(makeTask(cwd), ctx()))).retryAfterMs, 1500);
    const now = Date.parse('2030-01-01T00:00:00Z');
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Tue, 01 Jan 2030 00:00:30 GMT' }), now), 30_000);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now), undefined);
    assert.equal(parseRetryAfter(new Headers({}), now), undefined);
  });

  it('treats a spend-limit 429 as fatal rather than retrying', async () => {
    api.enqueue({
      kind: 'error',
      status: 429,
      errorType: 'rate_limit_error',
      message: 'monthly spend limit',
      details: { error_code: 'enforced_spend_limit_reached' },
    });
    const e = await expectAgentError(agent().run(makeTask(cwd), ctx()));
    assert.equal(e.kind, 'fatal');
    assert.match(e.message, /spend limit/);
  });

  it('maps 500, 529 overloaded and 503 to transient, 400 and 404 to config, 403 to auth', async () => {
    const cases: [ReturnType<typeof apiError>, string][] = [
      [apiError(500, 'api_error', 'Internal server error'), 'transient'],
      [apiError(529, 'overloaded_error', 'Overloaded'), 'transient'],
      [apiError(503, 'api_error', 'unavailable'), 'transient'],
      [apiError(400, 'invalid_request_error', 'max_tokens: too large'), 'config'],
      [apiError(404, 'not_found_error', 'model: no-such-model'), 'config'],
      [apiError(403, 'permission_error', 'no access'), 'auth'],
    ];
    for (const [step, kind] of cases) {
      api.enqueue(step);
      const e = await expectAgentError(agent().run(makeTask(cwd), ctx()));
      assert.equal(e.kind, kind, `status ${(step as { status: number }).status}`);
      assert.match(e.message, new RegExp(`HTTP ${(step as { status: number }).status}`));
    }
  });

  it('maps a malformed (invalid JSON) response to transient with a clear message', async () => {
    api.enqueue(malformedJson());
    const e = await expectAgentError(agent().run(makeTask(cwd), ctx()));
    assert.equal(e.kind, 'transient');
    assert.match(e.message, /malformed response/);
  });

  it('maps a wrongly shaped response to transient', async () => {
    api.enqueue({ kind: 'raw', status: 200, body: JSON.stringify({ type: 'message', content: 'not-an-array' }), contentType: 'application/json' });
    const e = await expectAgentError(agent().run(makeTask(cwd), ctx()));
    assert.equal(e.kind, 'transient');
    assert.match(e.message, /content is not an array/);
  });

  it('maps a refused connection to transient', async () => {
    await api.close();
    const e = await expectAgentError(agent().run(makeTask(cwd), ctx()));
    assert.equal(e.kind, 'transient');
    assert.match(e.message, /connection error/i);
  });

  it('stops a slowly dripping answer at the total request timeout, as transient', async () => {
    api.enqueue({ kind: 'drip', text: 'x'.repeat(200), intervalMs: 20, bytesPerTick: 1 });
    const e = await expectAgentError(agent({ requestTimeoutMs: 400, idleTimeoutMs: 300 }).run(makeTask(cwd), ctx()));
    assert.equal(e.kind, 'transient');
    assert.match(e.message, /no complete response within 400 ms \(requestTimeoutMs\)/);
  });

  it('stops an answer that stalls after it began at the idle timeout, as transient', async () => {
    api.enqueue({ kind: 'cut', text: 'half of an answer', then: 'stall' });
    const e = await expectAgentError(agent({ requestTimeoutMs: 60_000, idleTimeoutMs: 150 }).run(makeTask(cwd), ctx()));
    assert.equal(e.kind, 'transient');
    assert.match(e.message, /the response stalled: no data for 150 ms \(idleTimeoutMs\)/);
  });

  it('retries a connection dropped mid-response: transient, not fatal', async () => {
    api.enqueue({ kind: 'cut', text: 'half of an answer', then: 'drop' });
    const e = await expectAgentError(agent().run(makeTask(cwd), ctx()));
    assert.equal(e.kind, 'transient', e.message);
    assert.match(e.message, /connection dropped mid-response|connection error/);
  });

  it('stops at the turn limit with a fatal error giving the reason', async () => {
    api.enqueue(toolTurn([{ name: 'list_files', input: {} }]), toolTurn([{ name: 'list_files', input: {} }]));
    const e = await expectAgentError(agent({ maxTurns: 2 }).run(makeTask(cwd), ctx()));
    assert.equal(e.kind, 'fatal');
    assert.match(e.message, /turn limit reached.*2 requests/);
    assert.equal(api.requests.length, 2);
  });

  it('aborting mid-request rejects with cancelled and drops the request', async () => {
    api.enqueue({ kind: 'hang' });
    const ac = new AbortController();
    const p = agent().run(makeTask(cwd), ctx({ signal: ac.signal }));
    await api.waitForRequests(1);
    ac.abort();
    const e = await expectAgentError(p);
    assert.equal(e.kind, 'cancelled');
  });

  it('a timeout abort reason gives kind timeout', async () => {
    api.enqueue({ kind: 'hang' });
    const ac = new AbortController();
    const p = agent().run(makeTask(cwd), ctx({ signal: ac.signal }));
    await api.waitForRequests(1);
    ac.abort(new DOMException('attempt took too long', 'TimeoutError'));
    assert.equal((await expectAgentError(p)).kind, 'timeout');
  });

  it('fails with auth when ANTHROPIC_API_KEY is missing, without calling the API', async () => {
    const e = await expectAgentError(agent().run(makeTask(cwd), ctx({ env: { PATH: process.env.PATH } })));
    assert.equal(e.kind, 'auth');
    assert.match(e.message, /ANTHROPIC_API_KEY is not set/);
    assert.equal(api.requests.length, 0);
  });

  it('never leaks the API key: 401 echoing the key, tool output containing it, progress and results', async () => {
    // A server that echoes the key back in its error message: the agent must still not repeat it.
    api.enqueue(apiError(401, 'authentication_error', `invalid x-api-key ${KEY}`));
    const e = await expectAgentError(agent().run(makeTask(cwd), ctx()));
    assert.equal(e.kind, 'auth');
    for (const s of allStrings(e)) assert.ok(!s.includes(KEY), `key leaked in error: ${s.slice(0, 120)}`);

    // A file in the workspace containing the key, read by the model and quoted in its answer.
    writeFileSync(path.join(cwd, '.env'), `ANTHROPIC_API_KEY=${KEY}\n`);
    api.enqueue(toolTurn([{ name: 'read_file', input: { path: '.env' } }]), textTurn(`The key is ${KEY}`));
    const r = await agent().run(makeTask(cwd), ctx());
    for (const s of allStrings(r)) assert.ok(!s.includes(KEY), `key leaked in result: ${s.slice(0, 120)}`);
    assert.ok(!toolResults(api.requests[2]!.body)[0]!.content.includes(KEY), 'tool_result must be redacted');
    for (const o of outputs) assert.ok(!o.includes(KEY), 'key leaked in progress output');

    // Errors from every path: 429, 500, malformed, connection refused.
    api.enqueue(rateLimited(), apiError(500, 'api_error', `boom ${KEY}`), malformedJson());
    for (let i = 0; i < 3; i++) {
      const err = await expectAgentError(agent().run(makeTask(cwd), ctx()));
      for (const s of allStrings(err)) assert.ok(!s.includes(KEY), `key leaked (${err.kind}): ${s.slice(0, 120)}`);
    }
  });

  it('offers run_command only when enabled, runs it without a shell inside cwd and hides the API key from it', async () => {
    api.enqueue(toolTurn([{ name: 'run_command', input: { command: 'sh', args: ['-c', 'pwd; echo "key=${ANTHROPIC_API_KEY:-none}"'] } }]), textTurn('ran'));
    await agent({ enableRunCommand: true }).run(makeTask(cwd), ctx());
    assert.ok(api.requests[0]!.body.tools.some((t: { name: string }) => t.name === 'run_command'));
    const res = toolResults(api.requests[1]!.body)[0]!;
    assert.match(res.content, /^exit code 0/);
    assert.ok(res.content.includes(cwd));
    assert.match(res.content, /key=none/);

    api.enqueue(toolTurn([{ name: 'run_command', input: { command: 'touch', args: ['pwned'] } }]), textTurn('no'));
    await agent().run(makeTask(cwd), ctx());
    const refused = toolResults(api.requests[3]!.body)[0]!;
    assert.equal(refused.is_error, true);
    assert.match(refused.content, /not enabled/);
    assert.equal(existsSync(path.join(cwd, 'pwned')), false);
  });

  it('turns tool failures (even a vanished cwd) into error tool_results, never an unclassified throw', async () => {
    api.enqueue(toolTurn([{ name: 'list_files', input: {} }]), textTurn('cwd is gone'));
    const r = await agent().run(makeTask(path.join(cwd, 'does-not-exist')), ctx());
    assert.equal(r.summary, 'cwd is gone');
    const res = toolResults(api.requests[1]!.body)[0]!;
    assert.equal(res.is_error, true);
    assert.match(res.content, /ENOENT/);
  });

  it('validates its options with errors naming the bad value', () => {
    assert.throws(() => new AnthropicAgent('a', { maxTurns: 0 }), /agent "a" \(anthropic\): maxTurns must be an integer between 1 and 1000, got 0/);
    assert.throws(() => new AnthropicAgent('a', { baseURL: 'ftp://x' }), /baseURL must start with http/);
    assert.throws(() => new AnthropicAgent('a', { prices: { m: { inputPerMTok: -1, outputPerMTok: 1 } } }), /prices\["m"\]\.inputPerMTok/);
  });
});
