// The editor's API key reaches the real engine on the secrets pipe (SECRETS_FD): the engine uses it for the Anthropic
// API, and it is nowhere in the engine's start-up environment, which any process of the user (an agent included) could
// read back from /proc/<pid>/environ.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineProcess } from '../../../src/extension/engineProcess';
import { Initialize, PROTOCOL_VERSION, RunTask } from '../../../src/protocol/engineProtocol';
import { cleanup, makeTempDir } from '../../fakes/agentTestKit';
import { FakeMessagesApi, textTurn } from '../../fakes/messagesApiServer';
import { ensureBuilt, ROOT } from '../cli/cliHarness';

const KEY = 'sk-ant-api03-pipe-only-0123456789abcdef';

describe('API key handover to the real engine (secrets pipe)', function () {
  this.timeout(60_000);
  let dir: string;
  let api: FakeMessagesApi;
  let engine: EngineProcess | undefined;
  before(() => ensureBuilt());
  beforeEach(() => {
    dir = makeTempDir('coditect-secrets-');
    api = new FakeMessagesApi();
  });
  afterEach(async () => {
    await engine?.stop();
    engine = undefined;
    await api.close();
    cleanup(dir);
  });

  it('the engine calls the API with the key, and /proc/<engine>/environ does not hold it', async () => {
    const url = await api.start();
    api.enqueue(textTurn('Done: nothing to change.'));
    const plan = join(dir, 'PLAN.md');
    writeFileSync(plan, '# Plan\n\n## E001: Core\n\n- [ ] **T001.001** Write the notes\n');
    const env = { ...process.env, ANTHROPIC_BASE_URL: url, CODITECT_CLIENT: 'test' } as Record<string, string | undefined>;
    delete env.ANTHROPIC_API_KEY;
    engine = await EngineProcess.start({
      runtimePath: process.execPath,
      enginePath: join(ROOT, 'dist', 'engine.js'),
      tasklistPath: plan,
      cwd: dir,
      env,
      secrets: { ANTHROPIC_API_KEY: KEY },
    });
    const environ = readFileSync(`/proc/${engine.pid}/environ`, 'latin1');
    assert.ok(!environ.includes(KEY), 'the key must not be in the engine environment');
    await engine.connection.sendRequest(Initialize.type, {
      protocolVersion: PROTOCOL_VERSION,
      workspaceRoot: dir,
      tasklistPath: plan,
      readOnly: false,
      clientAppliesEdits: false,
    });
    const started = await engine.connection.sendRequest(RunTask.type, { taskId: 'T001.001' });
    assert.equal(started.started, true, started.reason);
    await api.waitForRequests(1);
    const h = api.requests[0].headers;
    // The SDK sends the key as x-api-key or as a bearer token, depending on its version.
    assert.ok(h['x-api-key'] === KEY || h.authorization === `Bearer ${KEY}`, 'the API request carries the key from the pipe');
  });
});
