// A task list the engine cannot write, and one it cannot read tasks from, with real processes and a real filesystem
// fault (the plan's directory refuses new files, so the atomic write's temp file cannot be made): the run says so as
// an error and exits 1 instead of "completed 2/2" with no box ticked; a write that fails and later works is retried
// until it lands; a binary file is refused by name.
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, removeWorkspace, runCli, startCli, tempWorkspace } from '../cli/cliHarness';
import { GATED_AGENT, makeFifo, makeUnwritable, releaseFifo, waitForLine } from './faultKit';

const PLAN = `# Plan

## E001: Core

### F001.01: Work

- [ ] **T001.001** Build the module (P0, 1h)
- [ ] **T001.002** Build the other module (P0, 1h)
`;
const CONFIG = JSON.stringify({ default_agent: 'gated', agents: { gated: GATED_AGENT }, sandbox: { mode: 'off' } });
const ticked = (dir: string): number => (readFileSync(join(dir, 'PLAN-TASKLIST.md'), 'utf8').match(/^- \[x\]/gm) ?? []).length;

describe('faults: a task list that cannot be written or holds no tasks (real processes, real filesystem)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const undo: (() => void)[] = [];
  const children: { kill(sig?: NodeJS.Signals): unknown }[] = [];
  before(() => ensureBuilt());
  afterEach(() => {
    children.splice(0).forEach((c) => c.kill('SIGKILL'));
    undo.splice(0).forEach((u) => u());
  });
  after(() => dirs.forEach(removeWorkspace));

  const workspace = async (): Promise<string> => {
    const dir = tempWorkspace({ 'PLAN-TASKLIST.md': PLAN, 'config.json': CONFIG });
    dirs.push(dir);
    const s = await runCli(['sync', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir); // .coditect/ and the db exist before the fault
    assert.equal(s.code, 0, s.stderr);
    return dir;
  };

  it('run: every write-back fails → an error naming the cause, exit 1; `coditect sync` ticks the boxes once it can write', async () => {
    const dir = await workspace();
    const restore = makeUnwritable(dir);
    undo.push(restore);
    const r = await runCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--json'], dir);
    undo.pop()!();
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { outcome: string; counts: { done: number }; markdownNotWritten?: string };
    assert.equal(out.counts.done, 2, 'the tasks did complete (in the database)');
    assert.match(out.markdownNotWritten ?? '', /cannot write .*PLAN-TASKLIST\.md: E(PERM|ACCES)/);
    assert.match(r.stderr, /ERROR cannot write .*PLAN-TASKLIST\.md/);
    assert.match(r.stderr, /does not show the engine's last statuses: .*`coditect sync` writes them/);
    assert.equal(ticked(dir), 0, 'the fault was real: nothing reached the file');

    const s = await runCli(['sync', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(ticked(dir), 2, 'the statuses were kept and reach the file once it can be written');
  });

  it('run: a write-back that fails is retried with backoff and lands once the file can be written; exit 0', async () => {
    const dir = await workspace();
    makeFifo(join(dir, 'gate-T001.002.fifo'));
    undo.push(makeUnwritable(dir));
    const run = startCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir);
    children.push(run);
    let stderr = '';
    run.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => run.on('exit', (code) => r(code)));
    await waitForLine(run, 'stderr', /ERROR cannot write .*PLAN-TASKLIST\.md/); // T001.001's tick
    undo.pop()!();
    await waitForLine(run, 'stderr', /PLAN-TASKLIST\.md written again/);
    assert.equal(ticked(dir), 1, 'the retry wrote the tick that had failed');
    await releaseFifo(join(dir, 'gate-T001.002.fifo'));
    assert.equal(await exited, 0, stderr.slice(-3000));
    assert.equal(ticked(dir), 2);
  });

  it('run: a binary file has no tasks → an error naming the NUL byte, exit 1', async () => {
    const dir = await workspace();
    writeFileSync(join(dir, 'tasks.md'), Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\0\0\0'), Buffer.alloc(64, 0xff)]));
    const r = await runCli(['run', 'tasks.md', '--config', 'config.json'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error: .*tasks\.md has no tasks, nothing to run: it looks binary \(NUL byte at offset 7\)/);
  });
});
