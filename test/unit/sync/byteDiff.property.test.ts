// changedUtf8Lines against the text version it must agree with: for random UTF-8 files and edits (LF, CRLF, lone CR,
// multi-byte characters), the decoded line regions re-parse to exactly what a full parse of the new file gives.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { reparseChangedLines } from '../../../src/core/incremental';
import { parseTaskList } from '../../../src/core/parser';
import { changedUtf8Lines } from '../../../src/engine/sync/byteDiff';

const enc = new TextEncoder();
const PLAN = [
  '# Plan',
  '',
  '## E001: Café',
  '',
  '- [ ] **T1** Déployer le bus (P0, 16h)',
  '  - Depends on: T2',
  '- [x] **T2** 日本語のタスク 🚀',
  '',
  '```',
  '- [ ] T9 code',
  '```',
  '',
];

describe('changedUtf8Lines', () => {
  it('finds the changed lines of a one-line edit, with their 0-based line number', () => {
    const a = PLAN.join('\n');
    const b = a.replace('- [ ] **T1**', '- [x] **T1**');
    const c = changedUtf8Lines(enc.encode(a), enc.encode(b));
    assert.ok(c && c !== 'same');
    assert.equal(c.firstLine, 4);
    assert.deepEqual(c.before.lines, ['- [ ] **T1** Déployer le bus (P0, 16h)']);
    assert.deepEqual(c.after.lines, ['- [x] **T1** Déployer le bus (P0, 16h)']);
    assert.equal(changedUtf8Lines(enc.encode(a), enc.encode(a)), 'same');
  });

  it('refuses bytes that are not plain UTF-8 any more, and edits that split or join a CRLF pair', () => {
    const a = enc.encode(PLAN.join('\n'));
    const latin = Uint8Array.from(a);
    latin[latin.indexOf(0x44)] = 0xe9; // a lone Latin-1 "é" in place of the first "D"
    assert.equal(changedUtf8Lines(a, latin), undefined);
    assert.equal(changedUtf8Lines(a, new Uint8Array([0xef, 0xbb, 0xbf, ...a])), undefined);
    const crlf = enc.encode('- [ ] **T1** a\r\n- [ ] **T2** b\r\n');
    assert.equal(changedUtf8Lines(crlf, enc.encode('- [ ] **T1** a\r\r\n- [ ] **T2** b\r\n')), undefined);
    assert.equal(changedUtf8Lines(crlf, enc.encode('- [ ] **T1** a\n- [ ] **T2** b\r\n')), undefined);
  });

  it('agrees with a full parse whenever the change re-parses incrementally', () => {
    const line = fc.constantFrom(...PLAN, '- [ ] **T3** naïve café', '- [X] T4 ünïcödé ~2h', 'prose', '');
    const eol = fc.constantFrom('\n', '\r\n', '\r');
    const doc = fc.tuple(fc.array(line, { minLength: 1, maxLength: 20 }), eol).map(([ls, e]) => ls.join(e));
    const edit = fc.tuple(fc.nat(), fc.constantFrom('x', 'é', '🚀', ' ', '`status:failed`', '\n', '\r\n', '- [ ] '), fc.nat({ max: 3 }));
    fc.assert(
      fc.property(doc, fc.array(edit, { minLength: 1, maxLength: 3 }), (a, edits) => {
        let b = a;
        for (const [at, ins, del] of edits) {
          // Edit at a character (never inside a surrogate pair), so the result stays valid UTF-8.
          let p = at % (b.length + 1);
          if (p > 0 && p < b.length && b.charCodeAt(p) >= 0xdc00 && b.charCodeAt(p) <= 0xdfff) p--;
          let q = Math.min(b.length, p + del);
          if (q > 0 && q < b.length && b.charCodeAt(q) >= 0xdc00 && b.charCodeAt(q) <= 0xdfff) q++;
          b = b.slice(0, p) + ins + b.slice(q);
        }
        const c = changedUtf8Lines(enc.encode(a), enc.encode(b));
        if (c === undefined) return;
        const prev = parseTaskList(a);
        const out = c === 'same' ? prev : reparseChangedLines(prev, c);
        if (c === 'same') assert.equal(a, b);
        if (out) assert.deepStrictEqual(out, parseTaskList(b));
      }),
      { numRuns: 1000 },
    );
  });
});
