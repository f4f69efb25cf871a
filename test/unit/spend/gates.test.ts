// Gates (docs/costs-and-gates.md#gates) on the real parts: a task list parsed from markdown, a real SQLite file, the
// TaskStore, the orchestrator and the audit trail (gate_decisions). Nothing is timed: each test waits for the event
// or the idle state that proves its point.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { parseTaskList } from '../../../src/core/parser';
import type { Agent, AgentTaskInput } from '../../../src/engine/agents/agent';
import { parseConfig } from '../../../src/engine/config';
import { openDatabase } from '../../../src/engine/db/database';
import { TaskStore } from '../../../src/engine/db/taskStore';
import { Orchestrator } from '../../../src/engine/orchestrator';
import { groupViews, type PlanModel } from '../../../src/engine/planView';
import { createRedactor } from '../../../src/engine/redact';
import { GateLog } from '../../../src/engine/spend/gateLog';
import { checkGateParams, decideGate, gatesView } from '../../../src/engine/spend/gates';
import { collect, engineDir, insertPlan, nextEvent } from '../engine/orchestratorKit';

/** An agent that completes every task at once and keeps what it was asked. */
class RecordingAgent implements Agent {
  readonly name = 'recording';
  readonly provider = 'recording';
  readonly inputs: AgentTaskInput[] = [];
  run(task: AgentTaskInput) {
    this.inputs.push(task);
    return Promise.resolve({ summary: `did ${task.id}` });
  }
}

describe('Gates', () => {
  const kit = engineDir('coditect-gates-');

  function engine(md: string) {
    const list = parseTaskList(md);
    assert.deepEqual(list.diagnostics, []);
    const handle = (kit.handle = openDatabase(path.join(kit.dir, 'context.db')));
    insertPlan(handle, list);
    const agent = new RecordingAgent();
    const o = new Orchestrator({
      store: new TaskStore(handle),
      config: parseConfig({ max_concurrent_agents: 2, retry: { max_attempts: 2, initial_delay_ms: 1, max_delay_ms: 1 } }, 'test', { env: {} }),
      agentFor: () => agent,
      owner: 'engine-test',
      cwd: kit.dir,
      env: { PATH: process.env.PATH },
      redact: createRedactor([]),
    });
    o.setPlan(list);
    kit.orch = o;
    const log = new GateLog(handle.db);
    const statusOf = (id: string) => (handle.db.prepare('SELECT status FROM v2_tasks WHERE task_id = ?').get(id) as { status: string }).status;
    const ran = () => agent.inputs.map((i) => i.id);
    return { orch: o, list, agent, log, statusOf, ran };
  }

  it('a Gate: review task runs, then holds what depends on it until approved; the approval is recorded (who, when, note)', async () => {
    const e = engine(['- [ ] T1 Build the parser', '  - Gate: review', '- [ ] T2 Ship it after T1', '- [ ] T3 Unrelated'].join('\n'));
    const waiting = nextEvent(e.orch, 'gate:waiting');
    e.orch.start();
    assert.deepEqual(await waiting, { taskId: 'T1', kind: 'review', title: 'Build the parser' });
    await e.orch.idle();
    assert.deepEqual(e.ran().sort(), ['T1', 'T3']);
    assert.equal(e.statusOf('T1'), 'blocked', 'its result waits for a person');
    assert.equal(e.statusOf('T2'), 'pending');
    const stall = e.orch.stalls().find((s) => s.root === 'T1');
    assert.deepEqual(stall, { reason: 'gate', root: 'T1', text: "T1 waits for a person's approval", holds: ['T1', 'T2'] });
    assert.equal(e.orch.state(), 'stalled');

    const view = gatesView(e.list, e.orch['mustPlan']().graph, (id) => e.statusOf(id) as never, e.log);
    assert.deepEqual(view, { waiting: [{ id: 'T1', kind: 'review', title: 'Build the parser', line: 0, holds: 1 }], decisions: [] });

    const done = nextEvent(e.orch, 'task:completed', (c) => c.taskId === 'T2');
    const r = decideGate(
      e.orch,
      e.log,
      'approved',
      { gateId: 'T1', note: 'looks right', by: 'alice' },
      (t) => t,
      () => Date.parse('2026-12-02T15:00:00Z'),
    );
    assert.deepEqual(r, { done: true, message: 'T1 approved: what depends on it may start', by: 'alice', note: 'looks right' });
    await done;
    assert.equal(e.statusOf('T1'), 'completed');
    assert.deepEqual(e.log.recent(), [
      { gateId: 'T1', kind: 'review', decision: 'approved', by: 'alice', at: '2026-12-02T15:00:00.000Z', note: 'looks right' },
    ]);
    // Approving twice is refused, and nothing more is recorded.
    assert.deepEqual(
      decideGate(e.orch, e.log, 'approved', { gateId: 'T1' }, (t) => t),
      {
        done: false,
        message: 'T1 is not waiting for approval: it is completed',
      },
    );
    assert.equal(e.log.recent().length, 1);
  });

  it('a gated feature: its tasks run, what depends on it from outside waits once it is done, approving the feature frees it', async () => {
    const e = engine(
      [
        '## E001: Billing',
        '### F001.01: Invoices',
        'Gate: review',
        '- [ ] **T001.001** Invoice model',
        '- [ ] **T001.002** Invoice API',
        '  - Depends on: T001.001',
        '### F001.02: Reports',
        '- [ ] **T001.003** Monthly report',
        '  - Depends on: T001.001',
      ].join('\n'),
    );
    const waiting = nextEvent(e.orch, 'gate:waiting');
    e.orch.start();
    assert.deepEqual(await waiting, { taskId: 'F001.01', kind: 'review', title: 'Invoices' });
    await e.orch.idle();
    assert.deepEqual(e.ran().sort(), ['T001.001', 'T001.002']);
    assert.equal(e.statusOf('T001.002'), 'completed', 'no task of the feature is blocked: the feature waits');
    assert.equal(e.orch.state(), 'stalled');
    const graph = () => e.orch['mustPlan']().graph;
    const model = (): PlanModel => ({ plan: e.orch.livePlan()!, runtimes: new Map() });
    assert.deepEqual(
      groupViews(model()).features.map((f) => [f.id, f.gate]),
      [
        ['F001.01', 'waiting'],
        ['F001.02', undefined],
      ],
    );
    const view = gatesView(
      e.list,
      graph(),
      (id) => e.statusOf(id) as never,
      e.log,
      (id) => (id === 'T001.002' ? ['src/api.ts'] : undefined),
    );
    assert.deepEqual(view?.waiting, [{ id: 'F001.01', kind: 'review', feature: true, title: 'Invoices', line: 1, holds: 1, files: ['src/api.ts'] }]);

    assert.deepEqual(
      decideGate(e.orch, e.log, 'rejected', { gateId: 'F001.01', note: 'totals round wrong', by: 'bob' }, (t) => t).message,
      'F001.01 was rejected and still waits for approval',
    );
    assert.equal(e.orch.state(), 'stalled');
    const done = nextEvent(e.orch, 'task:completed', (c) => c.taskId === 'T001.003');
    const r = decideGate(e.orch, e.log, 'approved', { gateId: 'F001.01', by: 'alice' }, (t) => t);
    assert.deepEqual(r, { done: true, message: 'F001.01 approved: what depends on it may start', by: 'alice' });
    await done;
    assert.deepEqual(e.log.approvedGates(), new Set(['F001.01']));
    assert.equal(groupViews(model()).features[0].gate, 'approved');
    assert.match(decideGate(e.orch, e.log, 'approved', { gateId: 'F001.01' }, (t) => t).message, /F001\.01 is not waiting for approval: it was approved/);
    assert.match(decideGate(e.orch, e.log, 'approved', { gateId: 'F001.02' }, (t) => t).message, /F001\.02 is not a gate/);
  });

  it('rejecting a Gate: review task runs it again with the note in its prompt; a second result waits again', async () => {
    const e = engine(['- [ ] T1 Build the parser', '  - Gate: review', '- [ ] T2 Ship it after T1'].join('\n'));
    e.orch.start();
    await nextEvent(e.orch, 'gate:waiting');
    await e.orch.idle();
    const again = nextEvent(e.orch, 'gate:waiting');
    const r = decideGate(e.orch, e.log, 'rejected', { gateId: 'T1', note: 'handle CRLF too; key sk-secret', by: 'bob' }, (t) =>
      t.replace('sk-secret', '[REDACTED]'),
    );
    assert.equal(r.done, true);
    assert.equal(r.message, 'T1 rejected: it runs again with the note');
    await again;
    assert.deepEqual(e.ran(), ['T1', 'T1']);
    assert.equal(e.agent.inputs[1].previousError, 'A person rejected the previous result: handle CRLF too; key [REDACTED]');
    assert.equal(e.statusOf('T2'), 'pending', 'still held: the new result waits too');
    assert.equal(e.log.recent()[0].decision, 'rejected');
    assert.equal(e.log.recent()[0].note, 'handle CRLF too; key [REDACTED]', 'a secret in a note is never kept');
  });

  it('a Review:/Checkpoint: task never runs an agent: it waits once its dependencies are done, approving ticks it', async () => {
    const e = engine(['- [ ] T1 Build', '- [ ] T2 Review: the build output after T1', '- [ ] T3 Deploy after T2'].join('\n'));
    const waiting = collect(e.orch, 'gate:waiting');
    // Before its dependency is done it is not waiting: approving it is refused, naming what it waits on.
    assert.deepEqual(
      decideGate(e.orch, e.log, 'approved', { gateId: 'T2' }, (t) => t),
      {
        done: false,
        message: 'T2 is not waiting for approval: it is pending, waiting on T1',
      },
    );
    assert.match(e.orch.runTask('T1').reason ?? 'started', /started/);
    await e.orch.idle();
    assert.equal(e.orch.runTask('T2').reason, 'T2 is a checkpoint: no agent runs it, a person approves it');
    e.orch.start();
    await e.orch.idle();
    assert.deepEqual(waiting, [{ taskId: 'T2', kind: 'checkpoint', title: 'Review: the build output after T1' }]);
    assert.deepEqual(e.ran(), ['T1']);
    assert.equal(e.statusOf('T2'), 'blocked');
    // A rejected checkpoint stays waiting; the decision is kept.
    assert.equal(
      decideGate(e.orch, e.log, 'rejected', { gateId: 'T2', note: 'the log has errors' }, (t) => t).message,
      'T2 was rejected and still waits for approval',
    );
    assert.equal(e.statusOf('T2'), 'blocked');
    const deployed = nextEvent(e.orch, 'task:completed', (c) => c.taskId === 'T3');
    assert.equal(decideGate(e.orch, e.log, 'approved', { gateId: 'T2' }, (t) => t).done, true);
    await deployed;
    assert.deepEqual(e.ran(), ['T1', 'T3']);
    assert.deepEqual(
      e.log.recent().map((d) => [d.gateId, d.kind, d.decision]),
      [
        ['T2', 'checkpoint', 'approved'],
        ['T2', 'checkpoint', 'rejected'],
      ],
    );
    assert.ok(e.log.recent()[0].by.length > 0, 'who decided defaults to the OS user');
  });

  it('refuses what is no gate, unknown ids and bad params, naming the problem', () => {
    const e = engine(['- [ ] T1 Build'].join('\n'));
    assert.match(decideGate(e.orch, e.log, 'approved', { gateId: 'T1' }, (t) => t).message, /T1 is not a gate \(write "Gate: review" under it/);
    assert.equal(decideGate(e.orch, e.log, 'approved', { gateId: 'T9' }, (t) => t).message, 'unknown task T9');
    assert.equal(checkGateParams({ gateId: '' }), 'gateId must be a task id, got ""');
    assert.equal(checkGateParams({ gateId: 'T1', note: 'x'.repeat(4001) }), 'note is 4001 characters; at most 4000');
    assert.equal(checkGateParams({ gateId: 'T1', by: 7 }), 'by must be a name of 1..200 characters, got 7');
    assert.equal(e.log.recent().length, 0);
  });
});
