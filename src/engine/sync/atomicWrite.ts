// Atomic file replacement for the task list: a reader (an editor, git, a person's `cat`) sees either the old file or
// the new one, never a half-written file, and a crash mid-write leaves the old file intact.
// Steps: temp file in the same directory (rename is atomic only within one file system), write, fsync, keep the
// old file's permission bits, then either rename over the target, or (when the caller says what the target must still
// be) a compare-and-swap that never replaces a save it did not check (swapIn); fsync the dir.
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  linkSync,
  lstatSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type BigIntStats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
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
  /** Called after the last identity check, right before the file is moved aside (tests: a save in that gap). */
  beforeReplace?: () => void;
  /** Called while the checked file is moved aside and the path is empty (tests: a save in that gap). */
  whileAside?: () => void;
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
      // Hashing takes milliseconds on a big plan, and a save landing meanwhile was replaced (9 of 2,400 appended
      // paragraphs were lost that way, #14 item 7). The file must still be the one checked, unchanged: a save by
      // rename has a new inode, one in place a new mtime or size. This cheap look refuses most late saves before
      // anything moves; swapIn closes the gap between it and the replacement.
      if (!sameFile(checked, target)) return false;
      opts.beforeReplace?.();
      const swapped = swapIn(tmp, target, checked, opts.whileAside);
      renamed = swapped !== 'refused';
      if (swapped === 'refused') return false;
      if (swapped === 'linked') unlinkQuietly(tmp);
    } else {
      renameSync(tmp, target);
      renamed = true;
    }
  } finally {
    if (!renamed) unlinkQuietly(tmp);
  }
  fsyncDir(dir);
  return true;
}

/**
 * Puts `tmp` at `target` only if the file there is still `checked`, and never over a file it did not check.
 *
 * A plain rename replaces whatever is at the path when it runs, and a save by rename landing between the last stat
 * and that rename was lost (24 of 60,000 appended paragraphs at load 6-17, #14 item 7; 0 with this): the microseconds
 * between two system calls grow to milliseconds when the process is preempted. Node has no exchange rename
 * (renameat2 RENAME_EXCHANGE), but it has two primitives that never replace anything a person wrote:
 * 1. rename the target aside to a name only this writer uses: whatever is at the path at that instant, the checked
 *    file or a save that beat us, is now ours to look at, and nothing is lost by the move;
 * 2. if it is not the checked file, it is a person's save: link it back and refuse (the caller reads the file again
 *    and merges);
 * 3. else link the new file at the path: link() fails with EEXIST instead of replacing, so a save landing while the
 *    path was empty stays, and the write is refused. (putBack says what happens to the file aside then.)
 * The price: for the few microseconds between 1 and 3 the path does not exist; a reader then sees no file (ENOENT),
 * never a wrong or half one, and editors take a delete followed by a create as a change. A crash in that gap leaves the
 * old file under its aside name, which the next start puts back (removeStaleTemps).
 * Where hard links are not supported (some network and FAT file systems), step 3 falls back to the rename, which the
 * aside check has already narrowed to the gap between 1 and 3.
 * Returns 'linked' (tmp still has its own name), 'renamed' (tmp was consumed) or 'refused' (nothing changed).
 */
function swapIn(tmp: string, target: string, checked: Identity, whileAside?: () => void): 'linked' | 'renamed' | 'refused' {
  const aside = join(dirname(target), asideNameOf(basename(target)));
  try {
    renameSync(target, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'refused'; // deleted meanwhile: not recreated
    throw e;
  }
  whileAside?.();
  if (!sameFile(checked, aside)) {
    // A save landed after the last look: it goes back where it was.
    putBack(aside, target);
    return 'refused';
  }
  // From here the file aside is the one checked, which this write was meant to replace.
  let outcome: 'linked' | 'renamed';
  try {
    linkSync(tmp, target);
    outcome = 'linked';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || !LINK_UNSUPPORTED.has(code ?? '')) {
      // EEXIST: a file was created while the path was empty; it stays and the write is refused. Anything else: the
      // checked file goes back. Either way nothing at the path is replaced.
      putBack(aside, target);
      if (code === 'EEXIST') return 'refused';
      throw e;
    }
    renameSync(tmp, target);
    outcome = 'renamed';
  }
  unlinkQuietly(aside);
  return outcome;
}

/**
 * Puts a file set aside back at `target` with link(), which never replaces: when a file reached the path meanwhile,
 * that one stays and the aside file is kept under a hidden name (`.<name>.<pid>.<random>.kept.tmp`, not removed by a
 * start) instead of removed. That newcomer is usually a whole save (an editor's rename, git's checkout), but an append
 * (`>> PLAN.md`) into an empty path creates a file of the appended lines only. When putting back fails, the aside
 * file stays where it is and the error names it.
 */
function putBack(aside: string, target: string): void {
  let linked: boolean;
  try {
    linked = linkUnlessTaken(aside, target);
    if (!linked) renameSync(aside, join(dirname(target), keptNameOf(basename(target))));
  } catch (e) {
    throw new Error(`${target} was moved aside to ${aside} for a compare-and-swap and could not be put back: ${errorText(e)}`, { cause: e });
  }
  if (linked) unlinkQuietly(aside);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** link() error codes that mean this file system has no hard links (rather than a fault of this write). */
const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/** Links `from` at `to`; false when something is already there (that newer file stays). */
function linkUnlessTaken(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (!LINK_UNSUPPORTED.has(code ?? '')) throw e;
    // No hard links here: a rename that checks the path is still empty is the best this file system offers.
    if (existsSync(to)) return false;
    renameSync(from, to);
    return true;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
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
 * The name a compare-and-swap gives the file it moves aside (swapIn): like a temp file's, with `.old` before `.tmp`,
 * so a start can tell "the plan itself, moved aside by a writer that was killed" from a temp file and put it back.
 */
function asideNameOf(name: string): string {
  return tempNameOf(name).replace(/\.tmp$/, '.old.tmp');
}

/** Where swapIn keeps the checked file when something else reached the path while it was aside (not removed by a start). */
function keptNameOf(name: string): string {
  return tempNameOf(name).replace(/\.tmp$/, '.kept.tmp');
}

/** What removeStaleTemps did with one leftover of a killed writer. */
export interface StaleTemp {
  path: string;
  /** removed: a temp file, or the old plan set aside while the new one reached the path; restored: put back at the path. */
  action: 'removed' | 'restored';
}

/**
 * Cleans up after a writer of `path` that was killed mid-write (a kill between writing the temp file and the rename
 * leaves one, and it showed up in `git status`): its temp files are removed, and the file a compare-and-swap had moved
 * aside is put back when the path is still empty (the kill fell between the move and the link), else removed (the new
 * file or a person's save is at the path). Files of a writer still alive are left alone.
 */
export function removeStaleTemps(path: string): StaleTemp[] {
  const target = targetOf(path);
  const dir = dirname(target);
  const re = new RegExp(`^\\.${escapeRegExp(basename(target))}\\.(\\d+)\\.[0-9a-f]{8}(\\.old)?\\.tmp$`);
  const done: StaleTemp[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return done;
  }
  // The files set aside first: one of them may be the plan itself.
  const stale = names.map((name) => ({ name, m: re.exec(name) })).filter(({ m }) => m && !isAlive(Number(m[1])));
  stale.sort((a, b) => Number(b.m![2] !== undefined) - Number(a.m![2] !== undefined));
  for (const { name, m } of stale) {
    const file = join(dir, name);
    try {
      if (m![2] !== undefined && !existsSync(target)) {
        // Something reached the path in the meantime after all: this one is left for a person to look at.
        if (!linkUnlessTaken(file, target)) continue;
        unlinkQuietly(file);
        done.push({ path: file, action: 'restored' });
        continue;
      }
      unlinkSync(file);
      done.push({ path: file, action: 'removed' });
    } catch {
      /* gone meanwhile, or not ours to remove */
    }
  }
  return done;
}

/** `path` with symlinks resolved; a link whose target is missing (a kill mid-swap) resolves to that target's path. */
function targetOf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    /* not there (yet): below */
  }
  try {
    if (lstatSync(path).isSymbolicLink()) return resolve(dirname(path), readlinkSync(path));
  } catch {
    /* not there at all: its directory may still hold leftovers of its name */
  }
  return path;
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
