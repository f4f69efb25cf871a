// After a crash, the task resumes the Claude Code session its interrupted attempt had started (#11 "resumable
// sessions"). The REAL Claude Code CLI (the pinned dev dependency) run by the real engine (`coditect run`, built
// bundle) against the scripted model server, with a real SQLite file: the engine gives a new session its id up front
// (`--session-id`) and records it on the attempt row before the CLI starts, the engine is SIGKILLed while the model
// is thinking, and the next `coditect run` resumes that session (`--resume`): the server sees one session id and the
// whole first conversation. Nothing reaches the network (a refusing proxy records any attempt).
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, readdirSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../../../src/engine/db/database';
import { TaskStore } from '../../../src/engine/db/taskStore';
import type { AttemptView } from '../../../src/protocol/engineProtocol';
import { FakeMessagesApi, textTurn, toolTurn, type RecordedRequest } from '../../fakes/messagesApiServer';
import { RecordingProxy } from '../../fakes/recordingProxy';
import { claudeCodeEnv } from './claudeCodeEnv';
import { ensureBuilt, removeWorkspace, ROOT, runCli, startCli, tempWorkspace } from '../cli/cliHarness';

const CLAUDE = join(ROOT, 'node_modules/.bin/claude');
const KEY = 'sk-ant-api03-CRASHCLI-doNotLeak-0123456789abcdef';
const TASK = 'T001.001';
const PLAN = `# Plan\n\n## E001: Core\n\n### F001.01: Greeting\n\n- [ ] **${TASK}** Write the greeting file (P1)\n  - Verify: test -f greeting.txt\n`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Resolves when the CLI's transcript of `session` (under `<home>/.claude/projects`) holds `text`. The CLI writes its
 * transcript behind the conversation (a request can reach the server before the turn before it is on disk), so a test
 * that kills the CLI and expects the turn to be resumed waits for the file, not for the request. */
function transcriptHolds(home: string, session: string, text: string): Promise<void> {
  const projects = join(home, '.claude', 'projects');
  const holds = (): boolean =>
    existsSync(projects) &&
    readdirSync(projects, { recursive: true, encoding: 'utf8' }).some(
      (f) => f.endsWith(`${session}.jsonl`) && readFileSync(join(projects, f), 'utf8').includes(text),
    );
  return new Promise((resolve, reject) => {
    // The home folder, not `projects`: that may not exist yet.
    const watcher = watch(home, { recursive: true }, () => {
      if (holds()) finish();
    });
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`the transcript of ${session} never held ${text}`));
    }, 30_000);
    function finish(): void {
      clearTimeout(timer);
      watcher.close();
      resolve();
    }
    if (holds()) finish();
  });
}

function requestHas(req: RecordedRequest, text: string): boolean {
  return JSON.stringify(req.body).includes(text);
}

describe('the real Claude Code CLI: a crash, then the session resumed (scripted model server)', function () {
  this.timeout(180_000);
  let api: FakeMessagesApi;
  let proxy: RecordingProxy;
  let dir: string;
  let home: string;
  let env: NodeJS.ProcessEnv;

  before(ensureBuilt);
  beforeEach(async () => {
    api = new FakeMessagesApi();
    proxy = new RecordingProxy();
    const baseURL = await api.start();
    const proxyURL = await proxy.start();
    home = mkdtempSync(join(tmpdir(), 'coditect-claude-home-'));
    env = claudeCodeEnv({ home, baseURL, proxyURL, key: KEY });
    dir = tempWorkspace({
      'TASKLIST.md': PLAN,
      'config.json': JSON.stringify({
        default_agent: 'claude',
        agents: { claude: { kind: 'claude-code', executable: CLAUDE } },
        retry: { max_attempts: 2, initial_delay_ms: 10, max_delay_ms: 10 },
        // A short lease, so the restarted engine takes the killed one's task back at once.
        lease: { ms: 3000, heartbeat_ms: 500 },
      }),
    });
  });
  afterEach(async function () {
    const attempts = proxy.attempts;
    await api.close();
    await proxy.close();
    removeWorkspace(home);
    removeWorkspace(dir);
    if (this.currentTest?.state === 'passed') assert.deepEqual(attempts, [], 'the CLI tried to reach the network');
  });

  function attempts(): AttemptView[] {
    const handle = openDatabase(join(dir, '.coditect/context.db'));
    try {
      return new TaskStore(handle).attempts(TASK).reverse();
    } finally {
      handle.close();
    }
  }

  it('the killed attempt recorded its session when it started; the next run resumes it with the whole conversation', async () => {
    api.enqueue(
      toolTurn([{ name: 'Bash', input: { command: 'ls', description: 'look around' } }], { input_tokens: 100, output_tokens: 10 }),
      // The model "thinks" about the listing until the engine is gone.
      { kind: 'hang' },
      toolTurn([{ name: 'Write', input: { file_path: 'greeting.txt', content: 'hi\n' } }], { input_tokens: 200, output_tokens: 20 }),
      textTurn('Done after the restart.', { input_tokens: 300, output_tokens: 30 }),
    );
    const child = startCli(['run', 'TASKLIST.md', '--config', 'config.json'], dir, env);
    // The second request carries the `ls` result; the CLI writes it to the session on disk a little later.
    await api.waitForRequests(2);
    const session = api.sessionIds()[0];
    assert.match(session ?? '', UUID);
    await transcriptHolds(home, session!, '"tool_result"');
    // Read beside the running engine (read-only, as `coditect cost` does): the row named the session before it ended.
    const db = new Database(join(dir, '.coditect/context.db'), { readonly: true });
    try {
      assert.deepEqual(db.prepare('SELECT status, session_id FROM agent_execution_log').all(), [{ status: 'running', session_id: session }]);
    } finally {
      db.close();
    }
    child.kill('SIGKILL');
    await once(child, 'exit');

    const r = await runCli(['run', 'TASKLIST.md', '--config', 'config.json', '--json'], dir, env);
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.deepEqual(api.failures, []);
    const sessions = api.sessionIds();
    assert.equal(sessions.length, 4);
    assert.deepEqual(new Set(sessions), new Set([session]), `one session across the crash: ${sessions.join(', ')}`);
    // The resumed run's first request carries the first attempt's conversation and says what happened.
    const resumed = api.requests[2]!;
    assert.ok(requestHas(resumed, '"command":"ls"'), 'the first conversation is resumed');
    assert.ok(requestHas(resumed, 'interrupted: the engine running it stopped'), 'the prompt says the previous attempt was interrupted');

    const rows = attempts();
    assert.deepEqual(
      rows.map((a) => [a.outcome, a.sessionId]),
      [
        ['released', session],
        ['completed', session],
      ],
    );
    assert.match(rows[0]!.error ?? '', /^interrupted: the engine running it stopped/);
  });
});
