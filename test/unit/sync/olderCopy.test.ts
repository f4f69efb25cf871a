// An older copy of the task list written back by another program (#14 item 7), through the real sync service, a real
// file and a real SQLite database: the engine's completions it unticks stay completed and their boxes are ticked
// again; a person unticking a task on its own still runs it again. The rule itself: test/unit/core/olderCopy.test.ts.
import * as assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { TaskStatus } from '../../../src/core/model';
import { openDatabase, type DatabaseHandle } from '../../../src/engine/db/database';
import { TaskStore } from '../../../src/engine/db/taskStore';
import { SyncService } from '../../../src/engine/sync/syncService';
import { makeTempDir, removeDir } from '../db/dbTestKit';

const IDS = ['T001.001', 'T001.002', 'T001.003', 'T001.004', 'T001.005'];
const PLAN = ['# Plan', '', '## E001: Core', '', '### F001.01: Work', '', ...IDS.map((id, i) => `- [ ] **${id}** Task number ${i + 1} (P1, 1h)`), ''].join(
  '\n',
);
const T0 = Date.parse('2026-03-01T10:00:00Z');

describe('sync: an older copy of the task list does not reopen finished tasks (real file, real SQLite)', () => {
  let dir: string;
  let file: string;
  let h: DatabaseHandle;
  let store: TaskStore;
  let sync: SyncService;
  let clock = T0;

  const dbStatus = (id: string) => h.db.prepare(`SELECT status FROM v2_tasks WHERE task_id = ?`).pluck().get(id) as TaskStatus;
  const tickedIds = () => [...readFileSync(file, 'utf8').matchAll(/^- \[x\] \*\*(\S+)\*\*/gm)].map((m) => m[1]);
  /** An agent completes `id` (one ms after the last completion), as the engine records it, and the tick is written. */
  const complete = async (id: string) => {
    clock += 1;
    const claim = store.claim(id, 'engine', 60_000, clock);
    assert.ok(claim, `claim ${id}`);
    const attemptId = store.recordAttemptStart({ taskId: id, agent: 'dry-run', attempt: claim.attempt, startedAt: clock });
    const finished = store.settle({
      taskId: id,
      owner: 'engine',
      finish: { status: 'completed', now: clock },
      attemptId,
      end: { outcome: 'completed', endedAt: clock },
    });
    assert.ok(finished, `finish ${id}`);
    await sync.writeBack();
  };
  /** Another program saves `text` the way editors do: a temp file renamed over the plan. */
  const saveByRename = (text: string) => {
    writeFileSync(`${file}.other~`, text);
    renameSync(`${file}.other~`, file);
  };
  const untick = (text: string, id: string) => text.replace(`- [x] **${id}**`, `- [ ] **${id}**`);

  beforeEach(async () => {
    clock = T0;
    dir = makeTempDir('coditect-oldcopy-');
    file = path.join(dir, 'PLAN-TASKLIST.md');
    writeFileSync(file, PLAN);
    h = openDatabase(path.join(dir, '.coditect', 'context.db'));
    store = new TaskStore(h);
    sync = new SyncService({ handle: h, tasklistPath: file, now: () => clock });
    await sync.syncFromDisk();
  });
  afterEach(async () => {
    await sync.close();
    h.close();
    removeDir(dir);
  });

  it('a copy read before the run, saved after it with its own edit: every task stays completed, boxes ticked again, the edit kept', async () => {
    const copy = readFileSync(file, 'utf8');
    for (const id of IDS) await complete(id);
    assert.deepEqual(tickedIds(), IDS);
    // A new engine (the rule reads the database, not the service's memory).
    await sync.close();
    sync = new SyncService({ handle: h, tasklistPath: file, now: () => clock });
    saveByRename(`${copy}\nA paragraph the other program added.\n`);

    const r = await sync.syncFromDisk();
    assert.deepEqual(r.olderCopy, IDS);
    assert.deepEqual(
      IDS.map((id) => dbStatus(id)),
      IDS.map(() => 'completed'),
    );
    assert.deepEqual(tickedIds(), IDS, 'the boxes are ticked again');
    assert.match(readFileSync(file, 'utf8'), /A paragraph the other program added\.\n$/);
    const d = r.diagnostics.find((x) => x.code === 'older-copy');
    assert.equal(
      d?.message,
      `another program wrote an older copy of PLAN-TASKLIST.md: ${IDS.join(', ')} stay completed; untick a task on its own to run it again`,
    );
    assert.equal(d?.severity, 'warning');
    assert.equal(r.statusesToDb, 0, 'no status changed in the database');
    assert.equal((await sync.syncFromDisk()).skipped, true, 'and the next sync has nothing to do');
  });

  // #14: tasks added after the copy was read were archived (their lines gone from the file).
  it('a copy read before tasks were added: their lines are put back as they were, not archived; the warning names them', async () => {
    await complete('T001.001');
    await complete('T001.002');
    const copy = readFileSync(file, 'utf8'); // read after T001.002's tick
    await complete('T001.003');
    await complete('T001.004');
    clock += 1;
    const added = '- [ ] **T001.006** Added by a person after the copy (P1, 1h)\n  - Depends on: T001.004\n';
    writeFileSync(file, `${readFileSync(file, 'utf8')}${added}`);
    await sync.syncFromDisk();
    assert.equal(h.db.prepare(`SELECT count(*) FROM v2_tasks WHERE task_id = 'T001.006' AND archived_at IS NULL`).pluck().get(), 1);

    saveByRename(copy);
    const r = await sync.syncFromDisk();
    assert.deepEqual(r.olderCopy, ['T001.003', 'T001.004']);
    assert.equal(r.tasksArchived, 0, 'nothing archived');
    const text = readFileSync(file, 'utf8');
    assert.ok(text.endsWith(`- [x] **T001.004** Task number 4 (P1, 1h)\n- [ ] **T001.005** Task number 5 (P1, 1h)\n${added}`), text);
    assert.deepEqual(tickedIds(), ['T001.001', 'T001.002', 'T001.003', 'T001.004']);
    assert.equal(h.db.prepare(`SELECT count(*) FROM v2_tasks WHERE task_id = 'T001.006' AND archived_at IS NULL`).pluck().get(), 1);
    const warn = r.diagnostics.find((d) => d.code === 'older-copy');
    assert.match(warn?.message ?? '', /T001\.003, T001\.004 stay completed; T001\.006, added since, is put back;/);
  });

  it('a copy read part-way through: only the completions after it are reverted and kept', async () => {
    await complete(IDS[0]);
    await complete(IDS[1]);
    const copy = readFileSync(file, 'utf8');
    await complete(IDS[2]);
    await complete(IDS[3]);
    saveByRename(copy);
    const r = await sync.syncFromDisk();
    assert.deepEqual(r.olderCopy, [IDS[2], IDS[3]]);
    assert.deepEqual(tickedIds(), IDS.slice(0, 4));
    assert.equal(dbStatus(IDS[4]), 'pending');
  });

  it('a person unticking one completed task, the newest one too, runs it again (as before)', async () => {
    for (const id of IDS) await complete(id);
    for (const id of [IDS[4], IDS[1]]) {
      saveByRename(untick(readFileSync(file, 'utf8'), id));
      const r = await sync.syncFromDisk();
      assert.deepEqual(r.olderCopy, []);
      assert.equal(dbStatus(id), 'pending', `${id} reopened`);
      assert.equal(
        r.diagnostics.find((x) => x.code === 'older-copy'),
        undefined,
      );
    }
    assert.deepEqual(tickedIds(), [IDS[0], IDS[2], IDS[3]]);
  });

  it('unticking older tasks while a newer one stays ticked reopens them all', async () => {
    for (const id of IDS) await complete(id);
    saveByRename(untick(untick(untick(readFileSync(file, 'utf8'), IDS[0]), IDS[1]), IDS[3]));
    const r = await sync.syncFromDisk();
    assert.deepEqual(r.olderCopy, []);
    assert.deepEqual(
      IDS.map((id) => dbStatus(id)),
      ['pending', 'pending', 'completed', 'pending', 'completed'],
    );
  });

  it('the newest completions reverted together with a deliberate untick of an older one: the older one reopens', async () => {
    for (const id of IDS) await complete(id);
    saveByRename(untick(untick(untick(readFileSync(file, 'utf8'), IDS[1]), IDS[3]), IDS[4]));
    const r = await sync.syncFromDisk();
    assert.deepEqual(r.olderCopy, [IDS[3], IDS[4]]);
    assert.deepEqual(
      IDS.map((id) => dbStatus(id)),
      ['completed', 'pending', 'completed', 'completed', 'completed'],
    );
    assert.deepEqual(tickedIds(), [IDS[0], IDS[2], IDS[3], IDS[4]]);
  });

  it("ticks a person typed are the person's to take back: unticked together, with the newest agent completion, all reopen", async () => {
    await complete(IDS[0]);
    await complete(IDS[1]);
    const copy = readFileSync(file, 'utf8');
    saveByRename(copy.replace(`- [ ] **${IDS[2]}**`, `- [x] **${IDS[2]}**`).replace(`- [ ] **${IDS[3]}**`, `- [x] **${IDS[3]}**`));
    await sync.syncFromDisk();
    assert.equal(dbStatus(IDS[3]), 'completed');
    // Two typed ticks and one agent completion unticked in one save: only one is an agent's, so this is a person.
    saveByRename(untick(untick(untick(readFileSync(file, 'utf8'), IDS[1]), IDS[2]), IDS[3]));
    const r = await sync.syncFromDisk();
    assert.deepEqual(r.olderCopy, []);
    assert.deepEqual(
      IDS.map((id) => dbStatus(id)),
      ['completed', 'pending', 'pending', 'pending', 'pending'],
    );
  });

  it('a read-only service keeps them completed without writing the file; the ticks reach it later', async () => {
    const copy = readFileSync(file, 'utf8');
    for (const id of IDS.slice(0, 3)) await complete(id);
    await sync.close();
    sync = new SyncService({ handle: h, tasklistPath: file, now: () => clock, readOnly: true });
    saveByRename(copy);
    const r = await sync.syncFromDisk();
    assert.deepEqual(r.olderCopy, IDS.slice(0, 3));
    assert.equal(readFileSync(file, 'utf8'), copy, 'a read-only service never writes');
    assert.deepEqual(
      IDS.slice(0, 3).map((id) => dbStatus(id)),
      ['completed', 'completed', 'completed'],
    );
    await sync.close();
    sync = new SyncService({ handle: h, tasklistPath: file, now: () => clock });
    await sync.syncFromDisk();
    assert.deepEqual(tickedIds(), IDS.slice(0, 3));
  });
});
