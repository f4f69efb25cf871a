// The keys of the plan's orchestrator-config.json acting in the real CLI and daemon, checked from outside as a team
// following the plan would: the plan's file layout (config/orchestrator-config.json at the repository root), its
// sync_daemon paths, task_dispatcher weights, orchestrator retries and checkpoints, and its logging section.
import { strict as assert } from 'node:assert';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, removeWorkspace, ROOT, runCli, tempWorkspace } from './cliHarness';

const PLAN = `# Plan

## E001: Core

### F001.01: Bus

- [ ] **T001.001** Provision the message bus (P0, 2h)
- [ ] **T001.002** Publisher service (P1, 4h)
- [ ] **T001.003** Write the consumer guide (P3, 1h)
- [ ] **T001.004** Load test the publisher (P2, 1h)
`;

/**
 * The plan's own file with `patch` merged over its sections (every other key stays as the plan writes it), metrics on
 * any free port instead of the plan's 9090 (tests run side by side).
 */
function planConfig(patch: Record<string, Record<string, unknown>>): string {
  const plan = JSON.parse(readFileSync(join(ROOT, 'resources/config/orchestrator-config.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  plan.monitoring.prometheus_port = 0;
  for (const [section, keys] of Object.entries(patch)) plan[section] = { ...(plan[section] ?? {}), ...keys };
  return JSON.stringify(plan, null, 2);
}

/** A workspace laid out as the plan's repository: `.git`, `config/orchestrator-config.json`, the task list under docs/. */
function planRepo(config: string): string {
  const dir = tempWorkspace();
  mkdirSync(join(dir, '.git'));
  mkdirSync(join(dir, 'config'));
  mkdirSync(join(dir, 'docs/project-management'), { recursive: true });
  writeFileSync(join(dir, 'config/orchestrator-config.json'), config);
  writeFileSync(join(dir, 'docs/project-management/V2-TASKLIST-WITH-CHECKBOXES.md'), PLAN);
  return dir;
}

const DB = 'submodules/core/coditect-core/context.db';

describe("the plan's config keys act in the CLI and daemon", function () {
  this.timeout(120_000);
  before(ensureBuilt);
  let dir: string | undefined;
  afterEach(() => {
    if (dir) removeWorkspace(dir);
    dir = undefined;
  });

  it('markdown_path and db_path name the plan and its database; checkpoint_interval_tasks writes a checkpoint row every N tasks', async () => {
    dir = planRepo(planConfig({ orchestrator: { checkpoint_interval_tasks: 2 } }));
    // No task list and no --config: config/orchestrator-config.json of the current folder names both files.
    const r = await runCli(['run', '--agent', 'dry-run', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(dir, 'docs/project-management/V2-TASKLIST-WITH-CHECKBOXES.md'), 'utf8'), /- \[x\] \*\*T001\.004\*\*/);
    assert.ok(existsSync(join(dir, DB)), 'the database is where sync_daemon.db_path says');
    assert.ok(!existsSync(join(dir, '.coditect/context.db')), 'and not at the default place');
    const db = new Database(join(dir, DB), { readonly: true });
    try {
      const rows = db.prepare(`SELECT milestone_id, completed_tasks FROM orchestrator_state WHERE kind = 'checkpoint' ORDER BY state_id`).all();
      assert.deepEqual(
        rows.filter((x) => String((x as { milestone_id: string }).milestone_id).startsWith('tasks-')),
        [
          { milestone_id: 'tasks-2', completed_tasks: 2 },
          { milestone_id: 'tasks-4', completed_tasks: 4 },
        ],
      );
    } finally {
      db.close();
    }
    // The plan's KPIs come from that database, so a later process reads them: all four tasks completed by an agent.
    const st = await runCli(['status', '--json'], dir);
    assert.equal(st.code, 0, st.stderr);
    const kpis = (
      JSON.parse(st.stdout) as {
        kpis: { autonomyRate: number; successRate: number; uptimeRatio: number; dispatchSamples: number; dispatchLatencyP95Seconds: number | null };
      }
    ).kpis;
    assert.equal(kpis.autonomyRate, 1);
    // Dispatch latency from the attempt rows the run left: one start per task, each measured.
    assert.equal(kpis.dispatchSamples, 4);
    assert.ok(kpis.dispatchLatencyP95Seconds !== null && kpis.dispatchLatencyP95Seconds < 5, `p95 ${kpis.dispatchLatencyP95Seconds}`);
    const human = await runCli(['status'], dir);
    assert.match(human.stdout, /KPIs: .*dispatch latency p50 [\d.]+ s \/ p95 [\d.]+ s \(4 starts\)/);
    assert.equal(kpis.successRate, 1);
    assert.ok(kpis.uptimeRatio > 0 && kpis.uptimeRatio <= 1, `uptime from the run's heartbeat rows: ${kpis.uptimeRatio}`);
    // --db (or DB_PATH) still wins over the config's db_path.
    const s = await runCli(['status', '--json', '--db', join(dir, 'other.db')], dir);
    assert.equal(s.code, 0, s.stderr);
    assert.equal((JSON.parse(s.stdout) as { db: string }).db, join(dir, 'other.db'));
  });

  it('says which config it looked for when neither a task list nor a markdown_path is given', async () => {
    dir = tempWorkspace();
    const r = await runCli(['status'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /status needs the path of a task list .*sync_daemon\.markdown_path.*config\/orchestrator-config\.json/);
  });

  it('priority_weights order the ready tasks (coditect next); the plan weights keep P0 > P1 > P2 > P3', async () => {
    dir = planRepo(planConfig({}));
    const plain = await runCli(['next', '--json'], dir);
    assert.equal(plain.code, 0, plain.stderr);
    const order = (out: string) => (JSON.parse(out) as { ready: { id: string }[] }).ready.map((t) => t.id);
    assert.deepEqual(order(plain.stdout), ['T001.001', 'T001.002', 'T001.004', 'T001.003']);
    writeFileSync(join(dir, 'config/orchestrator-config.json'), planConfig({ task_dispatcher: { priority_weights: { P0: 10, P1: 50, P2: 25, P3: 100 } } }));
    const weighted = await runCli(['next', '--json'], dir);
    assert.equal(weighted.code, 0, weighted.stderr);
    assert.deepEqual(order(weighted.stdout), ['T001.003', 'T001.002', 'T001.004', 'T001.001']);
  });

  it('orchestrator.max_retries: a task that always fails transiently is tried max_retries + 1 times', async () => {
    dir = planRepo(planConfig({ orchestrator: { max_retries: 2, retry_backoff_base: 2 } }));
    const cfg = JSON.parse(readFileSync(join(dir, 'config/orchestrator-config.json'), 'utf8')) as Record<string, unknown>;
    // One task, an agent that always exits 1 (a transient failure for a command agent), short delays.
    cfg.agents = { flaky: { kind: 'command', executable: 'false' } };
    cfg.default_agent = 'flaky';
    cfg.retry = { initial_delay_ms: 10, max_delay_ms: 40 };
    writeFileSync(join(dir, 'config/orchestrator-config.json'), JSON.stringify(cfg));
    writeFileSync(join(dir, 'docs/project-management/V2-TASKLIST-WITH-CHECKBOXES.md'), PLAN.split('\n').slice(0, 7).join('\n') + '\n');
    const r = await runCli(['run', '--json'], dir);
    assert.equal(r.code, 1, r.stderr);
    const db = new Database(join(dir, DB), { readonly: true });
    try {
      const n = db.prepare(`SELECT COUNT(*) AS n FROM agent_execution_log WHERE task_id = 'T001.001'`).get() as { n: number };
      assert.equal(n.n, 3, 'the first attempt and max_retries (2) retries');
      const t = db.prepare(`SELECT status FROM v2_tasks WHERE task_id = 'T001.001'`).get() as { status: string };
      assert.equal(t.status, 'failed');
    } finally {
      db.close();
    }
  });

  it('logging: level, file (relative to the workspace) and rotation by max_bytes/backup_count, private', async () => {
    dir = planRepo(planConfig({ logging: { level: 'DEBUG', file: 'logs/orchestrator.log', max_bytes: 400, backup_count: 2 } }));
    const start = await runCli(['daemon', 'start', '--agent', 'dry-run', '--metrics-port', '0'], dir);
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, new RegExp(`log ${join(dir, 'logs/orchestrator.log').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    // Work the daemon logs about, then stop it (its goodbye lines are logged too).
    const run = await runCli(['start'], dir);
    assert.equal(run.code, 0, run.stderr);
    const stop = await runCli(['daemon', 'stop'], dir);
    assert.equal(stop.code, 0, stop.stderr);
    const logDir = join(dir, 'logs');
    const files = readdirSync(logDir);
    assert.ok(files.includes('orchestrator.log'), `log files: ${files.join(', ')}`);
    // Rotated files are gzipped; rotating-file-stream keeps its list of them in orchestrator.log.txt.
    const rotated = files.filter((f) => f.endsWith('orchestrator.log.gz'));
    assert.ok(rotated.length >= 1, `rotated at 400 bytes: ${files.join(', ')}`);
    assert.ok(rotated.length <= 2, `at most backup_count (2) rotated files kept: ${files.join(', ')}`);
    assert.equal(statSync(join(logDir, 'orchestrator.log')).mode & 0o777, 0o600);
    assert.ok(!existsSync(join(dir, '.coditect/logs/engine.log')), 'not the default log');
    // Level: the same run at WARNING keeps the info lines out of the foreground run's output.
    writeFileSync(join(dir, 'config/orchestrator-config.json'), planConfig({ logging: { level: 'WARNING' } }));
    writeFileSync(join(dir, 'docs/project-management/V2-TASKLIST-WITH-CHECKBOXES.md'), PLAN.replace(/- \[x\]/g, '- [ ]'));
    const quiet = await runCli(['run', '--agent', 'dry-run'], dir);
    assert.doesNotMatch(quiet.stderr, / INFO {2}engine .* opened /);
    writeFileSync(join(dir, 'config/orchestrator-config.json'), planConfig({ logging: { level: 'INFO' } }));
    const loud = await runCli(['run', '--agent', 'dry-run'], dir);
    assert.match(loud.stderr, / INFO {2}engine .* opened /);
  });
});
