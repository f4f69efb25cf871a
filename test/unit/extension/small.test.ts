import * as assert from 'node:assert/strict';
import { rankTasklistCandidates } from '../../../src/extension/tasklistRank';
import { TypedEmitter } from '../../../src/core/typedEmitter';

describe('editor helpers: task-list ranking and the typed emitter', () => {
  it('prefers *TASKLIST*.md, then Spec Kit tasks.md, then the shallowest path', () => {
    assert.deepEqual(rankTasklistCandidates(['specs/001-webhooks/tasks.md', 'docs/PROJECT-TASKLIST.md', 'PROJECT-TASKLIST.md', 'tasks.md']), [
      'PROJECT-TASKLIST.md',
      'docs/PROJECT-TASKLIST.md',
      'tasks.md',
      'specs/001-webhooks/tasks.md',
    ]);
  });

  it('delivers events in subscription order, survives a throwing listener and unsubscribes', () => {
    const errors: unknown[] = [];
    const e = new TypedEmitter<{ 'task:done': string }>((err) => errors.push(err));
    const got: string[] = [];
    e.on('task:done', () => {
      throw new Error('boom');
    });
    const off = e.on('task:done', (id) => got.push(id));
    e.emit('task:done', 'T1');
    off();
    e.emit('task:done', 'T2');
    assert.deepEqual(got, ['T1']);
    assert.equal(errors.length, 2);
  });
});
