// stallReport: why a running plan cannot finish, in words (pure; no agents run).
import * as assert from 'node:assert/strict';
import type { StallView } from '../../../src/protocol/views';
import { laneStalls, stallMessage } from '../../../src/engine/stallReport';

describe('stallReport: why a running plan cannot finish', () => {
  it('names each agent type limited to 0 and each budget hold, with the ready tasks each holds in dispatch order', () => {
    const types: Record<string, string> = { T1: 'claude', T2: 'codex', T3: 'claude', T4: 'gemini' };
    const stalls = laneStalls({
      ordered: ['T1', 'T2', 'T3', 'T4'],
      typeOf: (id) => types[id],
      maxPerType: { claude: 0, codex: 2 },
      taskHold: (id) => (id === 'T2' || id === 'T4' ? 'epic E1 budget $5.00 reached' : undefined),
    });
    assert.deepEqual(stalls, [
      { reason: 'limit', root: 'claude', text: 'agent type claude may not run (agent_limits.max_per_type is 0)', holds: ['T1', 'T3'] },
      { reason: 'limit', root: 'budget', text: 'epic E1 budget $5.00 reached', holds: ['T2', 'T4'] },
    ]);
    assert.deepEqual(laneStalls({ ordered: ['T1'], typeOf: () => 'codex', maxPerType: {} }), [], 'no limit, no budgets: nothing held');
  });

  it('says each stall with its count, the failed tasks no stall names, and tasks in progress elsewhere', () => {
    const stalls: StallView[] = [{ reason: 'failed-dependency', root: 'T1', text: 'T1 failed', holds: ['T2', 'T3'] }];
    assert.equal(
      stallMessage(stalls, ['T1', 'T9'], ['T7'], 4),
      'stalled: nothing can start and 4 tasks are not done — T1 failed (holds 2 tasks); 1 failed task (T9); 1 task in progress with no agent running here (T7); a person must act',
    );
  });

  it('lists at most five failed tasks, and says one task in the singular', () => {
    const failed = ['T1', 'T2', 'T3', 'T4', 'T5', 'T6'];
    assert.equal(
      stallMessage([], failed, [], 1),
      'stalled: nothing can start and 1 task is not done — 6 failed tasks (T1, T2, T3, T4, T5, …); a person must act',
    );
  });
});
