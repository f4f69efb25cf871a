// `npm run bench` — figures for the README, measured on this machine in one run. Not a test: nothing here passes or
// fails on time. Each scenario runs in its own child process so that its peak RSS is its own; the parent repeats
// each scenario and reports medians. The baseline (the plan's own design: a 1 s polling loop running a `NOT EXISTS`
// query per dispatch) runs in the same invocation, on the same generated plan, so ratios compare like with like.
//
//   node dist/bench.js [--json] [--tasks N] [--repeat N] [--baseline-seconds N]
//   node dist/bench.js --workers [--json] [--tasks N] [--repeat N]   (3 worker processes on a real redis-server)
//   node dist/bench.js --workbench [--json] [--tasks N] [--repeat N]  (#15: the plan in code-server + Chromium)
//   node dist/bench.js --clients [--json] [--clients-n N] [--clients-tasks N] [--clients-seconds S] [--repeat N]
//                                     (#12: N event streams + 4 WebSockets on a real daemon during a run)
//
// JSON names (stable): see BenchReport below.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DependencyGraph } from '../../src/core/graph';
import type { TaskList } from '../../src/core/model';
import { decodeTaskList } from '../../src/core/decode';
import { parseTaskList } from '../../src/core/parser';
import { createAgent } from '../../src/engine/agents/agentFactory';
import type { Agent } from '../../src/engine/agents/agent';
import { loadConfig } from '../../src/engine/config';
import { openDatabase, type DatabaseHandle } from '../../src/engine/db/database';
import { TaskStore } from '../../src/engine/db/taskStore';
import { Orchestrator } from '../../src/engine/orchestrator';
import { attemptSpendOf } from '../../src/engine/spend/attemptSpend';
import { costReport } from '../../src/engine/spend/costReport';
import type { SpendGrouping } from '../../src/protocol/spend';
import { SpendLedger } from '../../src/engine/spend/ledger';
import { SyncService } from '../../src/engine/sync/syncService';
import { generateTaskList } from './generatePlan';
import { RedisServer } from '../process/queue/redisKit';
import { errorMessage } from '../../src/core/describe';
import { scenarioIsolation, scenarioIsolationOverhead } from './isolationBench';
import { type ClientsFigures, scenarioClients } from './clientsBench';
import { median, quantile } from './stats';
import { WalCheckpointer } from '../../src/engine/db/walCheckpointer';
import { bareWorkerMain, measureRun, scenarioBareBullmq, startWorker, stopWorkers, zeroWorkerConfig } from './bareBullBench';

/** Figures of one scenario run (one child process). */
interface ScenarioResult {
  scenario: string;
  figures: Record<string, number>;
  peakRssMb: number;
}

/** The whole report (`--json`). Times in ms, rates per second, memory in MB. */
export interface BenchReport {
  machine: { cpus: number; node: string; platform: string };
  tasks: number;
  repeat: number;
  sync: {
    fullSyncMs: number;
    incrementalSyncMs: number;
    /**
     * The same two as CPU time of the process (user + system): on a machine shared with other work, wall time also
     * counts the time spent waiting for a core, so these are the figures to compare between runs at different loads.
     */
    fullSyncCpuMs: number;
    incrementalSyncCpuMs: number;
    /**
     * A one-line sync in an engine that has been syncing a while (after WARM_SYNCS one-line syncs): what a person's
     * editor session meets. `incrementalSyncMs` is the first 20 after the full sync, with the JIT still cold.
     */
    incrementalSyncWarmMs: number;
    readySetMs: number;
    readySetIncrementalUs: number;
    /** Peak RSS of the sync steps alone; `peakRssMb` is the whole scenario (ready-set graph builds included). */
    syncPeakRssMb: number;
    peakRssMb: number;
  };
  /** The cost ledger on `attempts` recorded attempts (docs/costs-and-gates.md). */
  spend: {
    attempts: number;
    /** One finished attempt counted by the live ledger (what the engine adds per attempt beyond its attempt row). */
    ledgerRecordUs: number;
    /** The ledger loading its sums when an engine opens the database. */
    ledgerLoadMs: number;
    /** `coditect cost` without the process start: the report by epic, agent, model and day; the slowest of the four. */
    costReportMs: number;
    costReportByMs: Record<string, number>;
    peakRssMb: number;
  };
  dispatch: {
    concurrency: number;
    p50LatencyMs: number;
    p99LatencyMs: number;
    p50QueuedMs: number;
    p99QueuedMs: number;
    maxConcurrent: number;
    maxPerTypeObserved: number;
    perTypeLimit: number;
    limitViolations: number;
    peakRssMb: number;
  };
  throughput: { tasksPerSecond: number; tasks: number; peakRssMb: number };
  parse: { tasks: number; megabytes: number; parseMs: number; parseCpuMs: number; peakRssMb: number };
  baseline: {
    pollIntervalMs: number;
    p50LatencyMs: number;
    p99LatencyMs: number;
    tasksPerSecond: number;
    dispatched: number;
    queryMsMedian: number;
    peakRssMb: number;
  };
  ratios: { p99LatencyBaselineOverEngine: number; p50LatencyBaselineOverEngine: number; throughputEngineOverBaseline: number };
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
const peakRssMb = (): number => process.resourceUsage().maxRSS / 1024;
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
/** CPU time (user + system) of this process since `c0`, in ms. */
const cpuMs = (c0: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

/** A fresh workspace with the generated plan. */
function workspace(tasks: number): { dir: string; file: string; db: string } {
  const dir = mkdtempSync(join(tmpdir(), 'coditect-bench-'));
  const file = join(dir, 'PLAN-TASKLIST.md');
  writeFileSync(file, generateTaskList({ tasks }).text);
  return { dir, file, db: join(dir, '.coditect', 'context.db') };
}

/** Opens the workspace's database and syncs the plan into it. */
async function synced(ws: { file: string; db: string }): Promise<{ handle: DatabaseHandle; store: TaskStore; sync: SyncService }> {
  const handle = openDatabase(ws.db);
  const store = new TaskStore(handle);
  const sync = new SyncService({ handle, store, tasklistPath: ws.file });
  await sync.syncFromDisk();
  return { handle, store, sync };
}

// ---- scenarios (each runs in a child) ---------------------------------------------------------------------------

/**
 * A large file: parse time and memory of a plan far bigger than the sync scenario's (`--parse-tasks`). The parent
 * writes the file, so the child's peak RSS is a reader's: the file decoded as `coditect validate` does, then parsed.
 */
function scenarioParse(tasks: number, planFile: string): Record<string, number> {
  const text = decodeTaskList(readFileSync(planFile)).text;
  const megabytes = Buffer.byteLength(text) / 1e6;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const list = parseTaskList(text);
  const parseMs = ms(t0);
  const parseCpuMs = cpuMs(c0);
  if (list.tasks.length !== tasks) throw new Error(`bench: parsed ${list.tasks.length} tasks, expected ${tasks}`);
  return { parseMs, parseCpuMs, megabytes, tasks };
}

/** One-line syncs run (unmeasured) before the warm one-line figure: enough for the JIT to settle. */
const WARM_SYNCS = 200;

async function scenarioSync(tasks: number): Promise<Record<string, number>> {
  const ws = workspace(tasks);
  try {
    const handle = openDatabase(ws.db);
    const store = new TaskStore(handle);
    const sync = new SyncService({ handle, store, tasklistPath: ws.file });
    let c0 = process.cpuUsage();
    let t0 = process.hrtime.bigint();
    await sync.syncFromDisk();
    const fullSyncMs = ms(t0);
    const fullSyncCpuMs = cpuMs(c0);
    const list = sync.current();
    if (list.tasks.length !== tasks) throw new Error(`bench: synced ${list.tasks.length} tasks, expected ${tasks}`);

    // One-line changes: tick a different task's checkbox each time, as a person would.
    const incremental: number[] = [];
    const incrementalCpu: number[] = [];
    let text = readFileSync(ws.file, 'utf8');
    for (let i = 0; i < 21; i++) {
      const target = list.tasks[(i * 397) % list.tasks.length];
      const lines = text.split('\n');
      lines[target.line] = lines[target.line].replace('- [ ]', '- [x]');
      text = lines.join('\n');
      writeFileSync(ws.file, text);
      c0 = process.cpuUsage();
      t0 = process.hrtime.bigint();
      await sync.syncFromDisk();
      incremental.push(ms(t0));
      incrementalCpu.push(cpuMs(c0));
    }
    incremental.shift(); // the first one warms caches
    incrementalCpu.shift();
    // The same edits after WARM_SYNCS more (unmeasured): the steady state of a long-running engine.
    const tick = (i: number): void => {
      const target = list.tasks[(i * 397) % list.tasks.length];
      const lines = text.split('\n');
      const line = lines[target.line];
      lines[target.line] = line.includes('- [ ]') ? line.replace('- [ ]', '- [x]') : line.replace('- [x]', '- [ ]');
      text = lines.join('\n');
      writeFileSync(ws.file, text);
    };
    for (let i = 0; i < WARM_SYNCS; i++) {
      tick(i + 21);
      await sync.syncFromDisk();
    }
    const warm: number[] = [];
    for (let i = 0; i < 20; i++) {
      tick(i + 21 + WARM_SYNCS);
      t0 = process.hrtime.bigint();
      await sync.syncFromDisk();
      warm.push(ms(t0));
    }
    // Peak so far: the syncs alone, before the ready-set figures below build the graph seven times.
    const syncPeakRssMb = peakRssMb();

    const ready: number[] = [];
    let g: DependencyGraph | undefined;
    for (let i = 0; i < 7; i++) {
      t0 = process.hrtime.bigint();
      g = DependencyGraph.fromTaskList(list);
      g.readyIds();
      ready.push(ms(t0));
    }
    // Incremental readiness: complete tasks one at a time in topological order.
    const order = g!.topologicalOrder().slice(0, 2000);
    t0 = process.hrtime.bigint();
    for (const id of order) g!.setStatus(id, 'completed');
    const readySetIncrementalUs = (ms(t0) * 1000) / order.length;
    handle.close();
    return {
      fullSyncMs,
      incrementalSyncMs: median(incremental),
      fullSyncCpuMs,
      incrementalSyncCpuMs: median(incrementalCpu),
      incrementalSyncWarmMs: median(warm),
      readySetMs: median(ready),
      readySetIncrementalUs,
      syncPeakRssMb,
    };
  } finally {
    rmSync(ws.dir, { recursive: true, force: true });
  }
}

/** Runs the real orchestrator on the real store until idle; returns latencies and concurrency observations. */
/**
 * The cost ledger at `attempts` attempt rows: 1,000 tasks in 50 epics, 4 agent types, 3 models (one priced from tokens,
 * so estimated), spread over 30 days, each with 2 KB of output. Rows are written through the TaskStore as the engine
 * writes them.
 */
function scenarioSpend(attempts: number): Record<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'coditect-bench-spend-'));
  const handle = openDatabase(join(dir, 'context.db'));
  try {
    const db = handle.db;
    const tasks = 1000;
    db.transaction(() => {
      for (let e = 0; e < 50; e++) db.prepare('INSERT INTO v2_epics (epic_id, title) VALUES (?, ?)').run(`E${e}`, `Epic ${e}`);
      for (let e = 0; e < 50; e++) db.prepare('INSERT INTO v2_features (feature_id, epic_id, title) VALUES (?, ?, ?)').run(`F${e}`, `E${e}`, `Feature ${e}`);
      const task = db.prepare('INSERT INTO v2_tasks (task_id, epic_id, feature_id, title) VALUES (?, ?, ?, ?)');
      for (let t = 0; t < tasks; t++) task.run(`T${t}`, `E${t % 50}`, `F${t % 50}`, `Task ${t}`);
    })();
    const store = new TaskStore(handle, { runId: 'bench' });
    const agents = ['backend-development', 'frontend-development', 'devops-engineer', 'documentation'];
    const spendOf = (i: number) =>
      i % 3 === 0
        ? attemptSpendOf({ model: 'gpt-5', tokensIn: 2000 + (i % 500), tokensOut: 300, cacheReadTokens: 100 })
        : attemptSpendOf({ model: i % 3 === 1 ? 'claude-opus-5' : 'claude-sonnet-5', tokensIn: 5000, tokensOut: 800, costUsd: 0.01 + (i % 7) / 100 });
    const output = 'agent output line\n'.repeat(110);
    const start = Date.now() - 30 * 86_400_000;
    const step = (30 * 86_400_000) / attempts;
    db.transaction(() => {
      for (let i = 0; i < attempts; i++) {
        const at = Math.round(start + i * step);
        const id = store.recordAttemptStart({ taskId: `T${i % tasks}`, agent: agents[i % agents.length], attempt: 1, startedAt: at - 60_000 });
        // Rows carry output as real ones do (the store keeps up to MAX_OUTPUT_CHARS of it): what a scan must not read.
        store.recordAttemptEnd(id, { outcome: 'completed', endedAt: at, stdout: output, summary: `did task ${i}`, ...spendOf(i) });
      }
    })();

    let t0 = performance.now();
    const ledger = new SpendLedger(db);
    const ledgerLoadMs = performance.now() - t0;
    const n = 100_000;
    const entries = Array.from({ length: 1000 }, (_, i) => ({
      taskId: `T${i}`,
      epicId: `E${i % 50}`,
      agentType: agents[i % 4],
      spend: spendOf(i),
      at: Date.now(),
    }));
    t0 = performance.now();
    for (let i = 0; i < n; i++) ledger.record(entries[i % entries.length]);
    const ledgerRecordUs = ((performance.now() - t0) * 1000) / n;

    const out: Record<string, number> = { attempts, ledgerLoadMs, ledgerRecordUs };
    let slowest = 0;
    for (const by of ['epic', 'agent', 'model', 'day'] as SpendGrouping[]) {
      const times: number[] = [];
      for (let k = 0; k < 5; k++) {
        t0 = performance.now();
        costReport(db, by);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      out[`costReportMs_${by}`] = times[2];
      slowest = Math.max(slowest, times[2]);
    }
    out.costReportMs = slowest;
    return out;
  } finally {
    handle.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runEngine(
  tasks: number,
  concurrency: number,
  perTypeLimit: number,
  durationMs: number | { minMs: number; maxMs: number },
): Promise<{ latencies: number[]; queued: number[]; wallMs: number; maxConcurrent: number; maxPerType: number; violations: number; completed: number }> {
  const ws = workspace(tasks);
  try {
    const { handle, store, sync } = await synced(ws);
    // As the engine's runtime runs it: the WAL's checkpoints on their own thread (walCheckpointer.ts).
    const checkpointer = WalCheckpointer.start({ db: handle.db, path: handle.path, warn: (m) => process.stderr.write(`bench: ${m}\n`) });
    const list: TaskList = sync.current();
    const base = loadConfig(undefined, { env: {} });
    const types = ['devops-engineer', 'backend-development', 'frontend-development', 'qa-testing', 'general-purpose'];
    const maxPerType = Object.fromEntries(types.map((t) => [t, perTypeLimit]));
    const config = { ...base, maxConcurrentAgents: concurrency, agentLimits: { maxPerType }, shutdownGraceMs: 1000 };
    const agent: Agent = createAgent({ kind: 'dry-run', name: 'dry-run', durationMs, failureRate: 0 } as never);
    const orch = new Orchestrator({ store, config, agentFor: () => agent, owner: 'bench', cwd: ws.dir, env: {}, redact: (s) => s });
    const latencies: number[] = [];
    const queued: number[] = [];
    const running = new Map<string, number>();
    let total = 0;
    let maxConcurrent = 0;
    let maxPerTypeSeen = 0;
    let violations = 0;
    let completed = 0;
    orch.on('task:started', (e) => {
      if (e.dispatchLatencyMs !== undefined) latencies.push(e.dispatchLatencyMs);
      if (e.queuedMs !== undefined) queued.push(e.queuedMs);
      total++;
      const n = (running.get(e.agentType) ?? 0) + 1;
      running.set(e.agentType, n);
      maxConcurrent = Math.max(maxConcurrent, total);
      maxPerTypeSeen = Math.max(maxPerTypeSeen, n);
      if (total > concurrency || n > perTypeLimit) violations++;
    });
    orch.on('attempt:finished', (e) => {
      total--;
      running.set(e.agentType, (running.get(e.agentType) ?? 1) - 1);
      if (e.outcome === 'completed') completed++;
    });
    orch.setPlan(list);
    const t0 = process.hrtime.bigint();
    orch.start();
    await orch.idle();
    const wallMs = ms(t0);
    await orch.close();
    await checkpointer.close();
    handle.close();
    return { latencies, queued, wallMs, maxConcurrent, maxPerType: maxPerTypeSeen, violations, completed };
  } finally {
    rmSync(ws.dir, { recursive: true, force: true });
  }
}

async function scenarioDispatch(tasks: number): Promise<Record<string, number>> {
  const r = await runEngine(tasks, 100, 40, { minMs: 5, maxMs: 40 });
  return {
    concurrency: 100,
    perTypeLimit: 40,
    p50LatencyMs: quantile(r.latencies, 0.5),
    p99LatencyMs: quantile(r.latencies, 0.99),
    p50QueuedMs: quantile(r.queued, 0.5),
    p99QueuedMs: quantile(r.queued, 0.99),
    wallMs: r.wallMs,
    maxConcurrent: r.maxConcurrent,
    maxPerTypeObserved: r.maxPerType,
    limitViolations: r.violations,
    completed: r.completed,
  };
}

async function scenarioThroughput(tasks: number): Promise<Record<string, number>> {
  const r = await runEngine(tasks, 100, 100, 0);
  return { tasksPerSecond: (r.completed * 1000) / r.wallMs, tasks: r.completed };
}

/**
 * `--workers` (#12): the same zero-work plan, its attempts run by 3 local `coditect worker` processes through a real
 * redis-server (appendfsync always), the coordinator in this process writing every result to its database.
 * Throughput is end to end (ready → enqueued → run on a worker → result recorded). Dispatch latency is, as in process,
 * not the wait for a free slot (2,000 tasks are ready at once for 100 slots: that wait is the queue wait, reported
 * apart): the coordinator's reaction (ready or slot free → it decided and claimed) plus decided → a worker started the
 * job (the pass committed, the job enqueued, a worker took it). The workers have 3 × 34 slots, at least the
 * coordinator's 100, so no job waits in Redis for a worker's slot. The warm figure leaves out the first pass (the
 * first 100 jobs), which meets each agent type's queue new on the coordinator and on every worker.
 */
async function scenarioWorkers(tasks: number, slots: number): Promise<Record<string, number>> {
  const ws = workspace(tasks);
  const redis = await RedisServer.start();
  const workers: ChildProcess[] = [];
  try {
    const prefix = 'bench';
    const queue = { kind: 'redis' as const, url: redis.url, prefix, lockMs: 30_000, stalledIntervalMs: 30_000, maxStalled: 1, results: 'none' as const };
    const workerConfig = zeroWorkerConfig(ws.dir, redis.url, prefix);
    const cli = join(__dirname, 'cli.js');
    // 3 × 34 worker slots ≥ the coordinator's 100: a job never waits in Redis for a worker's slot (see above).
    for (let i = 0; i < 3; i++)
      workers.push(await startWorker([cli, 'worker', '--config', workerConfig, '--concurrency', '34'], /INFO +worker \S+ on redis:/, ws.dir));
    const { handle, store, sync } = await synced(ws);
    // As the engine's runtime runs it: the WAL's checkpoints on their own thread (walCheckpointer.ts).
    const checkpointer = WalCheckpointer.start({ db: handle.db, path: handle.path, warn: (m) => process.stderr.write(`bench: ${m}\n`) });
    const base = loadConfig(undefined, { env: {} });
    const config = { ...base, maxConcurrentAgents: slots, agentLimits: { maxPerType: {} }, shutdownGraceMs: 1000, queue };
    const agent: Agent = createAgent({ kind: 'dry-run', name: 'zero', durationMs: 0, failureRate: 0 } as never);
    // Loaded here only, as the engine does: the other scenarios measure an engine without BullMQ in memory.
    const { RemoteAttempts } = await import('../../src/engine/queue/remoteAttempts.js');
    const remote = new RemoteAttempts({ queue, owner: 'bench', maxPerType: () => ({}), log: () => undefined });
    const orch = new Orchestrator({ store, config, agentFor: () => agent, owner: 'bench', cwd: ws.dir, env: {}, redact: (t) => t, remote });
    const dispatch = new Map<string, number>();
    const queued: number[] = [];
    // When the coordinator decided to start each task (claimed it; the event follows the claim), on the jobs' clock.
    const decidedAt = new Map<string, number>();
    const types = new Set<string>();
    let completed = 0;
    orch.on('task:started', (e) => {
      types.add(e.agentType);
      decidedAt.set(e.taskId, Date.now());
      if (e.dispatchLatencyMs !== undefined) dispatch.set(e.taskId, e.dispatchLatencyMs);
      if (e.queuedMs !== undefined) queued.push(e.queuedMs);
    });
    // When each result was recorded (the event follows the db write): with the job's finishedOn, the way back.
    const recordedAt = new Map<string, number>();
    orch.on('attempt:finished', (e) => {
      if (e.outcome === 'completed') completed++;
      recordedAt.set(e.taskId, Date.now());
    });
    orch.setPlan(sync.current());
    const { wallMs, perTask } = await measureRun(workers, redis, async () => {
      orch.start();
      await orch.idle();
    });
    // Each job's way from the coordinator's decision to a worker and back, from its own timestamps (same machine, one
    // clock, ms): decided → enqueued (job created) → a worker started it → finished → its result in the db.
    const latencies: number[] = [];
    const toWorker: number[] = [];
    const toEnqueue: number[] = [];
    const inRedis: number[] = [];
    const back: number[] = [];
    const run: number[] = [];
    const byDecision: [decided: number, latency: number][] = [];
    const { Queue } = await import('bullmq');
    for (const t of types) {
      const q = new Queue(`agent-${encodeURIComponent(t)}`, { connection: { url: redis.url }, prefix });
      for (const j of await q.getJobs(['completed'])) {
        const taskId = (j.data as { taskId: string }).taskId;
        const decided = decidedAt.get(taskId);
        if (j.processedOn !== undefined && decided !== undefined) {
          toWorker.push(j.processedOn - decided);
          toEnqueue.push(j.timestamp - decided);
          inRedis.push(j.processedOn - j.timestamp);
          if (dispatch.has(taskId)) {
            latencies.push(dispatch.get(taskId)! + (j.processedOn - decided));
            byDecision.push([decided, latencies[latencies.length - 1]]);
          }
        }
        if (j.finishedOn !== undefined && recordedAt.has(taskId)) back.push(recordedAt.get(taskId)! - j.finishedOn);
        if (j.finishedOn !== undefined && j.processedOn !== undefined) run.push(j.finishedOn - j.processedOn);
      }
      await q.close();
    }
    await orch.close();
    await remote.close();
    await checkpointer.close();
    handle.close();
    // Each job's dispatch latency in the order the coordinator decided them: the first pass is the first `slots`.
    const byDecisionOrder = byDecision.sort((a, b) => a[0] - b[0]).map((x) => x[1]);
    return {
      tasksPerSecond: (completed * 1000) / wallMs,
      tasks: completed,
      p50LatencyMs: quantile(latencies, 0.5),
      p99LatencyMs: quantile(latencies, 0.99),
      p99WarmLatencyMs: quantile(byDecisionOrder.slice(config.maxConcurrentAgents), 0.99),
      // The first pass alone (the jobs the warm figure leaves out): what the queues' start on a fresh Redis costs.
      p50FirstPassLatencyMs: quantile(byDecisionOrder.slice(0, config.maxConcurrentAgents), 0.5),
      p99FirstPassLatencyMs: quantile(byDecisionOrder.slice(0, config.maxConcurrentAgents), 0.99),
      p50CoordinatorMs: quantile([...dispatch.values()], 0.5),
      p99CoordinatorMs: quantile([...dispatch.values()], 0.99),
      p50ToWorkerMs: quantile(toWorker, 0.5),
      p99ToWorkerMs: quantile(toWorker, 0.99),
      p50ToEnqueueMs: quantile(toEnqueue, 0.5),
      p99ToEnqueueMs: quantile(toEnqueue, 0.99),
      p50InRedisMs: quantile(inRedis, 0.5),
      p99InRedisMs: quantile(inRedis, 0.99),
      p50QueuedMs: quantile(queued, 0.5),
      p99QueuedMs: quantile(queued, 0.99),
      p50ResultMs: quantile(back, 0.5),
      p99ResultMs: quantile(back, 0.99),
      p50RunMs: quantile(run, 0.5),
      p99RunMs: quantile(run, 0.99),
      queues: types.size,
      ...perTask(completed),
    };
  } finally {
    await stopWorkers(workers);
    await redis.remove();
    rmSync(ws.dir, { recursive: true, force: true });
  }
}

/**
 * The plan's design: every second, for each free slot, one `NOT EXISTS` query picks the next ready task; the agent
 * runs; completion is written. Latency = start − the moment the task became ready (its last dependency's completion,
 * or the start of the run). Runs for `seconds` on the same generated plan and the same store.
 */
async function scenarioBaseline(tasks: number, seconds: number): Promise<Record<string, number>> {
  const ws = workspace(tasks);
  try {
    const { handle, store } = await synced(ws);
    const db = handle.db;
    const pick = db.prepare(`
      SELECT t.task_id AS id FROM v2_tasks t
      WHERE t.status = 'pending' AND t.archived_at IS NULL
        AND NOT EXISTS (
          SELECT 1 FROM task_dependencies d JOIN v2_tasks p ON p.task_id = d.dependency_task_id
          WHERE d.task_id = t.task_id AND d.dependency_type = 'blocks' AND p.status NOT IN ('completed', 'skipped'))
      ORDER BY t.priority, t.rowid
      LIMIT 1`);
    const depsOf = db.prepare(`SELECT dependency_task_id AS id FROM task_dependencies WHERE task_id = ? AND dependency_type = 'blocks'`);
    // Same agents as the dispatch scenario (5–40 ms dry runs, 100 slots), so latencies compare like with like.
    const agent: Agent = createAgent({ kind: 'dry-run', name: 'dry-run', durationMs: { minMs: 5, maxMs: 40 }, failureRate: 0 } as never);
    const completedAt = new Map<string, number>();
    const runStart = performance.now();
    const latencies: number[] = [];
    const queryMs: number[] = [];
    let running = 0;
    let dispatched = 0;
    const inflight = new Set<Promise<void>>();
    const concurrency = 100;
    // When each free slot freed up: the engine's dispatchLatencyMs also counts from the later of "ready" and "slot free".
    const freeSince: number[] = Array.from({ length: concurrency }, () => runStart);
    const poll = (): void => {
      while (running < concurrency) {
        const t0 = process.hrtime.bigint();
        const row = pick.get() as { id: string } | undefined;
        queryMs.push(ms(t0));
        if (!row) break;
        const now = performance.now();
        const deps = (depsOf.all(row.id) as { id: string }[]).map((d) => completedAt.get(d.id) ?? runStart);
        const slotAt = freeSince.shift() ?? runStart;
        latencies.push(now - Math.max(runStart, slotAt, ...deps));
        const claim = store.claim(row.id, 'baseline', 60_000, Date.now());
        if (!claim) {
          freeSince.unshift(slotAt);
          continue;
        }
        running++;
        dispatched++;
        const attemptId = store.recordAttemptStart({ taskId: row.id, agent: 'dry-run', attempt: claim.attempt, startedAt: Date.now() });
        const done = agent
          .run(
            {
              id: row.id,
              title: row.id,
              agentType: 'general-purpose',
              epic: { id: '', title: '' },
              feature: { id: '', title: '' },
              dependencies: [],
              cwd: ws.dir,
              attempt: claim.attempt,
            },
            { signal: new AbortController().signal, env: {} },
          )
          .then(() => {
            store.recordAttemptEnd(attemptId, { outcome: 'completed', endedAt: Date.now() });
            store.finish(row.id, 'baseline', { status: 'completed', now: Date.now() });
            completedAt.set(row.id, performance.now());
            freeSince.push(performance.now());
            running--;
          });
        inflight.add(done);
        void done.finally(() => inflight.delete(done));
      }
    };
    poll();
    const timer = setInterval(poll, 1000);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    clearInterval(timer);
    await new Promise((r) => setImmediate(r));
    const wall = (performance.now() - runStart) / 1000;
    const completed = completedAt.size;
    // Agents still running write their completion through the store: let them, then close it.
    await Promise.all(inflight);
    handle.close();
    return {
      pollIntervalMs: 1000,
      p50LatencyMs: quantile(latencies, 0.5),
      p99LatencyMs: quantile(latencies, 0.99),
      tasksPerSecond: completed / wall,
      dispatched,
      queryMsMedian: median(queryMs),
    };
  } finally {
    rmSync(ws.dir, { recursive: true, force: true });
  }
}

/**
 * The workers scenarios' two loads (#12). 100 slots for 2,000 ready zero-work tasks keep every process busy: the rate
 * is the machine's ceiling, and a job's latency then is mostly its wait for a core (latency measured at saturation
 * grows with the queue, not with the path). At the engine's default `max_concurrent_agents` (4 slots) the cores are
 * not the limit: the latency is the path itself, ready → a worker started it, as a person's plan meets it.
 */
const SATURATING_SLOTS = 100;
const DEFAULT_SLOTS = loadConfig(undefined, { env: {} }).maxConcurrentAgents;

async function runScenario(name: string, tasks: number, baselineSeconds: number, planFile = ''): Promise<ScenarioResult> {
  let figures: Record<string, number>;
  switch (name) {
    case 'sync':
      figures = await scenarioSync(tasks);
      break;
    case 'dispatch':
      figures = await scenarioDispatch(tasks);
      break;
    case 'throughput':
      figures = await scenarioThroughput(tasks);
      break;
    case 'baseline':
      figures = await scenarioBaseline(tasks, baselineSeconds);
      break;
    case 'parse':
      figures = scenarioParse(tasks, planFile);
      break;
    case 'spend':
      figures = scenarioSpend(tasks);
      break;
    case 'workers':
      figures = await scenarioWorkers(tasks, SATURATING_SLOTS);
      break;
    case 'workers-light':
      figures = await scenarioWorkers(tasks, DEFAULT_SLOTS);
      break;
    case 'bare-bullmq':
      // The workers scenario's layout: its plan's tasks go to 10 agent types' queues.
      figures = await scenarioBareBullmq(tasks, __filename, 10, SATURATING_SLOTS);
      break;
    case 'bare-bullmq-light':
      figures = await scenarioBareBullmq(tasks, __filename, 10, DEFAULT_SLOTS);
      break;
    case 'bare-bullmq-1q':
      figures = await scenarioBareBullmq(tasks, __filename, 1, SATURATING_SLOTS);
      break;
    case 'bare-producer':
      // bare-bullmq's producer and layout with 3 `coditect worker` processes: the worker side alone.
      figures = await scenarioBareBullmq(tasks, __filename, 10, SATURATING_SLOTS, true);
      break;
    case 'isolation':
      // `tasks` is the repository's file count here (--isolation-files); 100 branches, 20 worktrees.
      figures = { ...(await scenarioIsolation(tasks, 100, 20)), ...(await scenarioIsolationOverhead(tasks, 8, 2)) };
      break;
    default:
      throw new Error(`bench: unknown scenario '${name}'`);
  }
  return { scenario: name, figures, peakRssMb: peakRssMb() };
}

// ---- parent ---------------------------------------------------------------------------------------------------

function inChild(scenario: string, tasks: number, baselineSeconds: number, planFile = ''): Promise<ScenarioResult> {
  return new Promise((resolve, reject) => {
    const args = ['--scenario', scenario, '--tasks', String(tasks), '--baseline-seconds', String(baselineSeconds), '--plan-file', planFile];
    const child = fork(__filename, args, {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`bench: scenario ${scenario} exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as ScenarioResult);
      } catch (e) {
        reject(new Error(`bench: scenario ${scenario} printed no result (${errorMessage(e)})`));
      }
    });
  });
}

function medianOf(results: ScenarioResult[], key: string): number {
  return median(results.map((r) => (key === 'peakRssMb' ? r.peakRssMb : r.figures[key])));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      json: { type: 'boolean', default: false },
      scenario: { type: 'string' },
      tasks: { type: 'string', default: '10000' },
      repeat: { type: 'string', default: '3' },
      'baseline-seconds': { type: 'string', default: '5' },
      // The large-file parse: 700,000 generated tasks ≈ 53 MB (issue #8: a 50 MB plan parses under 500 MB peak RSS).
      'parse-tasks': { type: 'string', default: '700000' },
      // Set by the parent for the parse scenario's child: the generated file.
      'plan-file': { type: 'string', default: '' },
      // The cost ledger's scenario: attempt rows in the database (#11: `coditect cost` on 100,000 rows).
      'spend-attempts': { type: 'string', default: '100000' },
      // #12: only the workers-through-Redis figures, beside the in-process ones (a real redis-server is started).
      workers: { type: 'boolean', default: false },
      // Set by the bare-bullmq scenario for its worker processes (bareBullBench.ts).
      'bare-worker': { type: 'string' },
      'bare-prefix': { type: 'string', default: 'bare' },
      'bare-concurrency': { type: 'string', default: '34' },
      'bare-queues': { type: 'string', default: '1' },
      // #10: only the isolation figures (worktrees on a repository of this many files, the merge queue's rate).
      isolation: { type: 'boolean', default: false },
      'isolation-files': { type: 'string', default: '5000' },
      // #15: only the big plan in the real workbench (code-server + Chromium), test/e2e/bigPlanBench.ts.
      workbench: { type: 'boolean', default: false },
      // #12: only the many-clients figures: a real daemon, N event streams and 4 WebSockets during a dry-run plan.
      clients: { type: 'boolean', default: false },
      'clients-n': { type: 'string', default: '200' },
      'clients-tasks': { type: 'string', default: '1000' },
      // The run's length: the dry-run tasks last 0.5-1.5 × (seconds × 8 agents / tasks) each.
      'clients-seconds': { type: 'string', default: '60' },
    },
  });
  const parseTasks = Number(values['parse-tasks']);
  const spendAttempts = Number(values['spend-attempts']);
  const tasks = Number(values.tasks);
  const repeat = Number(values.repeat);
  const baselineSeconds = Number(values['baseline-seconds']);
  for (const [flag, v] of [
    ['--tasks', tasks],
    ['--repeat', repeat],
    ['--baseline-seconds', baselineSeconds],
    ['--parse-tasks', parseTasks],
    ['--spend-attempts', spendAttempts],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`bench: ${flag} expects a positive integer, got '${String(v)}'`);
  }
  if (values['bare-worker']) {
    await bareWorkerMain(values['bare-worker'], values['bare-prefix'], Number(values['bare-concurrency']), Number(values['bare-queues']));
    return;
  }
  if (values.scenario) {
    process.stdout.write(`${JSON.stringify(await runScenario(values.scenario, tasks, baselineSeconds, values['plan-file']))}\n`);
    return;
  }
  if (values.workers) {
    await benchWorkers(tasks, repeat, values.json === true);
    return;
  }
  if (values.workbench) {
    await benchWorkbench(tasks, repeat, values.json === true);
    return;
  }
  if (values.clients) {
    await benchClients(Number(values['clients-n']), Number(values['clients-tasks']), Number(values['clients-seconds']), repeat, values.json === true);
    return;
  }
  if (values.isolation) {
    await benchIsolation(Number(values['isolation-files']), repeat, values.json === true);
    return;
  }
  const planDir = mkdtempSync(join(tmpdir(), 'coditect-bench-parse-'));
  const planFile = join(planDir, 'plan.md');
  writeFileSync(planFile, generateTaskList({ tasks: parseTasks }).text);
  const runs: Record<string, ScenarioResult[]> = { sync: [], dispatch: [], throughput: [], baseline: [], parse: [], spend: [] };
  // Interleave scenarios across repeats so machine noise spreads evenly over them.
  for (let i = 0; i < repeat; i++) {
    for (const s of Object.keys(runs)) {
      if (!values.json) process.stderr.write(`bench: ${s} (run ${i + 1}/${repeat})…\n`);
      runs[s].push(await inChild(s, s === 'parse' ? parseTasks : s === 'spend' ? spendAttempts : tasks, baselineSeconds, planFile));
    }
  }
  rmSync(planDir, { recursive: true, force: true });
  const { cpus } = await import('node:os');
  const f = (s: string, k: string, d = 2): number => round(medianOf(runs[s], k), d);
  const report: BenchReport = {
    machine: { cpus: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
    tasks,
    repeat,
    sync: {
      fullSyncMs: f('sync', 'fullSyncMs', 1),
      incrementalSyncMs: f('sync', 'incrementalSyncMs'),
      fullSyncCpuMs: f('sync', 'fullSyncCpuMs', 1),
      incrementalSyncCpuMs: f('sync', 'incrementalSyncCpuMs'),
      incrementalSyncWarmMs: f('sync', 'incrementalSyncWarmMs'),
      readySetMs: f('sync', 'readySetMs'),
      readySetIncrementalUs: f('sync', 'readySetIncrementalUs'),
      syncPeakRssMb: f('sync', 'syncPeakRssMb', 0),
      peakRssMb: f('sync', 'peakRssMb', 0),
    },
    dispatch: {
      concurrency: 100,
      p50LatencyMs: f('dispatch', 'p50LatencyMs', 3),
      p99LatencyMs: f('dispatch', 'p99LatencyMs', 3),
      p50QueuedMs: f('dispatch', 'p50QueuedMs', 1),
      p99QueuedMs: f('dispatch', 'p99QueuedMs', 1),
      maxConcurrent: Math.max(...runs.dispatch.map((r) => r.figures.maxConcurrent)),
      maxPerTypeObserved: Math.max(...runs.dispatch.map((r) => r.figures.maxPerTypeObserved)),
      perTypeLimit: 40,
      limitViolations: Math.max(...runs.dispatch.map((r) => r.figures.limitViolations)),
      peakRssMb: f('dispatch', 'peakRssMb', 0),
    },
    throughput: { tasksPerSecond: f('throughput', 'tasksPerSecond', 0), tasks: f('throughput', 'tasks', 0), peakRssMb: f('throughput', 'peakRssMb', 0) },
    spend: {
      attempts: spendAttempts,
      ledgerRecordUs: f('spend', 'ledgerRecordUs', 3),
      ledgerLoadMs: f('spend', 'ledgerLoadMs', 1),
      costReportMs: f('spend', 'costReportMs', 1),
      costReportByMs: Object.fromEntries(['epic', 'agent', 'model', 'day'].map((by) => [by, f('spend', `costReportMs_${by}`, 1)])),
      peakRssMb: f('spend', 'peakRssMb', 0),
    },
    parse: {
      tasks: parseTasks,
      megabytes: f('parse', 'megabytes', 1),
      parseMs: f('parse', 'parseMs', 0),
      parseCpuMs: f('parse', 'parseCpuMs', 0),
      peakRssMb: f('parse', 'peakRssMb', 0),
    },
    baseline: {
      pollIntervalMs: 1000,
      p50LatencyMs: f('baseline', 'p50LatencyMs', 1),
      p99LatencyMs: f('baseline', 'p99LatencyMs', 1),
      tasksPerSecond: f('baseline', 'tasksPerSecond', 1),
      dispatched: f('baseline', 'dispatched', 0),
      queryMsMedian: f('baseline', 'queryMsMedian', 3),
      peakRssMb: f('baseline', 'peakRssMb', 0),
    },
    ratios: { p99LatencyBaselineOverEngine: 0, p50LatencyBaselineOverEngine: 0, throughputEngineOverBaseline: 0 },
  };
  report.ratios = {
    p99LatencyBaselineOverEngine: round(report.baseline.p99LatencyMs / Math.max(report.dispatch.p99LatencyMs, 0.001), 0),
    p50LatencyBaselineOverEngine: round(report.baseline.p50LatencyMs / Math.max(report.dispatch.p50LatencyMs, 0.001), 0),
    throughputEngineOverBaseline: round(report.throughput.tasksPerSecond / Math.max(report.baseline.tasksPerSecond, 0.001), 1),
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const r = report;
  const lines = [
    `CODITECT benchmark — ${r.tasks} generated tasks, median of ${r.repeat} runs, ${r.machine.cpus} CPUs, Node ${r.machine.node}`,
    '',
    '| figure | measured | target |',
    '|---|---|---|',
    `| full sync of ${r.tasks} tasks into an empty db (wall / CPU) | ${r.sync.fullSyncMs} / ${r.sync.fullSyncCpuMs} ms | < 400 ms (#8) |`,
    `| incremental sync after a one-line change (wall / CPU) | ${r.sync.incrementalSyncMs} / ${r.sync.incrementalSyncCpuMs} ms | < 5 ms (#8) |`,
    `| the same, in an engine warmed by ${WARM_SYNCS} one-line syncs (wall) | ${r.sync.incrementalSyncWarmMs} ms | < 5 ms (#8) |`,
    `| ready set from scratch (graph build + order) | ${r.sync.readySetMs} ms | |`,
    `| ready set, incremental per completion | ${r.sync.readySetIncrementalUs} µs | |`,
    `| sync peak RSS (syncs only / whole scenario incl. 7 graph builds) | ${r.sync.syncPeakRssMb} / ${r.sync.peakRssMb} MB | < 200 MB |`,
    `| dispatch latency p50 / p99 (ready or slot free → agent started; 100 concurrent dry-run agents) | ${r.dispatch.p50LatencyMs} / ${r.dispatch.p99LatencyMs} ms | p99 < 10 ms |`,
    `| time in queue p50 / p99 (ready → started, slot waits included) | ${r.dispatch.p50QueuedMs} / ${r.dispatch.p99QueuedMs} ms | |`,
    `| baseline (1 s poll + NOT EXISTS) latency p50 / p99 | ${r.baseline.p50LatencyMs} / ${r.baseline.p99LatencyMs} ms | |`,
    `| p99 latency ratio baseline / engine | ${r.ratios.p99LatencyBaselineOverEngine}× | ≥ 100× |`,
    `| concurrency held: max running / max per type (limit 100 / 40), violations | ${r.dispatch.maxConcurrent} / ${r.dispatch.maxPerTypeObserved}, ${r.dispatch.limitViolations} | 100 held, 0 |`,
    `| throughput, zero-duration tasks, full lifecycle with db writes | ${r.throughput.tasksPerSecond} tasks/s | ≥ 1000 |`,
    `| baseline throughput | ${r.baseline.tasksPerSecond} tasks/s | |`,
    `| throughput ratio engine / baseline | ${r.ratios.throughputEngineOverBaseline}× | |`,
    `| engine peak RSS (dispatch / throughput) | ${r.dispatch.peakRssMb} / ${r.throughput.peakRssMb} MB | < 250 MB |`,
    `| cost ledger: one finished attempt counted | ${r.spend.ledgerRecordUs} µs | < 100 µs |`,
    `| cost ledger: sums loaded at engine start (${r.spend.attempts} attempt rows) | ${r.spend.ledgerLoadMs} ms | |`,
    `| cost report on ${r.spend.attempts} attempt rows, slowest of by epic / agent / model / day (${Object.values(r.spend.costReportByMs).join(' / ')} ms) | ${r.spend.costReportMs} ms | < 200 ms |`,
    `| parse of a large plan (${r.parse.tasks} tasks, ${r.parse.megabytes} MB): time / peak RSS | ${r.parse.parseMs} ms / ${r.parse.peakRssMb} MB | peak RSS < 500 MB at 50 MB |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `--workers`: the Redis figures beside the in-process dispatch and throughput, on the same plan size. */
async function benchWorkers(tasks: number, repeat: number, json: boolean): Promise<void> {
  const runs: Record<string, ScenarioResult[]> = { workers: [], 'bare-bullmq': [], 'workers-light': [], 'bare-bullmq-light': [], dispatch: [], throughput: [] };
  for (let i = 0; i < repeat; i++) {
    for (const s of Object.keys(runs)) {
      if (!json) process.stderr.write(`bench: ${s} (run ${i + 1}/${repeat})…\n`);
      runs[s].push(await inChild(s, tasks, 1));
    }
  }
  const f = (s: string, k: string, d = 2): number => round(medianOf(runs[s], k), d);
  const { cpus } = await import('node:os');
  const report = {
    machine: { cpus: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
    tasks,
    repeat,
    workers: {
      workerProcesses: 3,
      tasksPerSecond: f('workers', 'tasksPerSecond', 0),
      tasks: f('workers', 'tasks', 0),
      p50LatencyMs: f('workers', 'p50LatencyMs', 2),
      p99LatencyMs: f('workers', 'p99LatencyMs', 2),
      p99WarmLatencyMs: f('workers', 'p99WarmLatencyMs', 2),
      p50CoordinatorMs: f('workers', 'p50CoordinatorMs', 3),
      p99CoordinatorMs: f('workers', 'p99CoordinatorMs', 3),
      p50ToEnqueueMs: f('workers', 'p50ToEnqueueMs', 1),
      p99ToEnqueueMs: f('workers', 'p99ToEnqueueMs', 1),
      p50InRedisMs: f('workers', 'p50InRedisMs', 1),
      p99InRedisMs: f('workers', 'p99InRedisMs', 1),
      p50QueuedMs: f('workers', 'p50QueuedMs', 0),
      p99QueuedMs: f('workers', 'p99QueuedMs', 0),
      p50ResultMs: f('workers', 'p50ResultMs', 1),
      p99ResultMs: f('workers', 'p99ResultMs', 1),
      p50RunMs: f('workers', 'p50RunMs', 1),
      p99RunMs: f('workers', 'p99RunMs', 1),
      coordinatorCpuUsPerTask: f('workers', 'coordinatorCpuUsPerTask', 0),
      workersCpuUsPerTask: f('workers', 'workersCpuUsPerTask', 0),
      redisCpuUsPerTask: f('workers', 'redisCpuUsPerTask', 0),
      coordinatorPeakRssMb: f('workers', 'peakRssMb', 0),
    },
    /** The same, at the engine's default concurrency (DEFAULT_SLOTS): the path's latency when the cores are not the limit. */
    light: {
      slots: DEFAULT_SLOTS,
      p50LatencyMs: f('workers-light', 'p50LatencyMs', 2),
      p99LatencyMs: f('workers-light', 'p99LatencyMs', 2),
      bareP50LatencyMs: f('bare-bullmq-light', 'p50LatencyMs', 2),
      bareP99LatencyMs: f('bare-bullmq-light', 'p99LatencyMs', 2),
      p50ResultMs: f('workers-light', 'p50ResultMs', 1),
      p99ResultMs: f('workers-light', 'p99ResultMs', 1),
      bareP50ResultMs: f('bare-bullmq-light', 'p50ResultMs', 1),
      bareP99ResultMs: f('bare-bullmq-light', 'p99ResultMs', 1),
    },
    /** Bare BullMQ in the same layout (bareBullBench.ts): the ceiling of this machine. */
    bareBullmq: {
      tasksPerSecond: f('bare-bullmq', 'tasksPerSecond', 0),
      p50LatencyMs: f('bare-bullmq', 'p50LatencyMs', 2),
      p99LatencyMs: f('bare-bullmq', 'p99LatencyMs', 2),
      p99WarmLatencyMs: f('bare-bullmq', 'p99WarmLatencyMs', 2),
      p50InRedisMs: f('bare-bullmq', 'p50InRedisMs', 1),
      p99InRedisMs: f('bare-bullmq', 'p99InRedisMs', 1),
      p50RunMs: f('bare-bullmq', 'p50RunMs', 1),
      p99RunMs: f('bare-bullmq', 'p99RunMs', 1),
      p50ResultMs: f('bare-bullmq', 'p50ResultMs', 1),
      p99ResultMs: f('bare-bullmq', 'p99ResultMs', 1),
      coordinatorCpuUsPerTask: f('bare-bullmq', 'coordinatorCpuUsPerTask', 0),
      workersCpuUsPerTask: f('bare-bullmq', 'workersCpuUsPerTask', 0),
      redisCpuUsPerTask: f('bare-bullmq', 'redisCpuUsPerTask', 0),
    },
    inProcess: {
      tasksPerSecond: f('throughput', 'tasksPerSecond', 0),
      p50LatencyMs: f('dispatch', 'p50LatencyMs', 3),
      p99LatencyMs: f('dispatch', 'p99LatencyMs', 3),
      p50QueuedMs: f('dispatch', 'p50QueuedMs', 0),
      p99QueuedMs: f('dispatch', 'p99QueuedMs', 0),
    },
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const w = report.workers;
  const b = report.bareBullmq;
  const ratio = (x: number, y: number): string => (y > 0 ? String(round(x / y, 2)) : '–');
  const lines = [
    `CODITECT workers benchmark — ${tasks} generated tasks, median of ${repeat} runs, ${report.machine.cpus} CPUs, Node ${report.machine.node}`,
    '',
    '| figure | through Redis (3 worker processes) | bare BullMQ, same layout | ours / bare | in process | target |',
    '|---|---|---|---|---|---|',
    `| throughput, zero-work tasks, end to end (results in the db) | ${w.tasksPerSecond} tasks/s | ${b.tasksPerSecond} tasks/s | ${ratio(w.tasksPerSecond, b.tasksPerSecond)} | ${report.inProcess.tasksPerSecond} tasks/s | ≥ 1000 tasks/s |`,
    `| dispatch latency p50 / p99 (ready or slot free → a worker started it; in process: → the agent started) | ${w.p50LatencyMs} / ${w.p99LatencyMs} ms | ${b.p50LatencyMs} / ${b.p99LatencyMs} ms | ${ratio(w.p50LatencyMs, b.p50LatencyMs)} / ${ratio(w.p99LatencyMs, b.p99LatencyMs)} | ${report.inProcess.p50LatencyMs} / ${report.inProcess.p99LatencyMs} ms | p99 < 20 ms |`,
    `| dispatch latency p50 / p99 at the default ${report.light.slots} slots (the cores not the limit) | ${report.light.p50LatencyMs} / ${report.light.p99LatencyMs} ms | ${report.light.bareP50LatencyMs} / ${report.light.bareP99LatencyMs} ms | ${ratio(report.light.p50LatencyMs, report.light.bareP50LatencyMs)} / ${ratio(report.light.p99LatencyMs, report.light.bareP99LatencyMs)} | | p99 < 20 ms |`,
    `| the way back at ${report.light.slots} slots, p50 / p99 | ${report.light.p50ResultMs} / ${report.light.p99ResultMs} ms | ${report.light.bareP50ResultMs} / ${report.light.bareP99ResultMs} ms | | | |`,
    `| dispatch latency p99 after the first pass (queues warm on coordinator and workers) | ${w.p99WarmLatencyMs} ms | ${b.p99WarmLatencyMs} ms | ${ratio(w.p99WarmLatencyMs, b.p99WarmLatencyMs)} | | |`,
    `| of which the coordinator's reaction (ready or slot free → decided), p50 / p99 | ${w.p50CoordinatorMs} / ${w.p99CoordinatorMs} ms | | | | |`,
    `| of which decided → enqueued (the pass committed, the job added), p50 / p99 | ${w.p50ToEnqueueMs} / ${w.p99ToEnqueueMs} ms | | | | |`,
    `| of which enqueued → a worker started it, p50 / p99 | ${w.p50InRedisMs} / ${w.p99InRedisMs} ms | ${b.p50InRedisMs} / ${b.p99InRedisMs} ms | | | |`,
    `| a zero-work job on its worker (started → finished), p50 / p99 | ${w.p50RunMs} / ${w.p99RunMs} ms | ${b.p50RunMs} / ${b.p99RunMs} ms | | | |`,
    `| queue wait p50 / p99 (ready → decided, waits for a free slot included: 100 slots, all tasks ready at once) | ${w.p50QueuedMs} / ${w.p99QueuedMs} ms | | | ${report.inProcess.p50QueuedMs} / ${report.inProcess.p99QueuedMs} ms | |`,
    `| the way back, p50 / p99 (a worker finished the job → its result in the db; bare: its completed event read) | ${w.p50ResultMs} / ${w.p99ResultMs} ms | ${b.p50ResultMs} / ${b.p99ResultMs} ms | | | |`,
    `| CPU per task: coordinator / 3 workers together / redis-server | ${w.coordinatorCpuUsPerTask} / ${w.workersCpuUsPerTask} / ${w.redisCpuUsPerTask} µs | ${b.coordinatorCpuUsPerTask} / ${b.workersCpuUsPerTask} / ${b.redisCpuUsPerTask} µs | ${ratio(w.coordinatorCpuUsPerTask + w.workersCpuUsPerTask + w.redisCpuUsPerTask, b.coordinatorCpuUsPerTask + b.workersCpuUsPerTask + b.redisCpuUsPerTask)} (all) | | |`,
    `| coordinator peak RSS | ${w.coordinatorPeakRssMb} MB | | | | |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `--isolation`: worktree creation/removal on a repository of `files` files and the merge queue's rate (#10). */
async function benchIsolation(files: number, repeat: number, json: boolean): Promise<void> {
  if (!Number.isInteger(files) || files < 1) throw new Error(`bench: --isolation-files expects a positive integer, got '${files}'`);
  const runs: ScenarioResult[] = [];
  for (let i = 0; i < repeat; i++) {
    if (!json) process.stderr.write(`bench: isolation (run ${i + 1}/${repeat})…\n`);
    runs.push(await inChild('isolation', files, 1));
  }
  const f = (k: string, d = 1): number => round(medianOf(runs, k), d);
  const { cpus } = await import('node:os');
  const report = {
    machine: { cpus: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
    files,
    repeat,
    worktree: {
      iterations: f('iterations', 0),
      createP50Ms: f('createP50Ms'),
      createP95Ms: f('createP95Ms'),
      bareCreateP50Ms: f('bareCreateP50Ms'),
      createOverBare: f('createOverBare', 2),
      removeP50Ms: f('removeP50Ms'),
      removeP95Ms: f('removeP95Ms'),
    },
    mergeQueue: { branches: f('branches', 0), mergesPerMinute: f('mergesPerMinute', 0), mergeP50Ms: f('mergeP50Ms'), mergeP95Ms: f('mergeP95Ms') },
    overhead: {
      tasks: f('overheadTasks', 0),
      pairs: f('overheadPairs', 0),
      runNoneMs: f('runNoneMs', 0),
      runWorktreeMs: f('runWorktreeMs', 0),
      perTaskMs: f('overheadPerTaskMs', 0),
    },
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const w = report.worktree;
  const q = report.mergeQueue;
  const o = report.overhead;
  const lines = [
    `CODITECT isolation benchmark — a repository of ${files} files, median of ${repeat} runs, ${report.machine.cpus} CPUs, Node ${report.machine.node}`,
    '',
    '| figure | measured | target |',
    '|---|---|---|',
    `| task worktree creation (new branch, locked, no set-up), p50 / p95 of ${w.iterations} | ${w.createP50Ms} / ${w.createP95Ms} ms | < 1 s |`,
    `| the same by git alone (\`git worktree add --lock -b\`, beside each), p50 | ${w.bareCreateP50Ms} ms | |`,
    `| engine creation ÷ git alone, median of the per-task ratios | ${w.createOverBare} | |`,
    `| task worktree removal, p50 / p95 | ${w.removeP50Ms} / ${w.removeP95Ms} ms | |`,
    `| merge queue: ${q.branches} small non-conflicting branches, merge --no-ff + fast-forward of main (checked out) | ${q.mergesPerMinute} merges/min | ≥ 60 |`,
    `| one merge, p50 / p95 | ${q.mergeP50Ms} / ${q.mergeP95Ms} ms | |`,
    `| \`coditect run\` of ${o.tasks} one-file tasks, one at a time, isolation none / worktree (median of ${o.pairs} each, alternating) | ${o.runNoneMs} / ${o.runWorktreeMs} ms | |`,
    `| overhead of isolation per task (worktree, engine commit, merge, cleanup) | ${o.perTaskMs} ms | |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `--clients`: many stream clients on one daemon during a run (#12); the daemon is a real child process each time. */
async function benchClients(clients: number, tasks: number, seconds: number, repeat: number, json: boolean): Promise<void> {
  for (const [flag, v] of [
    ['--clients-n', clients],
    ['--clients-tasks', tasks],
    ['--clients-seconds', seconds],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`bench: ${flag} expects a positive integer, got '${String(v)}'`);
  }
  const meanMs = (seconds * 1000 * 8) / tasks;
  const taskMs = { minMs: Math.round(meanMs / 2), maxMs: Math.round((meanMs * 3) / 2) };
  const runs: ClientsFigures[] = [];
  for (let i = 0; i < repeat; i++) {
    if (!json) process.stderr.write(`bench: clients (run ${i + 1}/${repeat})…\n`);
    runs.push(await scenarioClients(tasks, clients, taskMs));
  }
  const f = (k: keyof ClientsFigures, d = 1): number => round(median(runs.map((r) => r[k])), d);
  const { cpus } = await import('node:os');
  const report = {
    machine: { cpus: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
    repeat,
    clients: { eventStreams: clients, webSockets: runs[0].clients - clients, tasks, taskMs },
    run: {
      seconds: f('runSeconds'),
      eventsPerClient: f('eventsPerClient', 0),
      mbPerClient: f('mbPerClient', 2),
      deliveredPerSecond: f('deliveredPerSecond', 0),
    },
    lag: { p50Ms: f('lagP50Ms'), p99Ms: f('lagP99Ms'), maxMs: f('lagMaxMs'), spreadP50Ms: f('spreadP50Ms'), spreadP99Ms: f('spreadP99Ms') },
    clientsDiffering: Math.max(...runs.map((r) => r.clientsDiffering)),
    daemon: {
      rssIdleMb: f('daemonRssIdleMb', 0),
      rssConnectedMb: f('daemonRssConnectedMb', 0),
      peakMb: f('daemonPeakMb', 0),
      rssAfterMb: f('daemonRssAfterMb', 0),
    },
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const r = report;
  const lines = [
    `CODITECT clients benchmark — ${clients} event streams + ${r.clients.webSockets} WebSockets on one daemon, ${tasks} dry-run tasks (${taskMs.minMs}-${taskMs.maxMs} ms, 8 at a time), median of ${repeat} runs, ${r.machine.cpus} CPUs, Node ${r.machine.node}`,
    '',
    '| figure | measured |',
    '|---|---|',
    `| the run: length / events each client got / MB each client read | ${r.run.seconds} s / ${r.run.eventsPerClient} / ${r.run.mbPerClient} MB |`,
    `| events delivered, all clients together | ${r.run.deliveredPerSecond} /s |`,
    `| event lag (activity entry's time in the engine → a client has it), p50 / p99 / max | ${r.lag.p50Ms} / ${r.lag.p99Ms} / ${r.lag.maxMs} ms |`,
    `| spread (first → last client getting the same event), p50 / p99 | ${r.lag.spreadP50Ms} / ${r.lag.spreadP99Ms} ms |`,
    `| clients whose events differ from the first's (same events, same order expected) | ${r.clientsDiffering} |`,
    `| daemon RSS: no client / all connected / peak / after the run | ${r.daemon.rssIdleMb} / ${r.daemon.rssConnectedMb} / ${r.daemon.peakMb} / ${r.daemon.rssAfterMb} MB |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * `--workbench`: the big plan in the real workbench (#15). It drives code-server and Chromium through the e2e harness
 * (test/e2e/bigPlanBench.ts), which this bundle cannot hold (the harness's ES modules locate the repository from their
 * own path), so it runs from source through tsx, as the e2e suites do, in its own process.
 */
function benchWorkbench(tasks: number, repeat: number, json: boolean): Promise<void> {
  const root = join(__dirname, '..');
  const args = ['--require', 'tsx/cjs', join(root, 'test', 'e2e', 'bigPlanBench.ts'), '--tasks', String(tasks), '--repeat', String(repeat)];
  if (json) args.push('--json');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`bench: the workbench bench exited with ${code ?? signal}`))));
  });
}

void main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
