// Budgets (docs/costs-and-gates.md#budgets) on the real parts: a real SQLite file, the TaskStore, the live ledger and
// the orchestrator, with a scripted agent that reports what each turn cost the way the Anthropic agent does
// (ctx.onSpend, running totals). Nothing is timed: each test waits for the event that proves its point.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { TaskList } from '../../../src/core/model';
import { AgentError, abortError, type Agent, type AgentResult, type AgentRunContext, type AgentTaskInput } from '../../../src/engine/agents/agent';
import { parseConfig, type OrchestratorConfig } from '../../../src/engine/config';
import { openDatabase } from '../../../src/engine/db/database';
import { TaskStore } from '../../../src/engine/db/taskStore';
import { Orchestrator } from '../../../src/engine/orchestrator';
import { createRedactor } from '../../../src/engine/redact';
import { SpendControl } from '../../../src/engine/spend/spendControl';
import { taskList, type TaskSpec } from '../core/taskListBuilder';
import { collect, engineDir, insertPlan, nextEvent } from '../engine/orchestratorKit';

/**
 * An agent whose every attempt takes `turns` model turns of `usdPerTurn` each, reporting the running cost after each
 * turn (as the Anthropic agent does), then answers. A turn waits for the next macrotask, so an abort can land between.
 */
class SpendingAgent implements Agent {
  readonly name = 'spending';
  readonly provider = 'spending';
  readonly killed: string[] = [];
  constructor(
    private readonly usdPerTurn: (task: AgentTaskInput) => number,
    private readonly turns = 5,
  ) {}

  async run(task: AgentTaskInput, ctx: AgentRunContext): Promise<AgentResult> {
    let usd = 0;
    for (let turn = 1; turn <= this.turns; turn++) {
      await new Promise((r) => setImmediate(r));
      if (ctx.signal.aborted) {
        this.killed.push(task.id);
        const e = abortError(ctx.signal, this.provider);
        throw new AgentError(e.message, e.kind, e.provider, undefined, { spent: { costUsd: usd, model: 'scripted' } });
      }
      usd += this.usdPerTurn(task);
      ctx.onSpend?.({ costUsd: usd, tokensIn: turn * 100, tokensOut: turn * 10, model: 'scripted' });
    }
    return { summary: `done ${task.id}`, costUsd: usd, tokensIn: this.turns * 100, tokensOut: this.turns * 10, model: 'scripted' };
  }
}

describe('Budgets', () => {
  const kit = engineDir('coditect-budget-');

  /** An engine's parts over a real database holding `specs`: the orchestrator obeys the spend control's limits. */
  function engine(specs: TaskSpec[], budget: Record<string, number>, agent: Agent, extra: { epics?: TaskList['epics']; features?: TaskList['features'] } = {}) {
    const list = taskList(specs, extra);
    const handle = (kit.handle ??= openDatabase(path.join(kit.dir, 'context.db')));
    if ((handle.db.prepare('SELECT COUNT(*) AS n FROM v2_tasks').get() as { n: number }).n === 0) insertPlan(handle, list);
    let config: OrchestratorConfig = parseConfig(
      { max_concurrent_agents: 1, retry: { max_attempts: 3, initial_delay_ms: 1, max_delay_ms: 1 }, budget },
      'test',
      {
        env: {},
      },
    );
    const epicOf = (id: string) => list.tasks.find((t) => t.id === id)?.epicId;
    const spend = new SpendControl({ db: handle.db, epicOf, budget: () => config.budget });
    const o = new Orchestrator({
      store: new TaskStore(handle),
      config,
      agentFor: () => agent,
      owner: 'engine-test',
      cwd: kit.dir,
      env: { PATH: process.env.PATH },
      redact: createRedactor([]),
      limits: spend.limits,
    });
    spend.attach(o);
    o.setPlan(list);
    kit.orch = o;
    return {
      orch: o,
      spend,
      setBudget(b: Record<string, number>) {
        config = parseConfig({ max_concurrent_agents: 1, retry: { max_attempts: 3, initial_delay_ms: 1, max_delay_ms: 1 }, budget: b }, 'test', { env: {} });
        o.setConfig(config);
        o.limitsChanged();
      },
    };
  }

  const attempts = (taskId: string) =>
    kit.handle!.db.prepare('SELECT status, error_kind, error, cost_usd FROM agent_execution_log WHERE task_id = ? ORDER BY log_id').all(taskId) as {
      status: string;
      error_kind: string | null;
      error: string | null;
      cost_usd: number | null;
    }[];
  const statusOf = (taskId: string) => (kit.handle!.db.prepare('SELECT status FROM v2_tasks WHERE task_id = ?').get(taskId) as { status: string }).status;

  it('stops an attempt the moment it takes its task over budget.per_task_usd: killed, failed, not retried, the cost kept', async () => {
    const agent = new SpendingAgent((t) => (t.id === 'T1' ? 0.4 : 0.01));
    const e = engine([{ id: 'T1' }, { id: 'T2' }], { per_task_usd: 1 }, agent);
    const retrying = collect(e.orch, 'task:retrying');
    e.orch.start();
    const failed = await nextEvent(e.orch, 'task:failed');
    assert.equal(failed.taskId, 'T1');
    assert.equal(failed.errorKind, 'budget');
    assert.match(
      failed.reason,
      /budget_exceeded: task budget \$1\.00 reached \(\$1\.20 spent on T1\).*process tree was killed.*not retried: raise budget\.per_task_usd/,
    );
    await e.orch.idle();
    assert.deepEqual(agent.killed, ['T1'], 'the agent saw the abort after its third turn');
    assert.equal(retrying.length, 0);
    const rows = attempts('T1');
    assert.equal(rows.length, 1);
    assert.equal(rows[0].status, 'budget_exceeded');
    assert.equal(rows[0].error_kind, 'budget');
    assert.ok(Math.abs(rows[0].cost_usd! - 1.2) < 1e-9, `what the stopped attempt cost is recorded: ${rows[0].cost_usd}`);
    assert.equal(statusOf('T1'), 'failed');
    assert.equal(statusOf('T2'), 'completed', 'other tasks run on');
    // Retried by hand, it stays held until the budget is raised, and then runs.
    assert.equal(e.orch.retry('T1'), true);
    await e.orch.idle();
    assert.equal(attempts('T1').length, 1, 'a task whose budget is spent does not start again');
    assert.match(e.orch.stalls().find((s) => s.root === 'budget')!.text, /task budget \$1\.00 of T1 is spent \(\$1\.20\)/);
    const done = nextEvent(e.orch, 'task:completed', (c) => c.taskId === 'T1');
    e.setBudget({ per_task_usd: 10 });
    await done;
    assert.equal(statusOf('T1'), 'completed');
  });

  it('a failure at the end of an attempt that reached the task budget is not retried (an agent that reports cost only at the end)', async () => {
    const agent: Agent = {
      name: 'late',
      provider: 'late',
      run: () => Promise.reject(new AgentError('server error', 'transient', 'late', undefined, { spent: { costUsd: 3, model: 'm' } })),
    };
    const e = engine([{ id: 'T1' }], { per_task_usd: 2 }, agent);
    e.orch.start();
    const failed = await nextEvent(e.orch, 'task:failed');
    assert.match(failed.reason, /budget_exceeded: task budget \$2\.00 reached \(\$3\.00 spent on T1\) \(the attempt failed: server error\)/);
    await e.orch.idle();
    assert.deepEqual(
      attempts('T1').map((a) => a.status),
      ['budget_exceeded'],
    );
  });

  it('reaching the run budget pauses dispatch with the reason; a raised budget lifts it; resume (acknowledging it) goes on', async () => {
    const agent = new SpendingAgent(() => 0.1, 2);
    const e = engine(
      [1, 2, 3, 4, 5, 6].map((i) => ({ id: `T${i}` })),
      { per_run_usd: 0.4 },
      agent,
    );
    const states = collect(e.orch, 'state:changed');
    e.orch.start();
    await e.orch.idle();
    assert.equal(e.orch.state(), 'paused');
    assert.equal(e.orch.pauseReason(), 'run budget $0.40 reached ($0.40 spent by this run)');
    assert.ok(states.some((s) => s.state === 'paused' && s.pausedFor === e.orch.pauseReason()));
    assert.equal(attempts('T3').length, 0);
    const v = e.spend.view();
    assert.deepEqual(
      v.holds.map((h) => h.scope),
      ['run'],
    );
    assert.deepEqual(v.budgets, [{ scope: 'run', budgetUsd: 0.4, spentUsd: 0.4 }]);

    // A raised budget lifts the pause by itself, until the new one is reached.
    const resumed = nextEvent(e.orch, 'state:changed', (s) => s.state === 'running');
    e.setBudget({ per_run_usd: 0.8 });
    await resumed;
    await e.orch.idle();
    assert.equal(e.orch.pauseReason(), 'run budget $0.80 reached ($0.80 spent by this run)');
    assert.equal(statusOf('T4'), 'completed');
    assert.equal(attempts('T5').length, 0);

    // Resume: the person acknowledges the hold; it does not pause again at this budget.
    e.spend.budgets.acknowledge();
    e.orch.resume();
    await e.orch.idle();
    assert.equal(statusOf('T6'), 'completed');
    assert.equal(e.orch.state(), 'running');
  });

  it("the day budget counts every run's spend today: a new engine on the same database starts paused", async () => {
    const agent = new SpendingAgent(() => 0.25, 2);
    const first = engine([{ id: 'T1' }, { id: 'T2' }, { id: 'T3' }], { per_day_usd: 0.5 }, agent);
    first.orch.start();
    await first.orch.idle();
    assert.equal(first.orch.pauseReason(), 'day budget $0.50 reached ($0.50 spent today)');
    await first.orch.close();
    const second = engine([{ id: 'T1' }, { id: 'T2' }, { id: 'T3' }], { per_day_usd: 0.5 }, agent);
    second.orch.start();
    await second.orch.idle();
    assert.equal(second.orch.pauseReason(), 'day budget $0.50 reached ($0.50 spent today)');
    assert.equal(attempts('T2').length, 0);
  });

  it('an epic budget holds only that epic: its tasks wait (a stall naming the budget), other epics run, the run ends', async () => {
    const epics = [
      { id: 'E001', idExplicit: true, title: 'Costly', line: 0 },
      { id: 'E002', idExplicit: true, title: 'Cheap', line: 1 },
    ];
    const features = [
      { id: 'F001.01', idExplicit: true, epicId: 'E001', title: 'A', line: 0 },
      { id: 'F002.01', idExplicit: true, epicId: 'E002', title: 'B', line: 1 },
    ];
    const agent = new SpendingAgent((t) => (t.epic.id === 'E001' ? 0.5 : 0.01), 2);
    const e = engine(
      [
        { id: 'T1', priority: 'P0' },
        { id: 'T2', priority: 'P0' },
        { id: 'U1', epicId: 'E002', featureId: 'F002.01' },
        { id: 'U2', epicId: 'E002', featureId: 'F002.01' },
      ],
      { per_epic_usd: 1 },
      agent,
      { epics, features },
    );
    e.orch.start();
    await e.orch.idle();
    assert.equal(statusOf('T1'), 'completed');
    assert.equal(statusOf('T2'), 'pending', 'held by its epic budget');
    assert.equal(statusOf('U2'), 'completed');
    assert.equal(e.orch.state(), 'stalled');
    const stall = e.orch.stalls().find((s) => s.root === 'budget')!;
    assert.deepEqual(stall.holds, ['T2']);
    assert.equal(stall.text, 'epic budget $1.00 of E001 reached ($1.00 spent)');
    assert.deepEqual(
      e.spend.view().holds.map((h) => [h.scope, h.id]),
      [['epic', 'E001']],
    );
    // Resume past it.
    e.spend.budgets.acknowledge();
    e.orch.limitsChanged();
    await e.orch.idle();
    assert.equal(statusOf('T2'), 'completed');
  });
});
