// The orchestrator on the real store: a real SQLite file in a temp dir, the dry-run agent with simulated transient
// failures, a real Verify command, a graceful stop half-way and a second engine instance finishing the run.
import { defaultSandboxPolicy } from '../../../src/engine/agents/sandbox';
import { strict as assert } from 'node:assert';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DryRunAgent } from '../../../src/engine/agents/dryRunAgent';
import { parseConfig } from '../../../src/engine/config';
import { openDatabase, type DatabaseHandle } from '../../../src/engine/db/database';
import { TaskStore } from '../../../src/engine/db/taskStore';
import { Orchestrator } from '../../../src/engine/orchestrator';
import { createRedactor } from '../../../src/engine/redact';
import { taskList, type TaskSpec } from '../core/taskListBuilder';
import { insertPlan, nextEvent, uniqueOwner } from './orchestratorKit';

describe('Orchestrator on the SQLite store', () => {
  let dir: string;
  let handle: DatabaseHandle | undefined;
  beforeEach(() => (dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'coditect-orch-db-')))));
  afterEach(() => {
    handle?.close();
    handle = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a plan with retries and verification, survives a graceful stop, and records each completion once', async () => {
    const specs: TaskSpec[] = [];
    for (let i = 0; i < 60; i++) specs.push({ id: `T${i}`, deps: i >= 6 ? [`T${i - 6}`, `T${Math.floor(i / 3)}`].filter((d) => d !== `T${i}`) : [] });
    const list = taskList(specs);
    list.tasks[5].verify = 'test "$(pwd)" = "$CODITECT_EXPECT_CWD"';
    handle = openDatabase(path.join(dir, 'context.db'));
    insertPlan(handle, list);
    const env = { PATH: process.env.PATH, CODITECT_EXPECT_CWD: dir };
    // 25% simulated failures open the breaker now and then: a short cool-down lets the probe through quickly.
    const config = parseConfig(
      { max_concurrent_agents: 6, retry: { max_attempts: 8, initial_delay_ms: 1, max_delay_ms: 4 }, circuit_breaker: { cooldown_ms: 5 } },
      'test',
      { env: {} },
    );
    const agent = new DryRunAgent('dry-run', { durationMs: { minMs: 0, maxMs: 4 }, failureRate: 0.25, seed: 3 });
    const make = (owner: string): Orchestrator => {
      const o = new Orchestrator({
        store: new TaskStore(handle!),
        config,
        agentFor: () => agent,
        owner,
        cwd: dir,
        env,
        redact: createRedactor([]),
        // The Verify command reads CODITECT_EXPECT_CWD: passed by name, like `sandbox.env_allow` does.
        sandbox: (cwd) => defaultSandboxPolicy(cwd, { envAllow: ['CODITECT_EXPECT_CWD'] }),
      });
      o.setPlan(list);
      return o;
    };

    // First engine: stop it (no grace) once a third of the plan is done.
    const first = make(uniqueOwner('engine-1'));
    let completed = 0;
    const third = new Promise<void>((resolve) => first.on('task:completed', () => ++completed === 20 && resolve()));
    first.start();
    await third;
    await first.stop(0);
    await first.close();
    const afterStop = handle.db.prepare(`SELECT status, COUNT(*) AS n FROM v2_tasks GROUP BY status`).all() as { status: string; n: number }[];
    assert.ok(!afterStop.some((r) => r.status === 'in_progress'), `nothing stays claimed after a stop: ${JSON.stringify(afterStop)}`);

    // Second engine (a restart) finishes the plan.
    const second = make(uniqueOwner('engine-2'));
    assert.deepEqual(second.recover(), [], 'a graceful stop leaves nothing to recover');
    const restarted = nextEvent(second, 'task:started');
    second.start();
    await restarted;
    await second.idle();
    await second.close();

    const statuses = handle.db.prepare(`SELECT status, COUNT(*) AS n FROM v2_tasks GROUP BY status`).all();
    assert.deepEqual(statuses, [{ status: 'completed', n: 60 }]);
    const perTask = handle.db
      .prepare(`SELECT task_id, SUM(status = 'completed') AS ok, SUM(status = 'failed') AS failed, COUNT(*) AS n FROM agent_execution_log GROUP BY task_id`)
      .all() as { task_id: string; ok: number; failed: number; n: number }[];
    assert.equal(perTask.length, 60);
    for (const r of perTask) assert.equal(r.ok, 1, `${r.task_id} completed exactly once`);
    const retried = handle.db.prepare(`SELECT task_id AS id, retry_count FROM v2_tasks`).all() as { id: string; retry_count: number }[];
    const failedById = new Map(perTask.map((r) => [r.task_id, r.failed]));
    for (const t of retried) assert.equal(t.retry_count, failedById.get(t.id), `${t.id}: retry count = failed attempts`);
    assert.ok(
      perTask.some((r) => r.failed > 0),
      'the simulated failures were retried',
    );
    const open = handle.db.prepare(`SELECT COUNT(*) AS n FROM agent_execution_log WHERE completed_at IS NULL`).get() as { n: number };
    assert.equal(open.n, 0, 'every attempt row is closed');
    const verified = new TaskStore(handle).attempts('T5');
    assert.equal(verified[0].outcome, 'completed');
    assert.ok(first.state() === 'idle' && second.state() === 'idle');
  });
});
