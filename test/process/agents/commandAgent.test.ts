import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { AgentError, type AgentRunContext } from '../../../src/engine/agents/agent';
import { codexPreset, CommandAgent, expandArgs, geminiPreset, parseCodexJsonl, parseGeminiJson } from '../../../src/engine/agents/commandAgent';
import { allStrings, cleanup, deferred, FAKE_BIN, becomesDead, makeTask, makeTempDir, testSandbox } from '../../fakes/agentTestKit';

async function expectAgentError(p: Promise<unknown>): Promise<AgentError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AgentError, `expected AgentError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the run to fail');
}

const EVIL = '$(touch pwned); rm -rf ~ && echo "`touch pwned2`" ; touch pwned3 | {id}';

describe('CommandAgent', () => {
  let cwd: string;
  let fakeHome: string;
  let record: string;
  const ctx = (extraEnv: Record<string, string> = {}, over: Partial<AgentRunContext> = {}): AgentRunContext => ({
    signal: new AbortController().signal,
    // HOME points at a throwaway dir so that even a successful injection could not touch the real home.
    env: { PATH: `${FAKE_BIN}:${process.env.PATH}`, HOME: fakeHome, FAKE_CLI_RECORD: record, ...extraEnv },
    sandbox: testSandbox(cwd),
    ...over,
  });
  beforeEach(() => {
    cwd = makeTempDir();
    fakeHome = makeTempDir('coditect-home-');
    writeFileSync(path.join(fakeHome, 'keep.txt'), 'keep');
    record = path.join(cwd, '.record.json');
  });
  afterEach(() => {
    cleanup(cwd);
    cleanup(fakeHome);
  });

  it('task text cannot inject shell syntax: args per element, env vars and stdin carry it verbatim', async () => {
    // The child is a real shell that only *prints* what it got; if anything were evaluated, files would appear.
    const agent = new CommandAgent('cmd', {
      executable: 'sh',
      args: ['-c', 'printf "%s\\n" "$1" "$2" "$CODITECT_TASK_TITLE"; cat > stdin.txt', 'sh', '{title}', 'id={id} in {cwd}'],
    });
    const task = makeTask(cwd, { title: EVIL });
    const r = await agent.run(task, ctx());
    const lines = r.stdout!.split('\n');
    assert.equal(lines[0], EVIL, 'the placeholder must expand to the exact title as one argument');
    assert.equal(lines[1], `id=T001 in ${cwd}`);
    assert.equal(lines[2], EVIL);
    assert.match(readFileSync(path.join(cwd, 'stdin.txt'), 'utf8'), /# Task T001: \$\(touch pwned\)/);
    for (const f of ['pwned', 'pwned2', 'pwned3']) {
      assert.equal(existsSync(path.join(cwd, f)), false, `${f} was created: injection happened`);
    }
    assert.deepEqual(readdirSync(fakeHome), ['keep.txt'], 'home was touched');
  });

  it('expandArgs keeps the element count and does not interpret $& or nested braces', () => {
    const out = expandArgs(['--title={title}', '{id}', 'x'], { title: '$& {id} $1', id: 'T1' } as never);
    assert.deepEqual(out, ['--title=$& {id} $1', 'T1', 'x']);
  });

  it('task text starting with "-" never reaches the program as an option: refused unless "--" comes first or it is a --name= value', async () => {
    assert.throws(
      () => expandArgs(['build', '{title}'], { title: '--output=/etc/passwd' } as never),
      /args\[1\] "\{title\}" would start with "-" .*put "--" before it/,
    );
    assert.throws(() => expandArgs(['{epicTitle}'], { epicTitle: '-rf' } as never), /args\[0\]/);
    assert.deepEqual(expandArgs(['build', '--', '{title}'], { title: '--output=x' } as never), ['build', '--', '--output=x']);
    assert.deepEqual(expandArgs(['--title={title}', '-v'], { title: '-rf' } as never), ['--title=-rf', '-v']);
    // Through a real run: the attempt fails (not retried) and the program never starts.
    const agent = new CommandAgent('cmd', { executable: 'sh', args: ['-c', 'touch started; echo "$1"', 'sh', '{featureTitle}'], stdin: 'none' });
    const task = makeTask(cwd, { feature: { id: 'F1', title: '--help' } });
    await assert.rejects(agent.run(task, ctx()), (e: AgentError) => e.kind === 'fatal' && /args\[3\] "\{featureTitle\}" would start with "-"/.test(e.message));
    assert.equal(existsSync(path.join(cwd, 'started')), false);
  });

  it('passes CODITECT_* env vars, extra env and the task JSON on stdin when asked', async () => {
    const agent = new CommandAgent('cmd', {
      executable: 'sh',
      args: ['-c', 'env | grep ^CODITECT_ | sort; echo "EXTRA=$EXTRA"; echo ---STDIN---; cat'],
      stdin: 'json',
      env: { EXTRA: 'yes' },
    });
    const task = makeTask(cwd, { verify: 'npm test', dependencies: [{ id: 'T000', title: 'dep', resultSummary: 'did it' }] });
    const r = await agent.run(task, ctx());
    assert.match(r.stdout!, /^CODITECT_TASK_ID=T001$/m);
    assert.match(r.stdout!, /^CODITECT_TASK_TITLE=Add a greeting module$/m);
    assert.match(r.stdout!, /^CODITECT_TASK_PRIORITY=P1$/m);
    assert.match(r.stdout!, /^CODITECT_TASK_VERIFY=npm test$/m);
    assert.match(r.stdout!, /^CODITECT_EPIC_ID=E001$/m);
    assert.match(r.stdout!, /^EXTRA=yes$/m);
    const json = JSON.parse(
      r
        .stdout!.split('\n')
        .find((l) => l.startsWith('CODITECT_TASK_JSON='))!
        .slice('CODITECT_TASK_JSON='.length),
    );
    assert.equal(json.dependencies[0].resultSummary, 'did it');
    const stdinJson = JSON.parse(r.stdout!.split('---STDIN---\n')[1]!);
    assert.equal(stdinJson.id, 'T001');
  });

  it('summarises a plain-text run with the tail of stdout and records the exit code', async () => {
    const r = await new CommandAgent('cmd', { executable: 'sh', args: ['-c', 'echo working; echo all done'], stdin: 'none' }).run(makeTask(cwd), ctx());
    assert.equal(r.summary, 'working\nall done');
    assert.equal(r.exitCode, 0);
  });

  it('maps exit codes: non-zero → transient (or by text), 127 → config, configured kinds, extra success codes', async () => {
    const run = (script: string, extra: Partial<ConstructorParameters<typeof CommandAgent>[1]> = {}) =>
      new CommandAgent('cmd', { executable: 'sh', args: ['-c', script], stdin: 'none', ...extra }).run(makeTask(cwd), ctx());
    const plain = await expectAgentError(run('echo oops >&2; exit 1'));
    assert.equal(plain.kind, 'transient');
    assert.match(plain.message, /exited with code 1: oops/);
    assert.equal((await expectAgentError(run('echo "HTTP 429 Too Many Requests" >&2; exit 1'))).kind, 'rate_limited');
    assert.equal((await expectAgentError(run('echo "Error: invalid api key" >&2; exit 1'))).kind, 'auth');
    assert.equal((await expectAgentError(run('exit 127'))).kind, 'config');
    assert.equal((await expectAgentError(run('exit 4', { exitCodeKinds: { '4': 'fatal' } }))).kind, 'fatal');
    const ok = await run('echo partial; exit 2', { successExitCodes: [0, 2] });
    assert.equal(ok.exitCode, 2);
  });

  it('on timeout kills the whole process tree and reports kind timeout', async () => {
    const ac = new AbortController();
    const started = deferred<number[]>();
    let buf = '';
    const p = new CommandAgent('cmd', { executable: 'sh', args: ['-c', 'sleep 1000 & echo $!; sleep 1000 & echo $!; wait'], stdin: 'none' }).run(
      makeTask(cwd),
      {
        ...ctx(),
        // Unsandboxed: the pids the child prints are host pids only outside a PID namespace (sandbox.test.ts covers the sandboxed kill).
        sandbox: testSandbox(cwd, { mode: 'off' }),
        signal: ac.signal,
        killGraceMs: 100,
        onOutput: (s, c) => {
          if (s !== 'stdout') return;
          buf += c;
          const pids = buf.split('\n').filter((l) => /^\d+$/.test(l));
          if (pids.length >= 2) started.resolve(pids.map(Number));
        },
      },
    );
    const pids = await started.promise;
    ac.abort(new DOMException('task timeout', 'TimeoutError'));
    const e = await expectAgentError(p);
    assert.equal(e.kind, 'timeout');
    for (const pid of pids) assert.equal(await becomesDead(pid), true, `pid ${pid} survived the timeout`);
  });

  it("never passes the engine's secrets, and redacts a secret it was given on purpose out of output and errors", async () => {
    const engineKey = 'sk-ant-api03-ENGINE-doNotLeak-0123456789';
    const ownToken = 'own-token-value-0123456789';
    const agent = (fail: string): CommandAgent =>
      new CommandAgent('cmd', {
        executable: 'sh',
        args: ['-c', 'echo "key is $ANTHROPIC_API_KEY; token is $SERVICE_TOKEN"; echo "$SERVICE_TOKEN" >&2; exit $FAIL'],
        stdin: 'none',
        env: { SERVICE_TOKEN: ownToken, FAIL: fail },
      });
    const r = await agent('0').run(makeTask(cwd), ctx({ ANTHROPIC_API_KEY: engineKey }));
    assert.equal(r.summary, 'key is ; token is ***');
    for (const s of allStrings(r)) assert.ok(!s.includes(engineKey) && !s.includes(ownToken));
    const e = await expectAgentError(agent('1').run(makeTask(cwd), ctx({ ANTHROPIC_API_KEY: engineKey })));
    for (const s of allStrings(e)) assert.ok(!s.includes(engineKey) && !s.includes(ownToken));
  });

  it('rejects bad configuration naming the agent and the problem', () => {
    assert.throws(
      () => new CommandAgent('c1', { executable: 'x', args: ['{nope}'] }),
      /agent "c1" \(command\): args\[0\] "\{nope\}" uses unknown placeholder \{nope\}/,
    );
    assert.throws(() => new CommandAgent('c2', { executable: '' }), /executable must be a non-empty string/);
    assert.throws(() => new CommandAgent('c3', { executable: 'x', exitCodeKinds: { '3': 'boom' as 'fatal' } }), /exitCodeKinds\["3"\] must be one of/);
    assert.throws(() => new CommandAgent('c4', { executable: 'x', successExitCodes: [] }), /successExitCodes/);
  });

  describe('codex preset (fake codex executable)', () => {
    it('runs `codex exec --json ... -` with the prompt on stdin and parses agent_message and usage', async () => {
      const agent = new CommandAgent('codex', codexPreset('codex', { model: 'gpt-5.5' }));
      const progress: string[] = [];
      const r = await agent.run(makeTask(cwd), { ...ctx(), onOutput: (s, c) => s === 'progress' && progress.push(c) });
      const rec = JSON.parse(readFileSync(record, 'utf8'));
      assert.deepEqual(rec.argv, ['exec', '--json', '--model', 'gpt-5.5', '--sandbox', 'workspace-write', '-C', cwd, '-']);
      assert.match(rec.stdin, /^You are backend-developer specialized agent\.\n\n# Task T001/);
      assert.equal(r.summary, 'Codex did: You are backend-developer specialized agent.');
      assert.equal(r.sessionId, '0199a213-81c0-7800-8aa1-bbab2a035a53');
      assert.equal(r.tokensIn, 200);
      assert.equal(r.tokensOut, 30);
      assert.ok(progress.some((p) => /command bash -lc ls/.test(p)));
    });

    it('classifies turn.failed: 429 text → rate_limited, otherwise transient', async () => {
      const agent = new CommandAgent('codex', codexPreset('codex'));
      assert.equal((await expectAgentError(agent.run(makeTask(cwd), ctx({ FAKE_CODEX_MODE: 'ratelimit' })))).kind, 'rate_limited');
      const e = await expectAgentError(agent.run(makeTask(cwd), ctx({ FAKE_CODEX_MODE: 'fail' })));
      assert.equal(e.kind, 'transient');
      assert.match(e.message, /invalid patch/);
    });

    it('parseCodexJsonl sums usage over turns and keeps the last agent message', () => {
      const p = parseCodexJsonl(
        [
          '{"type":"item.completed","item":{"type":"agent_message","text":"first"}}',
          '{"type":"turn.completed","usage":{"input_tokens":1,"output_tokens":2}}',
          'not json',
          '{"type":"item.completed","item":{"type":"agent_message","text":"second"}}',
          '{"type":"turn.completed","usage":{"input_tokens":10,"output_tokens":20}}',
        ].join('\n'),
      );
      assert.equal(p.summary, 'second');
      assert.equal(p.tokensIn, 11);
      assert.equal(p.tokensOut, 22);
    });
  });

  describe('gemini preset (fake gemini executable)', () => {
    it('runs `gemini --output-format json -p <prompt>` and parses response and token stats', async () => {
      const r = await new CommandAgent('gem', geminiPreset('gem', { model: 'gemini-2.5-pro' })).run(makeTask(cwd), ctx());
      const rec = JSON.parse(readFileSync(record, 'utf8'));
      assert.deepEqual(rec.argv.slice(0, 6), ['--model', 'gemini-2.5-pro', '--skip-trust', '--output-format', 'json', '-p']);
      assert.match(rec.argv[6], /^You are backend-developer specialized agent\.\n\n# Task T001/);
      assert.equal(r.summary, 'Gemini did: You are backend-developer specialized agent.');
      assert.equal(r.model, 'gemini-2.5-pro');
      assert.equal(r.tokensIn, 300);
      assert.equal(r.tokensOut, 40);
      assert.equal(r.sessionId, 'g-sess-1');
    });

    it('maps its error object and documented exit codes', async () => {
      const agent = new CommandAgent('gem', geminiPreset('gem'));
      const overloaded = await expectAgentError(agent.run(makeTask(cwd), ctx({ FAKE_GEMINI_MODE: 'error' })));
      assert.equal(overloaded.kind, 'transient');
      assert.match(overloaded.message, /overloaded/);
      assert.equal((await expectAgentError(agent.run(makeTask(cwd), ctx({ FAKE_GEMINI_MODE: 'auth' })))).kind, 'auth');
      assert.equal((await expectAgentError(agent.run(makeTask(cwd), ctx({ FAKE_GEMINI_MODE: 'inputerror' })))).kind, 'config');
    });

    it('trustWorkspace: false leaves the folder trust check to the CLI', async () => {
      await new CommandAgent('gem', geminiPreset('gem', { trustWorkspace: false })).run(makeTask(cwd), ctx());
      assert.ok(!JSON.parse(readFileSync(record, 'utf8')).argv.includes('--skip-trust'));
      assert.throws(() => geminiPreset('gem', { trustWorkspace: 'yes' as unknown as boolean }), /trustWorkspace must be true or false, got "yes"/);
    });

    it('parseGeminiJson sums every model the CLI called and names the one in the main role', () => {
      const tokens = (prompt: number, candidates: number, cached: number) => ({ tokens: { prompt, candidates, cached } });
      const p = parseGeminiJson(
        JSON.stringify({
          response: 'done',
          stats: {
            models: {
              'gemini-flash-lite': { ...tokens(3, 2, 0), roles: { utility_router: {} } },
              'gemini-pro': { ...tokens(20, 10, 4), roles: { main: {} } },
            },
          },
        }),
      );
      assert.equal(p.model, 'gemini-pro');
      assert.equal(p.tokensIn, 23);
      assert.equal(p.tokensOut, 12);
      assert.equal(p.cacheReadTokens, 4);
    });

    it('parseGeminiJson tolerates warnings printed before the object', () => {
      const p = parseGeminiJson('Warning: something\n{"response":"hi","stats":{"models":{"m":{"tokens":{"prompt":1,"candidates":2}}}}}');
      assert.equal(p.summary, 'hi');
      assert.equal(p.tokensOut, 2);
    });
  });
});
