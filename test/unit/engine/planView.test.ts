import * as assert from 'node:assert/strict';
import { parseTaskList } from '../../../src/core/parser';
import { fileHoldsMoved, groupProgress, groupViews, planCounts, routeView, taskView } from '../../../src/engine/planView';
import { planModel } from './planModel';
import type { RoutingConfig } from '../../../src/core/routing';
import type { TaskRuntime } from '../../../src/engine/ports';

const PLAN = `## E001: Core

### F001.01: Bus

- [ ] **T001.001** Provision the bus (P0)
- [ ] **T001.002** Publisher (P1)

### F001.02: Tenants

- [x] **T001.003** Tenant API (P1)
`;

const runtime = (id: string, status: TaskRuntime['status']): [string, TaskRuntime] => [id, { id, status, retryCount: 0 }];

describe('engine plan view: progress by the one rule of done', () => {
  it('counts a skipped task as done in the feature, the epic, the plan and the change message alike', () => {
    const model = planModel(parseTaskList(PLAN), new Map([runtime('T001.001', 'skipped')]));
    const { epics, features } = groupViews(model);
    assert.deepEqual(
      features.map((f) => [f.id, f.done, f.total]),
      [
        ['F001.01', 1, 2],
        ['F001.02', 1, 1],
      ],
    );
    assert.deepEqual([epics[0].done, epics[0].total], [2, 3]);
    const c = planCounts(model);
    assert.deepEqual([c.done, c.completed, c.skipped, c.total], [2, 1, 1, 3]);
    // What a change of T001.001 sends: its feature and its epic, counted the same way (the tree showed 0/2 here).
    assert.deepEqual(groupProgress(model, ['T001.001', 'unknown']), [
      { kind: 'feature', id: 'F001.01', done: 1, total: 2 },
      { kind: 'epic', id: 'E001', done: 2, total: 3 },
    ]);
  });

  it('recounts a group after a status change in the model', () => {
    const model = planModel(parseTaskList(PLAN), new Map());
    assert.deepEqual(groupProgress(model, ['T001.002'])[0], { kind: 'feature', id: 'F001.01', done: 0, total: 2 });
    model.plan.setStatus('T001.002', 'completed');
    assert.deepEqual(groupProgress(model, ['T001.002'])[0], { kind: 'feature', id: 'F001.01', done: 1, total: 2 });
  });

  it('a ready task naming a file a task in progress names says it waits for it, until that one is no longer in progress', () => {
    const list = parseTaskList(['# Plan', '- [ ] T001 Model in src/models/user.py', '- [ ] T002 Validate src/models/user.py', '- [ ] T003 Docs'].join('\n'));
    const model = planModel(list, new Map([runtime('T001', 'in_progress')]));
    const routing = { agentMappings: {}, priorityOverrides: {}, epicFallbacks: {}, defaultAgent: 'general-purpose' };
    const view = (id: string) => taskView(model, model.plan.byId.get(id)!, routing, undefined);
    assert.equal(view('T002').fileHold, 'waits for T001 (in progress): both name src/models/user.py');
    assert.deepEqual(view('T002').files, ['src/models/user.py']);
    assert.equal(view('T003').files, undefined);
    model.plan.setStatus('T001', 'completed');
    assert.deepEqual(fileHoldsMoved(model, 'T001'), ['T002'], 'the rows to redraw');
    assert.equal(view('T002').fileHold, undefined);
  });

  it('a route decided once is decided again when anything it reads changes: title, feature title, config', () => {
    // Routes are remembered across snapshots (routing 10,000 tasks by keywords on every sync was ~1 s).
    const config: RoutingConfig = {
      agentMappings: { 'devops-engineer': ['deploy'] },
      priorityOverrides: {},
      epicFallbacks: {},
      defaultAgent: 'general-purpose',
    };
    const route = (plan: string, c: RoutingConfig = config) => {
      const model = planModel(parseTaskList(plan), new Map());
      return routeView(model, model.plan.byId.get('T001.002')!, c).agent;
    };
    assert.equal(route(PLAN), 'general-purpose');
    assert.equal(route(PLAN.replace('Publisher', 'Deploy the publisher')), 'devops-engineer', 'the title');
    assert.equal(route(PLAN), 'general-purpose', 'and back');
    assert.equal(route(PLAN.replace('F001.01: Bus', 'F001.01: Deploy')), 'devops-engineer', "the feature's title");
    assert.equal(route(PLAN, { ...config, defaultAgent: 'qa' }), 'qa', 'the default agent');
    assert.equal(route(PLAN, { ...config, agentMappings: { qa: ['publisher'] } }), 'qa', 'another keyword map');
    assert.equal(route(PLAN, { ...config, priorityOverrides: { 'T001.002': 'security' } }), 'security', 'an override');
  });
});
