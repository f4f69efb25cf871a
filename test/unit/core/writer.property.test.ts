// Round-trip properties of the parser and the writer on random documents that mix prose, headings, code fences,
// tables, HTML comments, blockquotes, tasks in many dialects and CRLF/LF/CR line endings.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeTaskList, encodeTaskList } from '../../../src/core/decode';
import { missingIdEdits } from '../../../src/core/ids';
import { TASK_STATUSES, TERMINAL_STATUSES, type TaskList, type TaskStatus } from '../../../src/core/model';
import { parseTaskList } from '../../../src/core/parser';
import { splitLines } from '../../../src/core/textLines';
import { applyLineEdits, planTaskEdits } from '../../../src/core/writer';

const word = fc.constantFrom(
  'deploy',
  'the',
  'bus',
  'café',
  '日本語',
  'über',
  'API',
  'queue',
  'ship',
  '🚀',
  'x',
  'naïve',
  'v2',
  'RabbitMQ',
  '(note)',
  'a/b.ts',
  '**bold**',
  '`code`',
);
const words = fc.array(word, { minLength: 1, maxLength: 6 }).map((w) => w.join(' '));

interface TaskSpec {
  indent: string;
  marker: string;
  mark: string;
  idStyle: number;
  title: string;
  meta: string;
  badge: string;
  trailing: string;
  subs: string[];
}

const taskSpec: fc.Arbitrary<TaskSpec> = fc.record({
  indent: fc.constantFrom('', '', '  '),
  marker: fc.constantFrom('-', '*', '+', '1.'),
  mark: fc.constantFrom(' ', ' ', 'x', 'X', '/', '-'),
  idStyle: fc.integer({ min: 0, max: 4 }),
  title: words,
  meta: fc.constantFrom('', '', ' (P1, 4h)', ' [P0]', ' ~2d', ' — Priority: P3, est: 30m', ' (depends on T1)', ' [P] [US1]'),
  badge: fc.constantFrom('', '', ' `status:failed`', ' `status:blocked`', ' `status:in_progress`'),
  trailing: fc.constantFrom('', '', '  ', '\t', ' '),
  subs: fc.array(
    fc.constantFrom('  - Depends on: T1, T2', '  - Agent: devops-engineer', '  - Verify: `echo ok`', '  - Blocked by: "Infra"', '  - a note', '  Timeout: 30m'),
    { maxLength: 2 },
  ),
});

type Block = { kind: 'task'; spec: TaskSpec } | { kind: 'lines'; lines: string[] };

const block = (l: string[]): Block => ({ kind: 'lines', lines: l });
const other: fc.Arbitrary<Block> = fc.oneof(
  words.map((w) => block([w, ''])),
  fc.integer({ min: 1, max: 9 }).map((n) => block([`## E00${n}: Epic ${n}`, ''])),
  words.map((w) => block([`### ${w}`, ''])),
  words.map((w) => block(['```', `- [ ] T9 ${w} in code`, '```', ''])),
  words.map((w) => block(['| task | done |', '|---|---|', `| - [ ] ${w} | no |`, ''])),
  words.map((w) => block(['<!--', `- [x] ${w} commented`, '-->', ''])),
  words.map((w) => block([`> - [ ] ${w} quoted`, ''])),
  fc.constant(block(['    - [ ] indented code', ''])),
  fc.constant(block(['- plain bullet', '- [P] legend', ''])),
);

const doc = fc
  .tuple(
    fc.array(fc.oneof({ weight: 3, arbitrary: taskSpec.map((spec) => ({ kind: 'task' as const, spec })) }, { weight: 2, arbitrary: other }), {
      maxLength: 40,
      size: 'medium',
    }),
    fc.array(fc.constantFrom('\n', '\n', '\r\n', '\r\n', '\r'), { minLength: 1, maxLength: 8 }),
    fc.boolean(),
  )
  .map(([blocks, eols, finalEol]) => {
    const lines: string[] = [];
    let n = 0;
    for (const b of blocks) {
      if (b.kind === 'lines') {
        lines.push(...b.lines);
        continue;
      }
      const s = b.spec;
      n++;
      // Unique ids so that "the task with this id" is one line; style 4 writes no id at all.
      const id = [`**T${n}**`, `\`T${n}\``, `T${n}`, `[T${n}]`, ''][s.idStyle];
      lines.push(`${s.indent}${s.marker} [${s.mark}] ${id ? id + ' ' : ''}${s.title}${s.meta}${s.badge}${s.trailing}`);
      for (const sub of s.subs) lines.push(s.indent + sub);
    }
    return lines.map((l, i) => l + (i === lines.length - 1 && !finalEol ? '' : eols[i % eols.length])).join('');
  });

function snapshot(l: TaskList) {
  return l.tasks.map((t) => ({ id: t.id, status: t.status, title: t.title, line: t.line, priority: t.priority, deps: t.dependsOn.map((d) => d.id) }));
}

describe('writer properties', () => {
  it('parse then write with no edit gives the identical text, and so does re-writing every current status', () => {
    fc.assert(
      fc.property(doc, (text) => {
        const list = parseTaskList(text);
        assert.ok(!list.diagnostics.some((d) => d.code === 'internal-error'));
        assert.equal(applyLineEdits(text, planTaskEdits(text, list, []).lineEdits).text, text);
        const same = planTaskEdits(
          text,
          list,
          list.tasks.filter((t, i) => list.tasks.findIndex((u) => u.id === t.id) === i).map((t) => ({ taskId: t.id, status: t.status })),
        );
        // Writing the status a line already has changes nothing (a contradicting badge is the one exception: it is cleaned up).
        for (const e of same.lineEdits) assert.match(e.before, /`status:/);
        assert.deepEqual(same.unknown, []);
      }),
      { numRuns: 300 },
    );
  });

  it('a status edit changes exactly one line, and only that task reads differently afterwards', () => {
    const withTask = doc.filter((t) => parseTaskList(t).tasks.length > 0);
    fc.assert(
      fc.property(withTask, fc.nat(), fc.constantFrom<TaskStatus>(...TASK_STATUSES), (text, pick, status) => {
        const list = parseTaskList(text);
        const target = list.tasks[pick % list.tasks.length];
        if (list.tasks.findIndex((t) => t.id === target.id) !== list.tasks.indexOf(target)) return; // a later duplicate
        const plan = planTaskEdits(text, list, [{ taskId: target.id, status }]);
        assert.deepEqual(plan.unknown, []);
        const out = applyLineEdits(text, plan.lineEdits);
        assert.deepEqual(out.stale, []);
        const a = splitLines(text);
        const b = splitLines(out.text);
        assert.deepEqual(b.ends, a.ends, 'every line ending kept');
        const changed = a.lines.map((l, i) => (l === b.lines[i] ? -1 : i)).filter((i) => i >= 0);
        assert.ok(changed.length <= 1);
        if (changed.length === 1) assert.equal(changed[0], target.line);
        if (target.status !== status) assert.equal(changed.length, 1);

        const after = parseTaskList(out.text);
        const before = snapshot(list);
        const now = snapshot(after);
        assert.equal(now.length, before.length);
        for (let i = 0; i < now.length; i++) {
          if (list.tasks[i] === target) {
            assert.equal(now[i].status, status);
            assert.deepEqual({ ...now[i], status: target.status }, before[i], 'only the status of the edited task changed');
          } else {
            assert.deepEqual(now[i], before[i]);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('assigning missing ids touches only the lines of unfinished tasks without ids and writes the ids they are known by', () => {
    fc.assert(
      fc.property(doc, (text) => {
        const list = parseTaskList(text);
        const edits = missingIdEdits(list);
        const out = applyLineEdits(text, planTaskEdits(text, list, edits).lineEdits);
        assert.deepEqual(out.stale, []);
        const a = splitLines(text).lines;
        const b = splitLines(out.text).lines;
        const changed = a.map((l, i) => (l === b[i] ? -1 : i)).filter((i) => i >= 0);
        const written = list.tasks.filter((t) => !t.idExplicit && !TERMINAL_STATUSES.has(t.status));
        assert.deepEqual(
          changed,
          written.map((t) => t.line),
        );
        const again = parseTaskList(out.text);
        const byLine = new Map(again.tasks.map((t) => [t.line, t]));
        for (const t of written) {
          const u = byLine.get(t.line)!;
          assert.deepEqual([u.id, u.idExplicit, u.title, u.status], [t.id, true, t.title, t.status]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('random bytes never make decode or parse throw, and decode→encode is byte-identical', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      doc.map((t) => new TextEncoder().encode(t)),
      fc.tuple(doc, fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([t, junk]) => new Uint8Array([...new TextEncoder().encode(t), ...junk])),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        const d = decodeTaskList(b);
        assert.deepEqual(encodeTaskList(d.text, d.encoding), b);
        const l = parseTaskList(d.text);
        assert.ok(!l.diagnostics.some((x) => x.code === 'internal-error'), l.diagnostics.map((x) => x.message).join('; '));
        assert.equal(applyLineEdits(d.text, []).text, d.text);
      }),
      { numRuns: 500 },
    );
  });
});
