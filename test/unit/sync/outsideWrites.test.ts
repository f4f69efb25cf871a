// Another program's writes to context.db (a second real connection, as sqlite3 or a script would make) reach the
// markdown and the dispatcher while the engine watches: DbChangePoller on PRAGMA data_version, wired in the runtime.
import { strict as assert } from 'node:assert';
import Database from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { openDatabase, type DatabaseHandle } from '../../../src/engine/db/database';
import { createLogger } from '../../../src/engine/logger';
import { enginePaths } from '../../../src/engine/paths';
import { EngineRuntime } from '../../../src/engine/runtime';
import { DbChangePoller } from '../../../src/engine/sync/dbChangePoller';
import type { PlanSnapshot } from '../../../src/protocol/views';
import { deferred } from '../../fakes/agentTestKit';
import { followPlan } from '../engine/followPlan';
import { makeTempDir, removeDir } from '../db/dbTestKit';

const PLAN = `# Plan

## E001: Core

### F001.01: Bus

- [ ] **T001.001** Provision the message bus (P0, 2h)
- [ ] **T001.002** Publisher service (P1, 4h)
  - Depends on: T001.001
- [ ] **T001.003** Consumer service (P1, 4h)
`;

describe('DbChangePoller: PRAGMA data_version', () => {
  let dir: string;
  let h: DatabaseHandle;
  let other: Database.Database;
  let poller: DbChangePoller | undefined;
  beforeEach(() => {
    dir = makeTempDir('coditect-poll-');
    h = openDatabase(join(dir, 'context.db'));
    other = new Database(join(dir, 'context.db'));
  });
  afterEach(async () => {
    await poller?.close();
    poller = undefined;
    other.close();
    h.close();
    removeDir(dir);
  });

  it("fires after another connection's commit, never after the engine's own", async () => {
    let calls = 0;
    poller = new DbChangePoller({ db: h.db, intervalMs: 3_600_000, onChange: () => calls++ });
    h.db.prepare(`INSERT INTO orchestrator_state (kind) VALUES ('heartbeat')`).run();
    await poller.poll();
    assert.equal(calls, 0, "the engine's own commit is not an outside write");
    other.prepare(`INSERT INTO orchestrator_state (kind) VALUES ('heartbeat')`).run();
    await poller.poll();
    assert.equal(calls, 1, 'a commit on another connection is');
    await poller.poll();
    assert.equal(calls, 1, 'seen once');
  });

  it('never runs onChange twice at once, and a write during one is handled by the next', async () => {
    const gate = deferred();
    let running = 0;
    let overlapped = false;
    let calls = 0;
    poller = new DbChangePoller({
      db: h.db,
      intervalMs: 3_600_000,
      onChange: async () => {
        calls++;
        if (++running > 1) overlapped = true;
        if (calls === 1) await gate.promise;
        running--;
      },
    });
    other.exec(`INSERT INTO orchestrator_state (kind) VALUES ('heartbeat')`);
    const first = poller.poll();
    other.exec(`INSERT INTO orchestrator_state (kind) VALUES ('heartbeat')`);
    const second = poller.poll();
    assert.equal(second, first, 'a poll during a run waits for it instead of starting another');
    gate.resolve();
    await first;
    await poller.poll();
    assert.equal(calls, 2, 'the write made during the first run was handled after it');
    assert.equal(overlapped, false);
  });

  it('polls on its own every intervalMs, and names a bad interval', async () => {
    const seen = deferred();
    poller = new DbChangePoller({ db: h.db, intervalMs: 10, onChange: () => seen.resolve() });
    other.exec(`INSERT INTO orchestrator_state (kind) VALUES ('heartbeat')`);
    await seen.promise;
    assert.throws(() => new DbChangePoller({ db: h.db, intervalMs: 0, onChange: () => undefined }), /intervalMs must be ≥ 1 ms, got 0/);
  });
});

describe('outside writes reach the markdown and the dispatcher while the engine watches', function () {
  this.timeout(30_000);
  let dir: string;
  let rt: EngineRuntime | undefined;
  beforeEach(() => {
    dir = makeTempDir('coditect-outside-');
    writeFileSync(join(dir, 'TASKLIST.md'), PLAN);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ sync_daemon: { watch_interval: 0.05 } }));
  });
  afterEach(async () => {
    await rt?.close();
    rt = undefined;
    removeDir(dir);
  });

  const open = () =>
    EngineRuntime.open({
      paths: enginePaths(join(dir, 'TASKLIST.md')),
      configPath: join(dir, 'config.json'),
      watch: true,
      env: {},
      logger: createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) }),
      engineVersion: 'test',
      agentOverride: 'dry-run',
    });

  /** The next plan (a snapshot, or the client's plan with a patch applied) in which `pred` holds. */
  const snapshotWhere = (engine: EngineRuntime, pred: (s: PlanSnapshot) => boolean): Promise<PlanSnapshot> =>
    new Promise((resolve) => {
      const off = followPlan(engine, (plan) => {
        if (!pred(plan)) return;
        off();
        resolve(plan);
      });
    });

  it("an UPDATE of status alone (updated_at untouched) ticks the markdown and frees the task's dependents", async () => {
    rt = await open();
    const before = rt.snapshot();
    assert.equal(before.tasks.find((t) => t.id === 'T001.002')!.ready, false);
    const updated = snapshotWhere(rt, (s) => s.tasks.find((t) => t.id === 'T001.001')!.status === 'completed');
    const other = new Database(join(dir, '.coditect', 'context.db'));
    try {
      const stamp = other.prepare(`SELECT updated_at FROM v2_tasks WHERE task_id = 'T001.001'`).pluck().get();
      other.prepare(`UPDATE v2_tasks SET status = 'completed' WHERE task_id = 'T001.001'`).run();
      // Read before the engine's poll can run (it is on this event loop): the outside write left updated_at as it was.
      assert.equal(other.prepare(`SELECT updated_at FROM v2_tasks WHERE task_id = 'T001.001'`).pluck().get(), stamp, 'the write did not touch updated_at');
      const snap = await updated;
      assert.equal(snap.tasks.find((t) => t.id === 'T001.002')!.ready, true, 'its dependent is ready now');
    } finally {
      other.close();
    }
    assert.equal(readFileSync(join(dir, 'TASKLIST.md'), 'utf8'), PLAN.replace('- [ ] **T001.001**', '- [x] **T001.001**'), 'only that checkbox changed');
  });

  it('an UPDATE that also sets updated_at, and one back to pending, each reach the markdown', async () => {
    rt = await open();
    const other = new Database(join(dir, '.coditect', 'context.db'));
    try {
      let next = snapshotWhere(rt, (s) => s.tasks.find((t) => t.id === 'T001.003')!.status === 'completed');
      other.prepare(`UPDATE v2_tasks SET status = 'completed', updated_at = datetime('now') WHERE task_id = 'T001.003'`).run();
      await next;
      assert.match(readFileSync(join(dir, 'TASKLIST.md'), 'utf8'), /- \[x\] \*\*T001\.003\*\*/);
      next = snapshotWhere(rt, (s) => s.tasks.find((t) => t.id === 'T001.003')!.status === 'pending');
      other.prepare(`UPDATE v2_tasks SET status = 'pending' WHERE task_id = 'T001.003'`).run();
      await next;
      assert.equal(readFileSync(join(dir, 'TASKLIST.md'), 'utf8'), PLAN, 'the checkbox is clear again');
    } finally {
      other.close();
    }
  });
});
