// An agent that leaves processes behind outside its process group (setsid), with real processes: one still holds the
// agent's output pipes (before, `coditect run` waited for it forever), one closed them (before, it outlived the run
// unseen). The attempt ends once its agent did, both are stopped and named, and the run exits with its outcome.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordFigure } from './figures';
import { ensureBuilt, removeWorkspace, runCli, tempWorkspace } from '../cli/cliHarness';

const PLAN = `# Plan

## E001: Core

### F001.01: Work

- [ ] **T001.001** Build the module (P0, 1h)
`;
// Each leftover writes its pid, then becomes a 600 s sleep in its own session; the agent exits once both exist.
const AGENT = {
  kind: 'command',
  executable: 'sh',
  args: [
    '-c',
    [
      `setsid sh -c 'echo $$ > held.pid; exec sleep 600' &`,
      `setsid sh -c 'echo $$ > quiet.pid; exec sleep 600' </dev/null >/dev/null 2>&1 &`,
      'while [ ! -s held.pid ] || [ ! -s quiet.pid ]; do sleep 0.05; done',
      'echo done',
    ].join('\n'),
  ],
  stdin: 'none',
};
const CONFIG = JSON.stringify({ default_agent: 'worker', agents: { worker: AGENT }, sandbox: { mode: 'off' }, timeouts: { kill_grace_ms: 500 } });

/** True while `pid` runs (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

describe('faults: an agent leaves processes outside its process group (real processes)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const pids: number[] = [];
  before(() => ensureBuilt());
  after(() => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    dirs.forEach(removeWorkspace);
  });

  it('run ends with its outcome; the leftovers, holding its output or not, are stopped and named', async () => {
    const dir = tempWorkspace({ 'PLAN-TASKLIST.md': PLAN, 'config.json': CONFIG });
    dirs.push(dir);
    const r = await runCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir);
    const [held, quiet] = ['held.pid', 'quiet.pid'].map((f) => Number(readFileSync(join(dir, f), 'utf8').trim()));
    pids.push(held, quiet);
    const leaked = [held, quiet].filter(alive).length;
    recordFigure({
      scenario: 'agent leaves setsid processes',
      trials: 1,
      survived: r.code === 0 && leaked === 0 ? 1 : 0,
      lost: 0,
      duplicated: 0,
      leaked,
      note: `exit ${r.code}`,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^completed: 1\/1/m);
    const m = /T001\.001 attempt 1: stopped (\d+) process\(es\) its agent left running outside its process group: (.*)/.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.equal(Number(m[1]), 2);
    for (const pid of [held, quiet]) assert.match(m[2], new RegExp(`pid ${pid} sleep 600`));
    assert.deepEqual([held, quiet].filter(alive), [], 'no leftover survives the attempt');
  });

  it('attempts ending together share one look at the processes, and each stops and names only its own leftover', async () => {
    // Three tasks at once, each agent leaving one setsid process named after its task, all waiting for each other's
    // leftover before exiting: the three attempts end within moments, so their looks are folded into shared scans.
    const ids = ['T001.001', 'T001.002', 'T001.003'];
    const plan = `# Plan\n\n## E001: Core\n\n### F001.01: Work\n\n${ids.map((id) => `- [ ] **${id}** Build part ${id} (P0, 1h)\n`).join('')}`;
    const agent = {
      kind: 'command',
      executable: 'sh',
      args: [
        '-c',
        [
          'id=$(mktemp -u left.XXXXXX)',
          `setsid sh -c "echo \\$\\$ > $id.pid; exec sleep 600" </dev/null >/dev/null 2>&1 &`,
          'while [ "$(ls left.*.pid 2>/dev/null | wc -l)" -lt 3 ]; do sleep 0.05; done',
          'cat $id.pid',
        ].join('\n'),
      ],
      stdin: 'none',
    };
    const config = JSON.stringify({
      default_agent: 'worker',
      agents: { worker: agent },
      sandbox: { mode: 'off' },
      max_concurrent_agents: 3,
      timeouts: { kill_grace_ms: 500 },
    });
    const dir = tempWorkspace({ 'PLAN-TASKLIST.md': plan, 'config.json': config });
    dirs.push(dir);
    const r = await runCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir);
    const left = readdirSync(dir)
      .filter((f) => /^left\..*\.pid$/.test(f))
      .map((f) => Number(readFileSync(join(dir, f), 'utf8').trim()));
    pids.push(...left);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^completed: 3\/3/m);
    assert.equal(left.length, 3);
    const named = [...r.stderr.matchAll(/(T001\.00\d) attempt 1: stopped (\d+) process\(es\) its agent left running outside its process group: pid (\d+) /g)];
    assert.deepEqual(named.map((m) => m[1]).sort(), ids, r.stderr);
    for (const m of named) assert.equal(Number(m[2]), 1, `${m[1]} names one process: ${m[0]}`);
    assert.deepEqual(named.map((m) => Number(m[3])).sort(), [...left].sort(), 'each leftover is named once, by the attempt that left it');
    assert.deepEqual(left.filter(alive), [], 'no leftover survives its attempt');
  });
});
