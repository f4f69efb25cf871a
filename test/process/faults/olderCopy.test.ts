// Another program writes back an older copy of the task list (#14 item 7: a stale read-modify-write re-ran 5 finished
// tasks), with the real CLI, real agents (a command that logs each run), a real file and a real context.db: the
// tasks agents completed that the copy unticks do not run again, their boxes are ticked again and a warning says so;
// a person unticking one task on its own still runs it again. The rule: src/core/olderCopy.ts, docs/sync.md.
import { strict as assert } from 'node:assert';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, renameSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, removeWorkspace, runCli, startCli, tempWorkspace } from '../cli/cliHarness';
import { dbRows, makeFifo, releaseFifo, waitForLine } from './faultKit';
import { recordFigure } from './figures';

const IDS = ['T001.001', 'T001.002', 'T001.003', 'T001.004', 'T001.005'];
const PLAN = ['# Plan', '', '## E001: Core', '', '### F001.01: Work', '', ...IDS.map((id, i) => `- [ ] **${id}** Build part ${i + 1} (P0, 1h)`), ''].join('\n');
/** Every task runs a command that appends its id to runs.log: one line per real run. */
const CONFIG = JSON.stringify({
  default_agent: 'logger',
  agents: { logger: { kind: 'command', executable: 'sh', args: ['-c', 'echo "$1" >> runs.log', 'sh', '{id}'], stdin: 'none' } },
  sandbox: { mode: 'off' },
});
const RUN = ['run', 'PLAN-TASKLIST.md', '--config', 'config.json'];
/** The same, but a task waits on `gate-<id>.fifo` when the test made one (faultKit's GATED_AGENT), then logs its run. */
const GATED_LOGGER = JSON.stringify({
  default_agent: 'logger',
  agents: {
    logger: {
      kind: 'command',
      executable: 'sh',
      args: ['-c', 'f="gate-$1.fifo"; if [ -p "$f" ]; then read x < "$f"; fi; echo "$1" >> runs.log', 'sh', '{id}'],
      stdin: 'none',
    },
  },
  sandbox: { mode: 'off' },
});
/** T001.004 and T001.005 fail for good (no retries); each run is logged. */
const FAILING = ['T001.004', 'T001.005'];
const FAILING_LOGGER = JSON.stringify({
  default_agent: 'logger',
  agents: {
    logger: {
      kind: 'command',
      executable: 'sh',
      args: ['-c', 'echo "$1" >> runs.log; case "$1" in T001.004|T001.005) exit 1;; esac', 'sh', '{id}'],
      stdin: 'none',
    },
  },
  retry: { max_attempts: 0 },
  sandbox: { mode: 'off' },
});
const WARNING =
  /WARN +another program wrote an older copy of PLAN-TASKLIST\.md: (\S+(?:, \S+)*) stay completed(?:; \S+(?:, \S+)*, added since, (?:is|are) put back)?; untick a task on its own to run it again/;

describe('faults: an older copy of the task list written back by another program (real CLI, real agents)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const children: { kill(sig?: NodeJS.Signals): unknown }[] = [];
  before(() => ensureBuilt());
  afterEach(() => children.splice(0).forEach((c) => c.kill('SIGKILL')));
  after(() => dirs.forEach(removeWorkspace));

  const workspace = (
    config = CONFIG,
  ): { dir: string; plan: string; runs: () => string[]; ticked: () => string[]; badged: (status: string) => string[]; statuses: () => string[] } => {
    const dir = tempWorkspace({ 'PLAN-TASKLIST.md': PLAN, 'config.json': config });
    dirs.push(dir);
    const plan = join(dir, 'PLAN-TASKLIST.md');
    return {
      dir,
      plan,
      runs: () => (existsSync(join(dir, 'runs.log')) ? readFileSync(join(dir, 'runs.log'), 'utf8').split('\n').filter(Boolean) : []),
      ticked: () => [...readFileSync(plan, 'utf8').matchAll(/^- \[x\] \*\*(\S+)\*\*/gm)].map((m) => m[1]),
      badged: (status: string) =>
        [...readFileSync(plan, 'utf8').matchAll(new RegExp(`^- \\[ \\] \\*\\*(\\S+)\\*\\*.* \`status:${status}\`$`, 'gm'))].map((m) => m[1]),
      statuses: () => dbRows<{ status: string }>(join(dir, '.coditect/context.db'), 'SELECT status FROM v2_tasks ORDER BY task_id').map((r) => r.status),
    };
  };
  /** Saves `text` over `file` the way editors do: a temp file beside it, renamed over it. */
  const saveByRename = (file: string, text: string): void => {
    writeFileSync(`${file}.editor~`, text);
    renameSync(`${file}.editor~`, file);
  };

  /** The plan copied as it is, run to completion, then `sync --watch` started on it: a watching engine and an older copy. */
  const watchAfterRun = async (): Promise<{ w: ReturnType<typeof workspace>; copy: string; watcher: ChildProcess }> => {
    const w = workspace();
    const copy = readFileSync(w.plan, 'utf8');
    const run = await runCli(RUN, w.dir);
    assert.equal(run.code, 0, run.stderr);
    const watcher = startCli(['sync', 'PLAN-TASKLIST.md', '--watch', '--config', 'config.json'], w.dir);
    children.push(watcher);
    await waitForLine(watcher, 'stderr', /watching /);
    return { w, copy, watcher };
  };

  it('run, an older copy saved over the plan, run again: nothing re-runs, the boxes are ticked again; one untick re-runs that task', async () => {
    const w = workspace();
    const copy = readFileSync(w.plan, 'utf8'); // what the other program read before the run
    const first = await runCli(RUN, w.dir);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(w.runs().sort(), IDS);
    assert.deepEqual(w.ticked(), IDS);

    saveByRename(w.plan, `${copy}\nNotes the other program added.\n`);
    const second = await runCli(RUN, w.dir);
    const rerun = w.runs().length - IDS.length;
    const ticked = w.ticked();
    recordFigure({
      scenario: 'older copy of the plan saved over it after a run (5 ticks reverted), run again',
      trials: 1,
      survived: second.code === 0 && rerun === 0 && ticked.length === IDS.length ? 1 : 0,
      lost: IDS.length - ticked.length,
      duplicated: rerun,
      leaked: 0,
    });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(rerun, 0, `no finished task ran again: ${w.runs().join(' ')}`);
    assert.deepEqual(ticked, IDS, 'the boxes are ticked again');
    assert.equal(WARNING.exec(second.stderr)?.[1], IDS.join(', '), second.stderr);
    assert.match(readFileSync(w.plan, 'utf8'), /\nNotes the other program added\.\n$/, "the other program's text is kept");
    assert.deepEqual(
      w.statuses(),
      IDS.map(() => 'completed'),
    );

    // A person unticks one task, in place, in the current file: it runs again, once.
    writeFileSync(w.plan, readFileSync(w.plan, 'utf8').replace('- [x] **T001.003**', '- [ ] **T001.003**'));
    const third = await runCli(RUN, w.dir);
    assert.equal(third.code, 0, third.stderr);
    assert.doesNotMatch(third.stderr, /older copy/);
    assert.deepEqual(w.runs().slice(IDS.length), ['T001.003']);
    assert.deepEqual(w.ticked(), IDS);
  });

  // #14: the rule looked at ticks only, so the same older copy also cleared the `failed` badges written after it was
  // read, and those tasks ran again.
  it('an older copy that also clears failed badges: the failed tasks do not run again, their badges come back', async () => {
    const w = workspace(FAILING_LOGGER);
    const copy = readFileSync(w.plan, 'utf8');
    const first = await runCli(RUN, w.dir);
    assert.equal(first.code, 1, 'two tasks failed for good: the run stalls');
    assert.deepEqual(w.runs().sort(), IDS);
    assert.deepEqual(w.ticked(), IDS.slice(0, 3));
    assert.deepEqual(w.badged('failed'), FAILING);

    saveByRename(w.plan, copy);
    const second = await runCli(RUN, w.dir);
    const rerun = w.runs().slice(IDS.length);
    recordFigure({
      scenario: 'older copy saved over the plan after a run (3 ticks and 2 failed badges reverted), run again',
      trials: 1,
      survived: rerun.length === 0 && w.badged('failed').length === FAILING.length ? 1 : 0,
      lost: 0,
      duplicated: rerun.length,
      leaked: 0,
    });
    assert.deepEqual(rerun, [], 'no task ran again');
    assert.equal(second.code, 1, second.stderr);
    assert.deepEqual(w.ticked(), IDS.slice(0, 3), 'the ticks are back');
    assert.deepEqual(w.badged('failed'), FAILING, 'and the failed badges');
    assert.match(
      second.stderr,
      /WARN +another program wrote an older copy of PLAN-TASKLIST\.md: T001\.001, T001\.002, T001\.003 stay completed, T001\.004, T001\.005 stay failed; untick a task or remove its badge on its own to run it again/,
    );
    assert.deepEqual(w.statuses(), ['completed', 'completed', 'completed', 'failed', 'failed']);

    // Removing one badge on its own is a person retrying that task: it runs again, once.
    writeFileSync(w.plan, readFileSync(w.plan, 'utf8').replace(/(\*\*T001\.004\*\*.*) `status:failed`/, '$1'));
    const third = await runCli(RUN, w.dir);
    assert.equal(third.code, 1, third.stderr);
    assert.deepEqual(w.runs().slice(IDS.length), ['T001.004']);
  });

  it('a watching engine (sync --watch) sees the older copy as it lands: boxes ticked again at once, the database unchanged', async () => {
    const { w, copy, watcher } = await watchAfterRun();
    const warned = waitForLine(watcher, 'stderr', WARNING);
    saveByRename(w.plan, copy);
    assert.equal((await warned)[1], IDS.join(', '));
    assert.deepEqual(w.ticked(), IDS, 'ticked again before the warning was said');
    assert.deepEqual(
      w.statuses(),
      IDS.map(() => 'completed'),
    );
    assert.equal(w.runs().length, IDS.length);
  });

  // #14: tasks a person added after the copy was read were archived, their lines gone from the file.
  it('a watching engine puts back the lines of tasks added after the older copy was read, and keeps them live', async () => {
    const { w, copy, watcher } = await watchAfterRun();
    const added = '- [ ] **T001.006** Added after the copy was read (P1, 1h)\n  - Depends on: T001.005\n';
    const live = (): number =>
      dbRows<{ n: number }>(join(w.dir, '.coditect/context.db'), `SELECT count(*) AS n FROM v2_tasks WHERE task_id = 'T001.006' AND archived_at IS NULL`)[0].n;
    // The person's addition reaches the database (the event: a write to .coditect/, looked at on each).
    await new Promise<void>((resolve) => {
      const fw = watch(join(w.dir, '.coditect'), () => {
        if (live() === 1) {
          fw.close();
          resolve();
        }
      });
      writeFileSync(w.plan, `${readFileSync(w.plan, 'utf8')}${added}`);
    });
    const warned = waitForLine(watcher, 'stderr', WARNING);
    saveByRename(w.plan, copy);
    await warned;
    const text = readFileSync(w.plan, 'utf8');
    const back = text.endsWith(added) ? 1 : 0;
    recordFigure({
      scenario: 'older copy saved over the plan after a task was added (watching engine)',
      trials: 1,
      survived: back && live() === 1 ? 1 : 0,
      lost: 1 - back,
      duplicated: 0,
      leaked: 0,
    });
    assert.ok(back, `the added task's lines are back as written:\n${text}`);
    assert.equal(live(), 1, 'and its row is live, not archived');
    assert.deepEqual(w.ticked(), IDS);
  });

  it('an older copy saved while a task runs clears its in_progress badge: the badge comes back, the task is not run twice', async () => {
    const w = workspace(GATED_LOGGER);
    const copy = readFileSync(w.plan, 'utf8');
    makeFifo(join(w.dir, 'gate-T001.003.fifo'));
    const run = startCli(RUN, w.dir);
    children.push(run);
    let stderr = '';
    run.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => run.on('exit', (code) => r(code)));
    // T001.003 waits on its fifo; the others finish. Once its badge is in the file, the older copy lands.
    await new Promise<void>((resolve) => {
      const fw = watch(w.dir, () => check());
      const check = (): void => {
        // The engine's write-back moves the plan aside for the two system calls of its compare-and-swap
        // (atomicWrite.ts, swapIn): a read on that event finds no file, and the link's event follows.
        if (!existsSync(w.plan)) return;
        let text: string;
        try {
          text = readFileSync(w.plan, 'utf8');
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw e;
        }
        if (!/T001\.003\*\* .*`status:in_progress`/.test(text) || (text.match(/^- \[x\] /gm) ?? []).length !== IDS.length - 1) return;
        fw.close();
        resolve();
      };
      check();
    });
    const kept = waitForLine(run, 'stderr', /sync conflict on T001\.003: .*kept in_progress from the database \(rule running-wins\)/);
    saveByRename(w.plan, copy);
    await kept;
    await releaseFifo(join(w.dir, 'gate-T001.003.fifo'));
    const code = await exited;
    const runs = w.runs();
    recordFigure({
      scenario: 'older copy of the plan saved over it while a task runs (its badge and 4 ticks reverted)',
      trials: 1,
      survived: code === 0 && runs.length === IDS.length ? 1 : 0,
      lost: IDS.length - w.ticked().length,
      duplicated: runs.length - IDS.length,
      leaked: 0,
    });
    assert.equal(code, 0, stderr.slice(-3000));
    assert.deepEqual(runs.sort(), IDS, 'each task ran once');
    assert.deepEqual(w.ticked(), IDS);
    assert.match(stderr, WARNING, 'the four finished tasks were kept completed');
  });
});
