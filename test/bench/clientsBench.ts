// `npm run bench -- --clients` (#12): many dashboards on one daemon. A real daemon (`coditect daemon start --http`),
// N event-stream clients and 4 /ws/progress sockets connected, then a plan of dry-run tasks written and run to the end
// while they watch. Reported: the event lag (the engine's timestamp of an activity entry → a client has it), the
// spread between the first and the last client getting the same event, what each client read, and the daemon's
// memory before, during (peak) and after. The load test (test/process/server/manyClients.test.ts) checks that every
// client gets every event in order; this measures how fast and at what cost.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ActivityAppendedParams, TasksChangedParams } from '../../src/protocol/engineProtocol';
import { cliEnv, outputOf, type CliRun } from '../process/cli/cliHarness';
import { LoadClient, memoryOf, stateIs } from '../process/server/loadKit';
import { generateTaskList } from './generatePlan';
import { quantile } from './stats';

const PLAN = 'PLAN-TASKLIST.md';
const HOLDING_PLAN = '# Generated plan\n\n## E000: Setup\n\n- [x] **T000.001** Nothing to run yet (P2, 1h)\n';
const WS_CLIENTS = 4;
const planWritten = (event: string, data: string): boolean => event === 'plan:changed' && data.includes('"id":"T001.001"');

export interface ClientsFigures {
  [k: string]: number;
  clients: number;
  tasks: number;
  runSeconds: number;
  eventsPerClient: number;
  mbPerClient: number;
  /** Events delivered to all clients together, per second of the run. */
  deliveredPerSecond: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  spreadP50Ms: number;
  spreadP99Ms: number;
  /** Clients whose events differ from the first client's (0 expected). */
  clientsDiffering: number;
  daemonRssIdleMb: number;
  daemonRssConnectedMb: number;
  daemonPeakMb: number;
  daemonRssAfterMb: number;
}

/** The built CLI next to this bundle (dist/cli.js), run to completion. */
function cli(args: string[], cwd: string): Promise<CliRun> {
  return outputOf(spawn(process.execPath, [join(__dirname, 'cli.js'), ...args], { cwd, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** One run: a fresh daemon, `clients` event streams and 4 WebSockets, a plan of `tasks` dry-run tasks. */
export async function scenarioClients(tasks: number, clients: number, taskMs: { minMs: number; maxMs: number }): Promise<ClientsFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'coditect-bench-clients-'));
  const config = { default_agent: 'sim', agents: { sim: { kind: 'dry-run', durationMs: taskMs } }, max_concurrent_agents: 8, sandbox: { mode: 'off' } };
  writeFileSync(join(dir, PLAN), HOLDING_PLAN);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const start = await cli(['daemon', 'start', PLAN, '--config', 'config.json', '--metrics-port', '0', '--http', '127.0.0.1:0', '--json'], dir);
  if (start.code !== 0) throw new Error(`bench: the daemon did not start: ${start.stderr}`);
  const { http: base, pid } = JSON.parse(start.stdout) as { http: string; pid: number };
  const mem = (): { rssMb: number; peakMb: number } => memoryOf(pid, (p) => readFileSync(p, 'utf8'));
  const all: LoadClient[] = [];
  try {
    const token = readFileSync(join(dir, '.coditect', 'http-token'), 'utf8').trim();
    const idle = mem();
    const marks = { start: planWritten, stop: stateIs('paused') };
    const reference = new LoadClient({ kind: 'sse', base, token, ...marks, keep: true });
    all.push(reference);
    for (let i = 1; i < clients; i++) all.push(new LoadClient({ kind: 'sse', base, token, ...marks }));
    for (let i = 0; i < WS_CLIENTS; i++) all.push(new LoadClient({ kind: 'ws', base, token, ...marks }));
    await Promise.all(all.map((c) => c.open()));
    await Promise.all(all.map((c) => c.ready));
    const connected = mem();

    const t0 = performance.now();
    writeFileSync(join(dir, PLAN), generateTaskList({ tasks, tasksPerFeature: 10, featuresPerEpic: 5, seed: 12, chainProbability: 0.3 }).text);
    await reference.until((event, data) => event === 'tasks:changed' && (JSON.parse(data) as TasksChangedParams).counts.done === tasks);
    const runSeconds = (performance.now() - t0) / 1000;
    const paused = await fetch(`${base}/api/control/pause`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    if (paused.status !== 200) throw new Error(`bench: pause answered ${paused.status}`);
    await Promise.all(all.map((c) => c.stopped));
    const after = mem();

    // The same index is the same event in every client whose digest matches the first's.
    const digest = reference.digest();
    const same = all.filter((c) => c.recorded === reference.recorded && c.digest() === digest);
    const first = reference.kept.findIndex((e) => planWritten(e.event, e.data));
    const recorded = reference.kept.slice(first, first + reference.recorded);
    const lags: number[] = [];
    const spreads: number[] = [];
    recorded.forEach((e, i) => {
      const times = same.map((c) => c.arrivals[i]);
      spreads.push(times.reduce((m, x) => Math.max(m, x), -Infinity) - times.reduce((m, x) => Math.min(m, x), Infinity));
      if (e.event !== 'activity:appended') return;
      const entries = (JSON.parse(e.data) as ActivityAppendedParams).entries;
      const at = Date.parse(entries[entries.length - 1]?.at ?? '');
      if (Number.isFinite(at)) for (const t of times) lags.push(performance.timeOrigin + t - at);
    });
    return {
      clients: all.length,
      tasks,
      runSeconds,
      eventsPerClient: reference.recorded,
      mbPerClient: reference.bytes / 1e6,
      deliveredPerSecond: (reference.recorded * same.length) / runSeconds,
      lagP50Ms: quantile(lags, 0.5),
      lagP99Ms: quantile(lags, 0.99),
      lagMaxMs: lags.reduce((m, x) => Math.max(m, x), -Infinity),
      spreadP50Ms: quantile(spreads, 0.5),
      spreadP99Ms: quantile(spreads, 0.99),
      clientsDiffering: all.length - same.length,
      daemonRssIdleMb: idle.rssMb,
      daemonRssConnectedMb: connected.rssMb,
      daemonPeakMb: after.peakMb,
      daemonRssAfterMb: after.rssMb,
    };
  } finally {
    for (const c of all) c.close();
    await cli(['daemon', 'stop', PLAN], dir);
    rmSync(dir, { recursive: true, force: true });
  }
}
