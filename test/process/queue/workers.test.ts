// Workers on other machines (queue.kind: redis, docs/server.md#workers), with real processes: a real redis-server, the
// built `coditect run` as the coordinator and `coditect worker` processes. What is asserted is what the person can
// rely on: every task completed exactly once in context.db, a worker killed mid-job does not lose or double its
// attempt, a job that crashes every worker ends failed with the reason.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { generateTaskList } from '../../bench/generatePlan';
import { cliEnv, ensureBuilt, removeWorkspace, startCli, tempWorkspace } from '../cli/cliHarness';
import { dbRows, Proc } from './procKit';
import { RedisServer } from './redisKit';

/** Resolves once `file` exists (a watch on its folder; no polling). */
function fileAppears(file: string): Promise<void> {
  return new Promise((resolve) => {
    const dir = join(file, '..');
    const w = watch(dir, () => {
      if (existsSync(file)) {
        w.close();
        resolve();
      }
    });
    if (existsSync(file)) {
      w.close();
      resolve();
    }
  });
}

const ROUTE_ALL_TO_RUNNER = { agent_mappings: {}, epic_fallbacks: {}, fallback_agent_type: 'runner' };

describe('workers on Redis (real redis-server, coordinator and worker processes)', function () {
  this.timeout(120_000);
  let redis: RedisServer;
  const dirs: string[] = [];
  const procs: Proc[] = [];
  const orphanPids: number[] = [];

  before(async () => {
    ensureBuilt();
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
    for (const pid of orphanPids.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  after(async () => {
    await redis?.remove();
    dirs.forEach(removeWorkspace);
  });

  const start = (args: string[], dir: string): Proc => {
    const p = new Proc(startCli(args, dir, cliEnv()));
    procs.push(p);
    return p;
  };
  const worker = async (dir: string, extra: string[] = []): Promise<Proc> => {
    const w = start(['worker', '--config', 'config.json', ...extra], dir);
    await w.line(/INFO +worker \S+ on redis:\/\//);
    return w;
  };
  const jobs = async (prefix: string, agentType: string) => {
    const q = new Queue(`agent-${agentType}`, { connection: { url: redis.url }, prefix });
    try {
      const all = await q.getJobs(['completed', 'failed', 'active', 'wait', 'delayed']);
      return await Promise.all(
        all.map(async (j) => ({
          id: j.id,
          state: await j.getState(),
          processedBy: j.processedBy,
          attemptsStarted: j.attemptsStarted,
          data: j.data as { taskId: string; attemptId: number },
        })),
      );
    } finally {
      await q.close();
    }
  };

  it('runs a plan on two workers: every task completed once, by the workers, results recorded by the coordinator', async () => {
    const prefix = 'happy';
    const { text, ids } = generateTaskList({ tasks: 16, tasksPerFeature: 4, featuresPerEpic: 2, seed: 5, chainProbability: 0.3 });
    const config = {
      ...ROUTE_ALL_TO_RUNNER,
      default_agent: 'sim',
      agents: { sim: { kind: 'dry-run', durationMs: { minMs: 100, maxMs: 200 } } },
      max_concurrent_agents: 4,
      sandbox: { mode: 'off' },
      queue: { kind: 'redis', url: redis.url, prefix, lock_ms: 2000, stalled_interval_ms: 500 },
    };
    const dir = tempWorkspace({ 'PLAN-TASKLIST.md': text, 'config.json': JSON.stringify(config) });
    dirs.push(dir);
    const w1 = await worker(dir, ['--concurrency', '2']);
    const w2 = await worker(dir, ['--concurrency', '2']);
    const run = start(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--json'], dir);
    const { code } = await run.exited;
    assert.equal(code, 0, run.stderr.slice(-3000));
    assert.equal(JSON.parse(run.stdout).counts.completed, ids.length);

    const attempts = dbRows<{ id: number; task_id: string; status: string }>(dir, 'SELECT log_id AS id, task_id, status FROM agent_execution_log');
    assert.equal(attempts.length, ids.length, 'one attempt row per task');
    for (const id of ids)
      assert.deepEqual(
        attempts.filter((a) => a.task_id === id).map((a) => a.status),
        ['completed'],
        id,
      );

    const done = await jobs(prefix, 'runner');
    assert.equal(done.length, ids.length, 'one job per attempt');
    const names = new Set([`${hostname()}:${w1.pid}`, `${hostname()}:${w2.pid}`]);
    const by = new Map<string, number>();
    for (const j of done) {
      assert.equal(j.state, 'completed');
      assert.ok(names.has(j.processedBy ?? ''), `job ${j.id} was run by ${j.processedBy}`);
      by.set(j.processedBy!, (by.get(j.processedBy!) ?? 0) + 1);
      assert.ok(
        attempts.some((a) => `attempt-${a.id}` === j.id && a.task_id === j.data.taskId),
        `job ${j.id} is attempt row ${j.data.attemptId}`,
      );
      assert.equal(JSON.stringify(j.data).includes('ANTHROPIC'), false);
    }
    assert.equal(by.size, 2, `both workers ran jobs: ${JSON.stringify([...by])}`);
    const md = readFileSync(join(dir, 'PLAN-TASKLIST.md'), 'utf8');
    assert.equal((md.match(/^- \[x\]/gm) ?? []).length, ids.length, 'the markdown shows every task done');
    // A worker stops on SIGTERM with nothing running: exit 0.
    await w1.stop();
    assert.equal((await w1.exited).code, 0, w1.stderr);
  });

  it("a worker's queues share one connection for their commands: N agent types take N + 3 connections, not 2N + 2", async () => {
    // Its own redis-server: the count is of every client connected, and no other test's processes may be among them.
    const own = await RedisServer.start();
    const { Redis } = await import('ioredis');
    const c = new Redis(own.url, { maxRetriesPerRequest: null });
    try {
      const config = {
        default_agent: 'sim',
        agents: { sim: { kind: 'dry-run', durationMs: 0 } },
        sandbox: { mode: 'off' },
        queue: { kind: 'redis', url: own.url, prefix: 'conns' },
      };
      const dir = tempWorkspace({ 'config.json': JSON.stringify(config) });
      dirs.push(dir);
      const w = await worker(dir, ['--agents', 'a,b,c']);
      const clients = ((await c.client('LIST')) as string).trim().split('\n');
      // 3 blocking connections (one per queue), the shared one, the cancel/queue subscriber, the plain client, and ours.
      assert.equal(clients.length - 1, 3 + 3, clients.join('\n'));
      await w.stop();
      assert.equal((await w.exited).code, 0, `it closed every connection and exited: ${w.stderr}`);
    } finally {
      c.disconnect();
      await own.remove();
    }
  });

  it('a worker SIGKILLed mid-job: the job is run again by another worker, the attempt completed once', async () => {
    const prefix = 'sigkill';
    const dir = tempWorkspace();
    dirs.push(dir);
    const marker = join(dir, 'first-run');
    const pidFile = join(dir, 'agent.pid');
    // The first run records its pid and hangs (until its worker is killed); the run after it finishes at once.
    const script = `if [ -e '${marker}' ]; then echo 'second run: done'; exit 0; fi; touch '${marker}'; echo $$ > '${pidFile}.tmp'; mv '${pidFile}.tmp' '${pidFile}'; exec sleep 60`;
    const config = {
      ...ROUTE_ALL_TO_RUNNER,
      default_agent: 'slow',
      agents: { slow: { kind: 'command', executable: '/bin/sh', args: ['-c', script] } },
      sandbox: { mode: 'off' },
      queue: { kind: 'redis', url: redis.url, prefix, lock_ms: 1500, stalled_interval_ms: 300, max_stalled: 1 },
    };
    writeFileSync(join(dir, 'PLAN-TASKLIST.md'), '# Plan\n\n## E001: Epic\n\n### F001.01: Feature\n\n- [ ] **T001.001** Hang once\n');
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const a = await worker(dir, ['--agents', 'runner']);
    const run = start(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--json'], dir);
    await fileAppears(pidFile);
    orphanPids.push(Number(readFileSync(pidFile, 'utf8').trim()));
    const b = await worker(dir, ['--agents', 'runner']);
    await a.stop('SIGKILL');
    const { code } = await run.exited;
    assert.equal(code, 0, run.stderr.slice(-3000));

    const attempts = dbRows<{ id: number; status: string; summary: string | null }>(dir, 'SELECT log_id AS id, status, summary FROM agent_execution_log');
    assert.equal(attempts.length, 1, 'the attempt was carried on by the other worker, not started again');
    assert.equal(attempts[0].status, 'completed');
    assert.match(attempts[0].summary ?? '', /second run: done/);
    const [job] = await jobs(prefix, 'runner');
    assert.equal(job.id, `attempt-${attempts[0].id}`);
    assert.equal(job.state, 'completed');
    assert.equal(job.processedBy, `${hostname()}:${b.pid}`, 'the surviving worker completed it');
    assert.equal(job.attemptsStarted, 2, 'started twice: on the killed worker, then on the other');
    assert.match(b.stderr, /lost its worker/);
  });

  it('Redis restarted mid-run: coordinator and workers reconnect, every task completed once, nothing lost', async () => {
    const prefix = 'restart';
    const { text, ids } = generateTaskList({ tasks: 24, tasksPerFeature: 4, featuresPerEpic: 3, seed: 9, chainProbability: 0.3 });
    const config = {
      ...ROUTE_ALL_TO_RUNNER,
      default_agent: 'sim',
      agents: { sim: { kind: 'dry-run', durationMs: { minMs: 150, maxMs: 300 } } },
      max_concurrent_agents: 4,
      sandbox: { mode: 'off' },
      queue: { kind: 'redis', url: redis.url, prefix, lock_ms: 3000, stalled_interval_ms: 500 },
    };
    const dir = tempWorkspace({ 'PLAN-TASKLIST.md': text, 'config.json': JSON.stringify(config) });
    dirs.push(dir);
    await worker(dir, ['--concurrency', '2']);
    await worker(dir, ['--concurrency', '2']);
    const run = start(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--json'], dir);
    // Restart Redis once a few tasks have completed and others run (its append-only file keeps the queues).
    await run.line(/(?:completed T\d+\.\d+[^\n]*\n[^]*){5}/);
    await redis.restart();
    const { code } = await run.exited;
    assert.equal(code, 0, run.stderr.slice(-3000));
    assert.match(run.stderr, /reconnected to redis/);
    const attempts = dbRows<{ task_id: string; status: string }>(dir, 'SELECT task_id, status FROM agent_execution_log');
    for (const id of ids)
      assert.deepEqual(
        attempts.filter((a) => a.task_id === id).map((a) => a.status),
        ['completed'],
        id,
      );
    assert.equal(attempts.length, ids.length, 'no attempt lost, none recorded twice');
  });

  it('coordinator SIGKILLed while a job runs: the next coordinator carries on with the job (its result, not a second run)', async () => {
    const prefix = 'coordinator';
    const dir = tempWorkspace();
    dirs.push(dir);
    const runs = join(dir, 'runs');
    const go = join(dir, 'go');
    const started = join(dir, 'started');
    // The agent counts its runs, says it started, and finishes once the test lets it.
    const script = `echo run >> '${runs}'; touch '${started}'; while [ ! -e '${go}' ]; do sleep 0.05; done; echo 'finished while the coordinator was away'`;
    const config = {
      ...ROUTE_ALL_TO_RUNNER,
      default_agent: 'gated',
      agents: { gated: { kind: 'command', executable: '/bin/sh', args: ['-c', script] } },
      sandbox: { mode: 'off' },
      lease: { ms: 2000, heartbeat_ms: 500 },
      queue: { kind: 'redis', url: redis.url, prefix, lock_ms: 2000, stalled_interval_ms: 500 },
    };
    writeFileSync(join(dir, 'PLAN-TASKLIST.md'), '# Plan\n\n## E001: Epic\n\n### F001.01: Feature\n\n- [ ] **T001.001** Outlive the coordinator\n');
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    await worker(dir, ['--agents', 'runner']);
    const first = start(['run', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir);
    await fileAppears(started);
    await first.stop('SIGKILL');
    // The job finishes while no coordinator runs: its result waits in Redis.
    const events = new QueueEvents('agent-runner', { connection: { url: redis.url }, prefix, lastEventId: '0-0' });
    try {
      const finished = new Promise<void>((resolve) => events.on('completed', () => resolve()));
      await events.waitUntilReady();
      writeFileSync(go, '');
      await finished;
    } finally {
      await events.close();
    }
    const second = start(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--json'], dir);
    const { code } = await second.exited;
    assert.equal(code, 0, second.stderr.slice(-3000));
    assert.match(second.stderr, /carrying on with job attempt-\d+ that a previous coordinator enqueued/);
    assert.equal(readFileSync(runs, 'utf8'), 'run\n', 'the agent ran once');
    const attempts = dbRows<{ status: string; summary: string | null }>(dir, 'SELECT status, summary FROM agent_execution_log ORDER BY log_id');
    assert.deepEqual(
      attempts.map((a) => a.status),
      ['released', 'completed'],
      "the killed run's attempt closed by recovery, the job's result recorded once on the new one",
    );
    assert.match(attempts[1].summary ?? '', /finished while the coordinator was away/);
    const all = await jobs(prefix, 'runner');
    assert.equal(all.length, 1, 'one job: not enqueued again');
  });

  it('a person cancels a task running on a worker: the worker stops its agent, the attempt ends cancelled', async () => {
    const prefix = 'cancel';
    const dir = tempWorkspace();
    dirs.push(dir);
    const pidFile = join(dir, 'agent.pid');
    const script = `echo $$ > '${pidFile}.tmp'; mv '${pidFile}.tmp' '${pidFile}'; exec sleep 60`;
    const config = {
      ...ROUTE_ALL_TO_RUNNER,
      default_agent: 'long',
      agents: { long: { kind: 'command', executable: '/bin/sh', args: ['-c', script] } },
      sandbox: { mode: 'off' },
      timeouts: { kill_grace_ms: 500 },
      queue: { kind: 'redis', url: redis.url, prefix },
    };
    writeFileSync(join(dir, 'PLAN-TASKLIST.md'), '# Plan\n\n## E001: Epic\n\n### F001.01: Feature\n\n- [ ] **T001.001** Run for a minute\n');
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const w = await worker(dir, ['--agents', 'runner']);
    const run = start(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--json'], dir);
    await fileAppears(pidFile);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    orphanPids.push(pid);
    const cancel = start(['cancel', 'PLAN-TASKLIST.md', 'T001.001'], dir);
    assert.equal((await cancel.exited).code, 0, cancel.stderr);
    const { code } = await run.exited;
    assert.equal(code, 1, 'a cancelled task leaves the plan unfinished');
    const attempts = dbRows<{ status: string; error: string }>(dir, 'SELECT status, error FROM agent_execution_log');
    assert.deepEqual(
      attempts.map((a) => a.status),
      ['cancelled'],
    );
    assert.throws(() => process.kill(pid, 0), 'the worker killed the agent');
    assert.equal(w.child.exitCode, null, 'the worker goes on');
  });

  it('a poison job (its agent kills every worker that runs it) ends failed after queue.max_stalled, with the reason', async () => {
    const prefix = 'poison';
    const dir = tempWorkspace();
    dirs.push(dir);
    const config = {
      ...ROUTE_ALL_TO_RUNNER,
      default_agent: 'poison',
      agents: { poison: { kind: 'command', executable: '/bin/sh', args: ['-c', 'kill -9 $PPID; exec sleep 30'] } },
      sandbox: { mode: 'off' },
      retry: { max_attempts: 3, initial_delay_ms: 0 },
      queue: { kind: 'redis', url: redis.url, prefix, lock_ms: 1500, stalled_interval_ms: 300, max_stalled: 1 },
    };
    writeFileSync(join(dir, 'PLAN-TASKLIST.md'), '# Plan\n\n## E001: Epic\n\n### F001.01: Feature\n\n- [ ] **T001.001** Crash the worker\n');
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    // A supervisor (systemd's Restart=always): each worker the job kills is replaced.
    let crashes = 0;
    let supervising = true;
    const supervise = async (): Promise<void> => {
      while (supervising) {
        const w = await worker(dir, ['--agents', 'runner']);
        const { signal } = await w.exited;
        if (signal === 'SIGKILL' && supervising) crashes++;
        else return;
      }
    };
    const supervisor = supervise();
    const run = start(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--json'], dir);
    const { code } = await run.exited;
    supervising = false;
    assert.equal(code, 1, run.stderr.slice(-3000));
    const attempts = dbRows<{ status: string; error: string; error_kind: string }>(dir, 'SELECT status, error, error_kind FROM agent_execution_log');
    assert.equal(attempts.length, 1, 'failed at once: not retried by the coordinator on top of the workers');
    assert.equal(attempts[0].status, 'failed');
    assert.equal(attempts[0].error_kind, 'fatal');
    assert.match(attempts[0].error, /lost its worker more than queue\.max_stalled \(1\) time/);
    assert.match(attempts[0].error, /stalled more than allowable limit/);
    assert.equal(crashes, 2, 'run on two workers (the first and its one retry), each killed');
    const task = dbRows<{ status: string }>(dir, "SELECT status FROM v2_tasks WHERE task_id = 'T001.001'");
    assert.equal(task[0].status, 'failed');
    await Promise.all(procs.map((p) => p.stop()));
    await supervisor;
  });
});
