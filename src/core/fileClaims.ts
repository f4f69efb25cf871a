// File-aware scheduling: which paths a task names, and which task must wait because another one that names the same
// path runs. Two agents editing one file at once overwrite each other in a shared tree, and in worktrees the second
// merge conflicts; a plan already says which files a task touches (Spec Kit: "Create User model in
// src/models/user.py", `[P]` meaning "different files"; any task: a `Files:` line), so the dispatcher keeps such tasks
// apart instead of finding out at merge time. Pure core: no I/O.
//
// What counts as a path in a task's text, chosen so prose does not read as files ("CI/CD", "and/or", "/api/users"):
//   - a `Files:` line's entries, always (a folder ends with `/` or has no extension; `src/**/*.ts` means `src/`);
//   - in the title, a word with a `/` whose last part has an extension (`src/models/user.py`), that ends with `/`
//     (`backend/src/`), or that has three parts or more (`src/api/users`);
//   - in the title, anything in backquotes that has a `/` or an extension (`` `package.json` ``).
// Never: a word starting with `/`, `~` or holding `://` (a URL route, a home folder, a link: not the repository's).
// Two paths overlap when they are the same or one is a folder holding the other (`src/models/` and
// `src/models/user.py`). Case matters (git's default on Linux).

/** Why a task does not start now: `holder` names paths that overlap the task's. */
export interface FileHold {
  /** The task that has (or, among ready tasks, gets first) the paths. */
  holder: string;
  /** True when the holder is in progress; false when it is a ready task that goes before in dispatch order. */
  running: boolean;
  /** The held task's paths that overlap the holder's, as this module normalizes them. */
  paths: string[];
}

/** A task as far as file claims go: its title and its `Files:` entries. */
export interface PathSource {
  title: string;
  files?: readonly string[];
}

const EXTENSION_RE = /\.[A-Za-z][A-Za-z0-9]{0,9}$/;
const PATH_CHARS_RE = /^[\w.\-/*?@+~{}[\]]+$/;
const GLOB_RE = /[*?[{]/;
const BACKQUOTED_RE = /`([^`\n]+)`/g;
const WRAPPING_START_RE = /^[("'<[{]+/;
const WRAPPING_END_RE = /[)"'>\]},;:.!?]+$/;

/**
 * A path as compared: forward slashes, no `./`, no doubled slashes, `:12` line suffix dropped, a glob cut to the
 * folder before its first wildcard, a folder ending with `/`. Undefined when nothing of the repository is left
 * (an absolute path, a URL, a glob over everything).
 */
export function normalizePath(raw: string): string | undefined {
  let p = raw.trim().replace(/\\/g, '/');
  if (p === '' || p.includes('://') || p.startsWith('/') || p.startsWith('~')) return undefined;
  p = p.replace(/:\d+(?::\d+)?$/, '');
  const glob = GLOB_RE.exec(p);
  if (glob) {
    const cut = p.lastIndexOf('/', glob.index);
    if (cut < 0) return undefined;
    p = p.slice(0, cut + 1);
  }
  p = p.replace(/\/{2,}/g, '/');
  while (p.startsWith('./')) p = p.slice(2);
  p = p.replace(/(^|\/)\.\//g, '$1');
  if (p === '' || p === '.' || p === './') return undefined;
  if (p.split('/').some((s) => s === '..')) return undefined;
  return p;
}

/** Whether a title word is a path (see the top of this file). */
function titleWordIsPath(w: string): boolean {
  if (!w.includes('/') || !PATH_CHARS_RE.test(w)) return false;
  if (w.endsWith('/')) return true;
  const parts = w.split('/');
  return EXTENSION_RE.test(parts[parts.length - 1]) || parts.length >= 3;
}

/** Paths named in a task's title (see the top of this file), normalized, in order of appearance, each once. */
export function pathsInText(text: string): string[] {
  const out: string[] = [];
  const add = (raw: string): void => {
    const p = normalizePath(raw);
    if (p !== undefined && !out.includes(p)) out.push(p);
  };
  for (const m of text.matchAll(BACKQUOTED_RE)) {
    const inner = m[1].trim().replace(/\\/g, '/');
    if (!/\s/.test(inner) && (inner.includes('/') || EXTENSION_RE.test(inner)) && PATH_CHARS_RE.test(inner)) add(inner);
  }
  for (const word of text.replace(BACKQUOTED_RE, ' ').split(/\s+/)) {
    const w = word.replace(WRAPPING_START_RE, '').replace(WRAPPING_END_RE, '').replace(/\\/g, '/');
    if (titleWordIsPath(w)) add(w);
  }
  return out;
}

/** Every path a task names: its `Files:` entries, then the paths in its title; normalized, each once. */
export function taskPaths(task: PathSource): string[] {
  const out: string[] = [];
  for (const f of task.files ?? []) {
    let p = normalizePath(f);
    if (p === undefined) continue;
    // In a Files: line a name without an extension is a folder (`src/api`): say so, as the title's `src/api/` does.
    if (!p.endsWith('/') && !EXTENSION_RE.test(p.slice(p.lastIndexOf('/') + 1))) p += '/';
    if (!out.includes(p)) out.push(p);
  }
  for (const p of pathsInText(task.title)) if (!out.includes(p)) out.push(p);
  return out;
}

/** Same path, or one is a folder holding the other. */
export function pathsOverlap(a: string, b: string): boolean {
  const x = a.endsWith('/') ? a.slice(0, -1) : a;
  const y = b.endsWith('/') ? b.slice(0, -1) : b;
  return x === y || y.startsWith(`${x}/`) || x.startsWith(`${y}/`);
}

/** Paths of `mine` that overlap any of `theirs`, in `mine`'s order. */
export function overlappingPaths(mine: readonly string[], theirs: readonly string[]): string[] {
  return mine.filter((m) => theirs.some((t) => pathsOverlap(m, t)));
}

/**
 * The paths held by tasks in progress. The dispatcher claims a task's paths when it starts and releases them when it
 * stops being in progress (landed, failed, back to pending), and asks `holdOf` before starting another. A handful of
 * tasks run at once, so a check is O(running × paths²) — no index needed.
 */
export class FileClaims {
  private readonly claims = new Map<string, readonly string[]>();

  /** Number of tasks holding paths. */
  get size(): number {
    return this.claims.size;
  }

  /** `taskId` holds `paths` (replacing what it held); a task naming no path holds nothing. */
  claim(taskId: string, paths: readonly string[]): void {
    if (paths.length === 0) this.claims.delete(taskId);
    else this.claims.set(taskId, paths);
  }

  release(taskId: string): void {
    this.claims.delete(taskId);
  }

  clear(): void {
    this.claims.clear();
  }

  /** What keeps `taskId` (naming `paths`) from starting now: the first other holder of an overlapping path. */
  holdOf(taskId: string, paths: readonly string[]): FileHold | undefined {
    if (paths.length === 0) return undefined;
    for (const [holder, theirs] of this.claims) {
      if (holder === taskId) continue;
      const shared = overlappingPaths(paths, theirs);
      if (shared.length > 0) return { holder, running: true, paths: shared };
    }
    return undefined;
  }
}

/**
 * For views (`next --json`, the tree): the hold of each ready task, as the dispatcher will see it. `running` are the
 * tasks in progress; `ready` the ready tasks in dispatch order — each one that is not held would start before the
 * ones after it, so it holds their overlapping paths too (`running: false`). Tasks absent from the result may start.
 */
export function fileHolds(
  running: Iterable<{ id: string; paths: readonly string[] }>,
  ready: Iterable<{ id: string; paths: readonly string[] }>,
): Map<string, FileHold> {
  const claims = new FileClaims();
  const runningIds = new Set<string>();
  for (const r of running) {
    claims.claim(r.id, r.paths);
    runningIds.add(r.id);
  }
  const out = new Map<string, FileHold>();
  for (const t of ready) {
    const hold = claims.holdOf(t.id, t.paths);
    if (hold) out.set(t.id, { ...hold, running: runningIds.has(hold.holder) });
    else claims.claim(t.id, t.paths);
  }
  return out;
}
