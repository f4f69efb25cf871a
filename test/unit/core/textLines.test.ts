// splitLines is the one definition of a line shared by the parser, the writer and the incremental parser: it must
// cut exactly where `\r\n`, `\r` and `\n` end a line, and joinLines must give the text back byte for byte.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { dominantEol, joinLines, splitLines } from '../../../src/core/textLines';

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

  it('names the dominant line ending', () => {
    assert.equal(dominantEol(splitLines('a\r\nb\r\nc\n').ends), '\r\n');
    assert.equal(dominantEol(splitLines('a\nb\r\nc\n').ends), '\n');
    assert.equal(dominantEol(splitLines('no break').ends), '\n');
  });
});
