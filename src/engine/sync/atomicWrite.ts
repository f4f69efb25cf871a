// Atomic file replacement for the task list: a reader (an editor, git, a person's `cat`) sees either the old file or
// the new one, never a half-written file, and a crash mid-write leaves the old file intact.
// Steps: temp file in the same directory (rename is atomic only within one file system), write, fsync, keep the
// old file's permission bits, optionally check the target did not change meanwhile, rename over it, fsync the dir.
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type BigIntStats,
} from 'node:fs';
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
  /**
   * Called after the checksum matched and before the final compare-and-swap, for tests that put a person's save in
   * exactly that gap. Not for production use.
   */
  afterCheck?: () => void;
  /**
   * Refuse (throw an EACCES error naming the mode) when the existing target has no write bit at all (0444): a person
   * who made the file read-only asked for it not to change. Without this a rename replaces it anyway (the directory is
   * writable), and root's open() ignores modes. Default false.
   */
  refuseReadOnly?: boolean;
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
  if (opts.refuseReadOnly) refuseIfReadOnly(target);
  const dir = dirname(target);
  const tmp = join(dir, tempNameOf(basename(target)));
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
      // The bytes checked and the identity (inode, size, mtime) of the very file they came from, read through one fd.
      const checked = identityOf(target);
      if (checked?.checksum !== opts.expectChecksum) return false;
      opts.afterCheck?.();
      // Compare-and-swap: hashing takes milliseconds on a big plan, and a save landing meanwhile was replaced (9 of
      // 2,400 appended paragraphs were lost that way, #14 item 7). The file must still be the one checked, unchanged:
      // a save by rename has a new inode, one in place a new mtime or size. What remains is the microseconds between
      // this stat and the rename; closing it needs an exchange rename or file locks that editors do not take.
      if (!sameFile(checked, target)) return false;
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

/**
 * Rewrites `path` in place (same inode) with `data`, crash-safe through a pending record kept at `pendingPath`.
 *
 * Why not a rename: a sandboxed agent sees the plan through a read-only bind mount of the file, and Linux lifts a
 * mount in every other namespace when the file under it is renamed over or unlinked (since 3.18). One rename by the
 * engine while an agent runs would leave that agent the plan writable. Writing into the same inode keeps the mount.
 * Invariant: `pendingPath` must lie where agents cannot write (the engine's hidden state dir), because recovery
 * copies its content into the plan.
 * Crash safety: the full new content and the checksums before/after are made durable in `pendingPath` first; only
 * then is the file overwritten; the record goes once the file is durable. `recoverInPlaceWrite` finishes or undoes
 * what a crash interrupted. A reader may see a partly written file for the duration of one write call.
 * Returns false, having changed nothing, when `expectChecksum` no longer matches the file, or when the file changed
 * after it was checked (a compare-and-swap on inode, size and mtime, as writeFileAtomic's).
 */
export function writeFileInPlace(
  path: string,
  data: Uint8Array,
  pendingPath: string,
  opts: Pick<AtomicWriteOptions, 'expectChecksum' | 'refuseReadOnly' | 'afterCheck'> = {},
): boolean {
  const target = realpathSync(path);
  if (opts.refuseReadOnly) refuseIfReadOnly(target);
  // The bytes checked and the identity of the very file they came from, as the rename path's compare-and-swap takes.
  const checked = identityOf(target);
  if (!checked) throw Object.assign(new Error(`${target}: no such file`), { code: 'ENOENT' });
  if (opts.expectChecksum !== undefined && checked.checksum !== opts.expectChecksum) return false;
  const header = JSON.stringify({ target, before: checked.checksum, after: sha256(data) });
  writeFileAtomic(pendingPath, Buffer.concat([Buffer.from(`${header}\n`), data]), { mode: 0o600 });
  opts.afterCheck?.();
  const fd = openSync(target, 'r+');
  try {
    // Compare-and-swap, through the fd about to be written: hashing and the durable record take milliseconds, and a
    // save landing meanwhile (by rename: another inode at the path; in place: another size or mtime) MUST be kept.
    if (!sameIdentity(fstatSync(fd, { bigint: true }), checked)) {
      unlinkSync(pendingPath);
      return false;
    }
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off, off);
    ftruncateSync(fd, data.length);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  unlinkSync(pendingPath);
  fsyncDir(dirname(pendingPath));
  return true;
}

/** What `recoverInPlaceWrite` found. */
export type InPlaceRecovery =
  | { kind: 'none' }
  | { kind: 'done' | 'not-started'; target: string }
  | { kind: 'restored'; target: string; keptAt: string }
  | { kind: 'unreadable'; keptAt: string };

/**
 * Finishes an in-place write a crash interrupted (call before anything reads the plan, with no agent running). The
 * file already holding the new or the old bytes needs nothing; any other content (a torn write, or an edit made after
 * the crash) is kept beside the record as `<pendingPath>.<time>.kept` before the new content is written, so nothing
 * is lost either way.
 */
export function recoverInPlaceWrite(pendingPath: string, now: () => number = Date.now): InPlaceRecovery {
  if (!existsSync(pendingPath)) return { kind: 'none' };
  const raw = readFileSync(pendingPath);
  const nl = raw.indexOf(0x0a);
  let head: { target?: unknown; before?: unknown; after?: unknown } = {};
  try {
    head = JSON.parse(raw.subarray(0, nl).toString('utf8')) as typeof head;
  } catch {
    /* judged below */
  }
  const data = raw.subarray(nl + 1);
  if (nl < 0 || typeof head.target !== 'string' || head.after !== sha256(data)) {
    const keptAt = `${pendingPath}.${now()}.unreadable`;
    renameSync(pendingPath, keptAt);
    return { kind: 'unreadable', keptAt };
  }
  const target = head.target;
  let current: Buffer | undefined;
  try {
    current = readFileSync(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const sum = current ? sha256(current) : undefined;
  if (sum === head.after || sum === head.before) {
    unlinkSync(pendingPath);
    return { kind: sum === head.after ? 'done' : 'not-started', target };
  }
  const keptAt = `${pendingPath}.${now()}.kept`;
  if (current) writeFileAtomic(keptAt, current, { mode: 0o600 });
  writeFileAtomic(target, data);
  unlinkSync(pendingPath);
  return { kind: 'restored', target, keptAt };
}

/**
 * The temp file's name for a write of `name`: hidden, ending in `.tmp` (which common .gitignore templates cover), and
 * carrying the writer's pid so a later start can tell a leftover of a killed writer (removeStaleTemps) from a live one.
 */
function tempNameOf(name: string): string {
  return `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

/**
 * Removes the temp files a killed writer left beside `path` (a kill between writing the temp file and the rename
 * leaves one, and it showed up in `git status`); a temp file of a process still alive is left alone. Returns the
 * paths removed.
 */
export function removeStaleTemps(path: string): string[] {
  let target = path;
  try {
    target = realpathSync(path);
  } catch {
    /* not there yet: its directory may still hold leftovers of its name */
  }
  const dir = dirname(target);
  const re = new RegExp(`^\\.${escapeRegExp(basename(target))}\\.(\\d+)\\.[0-9a-f]{8}\\.tmp$`);
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = re.exec(name);
    if (!m || isAlive(Number(m[1]))) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(join(dir, name));
    } catch {
      /* gone meanwhile, or not ours to remove */
    }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Throws EACCES when `target` exists with no write bit for anyone (see AtomicWriteOptions.refuseReadOnly). */
function refuseIfReadOnly(target: string): void {
  let mode: number;
  try {
    mode = statSync(target).mode & 0o7777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if ((mode & 0o222) !== 0) return;
  throw Object.assign(new Error(`${target} is read-only (mode 0${mode.toString(8)}): not replaced; make it writable (chmod u+w) to let statuses reach it`), {
    code: 'EACCES',
  });
}

interface Identity {
  checksum: string;
  ino: bigint;
  dev: bigint;
  size: bigint;
  mtimeNs: bigint;
}

/** sha256 of `path`'s bytes and the identity of the file they were read from; undefined when there is no file. */
function identityOf(path: string): Identity | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    return { checksum: sha256(readFileSync(fd)), ino: st.ino, dev: st.dev, size: st.size, mtimeNs: st.mtimeNs };
  } finally {
    closeSync(fd);
  }
}

/** True when `path` is still the file `id` was taken from, unchanged since (same inode, size and mtime). */
function sameFile(id: Identity, path: string): boolean {
  let st;
  try {
    st = statSync(path, { bigint: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  return sameIdentity(st, id);
}

function sameIdentity(st: BigIntStats, id: Identity): boolean {
  return st.ino === id.ino && st.dev === id.dev && st.size === id.size && st.mtimeNs === id.mtimeNs;
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
