// agentTaskInput: the facts one attempt's agent is told (pure; no agent runs).
import * as assert from 'node:assert/strict';
import { parseTaskList } from '../../../src/core/parser';
import type { TaskStatus } from '../../../src/core/model';
import type { AttemptView } from '../../../src/protocol/engineProtocol';
import { PlanState } from '../../../src/engine/planState';
import { agentTaskInput } from '../../../src/engine/taskInput';

const PLAN = [
  '## E001: Communication (P1)',
  '',
  '### F001.01: Bus',
  '',
  '- [x] **T1** Deploy the message bus',
  '- [ ] **T2** Write the schema',
  '- [ ] **T3** Implement the queue manager after deploying the bus (T1) and once the schema from T2 is merged; see T4',
  '- [x] **T4** Notes',
  '',
].join('\n');

function plan(statuses: Record<string, TaskStatus> = {}): PlanState {
  return new PlanState(parseTaskList(PLAN), new Map(Object.entries(statuses)));
}

const attempt = (over: Partial<AttemptView>): AttemptView => ({ attempt: 1, agent: 'claude', outcome: 'failed', startedAt: '', ...over }) as AttemptView;

describe('agentTaskInput: what an attempt is told about its task', () => {
  it('places the task in its epic and feature, inherits the priority, and hands on only completed blocking dependencies', () => {
    const p = plan();
    const input = agentTaskInput(p, p.byId.get('T3')!, { agentType: 'claude', attempt: 1, cwd: '/w', summaryOf: (id) => `summary of ${id}`, attempts: [] });
    assert.deepEqual(
      { id: input.id, epic: input.epic, feature: input.feature, priority: input.priority, cwd: input.cwd, attempt: input.attempt },
      { id: 'T3', epic: { id: 'E001', title: 'Communication' }, feature: { id: 'F001.01', title: 'Bus' }, priority: 'P1', cwd: '/w', attempt: 1 },
    );
    // T2 is not done yet; T4 is done but only mentioned ("see"): neither is handed on.
    assert.deepEqual(input.dependencies, [{ id: 'T1', title: 'Deploy the message bus', resultSummary: 'summary of T1' }]);
    assert.equal(input.previousError, undefined);
    assert.equal(input.resume, undefined);
  });

  it("tells a retry why the last attempt failed and which session to resume; a person's note replaces the error", () => {
    const p = plan({ T2: 'completed' });
    const attempts = [attempt({ attempt: 2, error: 'tests failed', sessionId: 's-2' }), attempt({ attempt: 1, error: 'timeout' })];
    const base = { agentType: 'claude', attempt: 3, cwd: '/w', summaryOf: () => undefined, attempts };
    const retry = agentTaskInput(p, p.byId.get('T3')!, base);
    assert.equal(retry.previousError, 'tests failed');
    assert.equal(retry.resume?.sessionId, 's-2');
    assert.deepEqual(
      retry.dependencies.map((d) => d.id),
      ['T1', 'T2'],
    );
    const noted = agentTaskInput(p, p.byId.get('T3')!, { ...base, note: 'rejected: keep the old API' });
    assert.equal(noted.previousError, 'rejected: keep the old API');
    assert.equal(noted.resume?.sessionId, 's-2', 'the session is still resumed');
  });
});
