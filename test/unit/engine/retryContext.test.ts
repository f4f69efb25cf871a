import { strict as assert } from 'node:assert';
import type { AttemptView } from '../../../src/protocol/engineProtocol';
import { MAX_PREVIOUS_ERROR_CHARS, retryContext } from '../../../src/engine/retryContext';

const attempt = (n: number, over: Partial<AttemptView>): AttemptView => ({
  attempt: n,
  agent: 'backend-development',
  outcome: 'failed',
  startedAt: '',
  ...over,
});

describe('retryContext (what a retry is told)', () => {
  it('resumes the newest session of the same agent type, with what that session cost across its attempts', () => {
    const newestFirst = [
      attempt(3, { sessionId: 's2', costUsd: 0.5, error: 'Verify `npm test` exited 1' }),
      attempt(2, { sessionId: 's2', costUsd: 0.25 }),
      attempt(1, { sessionId: 's1', costUsd: 1 }),
    ];
    assert.deepEqual(retryContext(newestFirst, 'backend-development'), {
      previousError: 'Verify `npm test` exited 1',
      resume: { sessionId: 's2', priorCostUsd: 0.75 },
    });
  });

  it('does not resume another agent type’s session, nor one with no recorded cost as if it were free', () => {
    assert.deepEqual(retryContext([attempt(1, { agent: 'devops-engineer', sessionId: 's1' })], 'backend-development'), {});
    assert.deepEqual(retryContext([attempt(1, { sessionId: 's1' })], 'backend-development'), { resume: { sessionId: 's1' } });
  });

  it('skips a running attempt for the previous error and caps a long one', () => {
    const long = 'x'.repeat(MAX_PREVIOUS_ERROR_CHARS + 50);
    const r = retryContext([attempt(3, { outcome: 'running', error: 'no' }), attempt(2, { error: long })], 'backend-development');
    assert.equal(r.previousError, 'x'.repeat(MAX_PREVIOUS_ERROR_CHARS) + '…');
  });
});
