// The sync planner (src/core/syncPlan.ts) on its own: no file, no database. What the database would hold is what the
// test hands to applied(), exactly as SyncService does after writing it.
import { strict as assert } from 'node:assert';
import type { TaskStatus } from '../../../src/core/model';
import { reparseIncremental } from '../../../src/core/incremental';
import { parseTaskList } from '../../../src/core/parser';
import { SyncPlanner, type MergePlan } from '../../../src/core/syncPlan';

const PLAN = `# Plan

## E001: Core

### F001.01: Bus

- [ ] **T001.001** Provision the bus (P0, 2h)
- [ ] **T001.002** Publisher (P1, 4h)
- [x] **T001.003** Consumer guide (P3, 1h)
`;

const NO_STATUS = (): TaskStatus | undefined => undefined;
const NONE = new Map<string, TaskStatus>();

/** A planner with an empty database, and `merged` recorded as written (every edit taken). */
function record(planner: SyncPlanner, merged: MergePlan): void {
  const groups = planner.diffGroups(merged.list);
  const after = new Map<string, TaskStatus>();
  for (const u of merged.updates) if (u.statusCas) after.set(u.id, u.statusCas.next);
  planner.applied({ ...groups, insertTasks: merged.inserts, updateTasks: merged.updates, archiveTasks: merged.archives }, after, merged);
  planner.settled(merged);
}

const empty = (): SyncPlanner => new SyncPlanner({ tasks: new Map(), epics: new Map(), features: new Map() });

describe('SyncPlanner', () => {
  it('a first merge inserts every task and groups; the same list merged again plans nothing', () => {
    const planner = empty();
    const list = parseTaskList(PLAN);
    const first = planner.mergeAll(list, NONE, () => true, NO_STATUS);
    assert.deepEqual(
      first.inserts.map((w) => w.id),
      ['T001.001', 'T001.002', 'T001.003'],
    );
    assert.equal(first.statusesToDb, 1, 'the ticked task reaches the database as completed');
    const groups = planner.diffGroups(list);
    assert.deepEqual(
      groups.upsertEpics.map((e) => e.id),
      ['E001'],
    );
    assert.deepEqual(
      groups.upsertFeatures.map((f) => f.id),
      ['F001.01'],
    );
    record(planner, first);

    const again = planner.mergeAll(parseTaskList(PLAN), NONE, () => true, NO_STATUS);
    assert.equal(again.inserts.length + again.updates.length + again.archives.length + again.mdEdits.length + again.conflicts.length, 0);
    const groupsAgain = planner.diffGroups(parseTaskList(PLAN));
    assert.equal(groupsAgain.upsertEpics.length + groupsAgain.upsertFeatures.length + groupsAgain.archiveEpics.length, 0);
  });

  it("an engine's status becomes a markdown edit, or stays to write when the line cannot be written", () => {
    const planner = empty();
    const list = parseTaskList(PLAN);
    record(
      planner,
      planner.mergeAll(list, NONE, () => true, NO_STATUS),
    );
    const unsynced = new Map<string, TaskStatus>([['T001.002', 'completed']]);
    const merged = planner.mergeAll(list, unsynced, () => true, NO_STATUS);
    assert.deepEqual(merged.mdEdits, [{ taskId: 'T001.002', status: 'completed' }]);
    assert.equal(merged.updates.length, 1);
    assert.equal(merged.updates[0].fields.status, 'completed', 'the snapshot records what the markdown will show');

    const notWritten = planner.mergeAll(list, unsynced, () => false, NO_STATUS);
    assert.deepEqual(notWritten.mdEdits, []);
    assert.deepEqual(notWritten.updates, [], 'not written: the snapshot keeps the old status, the next sync sees the change again');
  });

  it('a task gone from the list is archived, and one that comes back is restored with its database status', () => {
    const planner = empty();
    record(
      planner,
      planner.mergeAll(parseTaskList(PLAN), NONE, () => true, NO_STATUS),
    );
    const without = parseTaskList(PLAN.replace('- [ ] **T001.002** Publisher (P1, 4h)\n', ''));
    const gone = planner.mergeAll(without, NONE, () => true, NO_STATUS);
    assert.deepEqual(gone.archives, ['T001.002']);
    record(planner, gone);

    const asked: string[] = [];
    const back = planner.mergeAll(
      parseTaskList(PLAN),
      NONE,
      () => true,
      (id) => {
        asked.push(id);
        return 'completed';
      },
    );
    assert.deepEqual(asked, ['T001.002'], 'the database is asked about the archived task only');
    assert.equal(back.restored, 1);
    assert.deepEqual(back.mdEdits, [{ taskId: 'T001.002', status: 'completed' }]);
  });

  it('the markdown cannot start a task: an in_progress badge on a new task is a conflict resolved to pending', () => {
    const planner = empty();
    const merged = planner.mergeAll(parseTaskList(PLAN.replace('Publisher (P1, 4h)', 'Publisher (P1, 4h) `status:in_progress`')), NONE, () => true, NO_STATUS);
    assert.equal(merged.conflicts.length, 1);
    assert.equal(merged.conflicts[0].rule, 'engine-starts-tasks');
    assert.deepEqual(merged.mdEdits, [{ taskId: 'T001.002', status: 'pending' }]);
    assert.equal(merged.conflictDiagnostics[0].code, 'sync-conflict');
  });

  it('knows which ids are written, and which tasks it can match a task written without one against', () => {
    const planner = empty();
    const list = parseTaskList(PLAN);
    assert.equal(planner.everyIdWritten(list), true);
    assert.equal(planner.everyIdWritten(parseTaskList(PLAN.replace('**T001.002** ', ''))), false);
    record(
      planner,
      planner.mergeAll(list, NONE, () => true, NO_STATUS),
    );
    const known = planner.knownTasks().find((k) => k.id === 'T001.002');
    assert.equal(known?.title, 'Publisher');
    assert.equal(planner.syncedStatus('T001.003'), 'completed');
  });

  it('a list the incremental parser patched is merged from the tasks it replaced, with the same plan as a full parse', () => {
    const planner = empty();
    const base = parseTaskList(PLAN);
    record(
      planner,
      planner.mergeAll(base, NONE, () => true, NO_STATUS),
    );
    record(
      planner,
      planner.mergeAll(base, NONE, () => true, NO_STATUS),
    ); // every task CLEAN now
    const ticked = PLAN.replace('- [ ] **T001.002**', '- [x] **T001.002**');
    const patched = reparseIncremental(PLAN, base, ticked)!;
    const fromPatch = planner.mergeAll(patched, NONE, () => true, NO_STATUS);
    const fromFull = planner.mergeAll(parseTaskList(ticked), NONE, () => true, NO_STATUS);
    for (const m of [fromPatch, fromFull]) {
      assert.deepEqual(
        m.updates.map((u) => [u.id, u.fields.status, u.statusCas?.next]),
        [['T001.002', 'completed', 'completed']],
      );
      assert.equal(m.statusesToDb, 1);
    }
    assert.deepEqual([...fromPatch.state], [...fromFull.state]);
  });
});
