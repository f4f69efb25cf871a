import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { missingIdEdits } from '../../../src/core/ids';
import type { TaskStatus } from '../../../src/core/model';
import { parseTaskList } from '../../../src/core/parser';
import { splitLines } from '../../../src/core/textLines';
import { applyLineEdits, planTaskEdits, withStatus, type TaskEdit } from '../../../src/core/writer';

const examples = join(__dirname, '..', '..', '..', 'resources', 'examples');

/** Plans and applies edits; asserts nothing went stale or unknown. */
function write(text: string, edits: TaskEdit[]): string {
  const plan = planTaskEdits(text, parseTaskList(text), edits);
  assert.deepEqual(plan.unknown, []);
  const out = applyLineEdits(text, plan.lineEdits);
  assert.deepEqual(out.stale, []);
  return out.text;
}

/** Indices of the lines (with their endings) that differ. */
function changedLines(a: string, b: string): number[] {
  const x = splitLines(a);
  const y = splitLines(b);
  assert.equal(x.lines.length, y.lines.length, 'same number of lines');
  const out: number[] = [];
  for (let i = 0; i < x.lines.length; i++) if (x.lines[i] !== y.lines[i] || x.ends[i] !== y.ends[i]) out.push(i);
  return out;
}

describe('writer', () => {
  describe('status edits', () => {
    const line = '- [ ] **T1** Deploy the bus (P0, 16h)';
    const cases: [TaskStatus, string][] = [
      ['pending', line],
      ['completed', '- [x] **T1** Deploy the bus (P0, 16h)'],
      ['in_progress', '- [ ] **T1** Deploy the bus (P0, 16h) `status:in_progress`'],
      ['blocked', '- [ ] **T1** Deploy the bus (P0, 16h) `status:blocked`'],
      ['failed', '- [ ] **T1** Deploy the bus (P0, 16h) `status:failed`'],
      ['timeout', '- [ ] **T1** Deploy the bus (P0, 16h) `status:timeout`'],
      ['cancelled', '- [ ] **T1** Deploy the bus (P0, 16h) `status:cancelled`'],
      ['skipped', '- [x] **T1** Deploy the bus (P0, 16h) `status:skipped`'],
    ];
    for (const [status, expected] of cases) {
      it(`writes ${status} as "${expected.slice(6)}", reads it back, and returns to pending byte for byte`, () => {
        const text = `## E001: X\n${line}\n`;
        const out = write(text, [{ taskId: 'T1', status }]);
        assert.equal(out, `## E001: X\n${expected}\n`);
        const t = parseTaskList(out).tasks[0];
        assert.equal(t.status, status);
        assert.equal(t.title, 'Deploy the bus');
        assert.equal(t.priority, 'P0');
        assert.equal(write(out, [{ taskId: 'T1', status: 'pending' }]), text);
      });
    }

    it('changes only that line: CRLF, trailing spaces, tabs, unicode and other lines stay byte-identical', () => {
      const text =
        '# Plän ☕\r\n\r\n## E001: Ünïcode\r\n- [ ] **T1** café 𝄞 task (P1, 2h)   \r\n- [ ] **T2** 日本語 task\t\r\nprose with trailing space \n| a | b |\r\n```\r\n- [ ] T1 in code\r\n```\r\n- [x] **T3** done';
      const out = write(text, [{ taskId: 'T1', status: 'failed' }]);
      assert.deepEqual(changedLines(text, out), [3]);
      assert.equal(splitLines(out).lines[3], '- [ ] **T1** café 𝄞 task (P1, 2h) `status:failed`   ');
      const done = write(text, [{ taskId: 'T3', status: 'completed' }]);
      assert.equal(done, text, 'already completed: nothing to write');
      const last = write(text, [{ taskId: 'T3', status: 'pending' }]);
      assert.ok(last.endsWith('\r\n- [ ] **T3** done'));
      assert.deepEqual(changedLines(text, last), [10]);
    });

    it('keeps lone CR line endings and a missing final newline', () => {
      const text = '## E001: X\r- [ ] T1 a\r- [ ] T2 b';
      assert.equal(write(text, [{ taskId: 'T2', status: 'completed' }]), '## E001: X\r- [ ] T1 a\r- [x] T2 b');
    });

    it('replaces an existing badge in place, keeps [X], turns [/] and [-] into checkbox + badge', () => {
      assert.equal(withStatus('- [ ] T1 `status:failed` a (P1)', 'blocked'), '- [ ] T1 `status:blocked` a (P1)');
      assert.equal(withStatus('- [ ] `status:failed` T1 a', 'pending'), '- [ ] T1 a');
      assert.equal(withStatus('* [X] T1 a', 'skipped'), '* [X] T1 a `status:skipped`');
      // A bare [/] is a person's (held, never dispatched); were the engine to run it, its badge would say so.
      assert.equal(withStatus('- [/] T1 a', 'in_progress'), '- [ ] T1 a `status:in_progress`');
      assert.equal(withStatus('- [/] T1 a `status:in_progress`', 'in_progress'), '- [/] T1 a `status:in_progress`', 'already reads as in progress');
      assert.equal(withStatus('- [/] T1 a', 'pending'), '- [/] T1 a', 'already reads as pending (held)');
      assert.equal(withStatus('- [/] T1 a', 'completed'), '- [x] T1 a');
      assert.equal(withStatus('- [-] T1 a', 'failed'), '- [ ] T1 a `status:failed`');
      assert.equal(withStatus('  1. [ ] T1 a', 'completed'), '  1. [x] T1 a');
    });

    it('cleans up a badge that contradicts the checkbox when a status is written', () => {
      assert.equal(withStatus('- [x] T1 a `status:failed`', 'completed'), '- [x] T1 a');
      assert.equal(withStatus('- [ ] T1 a `status:bogus`', 'pending'), '- [ ] T1 a');
    });

    it('combines several edits of one line into one line edit', () => {
      const text = '## E001: X\n- [ ] a\n- [ ] b\n';
      const list = parseTaskList(text);
      const id = list.tasks[1].id;
      const plan = planTaskEdits(text, list, [
        { taskId: id, status: 'in_progress' },
        { taskId: id, status: 'failed', assignId: 'T001.007' },
      ]);
      assert.deepEqual(plan.lineEdits, [{ line: 2, before: '- [ ] b', after: '- [ ] **T001.007** b `status:failed`' }]);
    });

    it('reports unknown task ids and leaves the text alone', () => {
      const text = '## E001: X\n- [ ] T1 a\n';
      const list = parseTaskList(text);
      const plan = planTaskEdits(text, list, [{ taskId: 'T404', status: 'completed' }]);
      assert.deepEqual(plan, { lineEdits: [], unknown: ['T404'] });
      // A list that no longer matches the text: the task's line is not a task line any more.
      const moved = planTaskEdits('## E001: X\nprose\n', list, [{ taskId: 'T1', status: 'completed' }]);
      assert.deepEqual(moved, { lineEdits: [], unknown: ['T1'] });
    });

    it('rejects a status or an id that is not one, naming it', () => {
      const text = '- [ ] T1 a';
      const list = parseTaskList(text);
      assert.throws(() => planTaskEdits(text, list, [{ taskId: 'T1', status: 'done' as TaskStatus }]), /status "done" of task T1 is not one of pending/);
      assert.throws(() => planTaskEdits(text, list, [{ taskId: 'T1', assignId: 'T 1' }]), /id "T 1" for task T1 is not a task id/);
    });
  });

  describe('applyLineEdits', () => {
    it('with no edits returns the identical text', () => {
      for (const text of ['', '\n', 'a\r\nb\rc\n', '- [ ] T1 a  \r\n']) {
        assert.equal(applyLineEdits(text, []).text, text);
        assert.equal(write(text, []), text);
      }
    });

    it('refuses an edit whose line changed since it was planned, and applies the others', () => {
      const text = '## E001: X\n- [ ] T1 a\n- [ ] T2 b\n';
      const plan = planTaskEdits(text, parseTaskList(text), [
        { taskId: 'T1', status: 'completed' },
        { taskId: 'T2', status: 'completed' },
      ]);
      const edited = text.replace('- [ ] T1 a', '- [ ] T1 a, reworded by a person');
      const out = applyLineEdits(edited, plan.lineEdits);
      assert.deepEqual(out.stale, [plan.lineEdits[0]]);
      assert.equal(out.text, '## E001: X\n- [ ] T1 a, reworded by a person\n- [x] T2 b\n');
      assert.deepEqual(applyLineEdits('one line', [{ line: 5, before: 'x', after: 'y' }]).stale.length, 1);
    });

    it('refuses a replacement that contains a line break', () => {
      assert.throws(() => applyLineEdits('a\nb', [{ line: 0, before: 'a', after: 'a\nc' }]), /line 0 contains a line break/);
    });
  });

  describe('assigning ids', () => {
    it('writes ids in the style the file uses: bold, backticks or bare (Spec Kit)', () => {
      const bold = '## E001: X\n### F001.01: Y\n- [x] **T001.001** a\n- [ ] new task\n';
      assert.equal(write(bold, missingIdEdits(parseTaskList(bold))), bold.replace('- [ ] new task', '- [ ] **T001.002** new task'));
      const ticks = '## E001: X\n- [ ] `T001.001` a\n- [ ] `T001.002` b\n- [ ] [P1] new task (2h)\n';
      assert.equal(write(ticks, missingIdEdits(parseTaskList(ticks))), ticks.replace('- [ ] [P1] new task', '- [ ] `T001.003` [P1] new task'));
      const speckit = readFileSync(join(examples, 'speckit', 'tasks.md'), 'utf8').replace(
        '- [ ] T015 [US1]',
        '- [ ] [P] [US1] Log every delivery attempt in services/notifier/src/delivery/log.ts\n- [ ] T015 [US1]',
      );
      const out = write(speckit, missingIdEdits(parseTaskList(speckit)));
      assert.match(out, /\n- \[ \] T027 \[P\] \[US1\] Log every delivery attempt/);
      assert.deepEqual(changedLines(speckit, out).length, 1);
    });

    it('gives a task the next free id in its feature (skipping ids used elsewhere) and the written id is the provisional one', () => {
      const base = readFileSync(join(examples, 'PROJECT-TASKLIST.md'), 'utf8');
      const text = base.replace(
        '- [ ] **T001.011** Feature flags per tenant (P2, 6h)',
        '- [ ] **T001.011** Feature flags per tenant (P2, 6h)\n- [ ] Config schema validation (P2, 4h)\n- [ ] Config audit history (P3, 4h)',
      );
      const list = parseTaskList(text);
      const fresh = list.tasks.filter((t) => !t.idExplicit);
      // F001.03 holds T001.009–T001.011; T001.012–T001.014 belong to F001.04.
      assert.deepEqual(
        fresh.map((t) => [t.id, t.featureId]),
        [
          ['T001.015', 'F001.03'],
          ['T001.016', 'F001.03'],
        ],
      );
      const edits = missingIdEdits(list);
      assert.deepEqual(edits, [
        { taskId: 'T001.015', assignId: 'T001.015' },
        { taskId: 'T001.016', assignId: 'T001.016' },
      ]);
      assert.deepEqual(missingIdEdits(list), edits, 'deterministic');
      const out = write(text, edits);
      assert.equal(changedLines(text, out).length, 2);
      const again = parseTaskList(out);
      assert.ok(again.tasks.every((t) => t.idExplicit));
      assert.deepEqual(
        again.tasks.map((t) => t.id),
        list.tasks.map((t) => t.id),
      );
      assert.deepEqual(missingIdEdits(again), []);
    });

    it('numbers a plan written without any ids per epic: T001.001, T001.002, T002.001 …', () => {
      const text = '# Plan\n## Backend\n- [ ] a\n- [ ] b\n## Frontend\n### Pages\n- [ ] c\n';
      const out = write(text, missingIdEdits(parseTaskList(text)));
      assert.equal(out, '# Plan\n## Backend\n- [ ] **T001.001** a\n- [ ] **T001.002** b\n## Frontend\n### Pages\n- [ ] **T002.001** c\n');
    });

    it('replaces a written id keeping its decoration', () => {
      const text = '## E001: X\n- [ ] **T1** a\n- [ ] `T2` b\n';
      const out = write(text, [
        { taskId: 'T1', assignId: 'T001.001' },
        { taskId: 'T2', assignId: 'T001.002' },
      ]);
      assert.equal(out, '## E001: X\n- [ ] **T001.001** a\n- [ ] `T001.002` b\n');
    });
  });
});
