import * as assert from 'node:assert/strict';
import type { DependencyRef, TaskList, TaskNode } from '../../../src/core/model';
import { parseTaskList } from '../../../src/core/parser';

// The parser on inputs far bigger than a plan: a 100 MB file of 10,000 nesting levels, a few-MB plan, lines of
// tens of thousands of badges. Seconds each, so they run in `npm run test:stress` (part of `npm test`), not in the
// unit inner loop; parser.test.ts holds the same rules on small inputs.
const md = (...lines: string[]) => lines.join('\n');
const parse = (...lines: string[]) => parseTaskList(md(...lines));
const task = (l: TaskList, id: string): TaskNode => {
  const t = l.tasks.find((x) => x.id === id);
  assert.ok(t, `task ${id} not found among ${l.tasks.map((x) => x.id).join(', ')}`);
  return t;
};
const deps = (t: TaskNode) => t.dependsOn.map((d) => `${d.id}:${d.source}:${d.type}`);
const codes = (l: TaskList) => l.diagnostics.map((d) => d.code);
const errors = (l: TaskList) => l.diagnostics.filter((d) => d.severity === 'error');

describe('parseTaskList at size', () => {
  describe('diagnostics', () => {
    it('reads pathological lines whole: thousands of badges, parentheses, repeated ids, unclosed blocks', () => {
      const badges = parseTaskList('- [ ] T1 ' + '`status:x '.repeat(20_000));
      assert.equal(badges.tasks.length, 1);
      assert.equal(badges.diagnostics.filter((d) => d.code === 'unknown-status').length, 10_000);
      const ids = parse('## E001: X', '- [ ] T1 a', '- [ ] T2 after ' + 'T9, '.repeat(50_000) + 'T1');
      assert.deepEqual(deps(task(ids, 'T2')), ['T1:implicit:blocks']);
      assert.deepEqual(codes(ids), ['unknown-dependency'], 'one diagnostic per unknown id and task');
      assert.equal(parseTaskList('- [ ] T1 ' + '('.repeat(100_000) + ')').tasks.length, 1);
      assert.equal(parseTaskList('<!--\n' + '- [ ] x\n'.repeat(50_000)).tasks.length, 0);
      assert.equal(parseTaskList(Array.from({ length: 20_000 }, () => '```\n- [ ] x').join('\n')).tasks.length, 10_000);
    });
  });

  describe('nesting deeper than the parser reads', () => {
    const nested = (levels: number): string[] =>
      Array.from({ length: levels }, (_, i) => `${'  '.repeat(i)}- [ ] **T001.${String(i + 1).padStart(5, '0')}** level ${i + 1} (P1, 1h)`);

    it('deeper lines are an error naming them and how many tasks were not read (10,000 levels: 9,951 hidden silently before)', () => {
      const l = parse('## E001: Core', '', ...nested(10_000));
      const e = errors(l);
      assert.equal(e.length, 1, JSON.stringify(l.diagnostics.slice(0, 3)));
      assert.equal(e[0].code, 'nesting-too-deep');
      assert.equal(e[0].line, 51, 'the first line not read (0-based): level 50');
      assert.match(e[0].message, /^nested more than 49 levels deep: lines 52–10002 are not read \(9951 task line\(s\) ignored\)/);
      assert.equal(l.tasks.length, 49);
    });
  });

  describe('line endings and size', () => {
    it('parses a few-MB generated plan completely', () => {
      const parts: string[] = [];
      let n = 0;
      for (let e = 1; e <= 20; e++) {
        const E = String(e).padStart(3, '0');
        parts.push(`## E${E}: Epic ${e}`, '');
        for (let f = 1; f <= 10; f++) {
          parts.push(`### F${E}.${String(f).padStart(2, '0')}: Feature ${f}`, '');
          for (let k = 0; k < 100; k++) {
            n++;
            const id = `T${E}.${String((f - 1) * 100 + k + 1).padStart(4, '0')}`;
            parts.push(`- [${n % 3 === 0 ? 'x' : ' '}] **${id}** Implement a moderately long task title number ${n} with words (P${n % 4}, ${(n % 16) + 1}h)`);
            if (k > 0) parts.push(`  - Depends on: T${E}.${String((f - 1) * 100 + k).padStart(4, '0')}`);
          }
          parts.push('');
        }
      }
      const text = parts.join('\n');
      assert.ok(text.length > 2_000_000, `${text.length} bytes`);
      const l = parseTaskList(text);
      assert.equal(l.tasks.length, 20_000);
      assert.equal(l.features.length, 200);
      assert.deepEqual(errors(l), []);
      assert.equal(l.tasks.filter((t) => t.dependsOn.length === 1).length, 20_000 - 200);
      const last: DependencyRef = l.tasks[l.tasks.length - 1].dependsOn[0];
      assert.equal(last.id, 'T020.0999');
    });
  });
});
