// The REAL Gemini CLI (the pinned @google/gemini-cli dev dependency, `gemini … --output-format json -p`) run by the
// real engine through its gemini agent, pointed by GOOGLE_GEMINI_BASE_URL at the scripted Gemini API server. The
// scripted model calls the CLI's own write_file tool, so the file is written by the real CLI in the task's folder.
// Nothing reaches the network: a refusing proxy records every attempt.
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../../src/engine/db/database';
import { TaskStore } from '../../../src/engine/db/taskStore';
import type { AttemptView } from '../../../src/protocol/engineProtocol';
import { FakeGeminiApi } from '../../fakes/geminiApiServer';
import { RecordingProxy } from '../../fakes/recordingProxy';
import { ensureBuilt, removeWorkspace, ROOT, runCli, tempWorkspace } from '../cli/cliHarness';

const GEMINI = join(ROOT, 'node_modules/.bin/gemini');
const KEY = 'AIzaSyGEMINIREAL-doNotLeak-0123456789abcd';
const TASK = 'T001.001';

describe('the real Gemini CLI through the engine (scripted Gemini API server)', function () {
  this.timeout(120_000);
  let api: FakeGeminiApi;
  let proxy: RecordingProxy;
  let baseURL: string;
  let proxyURL: string;
  let dir: string | undefined;
  let home: string;

  before(ensureBuilt);
  beforeEach(async () => {
    api = new FakeGeminiApi();
    proxy = new RecordingProxy();
    baseURL = await api.start();
    proxyURL = await proxy.start();
    home = mkdtempSync(join(tmpdir(), 'coditect-gemini-home-'));
    // With GOOGLE_GEMINI_BASE_URL set, Gemini CLI 0.61 picks its "gateway" auth by itself and then refuses it
    // ("Invalid auth method selected."): the API-key method is chosen in the user's settings (docs/agents.md).
    mkdirSync(join(home, '.gemini'));
    writeFileSync(
      join(home, '.gemini/settings.json'),
      JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } }, privacy: { usageStatisticsEnabled: false }, telemetry: { enabled: false } }),
    );
  });
  afterEach(async function () {
    const attempts = proxy.attempts;
    await api.close();
    await proxy.close();
    removeWorkspace(home);
    if (dir) removeWorkspace(dir);
    if (this.currentTest?.state === 'passed') assert.deepEqual(attempts, [], 'the CLI tried to reach the network');
  });

  async function runPlan(): Promise<{ code: number | null; stderr: string; attempts: AttemptView[] }> {
    dir = tempWorkspace({
      'TASKLIST.md': `# Plan\n\n## E001: Core\n\n### F001.01: Greeting\n\n- [ ] **${TASK}** Write the greeting file (P1)\n  - Verify: \`grep -q hello greeting.txt\`\n`,
      'config.json': JSON.stringify({
        default_agent: 'gemini',
        agents: { gemini: { kind: 'gemini', executable: GEMINI, model: 'gemini-test-pro', approvalMode: 'auto_edit' } },
        retry: { max_attempts: 2, initial_delay_ms: 10, max_delay_ms: 10 },
      }),
    });
    const r = await runCli(['run', 'TASKLIST.md', '--config', 'config.json', '--json'], dir, {
      PATH: process.env.PATH,
      HOME: home,
      GEMINI_API_KEY: KEY,
      GOOGLE_GEMINI_BASE_URL: baseURL,
      HTTPS_PROXY: proxyURL,
      HTTP_PROXY: proxyURL,
      NO_PROXY: '127.0.0.1,localhost',
    });
    const handle = openDatabase(join(dir, '.coditect/context.db'));
    try {
      return { code: r.code, stderr: r.stderr, attempts: new TaskStore(handle).attempts(TASK).reverse() };
    } finally {
      handle.close();
    }
  }

  it('writes the file with its own write_file tool; answer, tokens, model and session reach the attempt row; Verify passes', async () => {
    api.enqueue(
      {
        kind: 'call',
        name: 'write_file',
        args: { file_path: 'greeting.txt', content: 'hello, world\n' },
        usage: { promptTokenCount: 1200, candidatesTokenCount: 30 },
      },
      { kind: 'text', text: 'Wrote greeting.txt.', usage: { promptTokenCount: 1300, candidatesTokenCount: 8, cachedContentTokenCount: 1000 } },
    );
    const { code, stderr, attempts } = await runPlan();
    assert.equal(code, 0, stderr.slice(-3000));
    assert.equal(api.remaining, 0, 'both scripted turns were used');
    const turns = api.turns;
    assert.equal(turns.length, 2);
    assert.equal(turns[0]!.headers['x-goog-api-key'], KEY, 'the key reached the CLI (passEnv) and only its API');
    assert.match(turns[0]!.url, /\/models\/gemini-test-pro:streamGenerateContent/);
    assert.ok(JSON.stringify(turns[0]!.body.contents).includes(`# Task ${TASK}: Write the greeting file`), 'the engine prompt');
    // The CLI ran its tool and sent the result back to the model.
    const back = JSON.stringify(turns[1]!.body.contents.at(-1));
    assert.match(back, /"functionResponse":\{"name":"write_file"/);
    assert.equal(readFileSync(join(dir!, 'greeting.txt'), 'utf8'), 'hello, world\n', 'the real CLI wrote the file in the task folder');
    assert.equal(attempts.length, 1);
    const a = attempts[0]!;
    assert.equal(a.outcome, 'completed');
    assert.equal(a.summary, 'Wrote greeting.txt.');
    assert.equal(a.model, 'gemini-test-pro');
    // The CLI's own stats of both turns (a model given by --model: no router call before them).
    assert.equal(api.requests.length, 2, api.requests.map((r) => r.url).join(', '));
    assert.equal(a.tokensIn, 1200 + 1300);
    assert.equal(a.tokensOut, 30 + 8);
    assert.equal(a.cacheReadTokens, 1000);
    assert.match(a.sessionId ?? '', /^[0-9a-f-]{36}$/);
    assert.match(readFileSync(join(dir!, 'TASKLIST.md'), 'utf8'), /^- \[x\] \*\*T001\.001\*\*/m);
  });

  it('a refused key is an auth failure, not retried, and the key is not in the error', async () => {
    api.refusedKeys.add(KEY);
    const { code, attempts } = await runPlan();
    assert.equal(code, 1);
    assert.equal(attempts.length, 1, 'retry.max_attempts is 2, yet an auth failure is not retried');
    assert.match(attempts[0]!.error!, /^authentication failed \(not retried/);
    assert.match(attempts[0]!.error!, /API key not valid/);
    assert.ok(!attempts[0]!.error!.includes(KEY));
    assert.ok(!readFileSync(join(dir!, 'TASKLIST.md'), 'utf8').includes('[x]'));
  });
});
