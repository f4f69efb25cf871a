// scanBlocks' one promise: whenever it answers, its tokens are markdown-it's (the fields the parser reads: type, tag,
// nesting, level, map, content), so a plan is read the same whichever of the two tokenised a chunk. Checked on
// random markdown built from lines of every kind it accepts and of every kind it must refuse (fences, quotes, HTML,
// tables, ordered items, setext underlines, thematic breaks, tabs, odd indents), on the random files of each dialect
// the other property tests use, and on every markdown fixture in the repository, whole and in the parser's chunks.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import MarkdownIt from 'markdown-it';
import { scanBlocks, type BlockToken } from '../../../src/core/parse/fastBlocks';
import { parseTaskList } from '../../../src/core/parser';
import { LineIndex } from '../../../src/core/textLines';
import { generateTaskList } from '../../bench/generatePlan';
import { DIALECT_FILES, DIALECTS } from './dialectArbitraries';
import { repositoryMarkdown } from './repositoryMarkdown';

// Configured as src/core/parse/blocks.ts configures it.
const md = new MarkdownIt('default', { html: true, maxNesting: 100 } as MarkdownIt.Options);
md.core.ruler.disable(['inline', 'linkify', 'replacements', 'smartquotes', 'text_join'], true);

const RUNS = Number(process.env.FAST_BLOCKS_RUNS ?? 3000);

const project = (t: BlockToken): BlockToken => ({
  type: t.type,
  tag: t.tag,
  nesting: t.nesting,
  level: t.level,
  map: t.map ? [t.map[0], t.map[1]] : null,
  content: t.content,
});

/** Asserts that scanBlocks agrees with markdown-it on `src`; true when it answered. */
function agrees(src: string): boolean {
  const fast = scanBlocks(src);
  if (fast === undefined) return false;
  assert.deepEqual(fast.map(project), md.parse(src, {}).map(project), `scanBlocks differs from markdown-it on ${JSON.stringify(src)}`);
  return true;
}

const word = fc.constantFrom(
  'deploy',
  'the',
  'bus',
  'café',
  '日本語',
  '🚀',
  'x',
  'T001.002',
  '**T3**',
  '`code`',
  '(P1, 2h)',
  'a/b',
  '\u00a0',
  '#',
  '*',
  '-',
  '\\',
  '!',
  '[link](u)',
  '<b>',
  '1.',
  '2)',
);
const text = fc.array(word, { minLength: 1, maxLength: 4 }).map((w) => w.join(' '));
const indent = fc.constantFrom('', '', '', ' ', '  ', '  ', '   ', '    ', '     ', '      ', '        ', '\t', ' \t');
/** What follows a list marker or starts a paragraph line: mostly plain text, sometimes the start of another block. */
const content = fc.oneof(
  { weight: 8, arbitrary: text },
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('[ ] ', '[x] ', '[X] ', '[/] ', '[-] ', '[ ]* ', '[ ]'), text).map(([b, t]) => b + t) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '**Depends on**: T1',
      '**bold** text',
      '***',
      '* * *',
      '- - -',
      '---',
      '===',
      '- nested',
      '* star',
      '+ plus',
      '1. one',
      '2) two',
      '# heading',
      '> quote',
      '```',
      '~~~',
      '<!-- c -->',
      '<div>',
      'a | b',
      '[ref]: /url',
      '-',
      '--flag',
      '__x__',
      '\u0001',
      '',
    ),
  },
);
const line = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('', '', ' ', '\t', '  \t ') },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('', '', '', ' ', '  '),
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom(' ', ' ', '\t', ''),
        fc.oneof(text, fc.constant('')),
        fc.constantFrom('', '', ' #', ' ##  ', '#', '  '),
      )
      .map(([i, n, sp, t, close]) => `${i}${'#'.repeat(n)}${sp}${t}${close}`),
  },
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        indent,
        fc.constantFrom('-', '-', '-', '*', '+', '1.', '2)'),
        fc.constantFrom(' ', ' ', ' ', '  ', '   ', '    ', '     ', '\t', ''),
        content,
        fc.constantFrom('', '', '  ', '\t'),
      )
      .map(([i, m, sp, c, trail]) => `${i}${m}${sp}${c}${trail}`),
  },
  { weight: 4, arbitrary: fc.tuple(indent, content).map(([i, c]) => i + c) },
);
const eol = fc.constantFrom('\n', '\n', '\n', '\r\n', '\r');
const doc = fc.tuple(fc.array(line, { maxLength: 30 }), eol, fc.constantFrom('', '\n', '\n\n')).map(([lines, e, tail]) => lines.join(e) + tail);

/** Plain documents only: the kind of chunk scanBlocks is for, so that most of them are answered and compared. */
const plainIndent = fc.constantFrom('', '', '', '  ', '  ', '    ', '      ', ' ', '   ');
const plainLine = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 4 }), text).map(([n, t]) => `${'#'.repeat(n)} ${t}`) },
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        plainIndent,
        fc.constantFrom('-', '-', '*', '+'),
        fc.constantFrom(' ', ' ', '  '),
        fc.oneof(
          text,
          fc.tuple(fc.constantFrom('[ ] ', '[x] '), text).map(([b, t]) => b + t),
        ),
      )
      .map(([i, m, sp, c]) => `${i}${m}${sp}${c}`),
  },
  { weight: 2, arbitrary: fc.tuple(plainIndent, text).map(([i, t]) => i + t) },
);
const plainDoc = fc.tuple(fc.array(plainLine, { maxLength: 40 }), eol).map(([lines, e]) => lines.join(e));

/** `text` whole, then cut at every line into pieces of `size` lines (as blocks.ts hands markdown-it a chunk). */
function pieces(text: string, size: number): string[] {
  const idx = new LineIndex(text);
  const out = [text];
  for (let s = 0; s < idx.count; s += size) out.push(text.slice(idx.start(s), idx.end(Math.min(idx.count, s + size) - 1)));
  return out;
}

describe('scanBlocks (markdown-it fast path)', () => {
  it('gives markdown-it’s tokens whenever it answers, on random markdown of every block kind', () => {
    let answered = 0;
    let runs = 0;
    fc.assert(
      fc.property(doc, (src) => {
        runs++;
        if (agrees(src)) answered++;
      }),
      { numRuns: RUNS },
    );
    if (process.env.FAST_BLOCKS_RUNS) console.log(`answered ${answered} of ${runs}`);
    // The refusals must not hide every comparison: short documents of only plain lines are common enough here.
    assert.ok(answered > runs / 20, `answered ${answered} of ${runs}`);
  });

  it('answers most plain documents (headings, bullet items, paragraphs) and agrees with markdown-it on them', () => {
    let answered = 0;
    let runs = 0;
    fc.assert(
      fc.property(plainDoc, (src) => {
        runs++;
        if (agrees(src)) answered++;
      }),
      { numRuns: RUNS },
    );
    assert.ok(answered > runs / 3, `answered ${answered} of ${runs}`);
  });

  it('agrees with markdown-it on random files of every dialect', () => {
    for (const d of DIALECTS) {
      fc.assert(
        fc.property(DIALECT_FILES[d], (src) => {
          for (const p of pieces(src, 7)) agrees(p);
        }),
        { numRuns: 150 },
      );
    }
  });

  it('agrees with markdown-it on every markdown fixture, whole and in chunks', () => {
    for (const f of repositoryMarkdown()) for (const size of [250, 31, 5]) for (const p of pieces(f, size)) agrees(p);
  });

  it('answers for every chunk of the benchmark’s plan, and the plan parses to the same list either way', () => {
    const text = generateTaskList({ tasks: 2000 }).text;
    for (const p of pieces(text, 250)) assert.ok(agrees(p), 'a chunk of the bench plan went to markdown-it');
    assert.equal(parseTaskList(text).tasks.length, 2000);
  });
});
