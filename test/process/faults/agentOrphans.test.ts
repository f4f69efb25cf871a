// An engine SIGKILLed while its agents run, with real processes: the agents (one of them with a child that left the
// process group with setsid) outlive it, as orphans still working. The next start stops every one of them before it
// runs their tasks again, names them, and each task is then completed exactly once.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, removeWorkspace, runCli, startCli, tempWorkspace } from '../cli/cliHarness';
import { dbRows, makeFifo, waitForLine } from './faultKit';
import { recordFigure } from './figures';

const PLAN = `# Plan

## E001: Core

### F001.01: Work

- [ ] **T001.001** Build the module (P0, 1h)
- [ ] **T001.002** Build the other module (P0, 1h)
`;
// While hold-<id>.fifo exists the agent reports its pid and its setsid'd child's pid through it, then works "forever";
// once the test removed the FIFOs it finishes at once.
const AGENT = {
  kind: 'command',
  executable: 'sh',
  args: ['-c', 'f="hold-$1.fifo"; if [ -p "$f" ]; then setsid sleep 600 & echo "$$ $!" > "$f"; exec sleep 600; fi; echo "done $1"', 'sh', '{id}'],
  stdin: 'none',
};
const CONFIG = JSON.stringify({ default_agent: 'worker', agents: { worker: AGENT }, sandbox: { mode: 'off' }, timeouts: { kill_grace_ms: 500 } });

/** True while `pid` runs (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/** Reads one line from a FIFO through a child (this process never blocks on it). */
function readFifo(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const cat = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    cat.stdout.on('data', (d: Buffer) => (out += d.toString()));
    cat.on('error', reject);
    cat.on('close', () => resolve(out.trim()));
  });
}

describe('faults: the engine killed while its agents run (real processes)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const leftovers: number[] = [];
  before(() => ensureBuilt());
  after(() => {
    for (const pid of leftovers) if (alive(pid)) process.kill(pid, 'SIGKILL');
    dirs.forEach(removeWorkspace);
  });

  it('SIGKILL mid-attempt: the restart stops the orphaned agents (setsid children too) before running their tasks again', async () => {
    const dir = tempWorkspace({ 'PLAN-TASKLIST.md': PLAN, 'config.json': CONFIG });
    dirs.push(dir);
    const ids = ['T001.001', 'T001.002'];
    for (const id of ids) makeFifo(join(dir, `hold-${id}.fifo`));
    const run = startCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir);
    const exited = new Promise<void>((r) => run.on('exit', () => r()));
    await waitForLine(run, 'stderr', /orchestration started/);
    const pids = (await Promise.all(ids.map((id) => readFifo(join(dir, `hold-${id}.fifo`))))).flatMap((l) => l.split(' ').map(Number));
    leftovers.push(...pids);
    assert.equal(pids.length, 4, 'two agents, each with a setsid child');

    run.kill('SIGKILL');
    await exited;
    assert.ok(pids.every(alive), 'the agents outlived the engine (orphans still working)');
    for (const id of ids) unlinkSync(join(dir, `hold-${id}.fifo`));

    const again = await runCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--json'], dir);
    const survivors = pids.filter(alive).length;
    const rows = dbRows<{ task_id: string; status: string }>(join(dir, '.coditect/context.db'), 'SELECT task_id, status FROM agent_execution_log');
    const done = ids.map((id) => rows.filter((a) => a.task_id === id && a.status === 'completed').length);
    recordFigure({
      scenario: 'SIGKILL of the engine with 2 agents (+2 setsid children) running, then a restart',
      trials: 1,
      survived: again.code === 0 && survivors === 0 && done.every((n) => n === 1) ? 1 : 0,
      lost: done.filter((n) => n === 0).length,
      duplicated: done.reduce((a, n) => a + Math.max(0, n - 1), 0),
      leaked: survivors,
    });
    assert.equal(again.code, 0, again.stderr);
    const m = /stopped (\d+) process\(es\) a previous engine's agents left running: (.*)/.exec(again.stderr);
    assert.ok(m, again.stderr);
    assert.equal(Number(m[1]), 4);
    for (const id of ids) assert.match(m[2], new RegExp(`${id.replace('.', '\\.')} attempt 1`));
    assert.deepEqual(pids.filter(alive), [], 'no orphan survives the restart');
    const attempts = dbRows<{ task_id: string; attempt: number; status: string }>(
      join(dir, '.coditect/context.db'),
      'SELECT task_id, attempt, status FROM agent_execution_log ORDER BY task_id, log_id',
    );
    assert.deepEqual(
      attempts.map((a) => [a.task_id, a.attempt, a.status]),
      [
        ['T001.001', 1, 'released'],
        ['T001.001', 1, 'completed'],
        ['T001.002', 1, 'released'],
        ['T001.002', 1, 'completed'],
      ],
    );
  });
});
