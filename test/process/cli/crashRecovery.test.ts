// Crash recovery and the daemon, with real processes: a `coditect run` is SIGKILLed in the middle of a run of many
// tasks; the next run recovers the tasks it left in progress and finishes. Nothing is completed twice, nothing that
// completed is lost, and the markdown ends up equal to the database.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateTaskList } from '../../bench/generatePlan';
import { ensureBuilt, removeWorkspace, runCli, startCli, tempWorkspace } from './cliHarness';

interface AttemptRow {
  task_id: string;
  outcome: string | null;
}

function dbRows<T>(dir: string, sql: string): T[] {
  const conn = new Database(join(dir, '.coditect/context.db'), { readonly: true });
  try {
    return conn.prepare(sql).all() as T[];
  } finally {
    conn.close();
  }
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

const CONFIG = {
  default_agent: 'sim',
  agents: { sim: { kind: 'dry-run', durationMs: { minMs: 20, maxMs: 120 } } },
  max_concurrent_agents: 8,
  lease: { ms: 3000, heartbeat_ms: 500 },
  shutdown_grace_ms: 2000,
};

describe('crash recovery and the daemon (real processes)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  before(() => ensureBuilt());
  after(() => dirs.forEach(removeWorkspace));

  it('SIGKILL mid-run, then a restart: every task completed exactly once, no completed result lost', async () => {
    const { text, ids } = generateTaskList({ tasks: 240, tasksPerFeature: 8, featuresPerEpic: 5, seed: 11, chainProbability: 0.3 });
    const dir = tempWorkspace({ 'PLAN-TASKLIST.md': text, 'config.json': JSON.stringify(CONFIG) });
    dirs.push(dir);

    // First run: kill it hard once 60 tasks have completed and others are running.
    const child = startCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir);
    const completedBeforeKill = new Set<string>();
    let startedAfter = 0;
    let buffer = '';
    const killed = new Promise<void>((resolve, reject) => {
      child.on('exit', () => resolve());
      child.on('error', reject);
      child.stderr!.on('data', (d: Buffer) => {
        buffer += d.toString();
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          const m = /\b(completed|started)\s+(T\d+\.\d+)/.exec(line);
          if (!m) continue;
          if (m[1] === 'completed') completedBeforeKill.add(m[2]);
          else if (completedBeforeKill.size >= 60) startedAfter++;
          if (completedBeforeKill.size >= 60 && startedAfter >= 4 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
        }
      });
    });
    await killed;
    assert.equal(child.signalCode, 'SIGKILL', 'the first run was killed, not finished');
    assert.ok(completedBeforeKill.size >= 60 && completedBeforeKill.size < ids.length);

    const inProgress = dbRows<{ id: string }>(dir, "SELECT task_id AS id FROM v2_tasks WHERE status = 'in_progress'");
    assert.ok(inProgress.length > 0, 'the kill left tasks in progress with their leases');

    // Second run: recovers those tasks and finishes the plan.
    const r = await runCli(['run', 'PLAN-TASKLIST.md', '--config', 'config.json', '--json'], dir);
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    assert.match(r.stderr, /recovered \d+ task/);
    const out = JSON.parse(r.stdout);
    assert.equal(out.counts.completed, ids.length);

    const attempts = dbRows<AttemptRow>(dir, 'SELECT task_id, status AS outcome FROM agent_execution_log');
    const completions = new Map<string, number>();
    for (const a of attempts) if (a.outcome === 'completed') completions.set(a.task_id, (completions.get(a.task_id) ?? 0) + 1);
    for (const id of ids) assert.equal(completions.get(id), 1, `${id} recorded completed ${completions.get(id) ?? 0} times`);
    // Every task seen completed before the kill is still completed, with its attempt from the first run.
    const statuses = new Map(dbRows<{ id: string; status: string }>(dir, 'SELECT task_id AS id, status FROM v2_tasks').map((x) => [x.id, x.status]));
    for (const id of completedBeforeKill) assert.equal(statuses.get(id), 'completed');
    // The attempts cut off by the kill were closed as released (a task killed between its claim and its attempt row
    // has no row to close); no attempt is left open.
    assert.ok(
      attempts.some((a) => a.outcome === 'released'),
      'the killed attempts are recorded as released',
    );
    assert.deepEqual(
      attempts.filter((a) => a.outcome === null),
      [],
      'no attempt row left open',
    );
    const md = readFileSync(join(dir, 'PLAN-TASKLIST.md'), 'utf8');
    assert.equal((md.match(/^- \[x\]/gm) ?? []).length, ids.length, 'the markdown shows every task done');
  });

  it('daemon start|status|stop: pid file, metrics on loopback, control commands, graceful SIGTERM', async () => {
    const { text } = generateTaskList({ tasks: 30, tasksPerFeature: 5, featuresPerEpic: 3, seed: 3 });
    const cfg = { ...CONFIG, metrics: { port: 0 }, agents: { sim: { kind: 'dry-run', durationMs: 5 } } };
    const dir = tempWorkspace({ 'PLAN-TASKLIST.md': text, 'config.json': JSON.stringify(cfg) });
    dirs.push(dir);
    const start = await runCli(['daemon', 'start', 'PLAN-TASKLIST.md', '--config', 'config.json', '--json'], dir);
    assert.equal(start.code, 0, start.stderr);
    const started = JSON.parse(start.stdout);
    try {
      assert.ok(started.pid > 0 && started.metricsPort > 0, start.stdout);
      const pidFile = join(dir, '.coditect/engine.pid');
      assert.equal(JSON.parse(readFileSync(pidFile, 'utf8')).pid, started.pid);

      const status = await runCli(['daemon', 'status', 'PLAN-TASKLIST.md', '--json'], dir);
      assert.equal(status.code, 0);
      assert.equal(JSON.parse(status.stdout).running, true);

      const again = await runCli(['daemon', 'start', 'PLAN-TASKLIST.md', '--config', 'config.json'], dir);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already runs/);

      const metrics = await httpGet(`http://127.0.0.1:${started.metricsPort}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(metrics.body, /^coditect_tasks_total \d+/m);
      assert.match(metrics.body, /^coditect_plan_tasks \d+/m);
      assert.match(metrics.body, /coditect_dispatch_latency_seconds_bucket/);

      // The daemon holds the db lock; status goes through its control socket.
      const st = await runCli(['status', 'PLAN-TASKLIST.md', '--json'], dir);
      assert.equal(st.code, 0, st.stderr);
      const s = JSON.parse(st.stdout);
      assert.equal(s.daemon.running, true);
      assert.equal(s.counts.total, 30);

      const paused = await runCli(['pause', 'PLAN-TASKLIST.md', '--json'], dir);
      assert.equal(paused.code, 0, paused.stderr);
      assert.equal(JSON.parse(paused.stdout).state, 'paused');
      const resumed = await runCli(['resume', 'PLAN-TASKLIST.md', '--json'], dir);
      assert.equal(JSON.parse(resumed.stdout).state, 'running');
    } finally {
      const stop = await runCli(['daemon', 'stop', 'PLAN-TASKLIST.md'], dir);
      assert.equal(stop.code, 0, stop.stderr);
    }
    assert.ok(!existsSync(join(dir, '.coditect/engine.pid')), 'pid file removed on graceful stop');
    const log = readFileSync(join(dir, '.coditect/logs/engine.log'), 'utf8');
    assert.match(log, /SIGTERM: stopping dispatch/);
    assert.match(log, /INFO {2}completed T\d+\.\d+: /, 'the daemon log records what its agents did');
    assert.match(log, /daemon stopped/);
    const after = await runCli(['daemon', 'status', 'PLAN-TASKLIST.md'], dir);
    assert.equal(after.code, 1);
    assert.match(after.stdout, /not running/);
  });
});
