// Atomic file replacement for the task list: a reader (an editor, git, a person's `cat`) sees either the old file or
// the new one, never a half-written file, and a crash mid-write leaves the old file intact.
// Steps: temp file in the same directory (rename is atomic only within one file system), write, fsync, keep the
// old file's permission bits, optionally check the target did not change meanwhile, rename over it, fsync the dir.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { encodeTaskList, type TaskListEncoding } from '../../core/decode';

/** Options of writeFileAtomic. */
export interface AtomicWriteOptions {
  /**
   * sha256 (hex) the target's current bytes must have just before the rename; when they differ (someone wrote the
   * file meanwhile) nothing is replaced and the call returns false. Undefined: no check.
   */
  expectChecksum?: string;
  /** Permission bits for a file that does not exist yet. Default 0o644. */
  mode?: number;
}

/** sha256 hex of bytes or of a string's UTF-8. */
export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Replaces `path` with `data` atomically (following a symlink to its target, so the link stays a link).
 * Returns false, having changed nothing, when `expectChecksum` no longer matches the file.
 */
export function writeFileAtomic(path: string, data: Uint8Array, opts: AtomicWriteOptions = {}): boolean {
  let target = path;
  let mode = opts.mode ?? 0o644;
  try {
    target = realpathSync(path);
    mode = statSync(target).mode & 0o7777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  let renamed = false;
  try {
    try {
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
      fchmodSync(fd, mode); // open() applied the umask; the old file's bits are what we keep
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (opts.expectChecksum !== undefined) {
      let current: string | undefined;
      try {
        current = sha256(readFileSync(target));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      // A write landing between this check and the rename (microseconds) would still be replaced: closing that
      // window needs OS file locks that editors do not take. The check closes the wide window (read → merge → write).
      if (current !== opts.expectChecksum) return false;
    }
    renameSync(tmp, target);
    renamed = true;
  } finally {
    if (!renamed) {
      try {
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
    }
  }
  fsyncDir(dir);
  return true;
}

/** Encodes `text` in the file's encoding (its line endings are in the text already) and writes it atomically. */
export function writeTaskListAtomic(path: string, text: string, encoding: TaskListEncoding, opts: AtomicWriteOptions = {}): boolean {
  return writeFileAtomic(path, encodeTaskList(text, encoding), opts);
}

/** Makes the rename durable; some platforms cannot fsync a directory, which only weakens durability, not atomicity. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* best effort */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
