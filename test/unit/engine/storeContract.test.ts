// Both TaskStorePort implementations through the one contract (storeContract.ts).
import * as path from 'node:path';
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
