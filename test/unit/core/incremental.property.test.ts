// The incremental parser's one promise: whenever it returns a list, that list deep-equals a full parse of the new
// text. Random documents (tasks in many dialects with metadata, badges, sub-bullets, duplicate ids; code fences,
// tables, HTML comments, quotes, headings, Spec Kit phases, front matter; LF/CRLF/CR) and random edits (checkbox
// ticks, title and id edits, badges, metadata, structural tokens, lines added and removed, line endings changed,
// edits inside code fences), single-line and multi-line, chained as sync chains them.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { reparseIncremental } from '../../../src/core/incremental';
import type { TaskList } from '../../../src/core/model';
import { parseTaskList } from '../../../src/core/parser';
import { splitLines } from '../../../src/core/textLines';

const word = fc.constantFrom(
  'deploy',
  'the',
  'bus',
  'café',
  '日本語',
  'API',
  'queue',
  '🚀',
  'x',
  'v2',
  '(note)',
  'a/b.ts',
  '**bold**',
  '`code`',
  'after T2',
  'T3',
  'for 24h',
  'P1',
);
const words = fc.array(word, { minLength: 1, maxLength: 5 }).map((w) => w.join(' '));

const taskLine = fc
  .record({
    indent: fc.constantFrom('', '', '  ', '    '),
    marker: fc.constantFrom('-', '-', '*', '1.', '2)'),
    mark: fc.constantFrom(' ', ' ', 'x', 'X', '/', '-'),
    id: fc.constantFrom('', '**T1** ', '**T2** ', '`T3` ', 'T4 ', '[T5] ', 'T1: ', '**API-7** '),
    title: fc.oneof(words, fc.constant('')),
    meta: fc.constantFrom('', '', ' (P1, 4h)', ' [P0]', ' ~2d', ' — Priority: P3, est: 30m', ' (depends on T1)', ' [P] [US1]', ' (P9)', ' est: soon'),
    badge: fc.constantFrom('', '', ' `status:failed`', ' `status:bogus`', ' `status:done`'),
    trailing: fc.constantFrom('', '', '  ', '\t'),
  })
  .map((r) => `${r.indent}${r.marker} [${r.mark}] ${r.id}${r.title}${r.meta}${r.badge}${r.trailing}`);

const subLine = fc.constantFrom(
  '  - Depends on: T1, T2',
  '  - Depends on: T404',
  '  - Agent: devops-engineer',
  '  - Priority: P0',
  '  - Verify: `echo ok`',
  '  - Blocked by: "Infra"',
  '  - a note',
  '  Timeout: 30m',
  '  - Depends on:',
  '    - T1',
  '  |---|---|',
  '  ===',
  '  ---',
);

const otherLines: fc.Arbitrary<string[]> = fc.oneof(
  words.map((w) => [w]),
  fc.constant<string[]>(['']),
  fc.integer({ min: 1, max: 3 }).map((n) => [`## E00${n}: Epic ${n}`]),
  fc.integer({ min: 1, max: 3 }).map((n) => [`## Phase ${n}: Setup`]),
  words.map((w) => [`### ${w}`]),
  words.map((w) => ['### F001.02: Feature', `- [ ] ${w}`]),
  words.map((w) => ['```', `- [ ] T9 ${w} in code`, '```']),
  words.map((w) => ['| task | done |', '|---|---|', `| - [ ] ${w} | no |`]),
  words.map((w) => ['<!--', `- [x] ${w} commented`, '-->']),
  words.map((w) => [`> - [ ] ${w} quoted`]),
  fc.constant<string[]>(['    - [ ] indented code']),
  fc.constant<string[]>(['- plain bullet', '- [P] legend']),
  fc.constant<string[]>(['**Depends on**: Phase 1']),
  fc.constant<string[]>(['-[ ] loose']),
);

const docLines: fc.Arbitrary<string[]> = fc
  .tuple(
    fc.boolean(),
    fc.array(
      fc.oneof(
        { weight: 3, arbitrary: fc.tuple(taskLine, fc.array(subLine, { maxLength: 2 })).map(([t, subs]) => [t, ...subs]) },
        { weight: 2, arbitrary: otherLines },
      ),
      { maxLength: 25 },
    ),
  )
  .map(([front, blocks]) => [...(front ? ['---', 'title: x', '---'] : []), ...blocks.flat()]);

const eols = fc.array(fc.constantFrom('\n', '\n', '\n', '\r\n', '\r\n', '\r'), { minLength: 1, maxLength: 6 });

interface Doc {
  lines: string[];
  ends: string[];
}

const join = (d: Doc): string => d.lines.map((l, i) => l + d.ends[i]).join('');

const doc: fc.Arbitrary<Doc> = fc.tuple(docLines, eols, fc.boolean()).map(([lines, e, finalEol]) => ({
  lines: lines.length ? lines : [''],
  ends: (lines.length ? lines : ['']).map((_, i, all) => (i === all.length - 1 && !finalEol ? '' : e[i % e.length])),
}));

/** Small changes within one line, the kind people type. */
const snippet = fc.constantFrom(
  'x',
  ' ',
  'é',
  '`status:failed`',
  '`status:in_progress`',
  ' (P1, 4h)',
  ' P0',
  'T3',
  ' after T2',
  '|',
  '**T9**',
  '[P]',
  '```',
  '# ',
  '- ',
  '> ',
  '<!--',
  '-->',
  '\t',
  '    ',
  '[ ]',
  '[x]',
  ':',
  ' ~3h',
  ' Agent: qa',
  '\u00a0',
  '\0',
  '\\',
  '<div>',
  '&amp;',
  '[',
  ']',
  '*',
  '=',
  '(',
  ')',
  '\u2028',
);
type LineOp =
  | { kind: 'tick'; at: number; mark: string }
  | { kind: 'insertText'; at: number; pos: number; text: string }
  | { kind: 'deleteText'; at: number; pos: number; len: number }
  | { kind: 'replaceLine'; at: number; lines: string[] }
  | { kind: 'insertLine'; at: number; lines: string[] }
  | { kind: 'deleteLine'; at: number }
  | { kind: 'eol'; at: number; eol: string };

const lineOp: fc.Arbitrary<LineOp> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('tick' as const), at: fc.nat(), mark: fc.constantFrom(' ', 'x', 'X', '/', '-') }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('insertText' as const), at: fc.nat(), pos: fc.nat(), text: fc.oneof(snippet, word) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('deleteText' as const), at: fc.nat(), pos: fc.nat(), len: fc.integer({ min: 1, max: 6 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('replaceLine' as const),
      at: fc.nat(),
      lines: fc.oneof(
        taskLine.map((l) => [l]),
        subLine.map((l) => [l]),
        otherLines,
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('insertLine' as const),
      at: fc.nat(),
      lines: fc.oneof(
        taskLine.map((l) => [l]),
        subLine.map((l) => [l]),
        otherLines,
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteLine' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('eol' as const), at: fc.nat(), eol: fc.constantFrom('\n', '\r\n', '\r') }) },
);

/** Applies one edit (a few line operations at once: a multi-line change between two syncs). */
function applyOps(d: Doc, ops: readonly LineOp[]): Doc {
  const lines = [...d.lines];
  const ends = [...d.ends];
  const lastEnd = () => (ends.length > 1 ? ends[ends.length - 2] || '\n' : '\n');
  for (const op of ops) {
    const at = op.at % lines.length;
    switch (op.kind) {
      case 'tick': {
        const m = /\[[ xX/-]\]/.exec(lines[at]);
        if (m) lines[at] = lines[at].slice(0, m.index + 1) + op.mark + lines[at].slice(m.index + 2);
        break;
      }
      case 'insertText': {
        const p = op.pos % (lines[at].length + 1);
        lines[at] = lines[at].slice(0, p) + op.text + lines[at].slice(p);
        break;
      }
      case 'deleteText': {
        const p = op.pos % (lines[at].length + 1);
        lines[at] = lines[at].slice(0, p) + lines[at].slice(p + op.len);
        break;
      }
      case 'replaceLine':
        lines.splice(at, 1, ...op.lines);
        ends.splice(at, 1, ...op.lines.map((_, i) => (i === op.lines.length - 1 ? ends[at] : ends[at] || lastEnd())));
        break;
      case 'insertLine':
        lines.splice(at, 0, ...op.lines);
        ends.splice(at, 0, ...op.lines.map(() => ends[at] || lastEnd()));
        break;
      case 'deleteLine':
        if (lines.length > 1) {
          lines.splice(at, 1);
          ends.splice(at, 1);
          ends[ends.length - 1] = ends[ends.length - 1] ?? '';
        }
        break;
      case 'eol':
        if (at < lines.length - 1) ends[at] = op.eol;
        break;
    }
  }
  // Keep the invariant of a split text: only the last line may lack an ending.
  for (let i = 0; i < ends.length - 1; i++) if (ends[i] === '') ends[i] = '\n';
  return { lines, ends };
}

/** Edits that mostly touch task lines (the incremental path), the rest anywhere. */
function taskBiased(d: Doc, ops: LineOp[], bias: boolean): LineOp[] {
  if (!bias) return ops;
  const taskLines = d.lines.map((l, i) => (/^\s*(?:[-*+]|\d+[.)])\s+\[[ xX/-]\]/.test(l) ? i : -1)).filter((i) => i >= 0);
  if (taskLines.length === 0) return ops;
  return ops.map((op) => ({ ...op, at: taskLines[op.at % taskLines.length] }));
}

describe('incremental parse properties', () => {
  it('whenever it returns a list, that list deep-equals a full parse of the new text (chained edits)', () => {
    let patched = 0;
    let edits = 0;
    fc.assert(
      fc.property(doc, fc.array(fc.tuple(fc.array(lineOp, { minLength: 1, maxLength: 3 }), fc.boolean()), { minLength: 1, maxLength: 5 }), (start, steps) => {
        let d = start;
        let text = join(d);
        let list: TaskList = parseTaskList(text);
        for (const [ops, bias] of steps) {
          d = applyOps(d, taskBiased(d, ops, bias));
          const next = join(d);
          const full = parseTaskList(next);
          const inc = reparseIncremental(text, list, next);
          edits++;
          if (inc) {
            patched++;
            assert.deepStrictEqual(inc, full, `incremental ≠ full parse\n--- before\n${JSON.stringify(text)}\n--- after\n${JSON.stringify(next)}`);
          }
          text = next;
          list = inc ?? full;
        }
      }),
      { numRuns: Number(process.env.INC_RUNS ?? 600) },
    );
    // The property must not hold vacuously: many edits (checkbox ticks, title typing) take the incremental path.
    assert.ok(patched > edits / 10, `only ${patched} of ${edits} edits were patched incrementally`);
  });

  it('a text equal to the previous one returns the previous list, and unrelated texts never crash', () => {
    fc.assert(
      fc.property(doc, doc, (a, b) => {
        const ta = join(a);
        const la = parseTaskList(ta);
        assert.equal(reparseIncremental(ta, la, ta), la);
        const inc = reparseIncremental(ta, la, join(b));
        if (inc) assert.deepStrictEqual(inc, parseTaskList(join(b)));
      }),
      { numRuns: 300 },
    );
  });

  it('line endings of the untouched lines never move line numbers', () => {
    fc.assert(
      fc.property(doc, fc.nat(), fc.constantFrom(' ', 'x'), (d, pick, mark) => {
        const text = join(d);
        const list = parseTaskList(text);
        if (list.tasks.length === 0) return;
        const t = list.tasks[pick % list.tasks.length];
        const lines = splitLines(text);
        const box = /\[[ xX/-]\]/.exec(lines.lines[t.line].slice(lines.lines[t.line].indexOf('[')));
        if (!box) return;
        const i = lines.lines[t.line].indexOf('[');
        lines.lines[t.line] = lines.lines[t.line].slice(0, i + 1) + mark + lines.lines[t.line].slice(i + 2);
        const next = lines.lines.map((l, k) => l + lines.ends[k]).join('');
        const inc = reparseIncremental(text, list, next);
        if (inc) assert.deepStrictEqual(inc, parseTaskList(next));
      }),
      { numRuns: 300 },
    );
  });
});
