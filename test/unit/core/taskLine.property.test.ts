// commonTaskLine's one promise: whenever it answers (the common `- [ ] **T001.009** Title (P0, 16h)` shape), its
// reading is readTaskLine's, field for field, so a plan is read the same whichever of the two read a line. Checked on
// random lines made mostly of that shape and of the words that make readTaskLine see metadata at either end of a title
// (priorities, estimates, ids, dependency phrases, BLOCKED), on the random files of each dialect, on every task line
// of the markdown fixtures, and on the benchmark's plan (whose task lines it must read itself).
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyzeTaskLine, commonDepsLine, commonTaskLine, emptyMeta, readAnyMetaLine, readMetaLine, readTaskLine } from '../../../src/core/taskLine';
import { LineIndex } from '../../../src/core/textLines';
import { generateTaskList } from '../../bench/generatePlan';
import { DIALECT_FILES, DIALECTS } from './dialectArbitraries';
import { repositoryMarkdown } from './repositoryMarkdown';

const RUNS = Number(process.env.TASK_LINE_RUNS ?? 5000);

/** Asserts that analyzeTaskLine (fast path first) reads `line` as readTaskLine does; true when the fast path answered. */
function agrees(line: string, lineNo = 7): boolean {
  const fast = commonTaskLine(line);
  const general = readTaskLine(line, lineNo);
  assert.deepEqual(analyzeTaskLine(line, lineNo), general, `analyzeTaskLine differs from readTaskLine on ${JSON.stringify(line)}`);
  if (fast === undefined) return false;
  assert.deepEqual(fast, general, `commonTaskLine differs from readTaskLine on ${JSON.stringify(line)}`);
  return true;
}

/** Asserts that readMetaLine (fast path first) reads `text` as readAnyMetaLine does; true when the fast path answered. */
function metaAgrees(text: string, lineNo = 3, col = 4): boolean {
  const fastMeta = emptyMeta();
  const fast = commonDepsLine(text, lineNo, col, fastMeta);
  const meta = emptyMeta();
  const r = readMetaLine(text, lineNo, col, meta);
  const generalMeta = emptyMeta();
  const general = readAnyMetaLine(text, lineNo, col, generalMeta);
  assert.deepEqual(r, general, `readMetaLine's answer differs from readAnyMetaLine's on ${JSON.stringify(text)}`);
  assert.deepEqual(meta, generalMeta, `readMetaLine differs from readAnyMetaLine on ${JSON.stringify(text)}`);
  if (!fast) {
    assert.deepEqual(fastMeta, emptyMeta(), `commonDepsLine recorded something for ${JSON.stringify(text)} without answering`);
    return false;
  }
  assert.deepEqual(fastMeta, generalMeta, `commonDepsLine differs from readAnyMetaLine on ${JSON.stringify(text)}`);
  return true;
}

const plainWord = fc.constantFrom('Deploy', 'the', 'message', 'bus', 'auth', 'API', 'x', 'tests', 'for', 'v2', 'a1b', '1', '42', '2026', 'REST');
const metaWord = fc.constantFrom(
  'P0',
  'P1',
  'P3',
  'P4',
  'P2x',
  'p1',
  '16h',
  '2d',
  '5hours',
  'hours',
  'days',
  'h',
  'min',
  'w',
  'BLOCKED',
  'Blocked',
  'blocked',
  'T5',
  'T001',
  'xT1',
  'after',
  'depends',
  'on',
  'waits',
  'blocked by',
  'Review',
  'Checkpoint',
  '1.5h',
  '~2h',
  'café',
  'a-b',
  'a:b',
  '[P]',
  '(x)',
  '`status:done`',
  '⏸️',
);
const word = fc.oneof({ weight: 8, arbitrary: plainWord }, { weight: 2, arbitrary: metaWord });
/** Mostly the common choice, sometimes each of the others. */
const mostly = <T>(common: T, ...others: T[]): fc.Arbitrary<T> =>
  fc.oneof({ weight: 6 * others.length, arbitrary: fc.constant(common) }, { weight: others.length, arbitrary: fc.constantFrom(...others) });
const sep = mostly(' ', '  ', '\t');
const title = fc
  .tuple(fc.array(word, { minLength: 1, maxLength: 6 }), fc.array(sep, { minLength: 6, maxLength: 6 }))
  .map(([ws, ss]) => ws.map((w, i) => (i === 0 ? w : ss[i] + w)).join(''));
const commonLine = fc
  .tuple(
    mostly('', '  ', '    ', ' ', '\t'),
    mostly('-', '*', '+', '1.'),
    mostly('[ ]', '[x]', '[X]', '[/]', '[-]', '[ ]*'),
    mostly(' ', '  '),
    mostly('**T001.009**', '**T1**', '**T12.3.4**', '**T031a**', '__T1__', '`T1`', '[T1]', 'T1:', '**API-12**', '', '**T1**:'),
    mostly(' ', '  ', ''),
    title,
    fc.constantFrom(
      '',
      ' (P0, 1h)',
      ' (P2, 16h)',
      ' (P1, 3h)',
      '',
      ' (P2, 16h)',
      ' (P3, 9999h)',
      ' (P3, 10000h)',
      ' (P1)',
      ' (7h)',
      ' (P4, 2h)',
      ' (P2, 0h)',
      ' (P2,7h)',
      ' (P2, 7 h)',
      ' (P2, 07h)',
      ' (16h, P1)',
      ' (P1, 2d)',
      ' (depends on T1)',
      ' P1',
      ' 16h',
      '(P1, 2h)',
    ),
    mostly('', ' ', '\r'),
  )
  .map(([i, m, box, sp, id, sp2, t, group, trail]) => `${i}${m} ${box}${sp}${id}${id ? sp2 : ''}${t}${group}${trail}`);

/** Lines of exactly the fast path's shape, with titles of plain words only: most of them are answered and compared. */
const plainLine = fc
  .tuple(
    fc.constantFrom('', '  ', '    '),
    fc.constantFrom('-', '*', '+'),
    fc.constantFrom(' ', 'x', 'X'),
    fc.tuple(fc.integer({ min: 0, max: 999 }), fc.array(fc.integer({ min: 0, max: 999 }), { maxLength: 3 })),
    fc.array(fc.oneof({ weight: 8, arbitrary: plainWord }, { weight: 1, arbitrary: fc.constantFrom('P1', '16h', 'T3', 'BLOCKED', 'hours') }), {
      minLength: 1,
      maxLength: 7,
    }),
    fc.option(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 200 }))),
  )
  .map(([i, m, x, [n, parts], ws, g]) => `${i}${m} [${x}] **T${[n, ...parts].join('.')}** ${ws.join(' ')}${g ? ` (P${g[0]}, ${g[1]}h)` : ''}`);

const depId = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 999 }), fc.array(fc.integer({ min: 0, max: 99 }), { maxLength: 2 }))
      .map(([n, p]) => `T${[n, ...p].join('.')}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('T1a', 'API-3', 'F001.02', 'E1', 'Phase 2', '**T1**', '`T2`', 'T1.', 'xT1', 'T1-2', 'none', '-', 'the infra team', ''),
  },
);
const depLine = fc
  .tuple(
    fc.oneof(
      { weight: 8, arbitrary: fc.constant('Depends on') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'Depends  on',
          'depends on',
          '**Depends on**',
          'Depends on:',
          'Dependencies',
          'Deps',
          'Requires',
          'Blocked by',
          'Depend on',
          'D',
        ),
      },
    ),
    fc.oneof({ weight: 8, arbitrary: fc.constant(': ') }, { weight: 1, arbitrary: fc.constantFrom(':', ':  ', ' ', ' : ', ':\t', '') }),
    fc.array(depId, { minLength: 1, maxLength: 4 }),
    fc.array(fc.oneof({ weight: 8, arbitrary: fc.constant(', ') }, { weight: 1, arbitrary: fc.constantFrom(',', ' , ', ' and ', '; ', ',  ', ' ') }), {
      minLength: 4,
      maxLength: 4,
    }),
    fc.oneof({ weight: 8, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom(' ', '.', ',', '\t', '\r') }),
  )
  .map(([key, sep, ids, seps, trail]) => key + sep + ids.map((id, i) => (i === 0 ? id : seps[i] + id)).join('') + trail);

function lines(text: string): string[] {
  const idx = new LineIndex(text);
  const out: string[] = [];
  for (let l = 0; l < idx.count; l++) out.push(idx.line(l));
  return out;
}

describe('commonTaskLine (task-line fast path)', () => {
  it('reads a line as readTaskLine does whenever it answers, on random task lines', () => {
    let answered = 0;
    fc.assert(
      fc.property(commonLine, (line) => {
        if (agrees(line)) answered++;
      }),
      { numRuns: RUNS },
    );
    if (process.env.TASK_LINE_RUNS) console.log(`answered ${answered} of ${RUNS}`);
    assert.ok(answered > RUNS / 20, `answered ${answered} of ${RUNS}`);
  });

  it('answers most lines of its own shape, and reads them as readTaskLine does', () => {
    let answered = 0;
    fc.assert(
      fc.property(plainLine, (line) => {
        if (agrees(line)) answered++;
      }),
      { numRuns: RUNS },
    );
    assert.ok(answered > RUNS / 2, `answered ${answered} of ${RUNS}`);
  });

  it('reads every line of random files of every dialect as readTaskLine does', () => {
    for (const d of DIALECTS) {
      fc.assert(
        fc.property(DIALECT_FILES[d], (src) => {
          lines(src).forEach((l, i) => agrees(l, i));
        }),
        { numRuns: 100 },
      );
    }
  });

  it('reads every line of the markdown fixtures as readTaskLine does', () => {
    for (const f of repositoryMarkdown()) lines(f).forEach((l, i) => agrees(l, i));
  });

  it('answers every task line of the benchmark’s plan', () => {
    const all = lines(generateTaskList({ tasks: 3000 }).text).filter((l) => l.startsWith('- ['));
    assert.equal(all.length, 3000);
    for (const l of all) assert.ok(agrees(l), `the fast path did not answer ${JSON.stringify(l)}`);
  });

  it('reads a dependency line as readAnyMetaLine does whenever its fast path answers, on random lines', () => {
    let answered = 0;
    fc.assert(
      fc.property(depLine, (text) => {
        if (metaAgrees(text)) answered++;
      }),
      { numRuns: RUNS },
    );
    if (process.env.TASK_LINE_RUNS) console.log(`answered ${answered} of ${RUNS}`);
    assert.ok(answered > RUNS / 5, `answered ${answered} of ${RUNS}`);
  });

  it('reads every sub-bullet and line of the fixtures and of random dialect files as readAnyMetaLine does', () => {
    const texts = (src: string) => lines(src).map((l) => l.replace(/^[ \t]*(?:[-*+][ \t]+)?/, ''));
    for (const f of repositoryMarkdown()) texts(f).forEach((t) => metaAgrees(t));
    for (const d of DIALECTS) {
      fc.assert(
        fc.property(DIALECT_FILES[d], (src) => {
          texts(src).forEach((t) => metaAgrees(t));
        }),
        { numRuns: 50 },
      );
    }
    const plan = texts(generateTaskList({ tasks: 3000 }).text).filter((t) => t.startsWith('Depends on'));
    assert.ok(plan.length > 1000);
    for (const t of plan) assert.ok(metaAgrees(t), `the fast path did not answer ${JSON.stringify(t)}`);
  });

  it('leaves to readTaskLine the titles it would read metadata from', () => {
    for (const line of [
      '- [ ] **T1** P1 Deploy the bus',
      '- [ ] **T1** Deploy the bus P2',
      '- [ ] **T1** Deploy the bus 16h',
      '- [ ] **T1** Deploy the bus 2 days',
      '- [ ] **T1** Deploy the bus after T3',
      '- [ ] **T1** Deploy depends on the infra team',
      '- [ ]* **T1** Optional',
      '- [/] **T1** By hand',
      '- [ ] **T1a** Lettered',
    ]) {
      assert.equal(commonTaskLine(line), undefined, line);
      agrees(line);
    }
    // It still reads what it reads the same way: a BLOCKED title is an external blocker.
    assert.ok(agrees('- [ ] **T1** BLOCKED waiting on vendor keys (P1, 2h)'));
    assert.deepEqual(analyzeTaskLine('- [ ] **T1** BLOCKED waiting on vendor keys (P1, 2h)')!.meta.blockers, ['waiting on vendor keys']);
  });
});
