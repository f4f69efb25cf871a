// Both TaskStorePort implementations through the one contract (storeContract.ts).
import * as path from 'node:path';
import * as assert from 'node:assert/strict';
import { taskList } from '../core/taskListBuilder';
import { openDatabase } from '../../../src/engine/db/database';
import { TaskStore } from '../../../src/engine/db/taskStore';
import { makeTempDir, removeDir, seedTasks } from '../db/dbTestKit';
import { MemoryStore } from './memoryStore';
import { describeStoreContract } from './storeContract';

describeStoreContract('TaskStore (a real SQLite file)', (tasks) => {
  const dir = makeTempDir();
  const h = openDatabase(path.join(dir, 'context.db'));
  seedTasks(h, tasks);
  return {
    store: new TaskStore(h),
    close: () => {
      h.close();
      removeDir(dir);
    },
  };
});

describeStoreContract('MemoryStore (the orchestrator tests’ store)', (tasks) => ({
  store: MemoryStore.fromList(taskList(tasks.map((t) => ({ id: t.id, status: t.status })))),
  close: () => undefined,
}));

describe('TaskStore.attemptedTasks (real SQLite)', () => {
  it('names exactly the tasks with a recorded attempt, finished or not', () => {
    const dir = makeTempDir();
    const h = openDatabase(path.join(dir, 'context.db'));
    try {
      seedTasks(h, [
        { id: 'T1', status: 'pending' },
        { id: 'T2', status: 'pending' },
        { id: 'T3', status: 'pending' },
      ]);
      const store = new TaskStore(h);
      assert.deepEqual([...store.attemptedTasks()], []);
      store.claim('T1', 'me', 1000, 1_000_000);
      const id = store.recordAttemptStart({ taskId: 'T1', agent: 'dry-run', attempt: 1, startedAt: 1_000_000 });
      store.claim('T3', 'me', 1000, 1_000_000);
      store.recordAttemptStart({ taskId: 'T3', agent: 'dry-run', attempt: 1, startedAt: 1_000_000 });
      store.recordAttemptEnd(id, { outcome: 'completed', endedAt: 1_000_005 });
      assert.deepEqual([...store.attemptedTasks()].sort(), ['T1', 'T3']);
    } finally {
      h.close();
      removeDir(dir);
    }
  });
});
