import * as assert from 'node:assert/strict';
import { parseTaskList } from '../../../src/core/parser';
import { buildPlanModel, groupProgress, groupViews, planCounts } from '../../../src/engine/planView';
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
    const model = buildPlanModel(parseTaskList(PLAN), new Map([runtime('T001.001', 'skipped')]));
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
    const model = buildPlanModel(parseTaskList(PLAN), new Map());
    assert.deepEqual(groupProgress(model, ['T001.002'])[0], { kind: 'feature', id: 'F001.01', done: 0, total: 2 });
    model.statuses.set('T001.002', 'completed');
    assert.deepEqual(groupProgress(model, ['T001.002'])[0], { kind: 'feature', id: 'F001.01', done: 1, total: 2 });
  });
});
