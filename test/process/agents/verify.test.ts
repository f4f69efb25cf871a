import * as assert from 'node:assert/strict';
import { runVerify } from '../../../src/engine/agents/verify';
import { defaultSandboxPolicy } from '../../../src/engine/agents/sandbox';
import { cleanup, deferred, becomesDead, isAlive, makeTempDir } from '../../fakes/agentTestKit';

describe('runVerify', () => {
  let cwd: string;
  const env = { PATH: process.env.PATH };
  beforeEach(() => (cwd = makeTempDir()));
  afterEach(() => cleanup(cwd));

  it('passes when the command exits 0, running in the task cwd through sh', async () => {
    const r = await runVerify('test "$(pwd)" = "$PWD" && pwd', cwd, new AbortController().signal, env);
    assert.equal(r.ok, true);
    assert.equal(r.exitCode, 0);
    assert.equal(r.output.trim(), cwd);
  });

  it('a Verify line starting with "-" is the command, never an option of the shell', async () => {
    // Without `sh -c -- …` the shell read "-x; echo …" as its own options and never ran the person's line.
    const r = await runVerify('-x 2>/dev/null; echo ran as a command', cwd, new AbortController().signal, env);
    assert.match(r.output, /ran as a command/);
    assert.equal(r.ok, true);
  });

  it('fails with the exit code and interleaved stdout and stderr', async () => {
    const r = await runVerify('echo one; echo two >&2; exit 3', cwd, new AbortController().signal, env);
    assert.equal(r.ok, false);
    assert.equal(r.exitCode, 3);
    assert.match(r.output, /one/);
    assert.match(r.output, /two/);
  });

  it('is killed with its children when the signal fires', async () => {
    const ac = new AbortController();
    const printed = deferred<number>();
    let buf = '';
    const p = runVerify('sleep 1000 & echo $!; wait', cwd, ac.signal, env, {
      killGraceMs: 100,
      // Unsandboxed: the pids the child prints are host pids only outside a PID namespace (sandbox.test.ts covers the sandboxed kill).
      sandbox: defaultSandboxPolicy(cwd, { mode: 'off' }),
      onOutput: (c) => {
        buf += c;
        if (buf.includes('\n')) printed.resolve(Number(buf.trim()));
      },
    });
    const pid = await printed.promise;
    assert.ok(isAlive(pid));
    ac.abort();
    const r = await p;
    assert.equal(r.ok, false);
    assert.equal(r.aborted, true);
    assert.equal(await becomesDead(pid), true);
  });

  it('rejects an empty command with an error naming the problem', async () => {
    await assert.rejects(runVerify('   ', cwd, new AbortController().signal, env), /Verify command is empty/);
  });
});
