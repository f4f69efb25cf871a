import * as assert from 'node:assert/strict';
import { emptyPlanCounts, type PlanCounts } from '../../../src/protocol/views';
import { whyNothingRuns } from '../../../webview-ui/panels/agents';
import type { DashboardModel } from '../../../webview-ui/state';
import { task } from './dashboardFixture';

const counts = (over: Partial<PlanCounts>): PlanCounts => ({ ...emptyPlanCounts(), total: 10, ...over });
const model = (over: Partial<Pick<DashboardModel, 'readOnly' | 'state' | 'counts' | 'tasks'>>) => ({
  readOnly: false,
  state: 'idle' as const,
  counts: counts({}),
  tasks: new Map(),
  ...over,
});

describe('dashboard: why no agent runs', () => {
  it('names the state orchestration is in and what the plan waits for', () => {
    assert.equal(whyNothingRuns(model({ counts: counts({ pending: 4, ready: 2 }) })), 'Orchestration is not started: 2 tasks are ready. Start runs them.');
    assert.equal(
      whyNothingRuns(model({ state: 'paused', counts: counts({ pending: 4, ready: 1 }) })),
      'Paused: no task starts until you resume (1 task is ready).',
    );
    assert.equal(whyNothingRuns(model({ state: 'running', counts: counts({ pending: 4, ready: 0 }) })), 'No task is ready: 4 wait for dependencies to finish.');
    assert.equal(
      whyNothingRuns(model({ state: 'running', counts: counts({ failed: 2, done: 8 }) })),
      'No task is ready: the rest failed; retry them to go on.',
    );
    assert.equal(whyNothingRuns(model({ state: 'running', counts: counts({ done: 10 }) })), 'Nothing to run: every task is done.');
    assert.equal(
      whyNothingRuns(model({ readOnly: true, counts: counts({ ready: 3 }) })),
      'No agent runs in Restricted Mode: trust this workspace to run tasks.',
    );
  });

  it('says what holds a stalled plan, from the tasks the engine marked blocked', () => {
    const held = task('T2', { blocked: { reason: 'failed-dependency', root: 'T1', cause: 'T1 failed', text: 'waits on T1: T1 failed', via: 'T1' } });
    assert.equal(
      whyNothingRuns(model({ state: 'stalled', counts: counts({ blocked: 1, failed: 1 }), tasks: new Map([['T2', held]]) })),
      'Stalled: nothing can start until a person acts (T1 failed).',
    );
  });
});
