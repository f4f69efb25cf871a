// A coordinator of workers claims and records a dispatch pass's attempts in ONE transaction (Orchestrator.startsInOnePass)
// and enqueues their jobs only once it committed: a job id is an attempt row's id, and a rolled-back row's id is given
// again. Here the database really fills up in the middle of a pass (SQLite's max_page_count: SQLITE_FULL on the insert
// that needs a new page), against a real redis-server and a BullMQ worker: the whole pass is rolled back, no job goes out
// for any of its attempts, and once the database takes writes again every task runs once, each job naming its own row.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'bullmq';
import { createAgent } from '../../../src/engine/agents/agentFactory';
import type { Agent } from '../../../src/engine/agents/agent';
import { loadConfig } from '../../../src/engine/config';
import { openDatabase, type DatabaseHandle } from '../../../src/engine/db/database';
import { DbGate } from '../../../src/engine/db/dbGate';
import { TaskStore } from '../../../src/engine/db/taskStore';
import { Orchestrator } from '../../../src/engine/orchestrator';
import { attemptIdOf, JOB_PROTOCOL, queueNameOf, type AttemptJobData } from '../../../src/engine/queue/jobProtocol';
import { RemoteAttempts } from '../../../src/engine/queue/remoteAttempts';
import { SyncService } from '../../../src/engine/sync/syncService';
import { generateTaskList } from '../../bench/generatePlan';
import { RedisServer } from './redisKit';

describe('dispatch pass of a coordinator of workers: one transaction (real SQLite, real redis-server)', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let dir: string;
  let handle: DatabaseHandle | undefined;
  let workers: Worker[] = [];
  let remote: RemoteAttempts | undefined;
  let orch: Orchestrator | undefined;
  let gate: DbGate | undefined;

  before(async () => {
    redis = await RedisServer.start();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coditect-pass-'));
  });
  afterEach(async () => {
    await orch?.close();
    gate?.close();
    await remote?.close();
    await Promise.all(workers.map((w) => w.close()));
    workers = [];
    handle?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  after(async () => redis?.remove());

  it('the database fills up in the middle of a pass: all of it is rolled back, no job of it goes out; then every task runs once', async () => {
    const tasks = 60;
    const file = join(dir, 'PLAN-TASKLIST.md');
    writeFileSync(file, generateTaskList({ tasks, chainProbability: 0, crossProbability: 0 }).text);
    handle = openDatabase(join(dir, '.coditect', 'context.db'));
    const store = new TaskStore(handle);
    const sync = new SyncService({ handle, store, tasklistPath: file });
    await sync.syncFromDisk();
    const db = handle.db;

    const prefix = 'pass';
    const queue = { kind: 'redis' as const, url: redis.url, prefix, lockMs: 30_000, stalledIntervalMs: 30_000, maxStalled: 1, results: 'none' as const };
    // Every job a worker ran, by job id, and the task its data named.
    const ran = new Map<string, string[]>();
    remote = new RemoteAttempts({ queue, owner: 'pass-test', maxPerType: () => ({}), log: () => undefined });
    gate = new DbGate({ db, path: handle.path, initialRetryMs: 50, maxRetryMs: 200 });
    const base = loadConfig(undefined, { env: {} });
    const config = { ...base, maxConcurrentAgents: tasks, agentLimits: { maxPerType: {} }, shutdownGraceMs: 1000, queue };
    const agent: Agent = createAgent({ kind: 'dry-run', name: 'zero', durationMs: 0, failureRate: 0 } as never);
    orch = new Orchestrator({ store, config, gate, agentFor: () => agent, owner: 'pass-test', cwd: dir, env: {}, redact: (t) => t, remote });
    const lines: string[] = [];
    let full: () => void = () => undefined;
    const filled = new Promise<void>((resolve) => (full = resolve));
    orch.on('activity:appended', ({ entries }) => {
      for (const e of entries) {
        lines.push(e.message);
        if (/did not take a dispatch pass/.test(e.message)) full();
      }
    });
    // A worker for each agent type's queue dispatch uses, answering at once (what a worker of a zero-work agent returns).
    const served = new Set<string>();
    orch.on('task:started', ({ agentType }) => {
      if (served.has(agentType)) return;
      served.add(agentType);
      const w = new Worker(
        queueNameOf(agentType),
        async (job) => {
          const d = job.data as AttemptJobData;
          ran.set(job.id!, [...(ran.get(job.id!) ?? []), d.taskId]);
          return { v: JOB_PROTOCOL, ok: true, result: { summary: `done ${d.taskId}` }, durationMs: 0, worker: 'test:1' };
        },
        { connection: { url: redis.url, maxRetriesPerRequest: null }, prefix, concurrency: tasks },
      );
      workers.push(w);
    });

    // The database may not grow: the first insert that needs a new page (a split of the attempt log or one of its
    // indexes) fails with SQLITE_FULL, a few rows into the first pass.
    db.exec('VACUUM'); // no free pages left to grow into
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    orch.setPlan(sync.current());
    orch.start();
    await filled;
    const fault = lines.find((l) => /did not take a dispatch pass/.test(l))!;
    assert.match(fault, /SQLITE_FULL|full/i, fault);
    const inPass = Number(/its (\d+) attempt\(s\) go back to pending/.exec(fault)?.[1]);
    assert.ok(inPass >= 2, `the fault came in the middle of a pass (after ${inPass} attempt(s) of it were started): ${fault}`);
    // Nothing of the pass is in the database, and no job went out for it.
    const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
    assert.equal(count('SELECT count(*) AS n FROM agent_execution_log'), 0);
    assert.equal(count(`SELECT count(*) AS n FROM v2_tasks WHERE status = 'in_progress'`), 0);
    assert.equal(ran.size, 0, `no job of a rolled-back pass ran: ${[...ran.keys()].join(', ')}`);

    // The disk has room again: the gate's retry lets dispatch carry on.
    db.pragma('max_page_count = 1073741823');
    await orch.idle();

    const rows = db.prepare('SELECT log_id AS id, task_id AS taskId, status FROM agent_execution_log ORDER BY log_id').all() as {
      id: number;
      taskId: string;
      status: string;
    }[];
    const completed = rows.filter((r) => r.status === 'completed');
    assert.equal(completed.length, tasks, `every task completed: ${JSON.stringify(rows.filter((r) => r.status !== 'completed'))}`);
    assert.equal(new Set(completed.map((r) => r.taskId)).size, tasks, 'each task completed once');
    assert.deepEqual(
      rows.filter((r) => r.status !== 'completed'),
      [],
      'no attempt row left running or released: the rolled-back ones were never written',
    );
    // Each job ran once, and names the row of its own id (its task), never a row a rolled-back id was given to later.
    assert.equal(ran.size, tasks);
    const byId = new Map(rows.map((r) => [r.id, r.taskId]));
    for (const [jobId, taskIds] of ran) {
      assert.deepEqual(taskIds, [byId.get(attemptIdOf(jobId)!)], `job ${jobId} ran once, for the task of its row`);
    }
    const statuses = db.prepare(`SELECT status, count(*) AS n FROM v2_tasks GROUP BY status`).all() as { status: string; n: number }[];
    assert.deepEqual(
      statuses.filter((s) => s.status !== 'completed'),
      [],
    );
  });
});
