import * as assert from 'node:assert/strict';
import { chmodSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { decodeTaskList } from '../../../src/core/decode';
import { sha256, writeFileAtomic, writeTaskListAtomic } from '../../../src/engine/sync/atomicWrite';
import { makeTempDir, removeDir } from '../db/dbTestKit';

describe('atomicWrite', () => {
  let dir: string;
  beforeEach(() => (dir = makeTempDir('coditect-atomic-')));
  afterEach(() => removeDir(dir));

  it('replaces the file, keeps its permission bits, and leaves no temp file behind', () => {
    const f = path.join(dir, 'TASKLIST.md');
    writeFileSync(f, 'old');
    chmodSync(f, 0o640);
    assert.equal(writeFileAtomic(f, new TextEncoder().encode('new')), true);
    assert.equal(readFileSync(f, 'utf8'), 'new');
    assert.equal(statSync(f).mode & 0o777, 0o640);
    assert.deepEqual(readdirSync(dir), ['TASKLIST.md']);
  });

  it('creates a missing file with the default mode', () => {
    const f = path.join(dir, 'new.md');
    writeFileAtomic(f, new Uint8Array([104, 105]));
    assert.equal(readFileSync(f, 'utf8'), 'hi');
    assert.equal(statSync(f).mode & 0o777, 0o644);
  });

  it('refuses to replace a file that changed since it was read, and cleans up', () => {
    const f = path.join(dir, 'TASKLIST.md');
    writeFileSync(f, 'as read');
    const readSum = sha256(readFileSync(f));
    writeFileSync(f, 'a person saved meanwhile');
    assert.equal(writeFileAtomic(f, new TextEncoder().encode('ours'), { expectChecksum: readSum }), false);
    assert.equal(readFileSync(f, 'utf8'), 'a person saved meanwhile');
    assert.deepEqual(readdirSync(dir), ['TASKLIST.md']);
    assert.equal(writeFileAtomic(f, new TextEncoder().encode('ours'), { expectChecksum: sha256(readFileSync(f)) }), true);
    assert.equal(readFileSync(f, 'utf8'), 'ours');
  });

  it('writes through a symlink to its target, keeping the link', () => {
    const target = path.join(dir, 'real.md');
    const link = path.join(dir, 'link.md');
    writeFileSync(target, 'x');
    symlinkSync(target, link);
    writeFileAtomic(link, new TextEncoder().encode('y'));
    assert.equal(lstatSync(link).isSymbolicLink(), true);
    assert.equal(readFileSync(target, 'utf8'), 'y');
  });

  it('keeps the encoding and the line endings: a Latin-1 CRLF file stays Latin-1 CRLF', () => {
    const f = path.join(dir, 'latin.md');
    const bytes = Buffer.from('## E001: Caf\xe9\r\n- [ ] T1 Cr\xe8me\r\n', 'latin1');
    writeFileSync(f, bytes);
    const dec = decodeTaskList(readFileSync(f));
    assert.equal(dec.encoding, 'latin1');
    writeTaskListAtomic(f, dec.text.replace('- [ ]', '- [x]'), dec.encoding);
    assert.deepEqual(readFileSync(f), Buffer.from('## E001: Caf\xe9\r\n- [x] T1 Cr\xe8me\r\n', 'latin1'));
  });

  it('fails loudly (and leaves the old file) when the text cannot be encoded', () => {
    const f = path.join(dir, 'latin.md');
    writeFileSync(f, Buffer.from('caf\xe9', 'latin1'));
    assert.throws(() => writeTaskListAtomic(f, 'snow ☃', 'latin1'), RangeError);
    assert.deepEqual(readFileSync(f), Buffer.from('caf\xe9', 'latin1'));
    assert.deepEqual(readdirSync(dir), ['latin.md']);
  });
});
