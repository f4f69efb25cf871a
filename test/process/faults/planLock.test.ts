// Two engines on one task list with different databases, with real processes: the second is refused while the first
// runs (both ran 16 of 60 tasks before: the only lock was the database's), names the first's pid and database, and
// runs nothing; once the first is gone — ended, or SIGKILLed and its lock stale — the plan can be run again.
import { strict as assert } from 'node:assert';
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, removeWorkspace, runCli, startCli, tempWorkspace } from '../cli/cliHarness';
import { dbRows, GATED_CONFIG, makeFifo, PAIR_PLAN, releaseFifo, waitForLine } from './faultKit';
import { recordFigure } from './figures';

const PLAN = PAIR_PLAN;
const CONFIG = GATED_CONFIG;
const attempts = (db: string): number => (existsSync(db) ? dbRows<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM agent_execution_log')[0].n : 0);

describe('faults: two engines on one task list with different databases (real processes)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const children: { kill(sig?: NodeJS.Signals): unknown }[] = [];
  before(() => ensureBuilt());
  afterEach(() => children.splice(0).forEach((c) => c.kill('SIGKILL')));
  after(() => dirs.forEach(removeWorkspace));

  it('the second engine is refused by the plan lock, names the first, runs nothing; after the first is SIGKILLed the plan runs again', async () => {
    const dir = tempWorkspace({ 'PLAN-TASKLIST.md': PLAN, 'config.json': CONFIG });
    dirs.push(dir);
    const dbA = join(dir, '.coditect/context.db');
    const dbB = join(dir, 'other/context.db');
    makeFifo(join(dir, 'gate-T001.001.fifo')); // T001.001 runs until the test lets it go; T001.002 ends at once
    const a = startCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir);
    children.push(a);
    const aExited = new Promise<void>((r) => a.on('exit', () => r()));
    await waitForLine(a, 'stderr', /started\s+T001\.001/);

    const b = await runCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--db', dbB], dir);
    const ranInB = attempts(dbB);
    recordFigure({
      scenario: 'second engine, same plan, other --db',
      trials: 1,
      survived: b.code === 1 && ranInB === 0 ? 1 : 0,
      lost: 0,
      duplicated: ranInB,
      leaked: 0,
    });
    assert.equal(b.code, 1, b.stderr);
    assert.match(b.stderr, new RegExp(`PLAN-TASKLIST\\.md is already run by another engine: pid ${a.pid} with database ${dbA.replace(/[.]/g, '\\.')}`));
    assert.equal(ranInB, 0, 'the second engine ran nothing');

    a.kill('SIGKILL');
    await aExited;
    await releaseFifo(join(dir, 'gate-T001.001.fifo')); // the orphaned agent ends
    unlinkSync(join(dir, 'gate-T001.001.fifo')); // and the next run's agents finish at once
    const again = await runCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--db', dbB], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /already run by another engine/, 'the dead engine’s lock was taken over');
  });
});
