// The REAL Codex CLI (the pinned @openai/codex dev dependency, `codex exec --json`) run by the real engine through its
// codex agent, pointed by a `model_providers` entry at the scripted Responses API server. Nothing reaches the network
// (a refusing proxy records every attempt: only Codex's known start-up look-ups, all refused).
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../../src/engine/db/database';
import { TaskStore } from '../../../src/engine/db/taskStore';
import type { AttemptView } from '../../../src/protocol/engineProtocol';
import { RecordingProxy } from '../../fakes/recordingProxy';
import { FakeResponsesApi } from '../../fakes/responsesApiServer';
import { ensureBuilt, removeWorkspace, ROOT, runCli, tempWorkspace } from '../cli/cliHarness';

const CODEX = join(ROOT, 'node_modules/.bin/codex');
const KEY = 'sk-proj-CODEXREAL-doNotLeak-0123456789abcdef';
const TASK = 'T001.001';
/** Start-up look-ups Codex makes whatever its config says (docs/agents.md); refused by the test proxy. */
const KNOWN_NONESSENTIAL = ['github.com:443', 'api.github.com:443', 'chatgpt.com:443'];

describe('the real Codex CLI through the engine (scripted Responses API server)', function () {
  this.timeout(120_000);
  let api: FakeResponsesApi;
  let proxy: RecordingProxy;
  let baseURL: string;
  let proxyURL: string;
  let dir: string | undefined;
  let home: string;

  before(ensureBuilt);
  beforeEach(async () => {
    api = new FakeResponsesApi();
    proxy = new RecordingProxy();
    baseURL = await api.start();
    proxyURL = await proxy.start();
    // A home outside /tmp, empty like a first run's: Codex's own sandbox (bubblewrap, nested in the engine's) mounts a
    // fresh /tmp and would hide the command aliases Codex keeps in ~/.codex under a home in /tmp.
    const homes = join(homedir(), '.cache', 'coditect', 'test-homes');
    mkdirSync(homes, { recursive: true });
    home = mkdtempSync(join(homes, 'codex-'));
  });
  afterEach(async function () {
    const attempts = proxy.attempts;
    await api.close();
    await proxy.close();
    removeWorkspace(home);
    if (dir) removeWorkspace(dir);
    // Codex 0.171 still tries github.com, api.github.com and chatgpt.com at start (plugin and account look-ups) with
    // analytics and the update check off; the proxy refuses them, so nothing gets out. Any other host fails the test.
    if (this.currentTest?.state === 'passed') {
      const unexpected = attempts.filter((a) => !KNOWN_NONESSENTIAL.includes(a.target));
      assert.deepEqual(unexpected, [], 'the CLI tried to reach an unexpected host');
      assert.ok(attempts.every((a) => a.method === 'CONNECT'));
    }
  });

  async function runPlan(env: Record<string, string>): Promise<{ code: number | null; stderr: string; attempts: AttemptView[] }> {
    dir = tempWorkspace({
      'TASKLIST.md': `# Plan\n\n## E001: Core\n\n### F001.01: Greeting\n\n- [ ] **${TASK}** Write the greeting file (P1)\n`,
      'config.json': JSON.stringify({
        default_agent: 'codex',
        agents: {
          codex: {
            kind: 'codex',
            executable: CODEX,
            model: 'gpt-test',
            // The documented way to point Codex at another endpoint: a model provider (here as -c overrides).
            extraArgs: [
              '--skip-git-repo-check',
              '-c',
              'analytics.enabled=false',
              '-c',
              'check_for_update_on_startup=false',
              '-c',
              'model_provider="local"',
              '-c',
              `model_providers.local={name="local",base_url="${baseURL}",wire_api="responses",env_key="OPENAI_API_KEY"}`,
            ],
          },
        },
        retry: { max_attempts: 2, initial_delay_ms: 10, max_delay_ms: 10 },
      }),
    });
    const r = await runCli(['run', 'TASKLIST.md', '--config', 'config.json', '--json'], dir, {
      PATH: process.env.PATH,
      HOME: home,
      HTTPS_PROXY: proxyURL,
      HTTP_PROXY: proxyURL,
      NO_PROXY: '127.0.0.1,localhost',
      ...env,
    });
    const handle = openDatabase(join(dir, '.coditect/context.db'));
    try {
      return { code: r.code, stderr: r.stderr, attempts: new TaskStore(handle).attempts(TASK).reverse() };
    } finally {
      handle.close();
    }
  }

  it('runs codex exec --json on the task prompt; the answer, tokens and thread id reach the attempt row, the checkbox is ticked', async () => {
    api.enqueue({ kind: 'text', text: 'Greeting written.', usage: { input_tokens: 900, output_tokens: 40 } });
    const { code, stderr, attempts } = await runPlan({ OPENAI_API_KEY: KEY });
    assert.equal(code, 0, stderr.slice(-3000));
    assert.equal(api.requests.length, 1);
    const req = api.requests[0]!;
    assert.equal(req.headers.authorization, `Bearer ${KEY}`, 'the key reached the CLI (passEnv) and only its API');
    assert.equal(req.body.model, 'gpt-test');
    assert.ok(JSON.stringify(req.body.input).includes(`# Task ${TASK}: Write the greeting file`), 'the engine prompt on stdin');
    assert.equal(attempts.length, 1);
    const a = attempts[0]!;
    assert.equal(a.outcome, 'completed');
    assert.equal(a.tokensIn, 900);
    assert.equal(a.tokensOut, 40);
    assert.equal(a.sessionId, req.headers['session-id']);
    assert.equal(a.summary, 'Greeting written.');
    assert.match(readFileSync(join(dir!, 'TASKLIST.md'), 'utf8'), /^- \[x\] \*\*T001\.001\*\*/m);
  });

  it('runs a command with its exec_command tool: the real CLI writes the file in the task folder and sends the output back', async () => {
    api.enqueue(
      {
        kind: 'call',
        name: 'exec_command',
        arguments: { cmd: "printf 'hello from codex\\n' > greeting.txt && echo wrote" },
        usage: { input_tokens: 800, output_tokens: 30 },
      },
      { kind: 'text', text: 'Wrote greeting.txt.', usage: { input_tokens: 950, output_tokens: 10, cached_tokens: 700 } },
    );
    const { code, stderr, attempts } = await runPlan({ OPENAI_API_KEY: KEY });
    assert.equal(code, 0, stderr.slice(-3000));
    assert.equal(api.remaining, 0, 'both scripted turns were used');
    // Codex ran the command (in its own workspace-write sandbox, inside the engine's) and sent its output back.
    const back = (api.requests[1]!.body.input as { type: string; call_id?: string; output?: string }[]).find((i) => i.type === 'function_call_output');
    const call = (api.requests[1]!.body.input as { type: string; call_id?: string }[]).find((i) => i.type === 'function_call');
    assert.ok(back && call && back.call_id === call.call_id, 'the output answers the scripted call');
    assert.match(back?.output ?? '', /Process exited with code 0[\s\S]*wrote/);
    assert.equal(readFileSync(join(dir!, 'greeting.txt'), 'utf8'), 'hello from codex\n');
    const a = attempts[0]!;
    assert.equal(a.outcome, 'completed');
    assert.equal(a.summary, 'Wrote greeting.txt.');
    assert.equal(a.tokensIn, 800 + 950);
    assert.equal(a.cacheReadTokens, 700);
    // A first run: the engine created the CLI's state directory, private, so the sandbox could make it writable.
    assert.equal(statSync(join(home, '.codex')).mode & 0o777, 0o700);
  });

  it('a rejected key (401) is an auth failure, not retried, and the key is not in the error', async () => {
    api.enqueue({ kind: 'error', status: 401, type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided' });
    const { code, attempts } = await runPlan({ OPENAI_API_KEY: KEY });
    assert.equal(code, 1);
    assert.equal(attempts.length, 1, 'retry.max_attempts is 2, yet an auth failure is not retried');
    assert.match(attempts[0]!.error!, /authentication failed/);
    assert.ok(!attempts[0]!.error!.includes(KEY));
  });
});
