// pause_after through the built CLI (dry-run agents): `run` holds dispatch after the configured number of completions
// and ends `paused`, saying what was done and how to go on; the next `run` is the look and goes on from there.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliEnv, ensureBuilt, removeWorkspace, runCli, tempWorkspace } from '../cli/cliHarness';
import { BUS_PLAN } from './busPlan';

describe('pause_after (built bundle, dry-run agents)', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => ensureBuilt());
  afterEach(() => dir && removeWorkspace(dir));

  it('run pauses after N completions with a summary and the way on; the next run goes on', async () => {
    dir = tempWorkspace({ 'TASKLIST.md': BUS_PLAN, 'config.json': JSON.stringify({ pause_after: { tasks: 2 } }) });
    const env = cliEnv({});
    const args = ['TASKLIST.md', '--config', 'config.json', '--agent', 'dry-run', '--concurrency', '1'];

    const first = await runCli(['run', ...args, '--json'], dir, env);
    assert.equal(first.code, 1, first.stderr.slice(-2000));
    const r = JSON.parse(first.stdout);
    assert.equal(r.outcome, 'paused');
    assert.equal(r.pausedFor, 'pause_after: 2 tasks completed since the last look; done: T001.001, T001.002; 0 failed');
    assert.equal(r.counts.completed, 2);
    const md = readFileSync(join(dir, 'TASKLIST.md'), 'utf8');
    assert.match(md, /- \[x\] \*\*T001\.002\*\*/);
    assert.match(md, /- \[ \] \*\*T001\.003\*\*/, 'nothing started after the hold');

    const second = await runCli(['run', ...args], dir, env);
    assert.equal(second.code, 0, second.stderr.slice(-2000));
    assert.match(second.stdout, /^completed: 3\/3/m);
  });

  it('the text output says what was done and that a new run goes on', async () => {
    dir = tempWorkspace({ 'TASKLIST.md': BUS_PLAN, 'config.json': JSON.stringify({ pause_after: { tasks: 1 } }) });
    const r = await runCli(['run', 'TASKLIST.md', '--config', 'config.json', '--agent', 'dry-run', '--concurrency', '1'], dir, cliEnv({}));
    assert.equal(r.code, 1, r.stderr.slice(-2000));
    assert.match(r.stdout, /^paused: 1\/3 /m);
    assert.match(r.stdout, /^ {2}paused: pause_after: 1 task completed since the last look; done: T001\.001; 0 failed \(look, then run again to go on\)$/m);
  });

  it('a bad value is refused with its key and the rule', async () => {
    dir = tempWorkspace({ 'TASKLIST.md': BUS_PLAN, 'config.json': JSON.stringify({ pause_after: { tasks: 0 } }) });
    const r = await runCli(['status', 'TASKLIST.md', '--config', 'config.json'], dir, cliEnv({}));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pause_after\.tasks/);
  });
});
