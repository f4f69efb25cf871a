import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { openDatabase, type DatabaseHandle } from '../../../src/engine/db/database';
import type { TaskWrite } from '../../../src/core/syncPlan';
import { PlanStore, type PlanChange } from '../../../src/engine/db/planStore';
import { makeTempDir, removeDir, seedRecord } from './dbTestKit';

const NOW = '2026-01-01T00:00:00.000Z';

function change(insertTasks: TaskWrite[]): PlanChange {
  return {
    now: NOW,
    upsertEpics: [{ id: 'E1', title: 'Epic', idExplicit: true, position: 0, archived: false }],
    archiveEpics: [],
    upsertFeatures: [{ id: 'F1', epicId: 'E1', title: 'Feature', idExplicit: true, position: 0, archived: false }],
    archiveFeatures: [],
    insertTasks,
    updateTasks: [],
    archiveTasks: [],
    record: seedRecord(insertTasks.length, '/plan.md', { mdBefore: 'a', mdAfter: 'a', db: 'b' }),
  };
}

/** Task i of a plan: every third completed, each depending on the two before it (and the first of those twice). */
function write(i: number): TaskWrite {
  const id = `T${String(i).padStart(3, '0')}`;
  const before = [i - 1, i - 2].filter((j) => j >= 0).map((j) => `T${String(j).padStart(3, '0')}`);
  return {
    id,
    fields: {
      status: i % 3 === 0 ? 'completed' : 'pending',
      title: `Task ${i}`,
      priority: i % 2 === 0 ? 'P1' : undefined,
      estimateHours: i % 4 === 0 ? 1.5 : undefined,
      blockers: i === 7 ? ['vendor keys'] : [],
      dependsOn: [
        ...before.map((d) => ({ id: d, type: 'blocks' as const, source: 'explicit' as const })),
        ...before.slice(0, 1).map((d) => ({ id: d, type: 'soft' as const, source: 'implicit' as const })),
      ],
    },
    extras: { epicId: 'E1', featureId: 'F1', idExplicit: true, tags: i === 5 ? ['US1'] : [], parallel: i === 9 },
  };
}

// A first sync inserts its tasks many rows per statement (planStore.ts, ROWS_PER_INSERT): the rows must be the ones
// single-row inserts in plan order gave, across statement boundaries too.
describe('PlanStore: inserting a plan', () => {
  let dir: string;
  let h: DatabaseHandle;
  beforeEach(() => {
    dir = makeTempDir();
    h = openDatabase(path.join(dir, 'context.db'));
  });
  afterEach(() => {
    h.close();
    removeDir(dir);
  });

  it('writes every task and dependency row in plan order, with its values, over several statements', () => {
    const n = 437;
    new PlanStore(h).apply(change(Array.from({ length: n }, (_, i) => write(i))));
    const tasks = h.db
      .prepare(
        `SELECT rowid, task_id, title, status, synced_status, priority, estimated_hours, blockers, tags, parallel, completed_at, created_at, updated_at
           FROM v2_tasks ORDER BY rowid`,
      )
      .all() as Record<string, unknown>[];
    assert.equal(tasks.length, n);
    tasks.forEach((r, i) => {
      const w = write(i);
      assert.deepEqual(r, {
        rowid: i + 1,
        task_id: w.id,
        title: w.fields.title,
        status: w.fields.status,
        synced_status: w.fields.status,
        priority: w.fields.priority ?? null,
        estimated_hours: w.fields.estimateHours ?? null,
        blockers: JSON.stringify(w.fields.blockers),
        tags: JSON.stringify(w.extras.tags),
        parallel: w.extras.parallel ? 1 : 0,
        completed_at: w.fields.status === 'completed' ? NOW : null,
        created_at: NOW,
        updated_at: NOW,
      });
    });
    const deps = h.db
      .prepare(`SELECT dependency_id, task_id, dependency_task_id, dependency_type, source, position FROM task_dependencies ORDER BY dependency_id`)
      .all();
    // The repeated (task, dependency) pair keeps its first row (INSERT OR IGNORE); the ignored row still used up its
    // dependency_id, as it did with one insert per row.
    const expected = Array.from({ length: n }, (_, i) => write(i))
      .flatMap((w) =>
        w.fields.dependsOn.map((d, position, all) => ({
          first: all.findIndex((x) => x.id === d.id) === position,
          task_id: w.id,
          dependency_task_id: d.id,
          dependency_type: d.type === 'soft' ? 'soft_dependency' : 'blocks',
          source: d.source,
          position,
        })),
      )
      .map(({ first, ...d }, i) => ({ first, row: { dependency_id: i + 1, ...d } }))
      .filter((d) => d.first)
      .map((d) => d.row);
    assert.equal(expected.length, 2 * n - 3);
    assert.deepEqual(deps, expected);
  });

  it('refuses a task id inserted twice and writes nothing of that sync', () => {
    const writes = Array.from({ length: 60 }, (_, i) => write(i));
    writes.push(write(3));
    assert.throws(() => new PlanStore(h).apply(change(writes)), /UNIQUE constraint failed: v2_tasks.task_id/);
    assert.equal(h.db.prepare(`SELECT COUNT(*) FROM v2_tasks`).pluck().get(), 0);
    assert.equal(h.db.prepare(`SELECT COUNT(*) FROM v2_plan_sync`).pluck().get(), 0);
  });
});
