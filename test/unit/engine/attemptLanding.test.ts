// landAttempt: what each landing outcome of an isolated attempt makes of its report (a fake isolation, no git).
import * as assert from 'node:assert/strict';
import type { TaskNode } from '../../../src/core/model';
import type { AttemptReport, StopWhy } from '../../../src/engine/executor';
import type { LandOutcome } from '../../../src/engine/isolation/taskIsolation';
import { landAttempt, type AttemptIsolation } from '../../../src/engine/attemptLanding';

const task = { id: 'T1', title: 'Do it' } as TaskNode;
const ok: AttemptReport = { attemptId: 7, startedAt: 1, endedAt: 2, ok: true };
const redact = (s: string): string => s.replace(/sk-\w+/g, '***');

function isolation(outcome: LandOutcome | Error, files?: string[]): AttemptIsolation & { unqueued: string[] } {
  const unqueued: string[] = [];
  return {
    unqueued,
    cwdFor: () => '/wt/T1',
    prepare: async () => undefined,
    land: async () => {
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    unqueue: (id) => void unqueued.push(id),
    ...(files ? { changedFiles: async () => files } : {}),
    noteFor: () => undefined,
  };
}

function attempt(stop?: StopWhy) {
  return { agentType: 'claude', attempt: 1, controller: new AbortController(), ...(stop ? { stop } : {}) };
}

describe('landAttempt: an isolated attempt is done only once its branch landed', () => {
  it('merged: the report stands, with the files git says the branch changed', async () => {
    const r = await landAttempt(isolation({ kind: 'merged', commit: 'abc', alreadyMerged: false }, ['src/a.ts']), attempt(), task, undefined, ok, redact);
    assert.deepEqual(r, { ...ok, filesChanged: ['src/a.ts'] });
  });

  it('stopped by a shutdown: released, the branch stays queued and lands on the next start', async () => {
    const iso = isolation({ kind: 'stopped' }, ['never asked']);
    const r = await landAttempt(iso, attempt('shutdown'), task, undefined, ok, redact);
    assert.equal(r.ok, false);
    assert.equal(r.stopped, 'shutdown');
    assert.equal(r.filesChanged, undefined, 'a stopped landing asks git nothing');
    assert.match(r.failure!.message, /stopped before the branch of T1 landed; it lands on the next start/);
    assert.deepEqual(iso.unqueued, []);
  });

  it('stopped by a person: the branch is taken out of the queue', async () => {
    const iso = isolation({ kind: 'stopped' });
    const r = await landAttempt(iso, attempt('cancel'), task, undefined, ok, redact);
    assert.equal(r.stopped, 'cancel');
    assert.equal(r.failure!.message, 'stopped before the branch of T1 landed');
    assert.deepEqual(iso.unqueued, ['T1']);
  });

  it('waiting for a person or an agent: the success stands, with why it did not land (redacted)', async () => {
    for (const kind of ['awaiting_review', 'needs_review', 'resolving'] as const) {
      const r = await landAttempt(isolation({ kind, reason: 'conflict near sk-secret1' }), attempt(), task, undefined, ok, redact);
      assert.equal(r.ok, true);
      assert.deepEqual(r.landing, { kind, reason: 'conflict near ***' });
      assert.equal(r.errorKind, kind === 'needs_review' ? 'needs_review' : undefined);
    }
  });

  it('a landing that throws fails the attempt as transient (retried), the error redacted', async () => {
    const r = await landAttempt(isolation(new Error('git: token sk-abc rejected')), attempt(), task, undefined, ok, redact);
    assert.equal(r.ok, false);
    assert.equal(r.errorKind, 'transient');
    assert.equal(r.failure!.message, 'committing or landing the work of T1 failed: git: token *** rejected');
  });
});
