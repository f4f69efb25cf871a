// The incremental parser on a generated 10,000-task plan (a second's parsing), in `npm run test:stress`; the edits
// it takes and refuses are in incremental.test.ts, on a small plan.
import * as assert from 'node:assert/strict';
import { reparseIncremental } from '../../../src/core/incremental';
import { parseTaskList } from '../../../src/core/parser';
import { generateTaskList } from '../../bench/generatePlan';

const edit = (text: string, line: number, f: (l: string) => string): string => {
  const lines = text.split('\n');
  lines[line] = f(lines[line]);
  return lines.join('\n');
};

describe('reparseIncremental at size', () => {
  it('patches a one-line change to a generated 10,000-task plan', () => {
    const { text } = generateTaskList({ tasks: 10_000 });
    const prev = parseTaskList(text);
    const target = prev.tasks[7777];
    const next = edit(text, target.line, (l) => l.replace('- [ ]', '- [x]'));
    const out = reparseIncremental(text, prev, next);
    assert.ok(out);
    assert.equal(out.tasks[7777].status, 'completed');
    assert.deepStrictEqual(out, parseTaskList(next));
  });
});
