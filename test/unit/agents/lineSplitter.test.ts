import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineSplitter, splitLines } from '../../../src/engine/agents/lineSplitter';

describe('LineSplitter (stdout of the agent CLIs)', () => {
  it('delivers a line only once its newline has arrived, whatever the chunking', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push('{"type":"sys');
    assert.deepEqual(lines, []);
    s.push('tem"}\n{"type":"assistant"}\n{"type":"res');
    assert.deepEqual(lines, ['{"type":"system"}', '{"type":"assistant"}']);
    s.push('ult"}');
    assert.equal(lines.length, 2);
    s.flush();
    assert.deepEqual(lines, ['{"type":"system"}', '{"type":"assistant"}', '{"type":"result"}']);
    s.flush();
    assert.equal(lines.length, 3, 'a second flush delivers nothing');
  });

  it('strips a CR before the newline and keeps empty lines', () => {
    assert.deepEqual(splitLines('a\r\n\nb\r\n'), ['a', '', 'b']);
  });

  it('cuts a runaway line at maxLineChars instead of growing without bound', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), 10);
    for (let i = 0; i < 100; i++) s.push('xxxxxxx');
    s.push('\nnext\n');
    assert.deepEqual(lines, ['x'.repeat(10), 'next']);
    assert.throws(() => new LineSplitter(() => undefined, 0), /maxLineChars must be a positive integer, got 0/);
  });

  it('gives the same lines for any split of the same text (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', '\n', '\r', '{', '"', 'é'), { maxLength: 60 }), fc.array(fc.nat(60), { maxLength: 8 }), (chars, cuts) => {
        const text = chars.join('');
        const lines: string[] = [];
        const s = new LineSplitter((l) => lines.push(l), Number.MAX_SAFE_INTEGER);
        let at = 0;
        for (const c of [...cuts].sort((a, b) => a - b)) {
          s.push(text.slice(at, Math.max(at, c)));
          at = Math.max(at, c);
        }
        s.push(text.slice(at));
        s.flush();
        const expected = text.split('\n').map((l) => l.replace(/\r$/, ''));
        if (text.endsWith('\n') || text === '') expected.pop();
        assert.deepEqual(lines, expected);
      }),
    );
  });
});
