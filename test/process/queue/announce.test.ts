// A coordinator of workers names the plan's agent types to its workers when it loads the plan, before its first
// dispatch pass (docs/server.md#measured): a worker without `--agents` starts a type's queue only once told, and told
// by the first job's enqueue, that job and the rest of its pass waited for the queue's start on every worker. Real
// parts: a real redis-server, a `coditect worker` child process, the coordinator's Orchestrator and RemoteAttempts with
// a real SQLite database in this process (so the plan can be loaded without being started).
import { strict as assert } from 'node:assert';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createAgent } from '../../../src/engine/agents/agentFactory';
import type { Agent } from '../../../src/engine/agents/agent';
import { loadConfig } from '../../../src/engine/config';
import { openDatabase, type DatabaseHandle } from '../../../src/engine/db/database';
import { TaskStore } from '../../../src/engine/db/taskStore';
import { Orchestrator } from '../../../src/engine/orchestrator';
import { queueNameOf, queueSetKey } from '../../../src/engine/queue/jobProtocol';
import { RemoteAttempts } from '../../../src/engine/queue/remoteAttempts';
import { SyncService } from '../../../src/engine/sync/syncService';
import { cliEnv, ensureBuilt, removeWorkspace, startCli, tempWorkspace } from '../cli/cliHarness';
import { Proc } from './procKit';
import { RedisServer } from './redisKit';

// alpha: ready, named on its task. beta: named on a task still blocked by alpha's. runner: the default type, routed to
// by a ready task that names none. gamma: named only on a finished task, so never run and never announced.
const PLAN = [
  '# Plan',
  '',
  '## E001: Epic',
  '',
  '### F001.01: Feature',
  '',
  '- [ ] **T001.001** First step',
  '  - Agent: alpha',
  '- [ ] **T001.002** Second step',
  '  - Agent: beta',
  '  - Depends on: T001.001',
  '- [ ] **T001.003** Unnamed step',
  '- [x] **T001.004** Done already',
  '  - Agent: gamma',
  '',
].join('\n');

describe('a coordinator of workers announces the plan agent types at load (real redis-server, a worker process)', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let dir: string;
  let handle: DatabaseHandle | undefined;
  let remote: RemoteAttempts | undefined;
  let orch: Orchestrator | undefined;
  let client: Redis | undefined;
  const procs: Proc[] = [];

  before(async () => {
    ensureBuilt();
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    await orch?.close();
    await remote?.close();
    handle?.close();
    client?.disconnect();
    await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
    removeWorkspace(dir);
  });
  after(async () => redis?.remove());

  it('a worker serves each type before any job of it is in Redis; a worker started later reads them; then every task runs', async () => {
    const prefix = 'announce';
    const workerConfig = {
      default_agent: 'sim',
      agents: { sim: { kind: 'dry-run', durationMs: 0 } },
      sandbox: { mode: 'off' },
      queue: { kind: 'redis', url: redis.url, prefix },
    };
    dir = tempWorkspace({ 'PLAN-TASKLIST.md': PLAN, 'config.json': JSON.stringify(workerConfig) });
    const worker = async (): Promise<Proc> => {
      const p = new Proc(startCli(['worker', '--config', 'config.json'], dir, cliEnv()));
      procs.push(p);
      await p.line(/INFO +worker \S+ on redis:\/\//);
      return p;
    };
    const first = await worker();
    assert.match(first.stderr, /every agent type the coordinator uses \(none yet\)/, 'a fresh Redis names no type yet');

    handle = openDatabase(join(dir, '.coditect', 'context.db'));
    const store = new TaskStore(handle);
    const sync = new SyncService({ handle, store, tasklistPath: join(dir, 'PLAN-TASKLIST.md') });
    await sync.syncFromDisk();
    const queue = { kind: 'redis' as const, url: redis.url, prefix, lockMs: 30_000, stalledIntervalMs: 30_000, maxStalled: 1, results: 'none' as const };
    remote = new RemoteAttempts({ queue, owner: 'announce-test', maxPerType: () => ({}), log: () => undefined });
    const base = loadConfig(undefined, { env: {} });
    // No keyword or epic routing: a task that names no type goes to the default type, `runner`.
    const config = {
      ...base,
      agentMappings: {},
      epicFallbacks: {},
      fallbackAgentType: 'runner',
      agentLimits: { maxPerType: {} },
      shutdownGraceMs: 1000,
      queue,
    };
    const agent: Agent = createAgent({ kind: 'dry-run', name: 'sim', durationMs: 0, failureRate: 0 } as never);
    orch = new Orchestrator({ store, config, agentFor: () => agent, owner: 'announce-test', cwd: dir, env: {}, redact: (t) => t, remote });

    // Loaded, not started: no dispatch pass, so no job. The worker is told of the types all the same.
    orch.setPlan(sync.current());
    await Promise.all(['alpha', 'beta', 'runner'].map((t) => first.line(new RegExp(`now serving agent type ${t}\\n`))));
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
    assert.deepEqual(
      ((await client.smembers(queueSetKey(prefix))) as string[]).sort(),
      ['alpha', 'beta', 'runner'].map(queueNameOf),
      'the queue set names the unfinished tasks’ types, not the finished task’s gamma',
    );
    for (const t of ['alpha', 'beta', 'runner']) {
      const q = new Queue(queueNameOf(t), { connection: { url: redis.url }, prefix });
      try {
        const counts = await q.getJobCounts('wait', 'active', 'completed', 'failed', 'delayed', 'prioritized');
        assert.deepEqual(Object.values(counts), [0, 0, 0, 0, 0, 0], `no job of ${t} yet: ${JSON.stringify(counts)}`);
      } finally {
        await q.close();
      }
    }

    // A worker that starts after the announcement reads the queue set: it serves the same types from its start.
    const late = await worker();
    const started = /every agent type the coordinator uses \(now ([^)]*)\)/.exec(late.stderr)?.[1] ?? '';
    assert.deepEqual(started.split(', ').sort(), ['alpha', 'beta', 'runner'], late.stderr);

    orch.start();
    await orch.idle();
    const rows = handle.db.prepare('SELECT task_id AS taskId, agent_type AS agentType, status FROM agent_execution_log ORDER BY task_id').all();
    assert.deepEqual(rows, [
      { taskId: 'T001.001', agentType: 'alpha', status: 'completed' },
      { taskId: 'T001.002', agentType: 'beta', status: 'completed' },
      { taskId: 'T001.003', agentType: 'runner', status: 'completed' },
    ]);
    const names = new Set([`${hostname()}:${first.pid}`, `${hostname()}:${late.pid}`]);
    for (const t of ['alpha', 'beta', 'runner']) {
      const q = new Queue(queueNameOf(t), { connection: { url: redis.url }, prefix });
      try {
        const done = await q.getJobs(['completed']);
        assert.equal(done.length, 1, t);
        assert.ok(names.has(done[0].processedBy ?? ''), `the job of ${t} was run by a worker: ${done[0].processedBy}`);
      } finally {
        await q.close();
      }
    }
  });
});
