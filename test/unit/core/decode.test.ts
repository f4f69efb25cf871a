import * as assert from 'node:assert/strict';
import { decodeTaskList, encodeTaskList, firstInvalidUtf8, type TaskListEncoding } from '../../../src/core/decode';

const bytes = (...b: number[]) => Uint8Array.from(b);
const utf8 = (s: string) => new TextEncoder().encode(s);

function roundTrips(b: Uint8Array): TaskListEncoding {
  const d = decodeTaskList(b);
  assert.deepEqual(encodeTaskList(d.text, d.encoding), b);
  return d.encoding;
}

describe('decodeTaskList / encodeTaskList', () => {
  it('decodes an empty file as UTF-8 with no diagnostics', () => {
    const d = decodeTaskList(new Uint8Array(0));
    assert.deepEqual(d, { text: '', encoding: 'utf8', diagnostics: [] });
    assert.equal(encodeTaskList('', 'utf8').length, 0);
  });

  it('decodes UTF-8 with unicode and CRLF unchanged', () => {
    const text = '## E001: Café ☕\r\n- [ ] **T001.001** Ünïcödé 𝄞 task (P0, 2h)\r\n';
    const d = decodeTaskList(utf8(text));
    assert.equal(d.text, text);
    assert.equal(d.encoding, 'utf8');
    assert.deepEqual(d.diagnostics, []);
    assert.equal(roundTrips(utf8(text)), 'utf8');
  });

  it('strips a UTF-8 BOM from the text and writes it back', () => {
    const b = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('- [ ] T1 x\n')]);
    const d = decodeTaskList(b);
    assert.equal(d.text, '- [ ] T1 x\n');
    assert.equal(d.encoding, 'utf8bom');
    assert.equal(roundTrips(b), 'utf8bom');
  });

  it('decodes UTF-16 LE and BE with a BOM, keeping an unpaired surrogate', () => {
    const le = bytes(0xff, 0xfe, 0x41, 0x00, 0x0a, 0x00, 0x3d, 0xd8, 0x42, 0x00);
    const d = decodeTaskList(le);
    assert.equal(d.encoding, 'utf16le');
    assert.equal(d.text, 'A\n\ud83dB');
    assert.equal(roundTrips(le), 'utf16le');
    const be = bytes(0xfe, 0xff, 0x00, 0x41, 0x00, 0x0a, 0xd8, 0x3d);
    assert.equal(decodeTaskList(be).text, 'A\n\ud83d');
    assert.equal(roundTrips(be), 'utf16be');
  });

  it('reads an odd-length file with a UTF-16 BOM losslessly (not as UTF-16)', () => {
    const b = bytes(0xff, 0xfe, 0x41);
    assert.equal(roundTrips(b), 'latin1');
  });

  it('reads invalid UTF-8 as Latin-1 with a warning naming the first bad byte, its offset and line', () => {
    const b = new Uint8Array([...utf8('# Plan\r\n- [ ] T1 ok\n- [ ] T2 caf'), 0xe9, ...utf8(' au lait\n'), 0xff]);
    const d = decodeTaskList(b);
    assert.equal(d.encoding, 'latin1');
    assert.equal(d.text.split('\n')[2], '- [ ] T2 café au lait');
    assert.equal(d.diagnostics.length, 1);
    const diag = d.diagnostics[0];
    assert.equal(diag.code, 'not-utf8');
    assert.equal(diag.severity, 'warning');
    assert.equal(diag.line, 2);
    assert.equal(diag.column, '- [ ] T2 caf'.length);
    assert.match(diag.message, /0xE9 at byte offset 32, line 3/);
    assert.deepEqual(diag.data, { offset: 32, byte: 0xe9 });
    assert.equal(roundTrips(b), 'latin1');
  });

  it('counts a lone CR as a line break when locating the bad byte', () => {
    const d = decodeTaskList(bytes(0x61, 0x0d, 0x62, 0x0d, 0x0a, 0x63, 0x80));
    assert.equal(d.diagnostics[0].line, 2);
    assert.equal(d.diagnostics[0].column, 1);
  });

  it('falls back to Latin-1 when the bytes after a UTF-8 BOM are not UTF-8, keeping the BOM bytes', () => {
    const b = bytes(0xef, 0xbb, 0xbf, 0x41, 0xc3);
    const d = decodeTaskList(b);
    assert.equal(d.encoding, 'latin1');
    assert.equal(d.diagnostics[0].data?.offset, 4);
    assert.equal(roundTrips(b), 'latin1');
  });

  it('rejects overlong forms, surrogates, code points above U+10FFFF and truncated sequences', () => {
    for (const [b, at] of [
      [bytes(0x41, 0xc0, 0x80), 1],
      [bytes(0xe0, 0x80, 0x80), 0],
      [bytes(0xed, 0xa0, 0x80), 0],
      [bytes(0xf4, 0x90, 0x80, 0x80), 0],
      [bytes(0x41, 0xe2, 0x82), 1],
      [bytes(0xf5, 0x80, 0x80, 0x80), 0],
    ] as const) {
      assert.equal(firstInvalidUtf8(b), at, `bytes ${Array.from(b, (x) => x.toString(16)).join(',')}`);
      assert.equal(decodeTaskList(b).encoding, 'latin1');
    }
    assert.equal(firstInvalidUtf8(utf8('€ 𝄞 ok')), utf8('€ 𝄞 ok').length);
  });

  it('refuses to encode a character Latin-1 cannot hold, naming it and its offset', () => {
    assert.throws(() => encodeTaskList('ab€', 'latin1'), /U\+20AC at offset 2 cannot be written in latin1/);
    assert.throws(() => encodeTaskList('x', 'utf7' as TaskListEncoding), /unknown encoding "utf7"/);
  });
});
