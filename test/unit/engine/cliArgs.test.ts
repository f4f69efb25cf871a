// `coditect review …` argument parsing: the action, the task id with or without a task list, --note only with verdicts.
import { strict as assert } from 'node:assert';
import { parseCli, UsageError } from '../../../src/engine/cli/args';

describe('cli args: review', () => {
  it('takes the task list when given, the task id last', () => {
    assert.deepEqual(pick(parseCli(['review', 'show', 'PLAN.md', 'T001'])), { positionals: ['PLAN.md'], review: { action: 'show', taskId: 'T001' } });
    assert.deepEqual(pick(parseCli(['review', 'accept', 'T001'])), { positionals: [], review: { action: 'accept', taskId: 'T001' } });
    assert.deepEqual(pick(parseCli(['review', 'list'])), { positionals: [], review: { action: 'list' } });
    assert.deepEqual(pick(parseCli(['review', 'list', 'PLAN.md'])), { positionals: ['PLAN.md'], review: { action: 'list' } });
    assert.equal(parseCli(['review', 'reject', 'T001', '--note', 'use the helper']).note, 'use the helper');
  });

  it('names what is wrong', () => {
    assert.throws(
      () => parseCli(['review', 'merge', 'T001']),
      (e: unknown) => e instanceof UsageError && /review needs one of list, show, accept, reject, retry, resolve, got 'merge'/.test(e.message),
    );
    assert.throws(() => parseCli(['review', 'accept']), /review accept needs a task id/);
    assert.throws(() => parseCli(['review', 'show', 'A.md', 'T1', 'T2']), /review show needs a task id/);
    assert.throws(() => parseCli(['review', 'list', 'A.md', 'B.md']), /review list takes at most a task list, got 'A.md B.md'/);
    assert.throws(
      () => parseCli(['review', 'accept', 'T001', '--note', 'x']),
      /--note goes with approve, reject, review reject, review retry or review resolve/,
    );
    assert.throws(() => parseCli(['status', 'PLAN.md', '--note', 'x']), /--note goes with approve, reject, review reject, review retry or review resolve/);
  });
});

function pick(o: ReturnType<typeof parseCli>): { positionals: string[]; review: unknown } {
  return { positionals: o.positionals, review: o.review };
}
