// splitLines is the one definition of a line shared by the parser, the writer and the incremental parser: it must
// cut exactly where `\r\n`, `\r` and `\n` end a line, and joinLines must give the text back byte for byte.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineIndex, dominantEol, joinLines, splitLines } from '../../../src/core/textLines';

/** The definition, written the obvious way. */
function reference(text: string): { lines: string[]; ends: string[] } {
  const lines: string[] = [];
  const ends: string[] = [];
  let start = 0;
  for (const m of text.matchAll(/\r\n|\r|\n/g)) {
    lines.push(text.slice(start, m.index));
    ends.push(m[0]);
    start = m.index! + m[0].length;
  }
  lines.push(text.slice(start));
  ends.push('');
  return { lines, ends };
}

describe('textLines', () => {
  it('splits like the definition and joins back to the same text, for any mix of line endings', () => {
    const piece = fc.oneof(fc.constantFrom('\n', '\r', '\r\n', '\n\r', '\r\r\n', ''), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 30 }).map((p) => p.join('')),
        (text) => {
          const s = splitLines(text);
          assert.deepEqual(s, reference(text));
          assert.equal(joinLines(s), text);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('LineIndex has the same lines as splitLines (and the same dominant ending), for any mix of line endings', () => {
    const piece = fc.oneof(fc.constantFrom('\n', '\r', '\r\n', '\n\r', '\r\r\n', ''), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 30 }).map((p) => p.join('')),
        (text) => {
          const s = splitLines(text);
          const idx = new LineIndex(text);
          assert.equal(idx.count, s.lines.length);
          assert.deepEqual(
            Array.from({ length: idx.count }, (_, i) => idx.line(i)),
            s.lines,
          );
          assert.equal(idx.eol, dominantEol(s.ends));
          assert.equal(idx.line(idx.count), '');
        },
      ),
      { numRuns: 2000 },
    );
    // Enough lines to outgrow the index's first allocation.
    const big = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\r\n');
    const idx = new LineIndex(big);
    assert.equal(idx.count, 5000);
    assert.equal(idx.line(4321), 'line 4321');
    assert.equal(idx.eol, '\r\n');
  });

  it('names the dominant line ending', () => {
    assert.equal(dominantEol(splitLines('a\r\nb\r\nc\n').ends), '\r\n');
    assert.equal(dominantEol(splitLines('a\nb\r\nc\n').ends), '\n');
    assert.equal(dominantEol(splitLines('no break').ends), '\n');
  });
});
