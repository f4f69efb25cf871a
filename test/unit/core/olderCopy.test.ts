import * as assert from 'node:assert/strict';
import { OLDER_COPY_MIN_REVERTS, olderCopyReverts, type TickedCompletion } from '../../../src/core/olderCopy';

/** Tasks completed at 1, 2, 3… (ms), the ones named in `unticked` unticked by the write. */
const completions = (n: number, unticked: number[]): TickedCompletion[] =>
  Array.from({ length: n }, (_, i) => ({ id: `T${i + 1}`, completedAt: i + 1, unticked: unticked.includes(i + 1) }));

describe('olderCopy: telling an older copy of the file from a person unticking tasks', () => {
  it('every completion after the newest one still ticked, unticked together (two or more): an older copy', () => {
    assert.deepEqual(olderCopyReverts(completions(5, [4, 5])), ['T4', 'T5']);
    assert.deepEqual(olderCopyReverts(completions(5, [1, 2, 3, 4, 5])), ['T1', 'T2', 'T3', 'T4', 'T5']);
  });

  it('one untick is a person running a task again, the newest included', () => {
    assert.equal(OLDER_COPY_MIN_REVERTS, 2);
    assert.deepEqual(olderCopyReverts(completions(5, [5])), []);
    assert.deepEqual(olderCopyReverts(completions(5, [2])), []);
  });

  it('unticks that leave a newer completion ticked are deliberate, all of them', () => {
    assert.deepEqual(olderCopyReverts(completions(5, [2, 3])), []);
    assert.deepEqual(olderCopyReverts(completions(5, [1, 5])), [], 'T5 alone is newer than T4, which stays ticked');
  });

  it('with deliberate unticks of older tasks in the same write, only the reverted newest ones are kept', () => {
    assert.deepEqual(olderCopyReverts(completions(6, [2, 5, 6])), ['T5', 'T6']);
  });

  it('order of the input does not matter; ties with a ticked task are not newer than it', () => {
    const c = completions(4, [3, 4]).reverse();
    assert.deepEqual(olderCopyReverts(c), ['T4', 'T3']);
    const tied: TickedCompletion[] = [
      { id: 'A', completedAt: 10, unticked: false },
      { id: 'B', completedAt: 10, unticked: true },
      { id: 'C', completedAt: 10, unticked: true },
    ];
    assert.deepEqual(olderCopyReverts(tied), []);
  });

  it('a completion of unknown time is never kept and never marks', () => {
    const c: TickedCompletion[] = [
      { id: 'A', completedAt: undefined, unticked: false },
      { id: 'B', completedAt: 2, unticked: true },
      { id: 'C', completedAt: undefined, unticked: true },
      { id: 'D', completedAt: 3, unticked: true },
    ];
    assert.deepEqual(olderCopyReverts(c), ['B', 'D']);
    assert.deepEqual(olderCopyReverts([c[1], c[2]]), [], 'one known revert is not enough');
  });

  it('nothing unticked, nothing completed: nothing', () => {
    assert.deepEqual(olderCopyReverts(completions(3, [])), []);
    assert.deepEqual(olderCopyReverts([]), []);
  });
});
