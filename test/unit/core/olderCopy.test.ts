import * as assert from 'node:assert/strict';
import { OLDER_COPY_MIN_REVERTS, olderCopyMissing, olderCopyReverts, putBackTaskLines, type WrittenOutcome } from '../../../src/core/olderCopy';

/** Tasks completed at 1, 2, 3… (ms), the ones named in `unticked` unticked by the write. */
const completions = (n: number, unticked: number[]): WrittenOutcome[] =>
  Array.from({ length: n }, (_, i) => ({ id: `T${i + 1}`, at: i + 1, reverted: unticked.includes(i + 1) }));

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
    const tied: WrittenOutcome[] = [
      { id: 'A', at: 10, reverted: false },
      { id: 'B', at: 10, reverted: true },
      { id: 'C', at: 10, reverted: true },
    ];
    assert.deepEqual(olderCopyReverts(tied), []);
  });

  it('a completion of unknown time is never kept and never marks', () => {
    const c: WrittenOutcome[] = [
      { id: 'A', at: undefined, reverted: false },
      { id: 'B', at: 2, reverted: true },
      { id: 'C', at: undefined, reverted: true },
      { id: 'D', at: 3, reverted: true },
    ];
    assert.deepEqual(olderCopyReverts(c), ['B', 'D']);
    assert.deepEqual(olderCopyReverts([c[1], c[2]]), [], 'one known revert is not enough');
  });

  it('nothing unticked, nothing completed: nothing', () => {
    assert.deepEqual(olderCopyReverts(completions(3, [])), []);
    assert.deepEqual(olderCopyReverts([]), []);
  });

  // #14: an older copy also drops the `failed` badges the engine wrote after it was read (the tasks ran again).
  it('failed badges are outcomes like ticks: reverted together with ticks, or two of them, they mark an older copy', () => {
    // T1, T2 completed and still ticked; T3 failed at 3 and T4 completed at 4, both reverted by the write.
    const mixed: WrittenOutcome[] = [...completions(2, []), { id: 'T3', at: 3, reverted: true }, { id: 'T4', at: 4, reverted: true }];
    assert.deepEqual(olderCopyReverts(mixed), ['T3', 'T4']);
    const twoFailed: WrittenOutcome[] = [
      { id: 'F1', at: 5, reverted: true },
      { id: 'F2', at: 6, reverted: true },
      { id: 'C1', at: 4, reverted: false },
    ];
    assert.deepEqual(olderCopyReverts(twoFailed), ['F1', 'F2']);
    assert.deepEqual(olderCopyReverts([twoFailed[0], twoFailed[2]]), [], 'one badge cleared on its own is a person retrying it');
    assert.deepEqual(olderCopyReverts([...twoFailed, { id: 'C2', at: 7, reverted: false }]), [], 'a newer outcome still shown: deliberate');
  });

  it('an older copy: the tasks it lacks added after the newest outcome it still shows are put back', () => {
    const outcomes = completions(4, [3, 4]); // the copy was read after T2's tick (at 2), before T3's (at 3)
    const missing = [
      { id: 'N1', addedAt: 1 }, // in the file when the copy was read: removed on purpose, archived
      { id: 'N2', addedAt: 2.5 }, // after T2's tick: the copy may predate it
      { id: 'N3', addedAt: 9 }, // after every outcome
      { id: 'N4', addedAt: undefined }, // age unknown: the ordinary rule
    ];
    assert.deepEqual(olderCopyMissing(outcomes, missing), ['N2', 'N3']);
    assert.deepEqual(olderCopyMissing(completions(4, [4]), missing), [], 'not an older copy: removed lines are archived as ever');
    assert.deepEqual(olderCopyMissing(completions(2, [1, 2]), missing), ['N1', 'N2', 'N3'], 'a copy older than every outcome');
  });

  it('putBackTaskLines: each task with the lines under it, as written, after the task before it, else before the one after it, else at the end', () => {
    const prev = ['# P', '- [ ] **A** a', '- [ ] **N** new\r', '  - Depends on: A', '  - [ ] **M** nested', '- [ ] **B** b', '- [ ] **Z** last', ''].join('\n');
    const place = (text: string): { id: string; line: number }[] =>
      text.split('\n').flatMap((l, line) => {
        const m = /\*\*(\w+)\*\*/.exec(l);
        return m ? [{ id: m[1], line }] : [];
      });
    const copy = ['# P', '- [ ] **A** a', '- [ ] **B** b', 'their note', ''].join('\n');
    assert.equal(
      putBackTaskLines(prev, place(prev), copy, place(copy), ['N', 'M', 'Z']),
      ['# P', '- [ ] **A** a', '- [ ] **N** new\r', '  - Depends on: A', '  - [ ] **M** nested', '- [ ] **B** b', '- [ ] **Z** last', 'their note', ''].join(
        '\n',
      ),
      'the nested task comes with its parent; Z goes after B (its block ends at the unindented note)',
    );
    const noA = ['# P', '- [ ] **B** b', ''].join('\n');
    assert.equal(putBackTaskLines(prev, place(prev), noA, place(noA), ['A']), ['# P', '- [ ] **A** a', '- [ ] **B** b', ''].join('\n'), 'before the next one');
    const none = ['# P', 'text', ''].join('\n');
    assert.equal(putBackTaskLines(prev, place(prev), none, [], ['Z']), ['# P', 'text', '- [ ] **Z** last', ''].join('\n'), 'at the end');
  });
});
