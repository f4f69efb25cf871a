import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ATTEMPT_ENV, takeSpawned } from '../../../src/engine/agents/orphans';
import { CappedText, runProcessTree, SpawnError } from '../../../src/engine/agents/processTree';
import { cleanup, deferred, becomesDead, isAlive, makeTempDir } from '../../fakes/agentTestKit';

/** Starts `script` under sh and resolves with the first `n` pids it prints (one per line). */
function startPrinting(script: string, n: number, signal: AbortSignal, cwd: string, killGraceMs = 200) {
  let buf = '';
  const gotPids = deferred<number[]>();
  const done = runProcessTree({
    command: 'sh',
    args: ['-c', script],
    cwd,
    env: { PATH: process.env.PATH },
    signal,
    killGraceMs,
    onStdout: (c) => {
      buf += c;
      const lines = buf.split('\n').filter((l) => /^\d+$/.test(l.trim()));
      if (lines.length >= n) gotPids.resolve(lines.slice(0, n).map(Number));
    },
  });
  return { pids: gotPids.promise, done };
}

describe('processTree', () => {
  let cwd: string;
  beforeEach(() => (cwd = makeTempDir()));
  afterEach(() => cleanup(cwd));

  it("notes the attempt mark of each process it starts: the attempt's end then knows to look for leftovers", async () => {
    const mark = `note-test#${process.pid}`;
    assert.equal(takeSpawned(mark), false, 'nothing started with the mark yet');
    await runProcessTree({ command: 'true', args: [], cwd, env: { PATH: process.env.PATH } });
    assert.equal(takeSpawned(mark), false, 'a process without the mark is not noted');
    const r = await runProcessTree({ command: 'true', args: [], cwd, env: { PATH: process.env.PATH, [ATTEMPT_ENV]: mark } });
    assert.equal(r.exitCode, 0);
    assert.equal(takeSpawned(mark), true, 'started with the mark');
    assert.equal(takeSpawned(mark), false, 'taken once');
  });

  it('on abort kills the child and its grandchildren: no orphan survives', async () => {
    const ac = new AbortController();
    const { pids, done } = startPrinting('sleep 1000 & echo $!; sleep 1000 & echo $!; echo $$; wait', 3, ac.signal, cwd);
    const ps = await pids;
    for (const p of ps) assert.ok(isAlive(p), `pid ${p} should be running before the abort`);
    ac.abort();
    const r = await done;
    assert.equal(r.aborted, true);
    for (const p of ps) assert.equal(await becomesDead(p), true, `pid ${p} survived the abort`);
  });

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    const ac = new AbortController();
    const { pids, done } = startPrinting('trap "" TERM; sleep 1000 & echo $!; echo $$; wait', 2, ac.signal, cwd, 100);
    const ps = await pids;
    ac.abort();
    const r = await done;
    assert.equal(r.aborted, true);
    assert.equal(r.killed, true, 'SIGKILL should have been needed');
    for (const p of ps) assert.equal(await becomesDead(p), true, `pid ${p} survived SIGKILL`);
  });

  it('stops background jobs left behind when the leader exits by itself', async () => {
    const r = await runProcessTree({ command: 'sh', args: ['-c', 'sleep 1000 & echo $!'], cwd, env: { PATH: process.env.PATH }, killGraceMs: 200 });
    assert.equal(r.exitCode, 0);
    assert.equal(r.aborted, false);
    const pid = Number(r.stdout.trim());
    assert.ok(pid > 0);
    assert.equal(await becomesDead(pid), true, 'the background sleep outlived its task');
  });

  it('resolves once the leader exited although a process that left the group (setsid) holds its output', async () => {
    // The leftover writes its pid, then sleeps in its own session with the output pipes still open; the leader waits
    // for the pid file (so setsid has happened) and exits.
    const script = `setsid sh -c 'echo $$ > left.pid; echo $$; exec sleep 1000' & while [ ! -s left.pid ]; do sleep 0.05; done`;
    const r = await runProcessTree({ command: 'sh', args: ['-c', script], cwd, env: { PATH: process.env.PATH }, killGraceMs: 100 });
    const pid = Number(readFileSync(join(cwd, 'left.pid'), 'utf8').trim());
    try {
      assert.equal(r.exitCode, 0);
      assert.equal(r.outputHeld, true, 'the leftover held the output pipes');
      assert.ok(isAlive(pid), "out of the group kill reach: stopping it is the caller's (by the attempt mark)");
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });

  it('passes args as an array (no shell), stdin content and only the given env', async () => {
    const r = await runProcessTree({
      command: 'sh',
      args: ['-c', 'cat; printf "|%s|%s|%s" "$1" "$FOO" "${HOME:-unset}"', 'sh', '$(echo injected) && rm -rf x'],
      cwd,
      env: { PATH: process.env.PATH, FOO: 'bar' },
      stdin: 'from-stdin',
    });
    assert.equal(r.stdout, 'from-stdin|$(echo injected) && rm -rf x|bar|unset');
    assert.equal(r.exitCode, 0);
  });

  it('reports exit codes and keeps stdout and stderr apart', async () => {
    const r = await runProcessTree({ command: 'sh', args: ['-c', 'echo out; echo err >&2; exit 7'], cwd, env: { PATH: process.env.PATH } });
    assert.equal(r.exitCode, 7);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  it('caps captured output keeping head and tail and marks the truncation', async () => {
    const r = await runProcessTree({
      command: process.execPath,
      args: ['-e', "process.stdout.write('BEGIN' + 'a'.repeat(200000) + 'END')"],
      cwd,
      env: {},
      maxOutputChars: 1000,
    });
    assert.equal(r.stdoutTruncated, true);
    assert.ok(r.stdout.startsWith('BEGIN'));
    assert.ok(r.stdout.endsWith('END'));
    assert.match(r.stdout, /truncated \d+ characters/);
    assert.ok(r.stdout.length < 1100);
  });

  it('rejects with a SpawnError naming the executable when it does not exist', async () => {
    await assert.rejects(
      runProcessTree({ command: 'no-such-executable-coditect', args: [], cwd, env: { PATH: process.env.PATH } }),
      (e: unknown) => e instanceof SpawnError && e.code === 'ENOENT' && /no-such-executable-coditect/.test(e.message),
    );
  });

  it('does not start anything when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await runProcessTree({ command: 'sh', args: ['-c', 'echo should-not-run'], cwd, env: { PATH: process.env.PATH }, signal: ac.signal });
    assert.equal(r.aborted, true);
    assert.equal(r.pid, undefined);
    assert.equal(r.stdout, '');
  });

  it('CappedText keeps everything under the cap and rejects a silly cap', () => {
    const c = new CappedText(10);
    c.push('abc');
    c.push('def');
    assert.equal(c.toString(), 'abcdef');
    assert.equal(c.truncated, false);
    c.push('ghijklmnop');
    assert.equal(c.truncated, true);
    assert.ok(c.toString().startsWith('abcde'));
    assert.ok(c.toString().endsWith('lmnop'));
    assert.throws(() => new CappedText(1), /maxOutputChars/);
  });
});
