import * as assert from 'node:assert/strict';
import { nextFreeId } from '../../../src/core/ids';
import { idMentionAt } from '../../../src/core/taskLine';
import {
  assignId,
  findDependencyLine,
  findTaskLine,
  idStyleOf,
  linesOf,
  locateTaskLines,
  removeDependency,
  replaceId,
  taskIdOnLine,
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
    assert.deepEqual(idMentionAt(line, 9), { id: 'T001.003', start: 8, end: 16 });
    assert.equal(idMentionAt(line, 36)?.id, 'T001.001');
    assert.equal(idMentionAt(line, 22), undefined);
    // A priority is no id; tracker keys and hash ids are.
    assert.equal(idMentionAt('- [ ] **API-12** Login (P0) see #7', 25), undefined);
    assert.equal(idMentionAt('- [ ] **API-12** Login (P0) see #7', 10)?.id, 'API-12');
    assert.equal(idMentionAt('- [ ] **API-12** Login (P0) see #7', 33)?.id, '#7');
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
    assert.deepEqual(assignId('- [ ] Write docs (P2)', 'T001.015', 'bold'), { kind: 'replace', text: '- [ ] **T001.015** Write docs (P2)' });
    assert.deepEqual(assignId('- [ ] Write docs', 'T015', 'bare'), { kind: 'replace', text: '- [ ] T015 Write docs' });
    assert.deepEqual(assignId('- [ ] Write docs', 'T015', 'backtick'), { kind: 'replace', text: '- [ ] `T015` Write docs' });
    assert.equal(assignId('not a task', 'T1', 'bold'), undefined);
    assert.deepEqual(replaceId('- [ ] **T001.002** Dup', 'T001.002', 'T001.016'), { kind: 'replace', text: '- [ ] **T001.016** Dup' });
  });

  it('picks the next free id in the series, keeping the padding', () => {
    assert.equal(nextFreeId(['T001.001', 'T001.014', 'T002.003'], 'T001.007'), 'T001.015');
    assert.equal(nextFreeId(['T001', 'T002', 'T010']), 'T011');
    assert.equal(nextFreeId([], undefined), 'T001');
  });

  it("reads the file's id style as the engine's writer does", () => {
    assert.equal(idStyleOf(linesOf(['- [ ] **T001.001** A', '- [ ] **T001.002** B'])), 'bold');
    assert.equal(idStyleOf(linesOf(['- [ ] T001 [P] Setup', '- [ ] T002 Build'])), 'bare');
    assert.equal(idStyleOf(linesOf(['# Plan', '- [ ] `T1` A', '- [x] `T2` B', '- [ ] **T3** C'])), 'backtick');
    assert.equal(idStyleOf(linesOf(['- [ ] A', '- [ ] B'])), 'bold', 'no ids yet: bold');
  });

  describe('tasks marked [/] (in progress by hand) and [-] (cancelled), read as the engine reads them', () => {
    const doc = [
      '## E001: Core', // 0
      '- [/] **T001.001** Provision by hand', // 1
      '  - Depends on: T001.002', // 2
      '- [-] **T001.002** Dropped schema', // 3
      '- [/] Typed without an id', // 4
      '1. [-] T001.003 Ordered item after T001.001', // 5
    ];
    it('locates their lines, after lines were typed above them too', () => {
      const tasks = [
        { id: 'T001.001', line: 1 },
        { id: 'T001.002', line: 3 },
        { id: 'T001.004', line: 4 },
        { id: 'T001.003', line: 5 },
      ];
      assert.deepEqual(
        [...locateTaskLines(linesOf(doc), tasks)],
        [
          ['T001.001', 1],
          ['T001.002', 3],
          ['T001.004', 4],
          ['T001.003', 5],
        ],
      );
      const typed = ['a new line', ...doc];
      const m = locateTaskLines(linesOf(typed), tasks);
      assert.equal(m.get('T001.001'), 2);
      assert.equal(m.get('T001.002'), 4);
      assert.equal(m.get('T001.003'), 6);
    });
    it('reads their ids and finds them as the task a sub-bullet belongs to', () => {
      assert.equal(taskIdOnLine(doc[1]), 'T001.001');
      assert.equal(taskIdOnLine(doc[3]), 'T001.002');
      assert.equal(taskIdOnLine(doc[5]), 'T001.003');
      assert.equal(findTaskLine(linesOf(doc), 2), 1);
    });
    it('offers the quick fixes on them', () => {
      assert.deepEqual(assignId(doc[4], 'T001.004', 'bold'), { kind: 'replace', text: '- [/] **T001.004** Typed without an id' });
      assert.deepEqual(replaceId(doc[3], 'T001.002', 'T001.009'), { kind: 'replace', text: '- [-] **T001.009** Dropped schema' });
      assert.deepEqual(removeDependency(doc[5], 'T001.001'), { kind: 'replace', text: '1. [-] T001.003 Ordered item' });
      assert.equal(findDependencyLine(linesOf(doc), 3, 'T001.002'), undefined, 'the own id is no dependency');
      assert.equal(findDependencyLine(linesOf(doc), 1, 'T001.002'), 2);
    });
  });

  it('edits Blocked by: and undecorated Depends on lists the way the engine reads them', () => {
    assert.deepEqual(removeDependency('  - Blocked by: "vendor keys", T3', 'T3'), { kind: 'replace', text: '  - Blocked by: "vendor keys"' });
    assert.deepEqual(removeDependency('  - Depends on T1, T2', 'T1'), { kind: 'replace', text: '  - Depends on T2' });
    assert.deepEqual(removeDependency('  - __Requires:__ T7', 'T7'), { kind: 'delete' });
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
