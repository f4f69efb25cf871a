import * as assert from 'node:assert/strict';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { decodeTaskList } from '../../../src/core/decode';
import { recoverInPlaceWrite, removeStaleTemps, sha256, writeFileAtomic, writeFileInPlace, writeTaskListAtomic } from '../../../src/engine/sync/atomicWrite';
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

  // #14 item 7: a save landing after the checksum matched (hashing a big plan takes milliseconds) was replaced.
  it('compare-and-swap: a save by rename between the check and the rename is kept, the write refused', () => {
    const f = path.join(dir, 'TASKLIST.md');
    writeFileSync(f, 'as read\n');
    const readSum = sha256(readFileSync(f));
    const save = (): void => {
      writeFileSync(`${f}.editor~`, "as read\nthe person's new paragraph\n");
      renameSync(`${f}.editor~`, f);
    };
    assert.equal(writeFileAtomic(f, new TextEncoder().encode('ours'), { expectChecksum: readSum, afterCheck: save }), false);
    assert.equal(readFileSync(f, 'utf8'), "as read\nthe person's new paragraph\n");
    assert.deepEqual(readdirSync(dir), ['TASKLIST.md']);
  });

  it('compare-and-swap: a save in place (same inode) between the check and the rename is kept, the write refused', () => {
    const f = path.join(dir, 'TASKLIST.md');
    writeFileSync(f, 'as read\n');
    const readSum = sha256(readFileSync(f));
    const save = (): void => appendFileSync(f, 'appended in place\n');
    assert.equal(writeFileAtomic(f, new TextEncoder().encode('ours'), { expectChecksum: readSum, afterCheck: save }), false);
    assert.equal(readFileSync(f, 'utf8'), 'as read\nappended in place\n');
  });

  // #14 item 7, the last gap: a save by rename landing after the final identity check and before the replacement was
  // replaced (1 of 24,000 paragraphs in the stress run). The file in place is now moved aside and checked after the
  // move, and the new file is linked in only where the path is empty (link never replaces).
  it('compare-and-swap: a save by rename after the last check, right before the replacement, is kept', () => {
    const f = path.join(dir, 'TASKLIST.md');
    writeFileSync(f, 'as read\n');
    const readSum = sha256(readFileSync(f));
    const save = (): void => {
      writeFileSync(`${f}.editor~`, "as read\nthe person's new paragraph\n");
      renameSync(`${f}.editor~`, f);
    };
    assert.equal(writeFileAtomic(f, new TextEncoder().encode('ours'), { expectChecksum: readSum, beforeReplace: save }), false);
    assert.equal(readFileSync(f, 'utf8'), "as read\nthe person's new paragraph\n");
    assert.deepEqual(readdirSync(dir), ['TASKLIST.md'], 'no temp file and nothing set aside is left');
  });

  it('compare-and-swap: a save landing while the checked file is moved aside is kept, the write refused', () => {
    const f = path.join(dir, 'TASKLIST.md');
    writeFileSync(f, 'as read\n');
    const readSum = sha256(readFileSync(f));
    let pathWasEmpty = false;
    const save = (): void => {
      pathWasEmpty = !existsSync(f);
      writeFileSync(`${f}.editor~`, "as read\nthe person's new paragraph\n");
      renameSync(`${f}.editor~`, f);
    };
    assert.equal(writeFileAtomic(f, new TextEncoder().encode('ours'), { expectChecksum: readSum, whileAside: save }), false);
    assert.ok(pathWasEmpty, 'the hook ran in the gap');
    assert.equal(readFileSync(f, 'utf8'), "as read\nthe person's new paragraph\n");
    // What came in while the path was empty may be an append's lines only (`>>` creates the file): the checked file
    // is kept under a hidden name, which a start does not remove.
    const kept = readdirSync(dir).filter((n) => n !== 'TASKLIST.md');
    assert.equal(kept.length, 1);
    assert.match(kept[0], /^\.TASKLIST\.md\.\d+\.[0-9a-f]{8}\.kept\.tmp$/);
    assert.equal(readFileSync(path.join(dir, kept[0]), 'utf8'), 'as read\n');
    assert.deepEqual(removeStaleTemps(f), []);
    unlinkSync(path.join(dir, kept[0]));
    // and a write with nothing in its way replaces the file (a new inode, as the rename gave), keeping its mode
    chmodSync(f, 0o640);
    const ino = statSync(f).ino;
    assert.equal(writeFileAtomic(f, new TextEncoder().encode('ours'), { expectChecksum: sha256(readFileSync(f)) }), true);
    assert.equal(readFileSync(f, 'utf8'), 'ours');
    assert.notEqual(statSync(f).ino, ino);
    assert.equal(statSync(f).mode & 0o777, 0o640);
    assert.equal(statSync(f).nlink, 1, 'the temp name is gone: one link');
    assert.deepEqual(readdirSync(dir), ['TASKLIST.md']);
  });

  it('compare-and-swap: the file deleted between the check and the rename is not recreated', () => {
    const f = path.join(dir, 'TASKLIST.md');
    writeFileSync(f, 'as read\n');
    const readSum = sha256(readFileSync(f));
    assert.equal(writeFileAtomic(f, new TextEncoder().encode('ours'), { expectChecksum: readSum, afterCheck: () => unlinkSync(f) }), false);
    assert.deepEqual(readdirSync(dir), []);
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

  describe('in place (the plan while sandboxed agents run)', () => {
    const enc = (t: string): Uint8Array => new TextEncoder().encode(t);
    /** A crash record as writeFileInPlace leaves it just before it overwrites the file. */
    const record = (target: string, before: string, after: string): Buffer =>
      Buffer.concat([Buffer.from(`${JSON.stringify({ target, before: sha256(before), after: sha256(after) })}\n`), Buffer.from(after)]);

    it('keeps the inode (a read-only bind mount of the file holds), the bits, and leaves no record', () => {
      const f = path.join(dir, 'PLAN.md');
      const pending = path.join(dir, 'state', 'context.db.plan-write');
      writeFileSync(f, 'a much longer old text than the new one\n');
      chmodSync(f, 0o640);
      const ino = statSync(f).ino;
      mkdirSync(path.dirname(pending));
      assert.equal(writeFileInPlace(f, enc('short\n'), pending), true);
      assert.equal(readFileSync(f, 'utf8'), 'short\n', 'the tail of the longer old text must be cut');
      assert.equal(statSync(f).ino, ino);
      assert.equal(statSync(f).mode & 0o777, 0o640);
      assert.equal(existsSync(pending), false);
      // The rename the engine used before changes the inode: that is what lifted the sandbox's mount.
      writeFileAtomic(f, enc('renamed\n'));
      assert.notEqual(statSync(f).ino, ino);
    });

    it('refuses, changing nothing, when the file changed since it was read', () => {
      const f = path.join(dir, 'PLAN.md');
      const pending = path.join(dir, 'rec');
      writeFileSync(f, 'as read');
      const readSum = sha256(readFileSync(f));
      writeFileSync(f, 'a person saved meanwhile');
      assert.equal(writeFileInPlace(f, enc('ours'), pending, { expectChecksum: readSum }), false);
      assert.equal(readFileSync(f, 'utf8'), 'a person saved meanwhile');
      assert.equal(existsSync(pending), false);
    });

    // #14: the in-place path lacked the compare-and-swap the rename path has; a save landing while the record was made
    // durable was overwritten.
    it('compare-and-swap: a save by rename or in place after the check is kept, the write refused, no record left', () => {
      const f = path.join(dir, 'PLAN.md');
      const pending = path.join(dir, 'rec');
      for (const save of [
        (): void => {
          writeFileSync(`${f}.editor~`, "as read\nthe person's new paragraph\n");
          renameSync(`${f}.editor~`, f);
        },
        (): void => appendFileSync(f, "the person's new paragraph\n"),
      ]) {
        writeFileSync(f, 'as read\n');
        const readSum = sha256(readFileSync(f));
        assert.equal(writeFileInPlace(f, enc('ours'), pending, { expectChecksum: readSum, afterCheck: save }), false);
        assert.equal(readFileSync(f, 'utf8'), "as read\nthe person's new paragraph\n");
        assert.equal(existsSync(pending), false);
      }
      assert.equal(writeFileInPlace(f, enc('ours'), pending, { expectChecksum: sha256(readFileSync(f)) }), true);
      assert.equal(readFileSync(f, 'utf8'), 'ours');
    });

    it('recovery after a crash: a torn write gets the new text, the torn file is kept; done or not started needs nothing', () => {
      const f = path.join(dir, 'PLAN.md');
      const pending = path.join(dir, 'rec');
      assert.deepEqual(recoverInPlaceWrite(pending), { kind: 'none' });

      writeFileSync(f, 'new text\ntail of the old');
      writeFileSync(pending, record(f, 'old text\ntail of the old', 'new text\n'));
      const r = recoverInPlaceWrite(pending, () => 42);
      assert.equal(r.kind, 'restored');
      assert.equal(readFileSync(f, 'utf8'), 'new text\n');
      assert.equal(readFileSync(`${pending}.42.kept`, 'utf8'), 'new text\ntail of the old');
      assert.equal(statSync(`${pending}.42.kept`).mode & 0o777, 0o600);
      assert.equal(existsSync(pending), false);

      writeFileSync(f, 'old');
      writeFileSync(pending, record(f, 'old', 'new'));
      assert.deepEqual(recoverInPlaceWrite(pending), { kind: 'not-started', target: f });
      assert.equal(readFileSync(f, 'utf8'), 'old');
      writeFileSync(pending, record(f, 'old', 'old'));
      assert.equal(recoverInPlaceWrite(pending).kind, 'done');
      assert.equal(existsSync(pending), false);
    });

    it('a record cut short (the crash hit while it was written) is set aside, the plan untouched', () => {
      const f = path.join(dir, 'PLAN.md');
      const pending = path.join(dir, 'rec');
      writeFileSync(f, 'the plan');
      writeFileSync(pending, record(f, 'the plan', 'the new plan').subarray(0, -3));
      const r = recoverInPlaceWrite(pending, () => 7);
      assert.deepEqual(r, { kind: 'unreadable', keptAt: `${pending}.7.unreadable` });
      assert.equal(readFileSync(f, 'utf8'), 'the plan');
    });
  });
});
