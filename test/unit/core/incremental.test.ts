// The incremental parser on the edits it must take (checkbox ticks, title typing, badges, several lines at once, CRLF)
// and the ones it must refuse (ids, dependencies, sub-bullets, code fences, structure, lines added or removed).
import * as assert from 'node:assert/strict';
import { reparseIncremental, tasksChangedSince } from '../../../src/core/incremental';
import { parseTaskList } from '../../../src/core/parser';

const PLAN = [
  '# Plan',
  '',
  '## E001: Core',
  '',
  '### F001.01: Messaging',
  '',
  '- [ ] **T001.001** Deploy the bus (P0, 16h)',
  '  - Depends on: T001.002',
  '  - Agent: devops-engineer',
  '- [ ] **T001.002** Write the schema (P1, 4h)',
  '- [x] **T001.003** Document it ~2h',
  '',
  '```',
  '- [ ] T009 not a task',
  '```',
  '',
].join('\n');

/** The incremental result, asserted equal to a full parse whenever there is one. */
function inc(before: string, after: string) {
  const out = reparseIncremental(before, parseTaskList(before), after);
  if (out) assert.deepStrictEqual(out, parseTaskList(after));
  return out;
}

const edit = (text: string, line: number, f: (l: string) => string): string => {
  const lines = text.split('\n');
  lines[line] = f(lines[line]);
  return lines.join('\n');
};

describe('reparseIncremental', () => {
  it('patches a ticked checkbox: only that task changes, everything else is shared with the previous list', () => {
    const prev = parseTaskList(PLAN);
    const next = edit(PLAN, 6, (l) => l.replace('[ ]', '[x]'));
    const out = reparseIncremental(PLAN, prev, next)!;
    assert.ok(out);
    assert.deepStrictEqual(out, parseTaskList(next));
    assert.equal(out.tasks[0].status, 'completed');
    assert.deepEqual(out.tasks[0].dependsOn, prev.tasks[0].dependsOn);
    assert.equal(out.tasks[1], prev.tasks[1], 'untouched task objects are reused');
    assert.equal(out.epics, prev.epics);
  });

  it('patches a retitled task, a status badge, and several task lines changed at once', () => {
    assert.equal(
      inc(
        PLAN,
        edit(PLAN, 9, (l) => l.replace('Write the schema', 'Write the database schema')),
      )?.tasks[1].title,
      'Write the database schema',
    );
    assert.equal(
      inc(
        PLAN,
        edit(PLAN, 9, (l) => `${l} \`status:failed\``),
      )?.tasks[1].status,
      'failed',
    );
    const two = edit(
      edit(PLAN, 6, (l) => l.replace('[ ]', '[x]')),
      10,
      (l) => l.replace('[x]', '[ ]'),
    );
    const out = inc(PLAN, two)!;
    assert.deepEqual(
      out.tasks.map((t) => t.status),
      ['completed', 'pending', 'pending'],
    );
  });

  it('updates the line’s own diagnostics and keeps the others (a duplicate id on the same line)', () => {
    const dup = edit(PLAN, 10, (l) => l.replace('T001.003', 'T001.001'));
    const withBad = edit(dup, 10, (l) => `${l} \`status:bogus\``);
    const out = inc(dup, withBad)!;
    assert.ok(out);
    assert.deepEqual(
      out.diagnostics.filter((d) => d.line === 10).map((d) => d.code),
      ['duplicate-id', 'unknown-status'],
    );
    const fixed = inc(withBad, dup)!;
    assert.deepEqual(
      fixed.diagnostics.map((d) => d.code),
      ['duplicate-id'],
    );
    const empty = inc(
      PLAN,
      edit(PLAN, 9, () => '- [ ] **T001.002** (P1, 4h)'),
    )!;
    assert.ok(empty.diagnostics.some((d) => d.code === 'empty-task' && d.line === 9));
  });

  it('works on CRLF files and on files with lone CR line endings', () => {
    for (const eol of ['\r\n', '\r']) {
      const text = PLAN.split('\n').join(eol);
      const next = text.replace('- [ ] **T001.002**', '- [x] **T001.002**');
      const out = inc(text, next);
      assert.ok(out, `patched with ${JSON.stringify(eol)}`);
      assert.equal(out!.tasks[1].status, 'completed');
    }
  });

  it('refuses edits that may reach beyond the line’s own task', () => {
    const refused: [string, string][] = [
      ['an id', edit(PLAN, 9, (l) => l.replace('T001.002', 'T001.022'))],
      ['a dependency in the title', edit(PLAN, 9, (l) => `${l.replace(' (P1, 4h)', '')} after T001.003`)],
      ['a priority (a sub-bullet may override it)', edit(PLAN, 9, (l) => l.replace('P1', 'P2'))],
      ['a sub-bullet', edit(PLAN, 8, (l) => l.replace('devops-engineer', 'qa-testing'))],
      ['a line inside a code fence', edit(PLAN, 13, (l) => l.replace('[ ]', '[x]'))],
      ['a heading', edit(PLAN, 4, (l) => l.replace('Messaging', 'Queues'))],
      ['the list marker', edit(PLAN, 9, (l) => l.replace('- [ ]', '* [ ]'))],
      ['a table pipe', edit(PLAN, 9, (l) => `${l} | x`)],
      ['an emptied title', edit(PLAN, 9, () => '- [ ] ')],
      ['a task turned into prose', edit(PLAN, 9, (l) => l.replace('- [ ]', '-'))],
      ['an added line', PLAN.replace('- [x] **T001.003**', '- [ ] **T001.004** New\n- [x] **T001.003**')],
      ['a removed line', PLAN.replace('  - Agent: devops-engineer\n', '')],
      ['a line ending', PLAN.replace('Messaging\n', 'Messaging\r\n')],
    ];
    for (const [what, next] of refused) assert.equal(inc(PLAN, next), undefined, what);
  });
});

describe('tasksChangedSince', () => {
  const text = ['# Plan', '', '## E001: Core', '', '- [ ] **T001.001** One', '- [ ] **T001.002** Two', '- [ ] **T001.003** Three', ''].join('\n');

  it('names the tasks a patch replaced, through a chain of patches, and nothing it did not make', () => {
    const base = parseTaskList(text);
    const t1 = text.replace('- [ ] **T001.002**', '- [x] **T001.002**');
    const once = reparseIncremental(text, base, t1)!;
    assert.deepEqual(tasksChangedSince(once.tasks, base.tasks), [1]);
    assert.deepEqual(tasksChangedSince(base.tasks, base.tasks), []);
    const twice = reparseIncremental(t1, once, t1.replace('Three', 'Three, retitled'))!;
    assert.deepEqual([...tasksChangedSince(twice.tasks, base.tasks)!].sort(), [1, 2]);
    assert.equal(tasksChangedSince(parseTaskList(t1).tasks, base.tasks), undefined, 'a full parse: unknown');
    assert.equal(tasksChangedSince(base.tasks, once.tasks), undefined, 'not the other way round');
  });
});
