// A database locked longer than the 5 s busy timeout, with real processes: a second process holds context.db's write
// lock (BEGIN IMMEDIATE) while a `coditect run` finishes a task, while `coditect sync` syncs, and while a run that
// kept a finished result is SIGKILLed. Nothing finished is lost or run twice; the cause is named with the holder's pid.
import { strict as assert } from 'node:assert';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, removeWorkspace, runCli, startCli, tempWorkspace } from '../cli/cliHarness';
import { CHAIN_PLAN, dbRows, fileAppears, GATED_CONFIG, holdWriteLock, makeFifo, releaseFifo, waitForLine } from './faultKit';
import { recordFigure } from './figures';

const PLAN = CHAIN_PLAN;
const CONFIG = GATED_CONFIG;

interface Attempt {
  task_id: string;
  status: string | null;
  started_at: string;
}

/** `coditect run` whose first task is running, held at its fifo gate (killed after the test with `children`); its exit code and stderr so far. */
async function runHeldAtFirstTask(
  dir: string,
  children: { kill(sig?: NodeJS.Signals): unknown }[],
): Promise<{ run: ChildProcess; exited: Promise<number | null>; stderr: () => string }> {
  makeFifo(join(dir, 'gate-T001.001.fifo'));
  const run = startCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--json'], dir);
  children.push(run);
  let text = '';
  run.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((r) => run.on('exit', (code) => r(code)));
  await waitForLine(run, 'stderr', /started\s+T001\.001/);
  return { run, exited, stderr: () => text };
}

/** Both tasks ran once, each result is in the database and the markdown, the dependent started after `releasedAt`. */
function assertBothLandedOnce(dir: string, db: string, releasedAt: Date): void {
  const attempts = dbRows<Attempt>(db, 'SELECT task_id, status, started_at FROM agent_execution_log ORDER BY log_id');
  assert.deepEqual(
    attempts.map((a) => [a.task_id, a.status]),
    [
      ['T001.001', 'completed'],
      ['T001.002', 'completed'],
    ],
    'each task ran once and its result was recorded',
  );
  assert.ok(new Date(attempts[1].started_at) >= releasedAt, 'the dependent started once the lock cleared');
  assert.deepEqual(
    dbRows<{ status: string }>(db, 'SELECT status FROM v2_tasks ORDER BY task_id').map((r) => r.status),
    ['completed', 'completed'],
  );
  assert.equal((readFileSync(join(dir, 'PLAN-TASKLIST.md'), 'utf8').match(/^- \[x\]/gm) ?? []).length, 2, 'the markdown is ticked');
  assert.ok(!existsSync(`${db}.results`), 'no result is left waiting');
}

describe('faults: database locked past the busy timeout (real processes)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const children: { kill(sig?: NodeJS.Signals): unknown }[] = [];
  before(() => ensureBuilt());
  afterEach(() => children.splice(0).forEach((c) => c.kill('SIGKILL')));
  after(() => dirs.forEach(removeWorkspace));

  const workspace = (): { dir: string; db: string } => {
    const dir = tempWorkspace({ 'PLAN-TASKLIST.md': PLAN, 'config.json': CONFIG });
    dirs.push(dir);
    return { dir, db: join(dir, '.coditect/context.db') };
  };

  // Each lock is held until the engine has said it gave up waiting (past its 5 s busy timeout), then released: longer
  // than the busy timeout by construction, however slowly the machine starts the processes.
  it('run: a task finishing while another process holds the lock past the busy timeout is recorded once, its dependent runs after', async () => {
    const { dir, db } = workspace();
    const { run, exited, stderr } = await runHeldAtFirstTask(dir, children);

    const holder = holdWriteLock(db, 0);
    children.push(holder);
    await holder.locked;
    await releaseFifo(join(dir, 'gate-T001.001.fifo')); // the attempt ends now, inside the lock
    const blocked = await waitForLine(run, 'stderr', /ERROR .*is locked by (.*) longer than the busy timeout/);
    holder.release();
    const releasedAt = await holder.released;
    assert.equal(await exited, 0, stderr().slice(-3000));

    assert.match(blocked[1], new RegExp(`pid ${holder.pid}\\b`), 'the error names the process holding the lock');
    assert.match(stderr(), /takes writes again after \d+ ms/);
    assertBothLandedOnce(dir, db, releasedAt);
  });

  // #9 item 5 as written: "an exclusive lock held 8 s and 30 s in the middle of a run" (fixed holds, not released
  // on the engine's word): the finished task is recorded once when the lock clears and its dependent starts after.
  for (const holdMs of [8_000, 30_000]) {
    it(`run: an exclusive lock held ${holdMs / 1000} s while a task finishes loses nothing; the dependent runs after`, async () => {
      const { dir, db } = workspace();
      const { exited, stderr } = await runHeldAtFirstTask(dir, children);

      const holder = holdWriteLock(db, holdMs);
      children.push(holder);
      await holder.locked;
      const lockedAt = new Date();
      await releaseFifo(join(dir, 'gate-T001.001.fifo')); // the attempt ends now, inside the lock
      const releasedAt = await holder.released;
      assert.equal(await exited, 0, stderr().slice(-3000));
      assert.ok(releasedAt.getTime() - lockedAt.getTime() >= holdMs - 50, 'the lock was held for the whole hold');

      assertBothLandedOnce(dir, db, releasedAt);
    });
  }

  it('sync: a lock held past the busy timeout is waited out with backoff and the sync lands', async () => {
    const { dir, db } = workspace();
    const first = await runCli(['sync', 'PLAN-TASKLIST.md'], dir);
    assert.equal(first.code, 0, first.stderr);
    const holder = holdWriteLock(db, 0);
    children.push(holder);
    await holder.locked;
    writeFileSync(join(dir, 'PLAN-TASKLIST.md'), `${PLAN}- [ ] **T001.003** Document the module (P2, 1h)\n`);
    const sync = startCli(['sync', 'PLAN-TASKLIST.md'], dir);
    children.push(sync);
    const exited = new Promise<number | null>((r) => sync.on('exit', (code) => r(code)));
    const retry = await waitForLine(sync, 'stderr', /locked by pid (\d+) .*; retry 1\/5 in \d+ ms/);
    holder.release();
    await holder.released;
    assert.equal(await exited, 0);
    assert.equal(Number(retry[1]), holder.pid, 'the warning names the process holding the lock');
    assert.deepEqual(
      dbRows<{ task_id: string }>(db, 'SELECT task_id FROM v2_tasks ORDER BY task_id').map((t) => t.task_id),
      ['T001.001', 'T001.002', 'T001.003'],
    );
  });

  it('SIGKILL while a finished result waits for the lock: the next start writes it and runs the task no more', async () => {
    const { dir, db } = workspace();
    makeFifo(join(dir, 'gate-T001.001.fifo'));
    const run = startCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir);
    children.push(run);
    const killed = new Promise<void>((r) => run.on('exit', () => r()));
    await waitForLine(run, 'stderr', /started\s+T001\.001/);
    const holder = holdWriteLock(db, 0);
    children.push(holder);
    await holder.locked;
    await releaseFifo(join(dir, 'gate-T001.001.fifo'));
    await waitForLine(run, 'stderr', /ERROR .*is locked by/);
    // The gate reports the lock before the refused result is journaled (atomic rename): on a loaded machine the file
    // can appear a moment after the ERROR line.
    await fileAppears(`${db}.results`);
    const journal = readFileSync(`${db}.results`, 'utf8');
    assert.match(journal, /"taskId":"T001\.001"/, 'the finished result is kept in the journal');
    assert.match(journal, /"status":"completed"/);
    run.kill('SIGKILL');
    await killed;
    holder.release();
    await holder.released;

    const again = await runCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--json'], dir);
    const attempts = dbRows<Attempt>(db, 'SELECT task_id, status, started_at FROM agent_execution_log ORDER BY log_id');
    const runs = attempts.filter((a) => a.task_id === 'T001.001').length;
    recordFigure({
      scenario: 'SIGKILL while a finished result waits for a held db lock, then a restart',
      trials: 1,
      survived: again.code === 0 && runs === 1 && attempts[0]?.status === 'completed' ? 1 : 0,
      lost: attempts.some((a) => a.task_id === 'T001.001' && a.status === 'completed') ? 0 : 1,
      duplicated: Math.max(0, runs - 1),
      leaked: 0,
    });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /wrote 1 result\(s\) a previous engine kept .*T001\.001/);
    assert.deepEqual(
      attempts.map((a) => [a.task_id, a.status]),
      [
        ['T001.001', 'completed'],
        ['T001.002', 'completed'],
      ],
      'T001.001 was not run again',
    );
    assert.ok(!existsSync(`${db}.results`), 'the journal is gone once written');
  });

  it('SIGTERM while the lock is held and a sync has a change to write: no write waits the busy timeout, exit 1 at once', async () => {
    const { dir, db } = workspace();
    const plan = join(dir, 'PLAN-TASKLIST.md');
    makeFifo(join(dir, 'gate-T001.001.fifo'));
    const run = startCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir);
    children.push(run);
    let stderr = '';
    run.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; at: number }>((r) => run.on('exit', (code) => r({ code, at: Date.now() })));
    await waitForLine(run, 'stderr', /started\s+T001\.001/);
    const holder = holdWriteLock(db, 0);
    children.push(holder);
    await holder.locked;
    await releaseFifo(join(dir, 'gate-T001.001.fifo'));
    await waitForLine(run, 'stderr', /ERROR .*is locked by/);
    await fileAppears(`${db}.results`);
    // A person retitles a task: the engine's sync of it (the watcher's, or shutdown's write-back) must write the
    // database. better-sqlite3 waits for a lock synchronously: each such write froze the engine for the 5 s busy
    // timeout, SIGTERM included (9.7 s from SIGTERM to exit measured so).
    writeFileSync(plan, readFileSync(plan, 'utf8').replace('Check the module', 'Check the module again'));
    const termAt = Date.now();
    run.kill('SIGTERM');
    const end = await exited;
    const journalKept = existsSync(`${db}.results`);
    holder.release();
    await holder.released;
    const again = await runCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--json'], dir);
    const attempts = dbRows<Attempt>(db, 'SELECT task_id, status, started_at FROM agent_execution_log ORDER BY log_id');
    const runs = attempts.filter((a) => a.task_id === 'T001.001').length;
    const ms = end.at - termAt;
    recordFigure({
      scenario: 'SIGTERM while the db lock is held and a sync must write, then a restart',
      trials: 1,
      survived: end.code === 1 && ms < 5000 && journalKept && runs === 1 ? 1 : 0,
      lost: attempts.some((a) => a.task_id === 'T001.001' && a.status === 'completed') ? 0 : 1,
      duplicated: Math.max(0, runs - 1),
      leaked: 0,
      note: `exit ${end.code} ${ms} ms after SIGTERM`,
    });
    assert.equal(end.code, 1, stderr.slice(-3000));
    assert.ok(ms < 5000, `the stop waited a busy timeout: ${ms} ms\n${stderr.slice(-3000)}`);
    assert.match(stderr, /ERROR 1 finished result\(s\) could not be written .*kept in .*context\.db\.results/);
    assert.ok(journalKept);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(runs, 1, 'T001.001 was not run again');
    assert.equal(dbRows<{ title: string }>(db, "SELECT title FROM v2_tasks WHERE task_id = 'T001.002'")[0].title, 'Check the module again');
  });
});
