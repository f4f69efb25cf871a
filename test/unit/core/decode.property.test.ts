// Properties of decode/encode over random bytes and strings (thousands of runs), in `npm run test:property`; the
// rules on chosen inputs are in decode.test.ts.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeTaskList, encodeTaskList, firstInvalidUtf8 } from '../../../src/core/decode';

describe('decodeTaskList / encodeTaskList', () => {
  it('property: any bytes decode without throwing and re-encode byte for byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const d = decodeTaskList(b);
        assert.deepEqual(encodeTaskList(d.text, d.encoding), b);
        if (d.encoding === 'latin1') assert.equal(d.diagnostics[0]?.code, 'not-utf8');
      }),
      { numRuns: 2000 },
    );
  });

  it('property: the validator agrees with a fatal TextDecoder', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true });
    const valid = (b: Uint8Array) => {
      try {
        fatal.decode(b);
        return true;
      } catch {
        return false;
      }
    };
    // Mostly multi-byte lead/continuation bytes, where the edge cases live.
    const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0x80, max: 0xf5 }));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 12 }), (arr) => {
        const b = Uint8Array.from(arr);
        assert.equal(firstInvalidUtf8(b) === b.length, valid(b));
      }),
      { numRuns: 5000 },
    );
  });

  it('property: any string round-trips through every encoding that can hold it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        // UTF-8 cannot hold an unpaired surrogate; UTF-16 can.
        const wellFormed = !/\p{Surrogate}/u.test(s);
        for (const enc of ['utf8', 'utf8bom', 'utf16le', 'utf16be'] as const) {
          if (!wellFormed && (enc === 'utf8' || enc === 'utf8bom')) continue;
          // Text starting with U+FEFF written as plain utf8 is indistinguishable from a BOM: the bytes still round-trip.
          if (enc === 'utf8' && s.startsWith('\ufeff')) continue;
          const d = decodeTaskList(encodeTaskList(s, enc));
          assert.equal(d.text, s);
          assert.equal(d.encoding, enc);
        }
      }),
    );
  });
});
