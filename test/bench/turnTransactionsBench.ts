// Would one transaction per turn make a coordinator of workers cheaper (docs/server.md#measured, "what is left" 1)?
// Today a turn writes its results in one transaction (ResultWriter, TaskStore.settleAll) and the dispatch pass they
// free in another (Orchestrator.startsInOnePass). The alternative writes both in one, the pass in a savepoint so that
// its rollback never takes the results with it. This runs the same store work both ways on a real context.db of the
// bench's plan — 2,000 tasks claimed, given an attempt row and settled through TaskStore, `--per` tasks a pass — and
// prints the process's CPU. Run each shape in its own process, alternating:
//   npx tsx test/bench/turnTransactionsBench.ts --shape two|one [--per 10] [--temp-memory]
// `--temp-memory` sets `temp_store = MEMORY` (a savepoint's undo then stays in memory instead of a temporary file).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../../src/engine/db/database';
import { TaskStore } from '../../src/engine/db/taskStore';
import { SyncService } from '../../src/engine/sync/syncService';
import { generateTaskList } from './generatePlan';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { shape: { type: 'string' }, per: { type: 'string', default: '10' }, 'temp-memory': { type: 'boolean' } } });
  const shape = values.shape;
  if (shape !== 'two' && shape !== 'one') throw new Error('--shape two|one');
  const per = Number(values.per);
  const dir = mkdtempSync(join(tmpdir(), 'coditect-turn-tx-'));
  try {
    const file = join(dir, 'PLAN-TASKLIST.md');
    writeFileSync(file, generateTaskList({ tasks: 2000, chainProbability: 0, crossProbability: 0 }).text);
    const handle = openDatabase(join(dir, '.coditect', 'context.db'));
    if (values['temp-memory']) handle.db.pragma('temp_store = MEMORY');
    const store = new TaskStore(handle);
    const sync = new SyncService({ handle, store, tasklistPath: file });
    await sync.syncFromDisk();
    const ids = sync.current().tasks.map((t) => t.id);
    const now = Date.now();
    let running: { taskId: string; attemptId: number }[] = [];
    let next = 0;
    const pass = (): void => {
      for (let i = 0; i < per && next < ids.length; i++) {
        const taskId = ids[next++];
        if (!store.claim(taskId, 'bench', 60_000, now)) throw new Error(`claim of ${taskId} refused`);
        running.push({ taskId, attemptId: store.recordAttemptStart({ taskId, agent: 'a', attempt: 1, provider: 'p', startedAt: now }) });
      }
    };
    const c0 = process.cpuUsage();
    for (let settled = 0; settled < ids.length;) {
      const ending = running;
      running = [];
      const results = (): void =>
        void store.settleAll(
          ending.map((r) => ({
            taskId: r.taskId,
            owner: 'bench',
            finish: { status: 'completed', now },
            attemptId: r.attemptId,
            end: { outcome: 'completed', endedAt: now },
          })),
          () => true,
        );
      if (shape === 'two') {
        results();
        store.batch(pass);
      } else {
        store.batch(() => {
          results();
          store.batch(pass); // nested: a savepoint
        });
      }
      settled += ending.length;
    }
    const c = process.cpuUsage(c0);
    handle.close();
    console.log(JSON.stringify({ shape, per, tempMemory: values['temp-memory'] === true, cpuMs: (c.user + c.system) / 1000, systemMs: c.system / 1000 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
