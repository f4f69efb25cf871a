// A full disk while a finished result waits for the database, with real processes and a real file system fault: the
// database lives on a small tmpfs that the test fills to the last byte, and a second process holds its write lock so
// the result cannot land. The result must reach the journal anyway (the engine's reserved space), a SIGTERM must end
// the run at once with exit 1 (it waited for the database for as long as the fault lasted), and the next start must
// write the kept result without running the task again.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, removeWorkspace, runCli, startCli, tempWorkspace } from '../cli/cliHarness';
import { CHAIN_PLAN, dbRows, fileAppears, GATED_CONFIG, holdWriteLock, makeFifo, releaseFifo, waitForLine } from './faultKit';
import { recordFigure } from './figures';

const PLAN = CHAIN_PLAN;
const CONFIG = GATED_CONFIG;

/** Mounts a tmpfs of `size` at `dir` (root; the test fails, never skips, where mounting is not permitted). */
function mountTmpfs(dir: string, size: string): () => void {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount -t tmpfs ${dir}: ${r.stderr || r.error?.message} (this fault test needs a small tmpfs: run as root)`);
  return () => {
    const u = spawnSync('umount', ['-l', dir], { encoding: 'utf8' });
    if (u.status !== 0) throw new Error(`umount ${dir}: ${u.stderr || u.error?.message}`);
  };
}

/** Writes `file` until the file system refuses with ENOSPC; returns the bytes written. */
function fillUp(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(16 * 1024, 1);
  let total = 0;
  try {
    for (;;) total += writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  return total;
}

describe('faults: a full disk while a finished result waits (real processes, real tmpfs)', function () {
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

  it('SIGTERM while the result waits on a full disk: kept in the journal, exit 1 at once, the next start writes it and runs the task no more', async () => {
    const dir = tempWorkspace({ 'PLAN-TASKLIST.md': PLAN, 'config.json': CONFIG });
    dirs.push(dir);
    const mnt = join(dir, 'small-disk');
    undo.push(mountTmpfs(mnt, '4m'));
    const db = join(mnt, 'context.db');
    const args = ['PLAN-TASKLIST.md', '--config', 'config.json', '--db', db];
    makeFifo(join(dir, 'gate-T001.001.fifo'));

    const run = startCli(['run', ...args], dir);
    children.push(run);
    let stderr = '';
    run.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; at: number }>((r) => run.on('exit', (code) => r({ code, at: Date.now() })));
    await waitForLine(run, 'stderr', /started\s+T001\.001/);

    const holder = holdWriteLock(db, 0);
    children.push(holder);
    await holder.locked;
    const filled = fillUp(join(mnt, 'filler'));
    assert.ok(filled > 0);
    await releaseFifo(join(dir, 'gate-T001.001.fifo')); // the attempt ends now: the database is locked and the disk full
    await waitForLine(run, 'stderr', /ERROR .*is locked by/);
    await fileAppears(`${db}.results`);
    const journal = readFileSync(`${db}.results`, 'utf8');
    assert.match(journal, /"taskId":"T001\.001"/, 'the finished result reached the journal on a full disk');
    assert.match(journal, /"status":"completed"/);

    // The lock is held until after the run ended: a run that waited for the database would never end (the test's timeout).
    const termAt = Date.now();
    run.kill('SIGTERM');
    const end = await exited;
    const journalKept = existsSync(`${db}.results`);
    holder.release();
    await holder.released;
    unlinkSync(join(mnt, 'filler'));
    const again = await runCli(['run', ...args, '--json'], dir);
    const attempts = dbRows<{ task_id: string; status: string }>(db, 'SELECT task_id, status FROM agent_execution_log ORDER BY log_id');
    const runs = attempts.filter((a) => a.task_id === 'T001.001').length;
    const lost = attempts.some((a) => a.task_id === 'T001.001' && a.status === 'completed') ? 0 : 1;
    recordFigure({
      scenario: 'SIGTERM on a full disk while a result waits (tmpfs filled, db locked)',
      trials: 1,
      survived: end.code === 1 && journalKept && lost === 0 && runs === 1 ? 1 : 0,
      lost,
      duplicated: Math.max(0, runs - 1),
      leaked: 0,
      note: `exit ${end.code} ${end.at - termAt} ms after SIGTERM`,
    });

    assert.equal(end.code, 1, stderr.slice(-3000));
    assert.match(stderr, /ERROR 1 finished result\(s\) could not be written .*kept in .*context\.db\.results; the next start writes them/);
    assert.ok(journalKept, 'the journal survives the stop');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /wrote 1 result\(s\) a previous engine kept .*T001\.001/);
    assert.deepEqual(
      attempts.map((a) => [a.task_id, a.status]),
      [
        ['T001.001', 'completed'],
        ['T001.002', 'completed'],
      ],
      'T001.001 ran once, its kept result landed, its dependent ran after',
    );
    assert.ok(!existsSync(`${db}.results`), 'the journal is gone once written');
    assert.ok(existsSync(`${db}.results.reserve`), 'the next start reserved the space again');
  });
});
