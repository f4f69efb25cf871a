// pause_after (docs/costs-and-gates.md#pause-after): the bookkeeping on its own, then on the real parts — a task list
// parsed from markdown, a real SQLite file, the TaskStore, the orchestrator and the spend controls it obeys. Nothing is
// timed: each test waits for the idle state that proves its point.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { parseTaskList } from '../../../src/core/parser';
import type { Agent, AgentTaskInput } from '../../../src/engine/agents/agent';
import { parseConfig, type PauseAfterConfig } from '../../../src/engine/config';
import { openDatabase } from '../../../src/engine/db/database';
import { TaskStore } from '../../../src/engine/db/taskStore';
import { Orchestrator } from '../../../src/engine/orchestrator';
import { featureDone } from '../../../src/engine/planView';
import { planModel } from '../engine/planModel';
import { createRedactor } from '../../../src/engine/redact';
import { PauseAfter } from '../../../src/engine/spend/pauseAfter';
import { SpendControl } from '../../../src/engine/spend/spendControl';
import { pauseHint } from '../../../src/protocol/spend';
import { engineDir, insertPlan } from '../engine/orchestratorKit';

describe('pause_after', () => {
  describe('the bookkeeping', () => {
    function keeper(config: PauseAfterConfig, features: Record<string, string[]> = {}, spent: Record<string, number> = {}) {
      const featureOfTask = new Map(Object.entries(features).flatMap(([f, ids]) => ids.map((id) => [id, f] as const)));
      const done = new Set<string>();
      const p = new PauseAfter({
        config: () => config,
        featureOf: (id) => (featureOfTask.has(id) ? { id: featureOfTask.get(id)!, title: 'Auth' } : undefined),
        featureDone: (f, alsoDone) => features[f].every((id) => done.has(id) || alsoDone.has(id)),
        spentUsd: (ids) => {
          const usd = ids.reduce((s, id) => s + (spent[id] ?? 0), 0);
          return usd > 0 ? usd : undefined;
        },
      });
      return { p, done };
    }

    it('names the files the completed tasks changed, when they said; none said: no files in the summary', () => {
      const { p } = keeper({ tasks: 2, feature: false });
      p.taskCompleted('T1', ['src/a.ts', 'docs/a.md']);
      p.taskCompleted('T2', ['src/a.ts', 'src/b.ts']);
      assert.equal(p.hold(), 'pause_after: 2 tasks completed since the last look; done: T1, T2; changed src/a.ts, docs/a.md, src/b.ts; 0 failed');
      p.acknowledge();
      p.taskCompleted('T3');
      p.taskCompleted('T4', []);
      assert.equal(p.hold(), 'pause_after: 2 tasks completed since the last look; done: T3, T4; changed no file; 0 failed');
      p.acknowledge();
      p.taskCompleted('T5');
      p.taskCompleted('T6');
      assert.equal(p.hold(), 'pause_after: 2 tasks completed since the last look; done: T5, T6; 0 failed', 'files from before the look are gone');
    });

    it('holds after N completions with what was done, failed and spent; resuming counts from nothing', () => {
      const { p } = keeper({ tasks: 2, feature: false }, {}, { T1: 0.25, T2: 0.5, T9: 0.01 });
      p.taskCompleted('T1');
      p.taskFailed('T9');
      assert.equal(p.hold(), undefined, 'one completion of two: no hold, and a failure never holds by itself');
      p.taskCompleted('T2');
      assert.equal(p.hold(), 'pause_after: 2 tasks completed since the last look; done: T1, T2; 1 failed (T9); $0.76 spent');
      p.taskCompleted('T3');
      assert.match(p.hold()!, /^pause_after: 2 tasks completed/, 'a task that was running when it held does not reword the reason');
      p.acknowledge();
      assert.equal(p.hold(), undefined);
      p.taskCompleted('T4');
      assert.equal(p.hold(), undefined, 'counting starts again after the look');
      p.taskCompleted('T5');
      assert.equal(p.hold(), 'pause_after: 2 tasks completed since the last look; done: T4, T5; 0 failed');
    });

    it('holds when the feature of a completion is finished, counting that task done before the statuses show it', () => {
      const { p, done } = keeper({ feature: true }, { 'F1.01': ['T1', 'T2'], 'F1.02': ['T3'] });
      p.taskCompleted('T1');
      assert.equal(p.hold(), undefined, 'T2 of the same feature is not done yet');
      done.add('T1');
      p.taskCompleted('T2');
      assert.equal(p.hold(), 'pause_after: feature F1.01 Auth finished; done: T1, T2; 0 failed');
    });

    it('a config that no longer asks for it lifts the hold', () => {
      const config: PauseAfterConfig = { tasks: 1, feature: false };
      const { p } = keeper(config);
      p.taskCompleted('T1');
      assert.ok(p.hold());
      delete config.tasks;
      assert.equal(p.hold(), undefined);
    });

    it('tells a person how to go on: a look, then resume; a budget is raised', () => {
      assert.equal(pauseHint('pause_after: 2 tasks completed since the last look; done: T1, T2; 0 failed', 'cli'), 'look, then `coditect resume` to go on');
      assert.equal(pauseHint('day budget $10.00 reached', 'editor'), 'Raise the budget in the config, or Resume to go on.');
    });
  });

  describe('with the orchestrator on a real database', () => {
    const kit = engineDir('coditect-pause-after-');

    class RecordingAgent implements Agent {
      readonly name = 'recording';
      readonly provider = 'recording';
      readonly ran: string[] = [];
      run(task: AgentTaskInput) {
        this.ran.push(task.id);
        return Promise.resolve({ summary: `did ${task.id}` });
      }
    }

    function engine(md: string, pauseAfter: PauseAfterConfig) {
      const list = parseTaskList(md);
      assert.deepEqual(list.diagnostics, []);
      const handle = (kit.handle = openDatabase(path.join(kit.dir, 'context.db')));
      insertPlan(handle, list);
      const store = new TaskStore(handle);
      const spend = new SpendControl({
        db: handle.db,
        epicOf: (id) => list.tasks.find((t) => t.id === id)?.epicId,
        pauseAfter: () => pauseAfter,
        featureOf: (id) => {
          const f = list.features.find((x) => x.id === list.tasks.find((t) => t.id === id)?.featureId);
          return f && { id: f.id, title: f.title };
        },
        featureDone: (fid, alsoDone) => featureDone(planModel(list, store.runtimes()), fid, alsoDone),
      });
      const agent = new RecordingAgent();
      const o = new Orchestrator({
        store,
        config: parseConfig({ max_concurrent_agents: 1 }, 'test', { env: {} }),
        agentFor: () => agent,
        owner: 'engine-test',
        cwd: kit.dir,
        env: { PATH: process.env.PATH },
        redact: createRedactor([]),
        limits: spend.limits,
      });
      o.setPlan(list);
      kit.orch = o;
      kit.detach = spend.attach(o);
      return { orch: o, agent, spend };
    }

    const PLAN = [
      '# Plan',
      '## E001: Core',
      '### F001.01: Auth',
      '- [ ] **T001.001** Login form (P0)',
      '- [ ] **T001.002** Session store (P0)',
      '### F001.02: Billing',
      '- [ ] **T001.003** Invoices (P1)',
      '- [ ] **T001.004** Refunds (P1)',
    ].join('\n');

    it('pauses dispatch after every N completions, until a person resumes', async () => {
      const e = engine(PLAN, { tasks: 3, feature: false });
      e.orch.start();
      await e.orch.idle();
      assert.equal(e.orch.state(), 'paused');
      assert.deepEqual(e.agent.ran, ['T001.001', 'T001.002', 'T001.003']);
      assert.match(e.orch.pauseReason()!, /^pause_after: 3 tasks completed since the last look; done: T001\.001, T001\.002, T001\.003; 0 failed/);
      // A change of limits (a raised budget) does not end a pause that waits for a person.
      e.orch.limitsChanged();
      assert.equal(e.orch.state(), 'paused');
      e.spend.acknowledge();
      e.orch.resume();
      await e.orch.idle();
      assert.deepEqual(e.agent.ran, ['T001.001', 'T001.002', 'T001.003', 'T001.004']);
      assert.notEqual(e.orch.state(), 'paused', 'one more completion after the look is not three');
    });

    it('pauses at each finished feature', async () => {
      const e = engine(PLAN, { feature: true });
      e.orch.start();
      await e.orch.idle();
      assert.equal(e.orch.state(), 'paused');
      assert.deepEqual(e.agent.ran, ['T001.001', 'T001.002']);
      assert.match(e.orch.pauseReason()!, /^pause_after: feature F001\.01 Auth finished; done: T001\.001, T001\.002/);
      e.spend.acknowledge();
      e.orch.resume();
      await e.orch.idle();
      assert.deepEqual(e.agent.ran.slice(2), ['T001.003', 'T001.004']);
      assert.match(e.orch.pauseReason() ?? '', /^pause_after: feature F001\.02 Billing finished/);
    });
  });
});
