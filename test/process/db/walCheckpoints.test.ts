// The engine as it ships (the bundled CLI, a real context.db): its WAL's checkpoints run on their own thread
// (src/engine/db/walCheckpointer.ts). The unit test covers the checkpointer; this one that the bundle can start its
// thread at all (the thread loads better-sqlite3 by the path the bundle resolves) and that a whole run ends with the
// database closed as before: no fallback warning, the WAL removed.
import { strict as assert } from 'node:assert';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateTaskList } from '../../bench/generatePlan';
import { ensureBuilt, removeWorkspace, runCli, tempWorkspace } from '../cli/cliHarness';

const CONFIG = {
  default_agent: 'sim',
  agents: { sim: { kind: 'dry-run', durationMs: 0 } },
  max_concurrent_agents: 8,
  logging: { level: 'debug' },
};

describe('WAL checkpoints on their own thread (the built CLI)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  before(() => ensureBuilt());
  after(() => dirs.forEach(removeWorkspace));

  it('a run of 300 tasks checkpoints on the thread, never falls back, and leaves no WAL behind', async () => {
    const { text, ids } = generateTaskList({ tasks: 300, tasksPerFeature: 10, featuresPerEpic: 5, seed: 5, chainProbability: 0.2 });
    const dir = tempWorkspace({ 'PLAN-TASKLIST.md': text, 'config.json': JSON.stringify(CONFIG) });
    dirs.push(dir);
    const r = await runCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir);
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.match(r.stderr, /database checkpoints run on their own thread/);
    assert.doesNotMatch(r.stderr, /checkpoints on their own thread stopped/);
    const db = join(dir, '.coditect/context.db');
    // The writer's close checkpoints and removes the WAL, as it did before the thread.
    assert.ok(!existsSync(`${db}-wal`) || statSync(`${db}-wal`).size === 0, 'the WAL is left behind');
    const conn = new Database(db, { readonly: true });
    try {
      const done = conn.prepare("SELECT COUNT(*) AS n FROM v2_tasks WHERE status = 'completed'").get() as { n: number };
      assert.equal(done.n, ids.length);
    } finally {
      conn.close();
    }
  });
});
