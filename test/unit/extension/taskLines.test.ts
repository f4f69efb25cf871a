import * as assert from 'node:assert/strict';
import {
  assignId,
  findDependencyLine,
  findTaskLine,
  idAt,
  linesOf,
  locateTaskLines,
  nextFreeId,
  removeDependency,
  replaceId,
  taskIdOnLine,
  usesBoldIds,
} from '../../../src/extension/taskLines';

describe('editor task-line edits', () => {
  describe('locateTaskLines', () => {
    const doc = [
      '## E001: Core',
      '',
      '- [x] **T001.001** Provision (P0, 8h)',
      '- [ ] **T001.002** Schema (P0)',
      '  - Depends on: T001.001',
      '- [ ] Write docs',
    ];
    it('keeps the engine line while it still carries the id', () => {
      const m = locateTaskLines(linesOf(doc), [
        { id: 'T001.001', line: 2 },
        { id: 'T001.002', line: 3 },
      ]);
      assert.deepEqual(
        [...m],
        [
          ['T001.001', 2],
          ['T001.002', 3],
        ],
      );
    });
    it('finds a task by id on its new line after a person inserted lines above it', () => {
      const typed = ['new line', 'another', ...doc];
      const m = locateTaskLines(linesOf(typed), [
        { id: 'T001.001', line: 2 },
        { id: 'T001.002', line: 3 },
      ]);
      assert.equal(m.get('T001.001'), 4);
      assert.equal(m.get('T001.002'), 5);
    });
    it('never places a task on a dependency bullet that names it, and drops tasks that are gone', () => {
      const m = locateTaskLines(linesOf(doc), [
        { id: 'T001.001', line: 4 },
        { id: 'T009.009', line: 1 },
      ]);
      assert.equal(m.get('T001.001'), 2);
      assert.equal(m.has('T009.009'), false);
    });
    it('keeps a provisional-id task on its checkbox line when that line has no id', () => {
      const m = locateTaskLines(linesOf(doc), [{ id: 'T001.003', line: 5 }]);
      assert.equal(m.get('T001.003'), 5);
    });
  });

  it('finds the id under the cursor', () => {
    const line = '- [ ] **T001.003** Publisher after T001.001';
    assert.deepEqual(idAt(line, 9), { id: 'T001.003', start: 8, end: 16 });
    assert.equal(idAt(line, 36)?.id, 'T001.001');
    assert.equal(idAt(line, 22), undefined);
  });

  describe('removeDependency', () => {
    it('removes one id from a Depends on: list', () => {
      assert.deepEqual(removeDependency('  - Depends on: T001.001, T001.002', 'T001.002'), { kind: 'replace', text: '  - Depends on: T001.001' });
      assert.deepEqual(removeDependency('  - Depends on: T001.001, T001.002', 'T001.001'), { kind: 'replace', text: '  - Depends on: T001.002' });
    });
    it('deletes the bullet when it named only that id', () => {
      assert.deepEqual(removeDependency('  - Depends on: T001.001', 'T001.001'), { kind: 'delete' });
      assert.deepEqual(removeDependency('  - **Depends on:** T1', 'T1'), { kind: 'delete' });
    });
    it('removes an implicit "after X" from a title but never the task\'s own id', () => {
      assert.deepEqual(removeDependency('- [ ] **T001.004** Consumer pool after T001.003 (P1, 12h)', 'T001.003'), {
        kind: 'replace',
        text: '- [ ] **T001.004** Consumer pool (P1, 12h)',
      });
      // A self-dependency: the id in the head stays.
      assert.deepEqual(removeDependency('- [ ] **T5** Loop after T5', 'T5'), { kind: 'replace', text: '- [ ] **T5** Loop' });
    });
    it('does not touch ids that merely start with the same text', () => {
      assert.equal(removeDependency('  - Depends on: T001.0031', 'T001.003'), undefined);
      assert.deepEqual(removeDependency('  - Depends on: T001.0031, T001.003', 'T001.003'), { kind: 'replace', text: '  - Depends on: T001.0031' });
    });
  });

  it("assigns an id in the file's style and replaces a duplicate id", () => {
    assert.deepEqual(assignId('- [ ] Write docs (P2)', 'T001.015', true), { kind: 'replace', text: '- [ ] **T001.015** Write docs (P2)' });
    assert.deepEqual(assignId('- [ ] Write docs', 'T015', false), { kind: 'replace', text: '- [ ] T015 Write docs' });
    assert.equal(assignId('not a task', 'T1', true), undefined);
    assert.deepEqual(replaceId('- [ ] **T001.002** Dup', 'T001.002', 'T001.016'), { kind: 'replace', text: '- [ ] **T001.016** Dup' });
  });

  it('picks the next free id in the series, keeping the padding', () => {
    assert.equal(nextFreeId(['T001.001', 'T001.014', 'T002.003'], 'T001.007'), 'T001.015');
    assert.equal(nextFreeId(['T001', 'T002', 'T010']), 'T011');
    assert.equal(nextFreeId([], undefined), 'T001');
  });

  it('tells bold-id files from plain-id (Spec Kit) files', () => {
    assert.equal(usesBoldIds(linesOf(['- [ ] **T001.001** A', '- [ ] **T001.002** B'])), true);
    assert.equal(usesBoldIds(linesOf(['- [ ] T001 [P] Setup', '- [ ] T002 Build'])), false);
  });

  describe('finding the line a quick fix edits', () => {
    const doc = linesOf([
      '### F001.01: Messaging', // 0
      '- [ ] **T001.003** Publisher (P0)', // 1
      '  - Depends on: T001.001, T001.004', // 2
      '  - Verify: npm test', // 3
      '- [ ] **T001.004** Consumer after T001.003', // 4
      '## E002: Runtime', // 5
      '- [ ] Untitled task', // 6
    ]);
    it('reads the id at the start of a task line', () => {
      assert.equal(taskIdOnLine(doc.lineAt(1)), 'T001.003');
      assert.equal(taskIdOnLine(doc.lineAt(6)), undefined);
      assert.equal(taskIdOnLine('- [ ] T012 [P] Setup'), 'T012');
    });
    it('finds the task a sub-bullet belongs to, never across a heading', () => {
      assert.equal(findTaskLine(doc, 3), 1);
      assert.equal(findTaskLine(doc, 4), 4);
      assert.equal(findTaskLine(doc, 0), undefined);
    });
    it("finds the dependency on the diagnostic line, or among the task's sub-bullets when the line moved", () => {
      assert.equal(findDependencyLine(doc, 2, 'T001.004'), 2);
      assert.equal(findDependencyLine(doc, 3, 'T001.004'), 2, 'stale line: searched from the task');
      assert.equal(findDependencyLine(doc, 4, 'T001.003'), 4, 'implicit dependency on the task line');
      assert.equal(findDependencyLine(doc, 1, 'T009.009'), undefined);
    });
  });
});
