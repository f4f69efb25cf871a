// A small typed wrapper over the `git` CLI: argv arrays, never a shell; one place that decides how the engine runs git.
//
// Every call runs with a scrubbed environment and pinned configuration, because the engine runs git inside worktrees
// an agent has written to, and nothing an agent writes may change what the engine runs:
//   - inherited GIT_* variables are dropped (a GIT_DIR or GIT_CONFIG_PARAMETERS from the caller would redirect us);
//   - hooks are off (`core.hooksPath=/dev/null`) and so is `core.fsmonitor` (both execute programs);
//   - no editor, pager, terminal prompt or signing prompt can block a call;
//   - auto-gc/maintenance are off so a merge queue of a hundred branches has predictable latency;
//   - diffs never use external diff drivers or textconv;
//   - in a task worktree the engine passes `--git-dir`/`--work-tree` explicitly (see `Git.forWorktree`), so a `.git`
//     file rewritten by an agent cannot point the engine at a repository of its choosing.
import { runProcessTree, SpawnError } from '../agents/processTree';

/** Thrown when a git command fails; the message names the command and git's own words. */
export class GitError extends Error {
  constructor(
    message: string,
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'GitError';
  }
}

/** Thrown when git cannot be started at all (not installed, not on PATH). */
export class GitMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitMissingError';
  }
}

/** Configuration every engine git call runs with (see the file comment for why each one). */
export const PINNED_CONFIG: readonly string[] = [
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'core.editor=:',
  'commit.gpgSign=false',
  'tag.gpgSign=false',
  'gc.auto=0',
  'maintenance.auto=false',
  'advice.detachedHead=false',
  'rebase.autoStash=false',
  'merge.autoStash=false',
  'core.quotePath=false',
];

/** Variables of the caller's environment git may see; everything else (secrets included) stays out. */
const ENV_ALLOW = ['PATH', 'HOME', 'USER', 'LOGNAME', 'TMPDIR', 'TEMP', 'TMP', 'XDG_CONFIG_HOME', 'SYSTEMROOT', 'LANG'];

/** The environment of an engine git call, built from `base` (default process.env). */
export function gitEnv(base: Record<string, string | undefined> = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ENV_ALLOW) {
    const v = base[k];
    if (v !== undefined) env[k] = v;
  }
  Object.assign(env, {
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_EDITOR: ':',
    GIT_SEQUENCE_EDITOR: ':',
    GIT_PAGER: 'cat',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    GIT_MERGE_AUTOEDIT: 'no',
  });
  return env;
}

/** Result of a git call that was allowed to exit non-zero. */
export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

export interface GitCallOptions {
  /** Exit codes that are answers, not failures (e.g. 1 for `merge-base --is-ancestor`). Default [0]. */
  ok?: readonly number[];
  /** Text written to git's stdin. */
  input?: string;
  /** Extra environment variables for this call (GIT_AUTHOR_NAME…). */
  env?: Record<string, string>;
  /** Aborting kills the git process. */
  signal?: AbortSignal;
}

/** Where a Git runs: a directory, optionally with an explicit git dir and work tree. */
export interface GitLocation {
  cwd: string;
  /** `--git-dir`: the worktree's administrative directory inside the main repository. */
  gitDir?: string;
  /** `--work-tree`. */
  workTree?: string;
  /** Base environment (default process.env); only the allow-listed variables reach git. */
  env?: Record<string, string | undefined>;
}

/** One linked or main worktree as `git worktree list --porcelain -z` reports it. */
export interface WorktreeEntry {
  path: string;
  /** Commit checked out (absent for a bare entry). */
  head?: string;
  /** Full ref name (`refs/heads/x`), absent when detached or bare. */
  branch?: string;
  detached: boolean;
  bare: boolean;
  /** Lock reason ('' when locked without one); undefined when not locked. */
  locked?: string;
  /** Why git considers it prunable (its directory is gone); undefined when it is not. */
  prunable?: string;
}

/** One entry of `git status --porcelain=v2 -z`. */
export interface StatusEntry {
  /** `1` changed, `2` renamed/copied, `u` unmerged, `?` untracked, `!` ignored. */
  kind: '1' | '2' | 'u' | '?' | '!';
  /** Two-letter XY state (index, worktree); `??` for untracked. */
  xy: string;
  path: string;
  /** Source path of a rename or copy. */
  origPath?: string;
}

/** A changed file between two commits, from `git diff --numstat -z`. */
export interface FileStat {
  path: string;
  /** Undefined for binary files. */
  added?: number;
  deleted?: number;
  /** Source path of a rename. */
  origPath?: string;
}

/** Runs git commands in one place (a work tree, or a repository through any of its work trees). */
export class Git {
  private readonly prefix: string[];
  private readonly env: Record<string, string>;

  constructor(readonly location: GitLocation) {
    if (!location || typeof location.cwd !== 'string' || location.cwd === '') throw new TypeError(`Git: cwd must be a non-empty path`);
    this.prefix = PINNED_CONFIG.flatMap((c) => ['-c', c]);
    if (location.gitDir) this.prefix.push(`--git-dir=${location.gitDir}`);
    if (location.workTree) this.prefix.push(`--work-tree=${location.workTree}`);
    this.env = gitEnv(location.env);
  }

  /** The same repository through a task worktree: explicit admin dir and work tree, never the worktree's `.git` file. */
  forWorktree(workTree: string, gitDir: string): Git {
    return new Git({ cwd: workTree, gitDir, workTree, env: this.location.env });
  }

  get cwd(): string {
    return this.location.cwd;
  }

  /** Runs `git <args>`; resolves with stdout, rejects with a GitError unless the exit code is in `opts.ok`. */
  async run(args: readonly string[], opts: GitCallOptions = {}): Promise<GitResult> {
    const argv = [...this.prefix, ...args];
    let r;
    try {
      r = await runProcessTree({
        command: 'git',
        args: argv,
        cwd: this.location.cwd,
        env: opts.env ? { ...this.env, ...opts.env } : this.env,
        stdin: opts.input,
        signal: opts.signal,
        killGraceMs: 2000,
        maxOutputChars: 50_000_000,
      });
    } catch (e) {
      if (e instanceof SpawnError && e.code === 'ENOENT') {
        // ENOENT is also what spawn reports for a missing cwd; tell the two apart for the message.
        throw new GitMissingError(`git could not be started in ${this.location.cwd} (${e.message}); is git installed and on PATH?`);
      }
      throw e;
    }
    if (r.aborted) throw new GitError(`git ${args[0]} was stopped (${describe(args)})`, args, r.exitCode, r.stderr);
    const ok = opts.ok ?? [0];
    if (r.exitCode === null || !ok.includes(r.exitCode)) {
      const why = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-6).join('\n');
      throw new GitError(`git ${describe(args)} failed (exit ${r.exitCode ?? r.signal}) in ${this.location.cwd}: ${why}`, args, r.exitCode, r.stderr);
    }
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
  }

  /** stdout of a successful call, trailing newline removed. */
  async text(args: readonly string[], opts?: GitCallOptions): Promise<string> {
    return (await this.run(args, opts)).stdout.replace(/\n$/, '');
  }

  // ---- repository facts -------------------------------------------------------------------------------------------

  /** `git version` as [major, minor, patch]. */
  async version(): Promise<[number, number, number]> {
    const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(await this.text(['version']));
    if (!m) throw new GitError('git version: unexpected output', ['version'], 0, '');
    return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  }

  /** Top level of the work tree, the shared git dir and this work tree's own git dir; undefined outside a repository. */
  async discover(): Promise<{ toplevel: string; commonDir: string; gitDir: string } | undefined> {
    const r = await this.run(['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-common-dir', '--git-dir'], { ok: [0, 128] });
    if (r.exitCode !== 0) return undefined;
    const [toplevel, commonDir, gitDir] = r.stdout.split('\n');
    if (!toplevel || !commonDir || !gitDir) return undefined;
    return { toplevel, commonDir, gitDir };
  }

  /** The commit `rev` names, or undefined when it names none. */
  async commitOf(rev: string): Promise<string | undefined> {
    const r = await this.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], { ok: [0, 1, 128] });
    return r.exitCode === 0 ? r.stdout.trim() : undefined;
  }

  /** Short name of the checked-out branch; undefined when HEAD is detached. */
  async currentBranch(): Promise<string | undefined> {
    const r = await this.run(['symbolic-ref', '--quiet', '--short', 'HEAD'], { ok: [0, 1, 128] });
    return r.exitCode === 0 ? r.stdout.trim() : undefined;
  }

  /** True when commit `a` is an ancestor of (or equal to) commit `b`. */
  async isAncestor(a: string, b: string): Promise<boolean> {
    const r = await this.run(['merge-base', '--is-ancestor', a, b], { ok: [0, 1] });
    return r.exitCode === 0;
  }

  /** True when `name` is a valid branch name (`git check-ref-format --branch`). */
  async isValidBranchName(name: string): Promise<boolean> {
    const r = await this.run(['check-ref-format', '--branch', name], { ok: [0, 1, 128] });
    return r.exitCode === 0;
  }

  /**
   * Compare-and-swap of a ref: moves `ref` to `newValue` only while it still points at `oldValue` (an empty string
   * means "must not exist"). Resolves false when another writer moved it first; throws for any other failure.
   */
  async updateRef(ref: string, newValue: string, oldValue: string, message: string): Promise<boolean> {
    const r = await this.run(['update-ref', '-m', message, ref, newValue, oldValue], { ok: [0, 1, 128] });
    if (r.exitCode === 0) return true;
    const now = await this.commitOf(ref);
    if ((now ?? '') !== oldValue) return false;
    throw new GitError(`git update-ref ${ref} failed: ${r.stderr.trim()}`, ['update-ref', ref], r.exitCode, r.stderr);
  }

  /** Deletes a branch when it still points at `expected` (or whatever it points at, without `expected`). */
  async deleteBranch(name: string, expected?: string): Promise<boolean> {
    const ref = `refs/heads/${name}`;
    const cur = await this.commitOf(ref);
    if (cur === undefined) return false;
    const r = await this.run(['update-ref', '-d', ref, expected ?? cur], { ok: [0, 1, 128] });
    return r.exitCode === 0;
  }

  // ---- worktrees --------------------------------------------------------------------------------------------------

  /** Every worktree of the repository (`git worktree list --porcelain -z`). */
  async worktrees(): Promise<WorktreeEntry[]> {
    return parseWorktreeList((await this.run(['worktree', 'list', '--porcelain', '-z'])).stdout);
  }

  /**
   * `git worktree add`, locked at once with `reason` so that neither `git worktree prune` nor gc removes it while the
   * engine owns it. `newBranch` creates the branch at `start`; otherwise `start` is an existing branch to check out.
   */
  async addWorktree(path: string, opts: { newBranch?: string; start: string; lockReason: string; detach?: boolean }): Promise<void> {
    const args = ['worktree', 'add', '--quiet', '--lock', '--reason', opts.lockReason];
    if (opts.detach) args.push('--detach');
    if (opts.newBranch) args.push('-b', opts.newBranch);
    args.push('--', path, opts.start);
    await this.run(args);
  }

  /** Removes a worktree, locked or not, with its changes (the engine only removes worktrees it owns). */
  async removeWorktree(path: string): Promise<void> {
    await this.run(['worktree', 'remove', '--force', '--force', '--', path]);
  }

  /** `git worktree prune`: forgets worktrees whose directory is gone. Locked ones are kept by git itself. */
  async pruneWorktrees(): Promise<void> {
    await this.run(['worktree', 'prune']);
  }

  // ---- state of a work tree ---------------------------------------------------------------------------------------

  /** `git status --porcelain=v2 -z`; untracked files only when asked. Takes no optional locks (a person's git may run). */
  async status(opts: { untracked?: boolean } = {}): Promise<StatusEntry[]> {
    const r = await this.run(
      ['status', '--porcelain=v2', '-z', opts.untracked ? '--untracked-files=all' : '--untracked-files=no', '--ignore-submodules=none'],
      {
        env: { GIT_OPTIONAL_LOCKS: '0' },
      },
    );
    return parseStatusV2(r.stdout);
  }

  /** Paths with unresolved conflicts in the index. */
  async unmergedPaths(): Promise<string[]> {
    return splitZ((await this.run(['diff', '--name-only', '--diff-filter=U', '-z', '--no-ext-diff'])).stdout);
  }

  /** Per-file added/deleted line counts between two commits (renames detected). */
  async numstat(from: string, to: string): Promise<FileStat[]> {
    return parseNumstat((await this.run(['diff', '--numstat', '-z', '-M', '--no-ext-diff', '--no-textconv', from, to, '--'])).stdout);
  }

  /** Files changed between two commits (optionally limited to pathspecs). */
  async changedPaths(from: string, to: string, pathspecs: readonly string[] = []): Promise<string[]> {
    return splitZ((await this.run(['diff', '--name-only', '-z', '--no-ext-diff', '--no-renames', from, to, '--', ...pathspecs])).stdout);
  }

  /** Annotated tag `name` at `target`; `force` moves an existing one. */
  async tagAnnotated(name: string, target: string, message: string, identity: GitIdentity, force = true): Promise<void> {
    await this.run(['tag', '-a', ...(force ? ['-f'] : []), '-m', message, '--', name, target], { env: identityEnv(identity) });
  }
}

/** Author and committer of the engine's commits, merges and tags. */
export interface GitIdentity {
  name: string;
  email: string;
}

/** Environment that sets both author and committer (no user.name in git config needed). */
export function identityEnv(id: GitIdentity): Record<string, string> {
  return { GIT_AUTHOR_NAME: id.name, GIT_AUTHOR_EMAIL: id.email, GIT_COMMITTER_NAME: id.name, GIT_COMMITTER_EMAIL: id.email };
}

/** Parses `Name <email>` (the form `git commit --author` takes). */
export function parseIdentity(text: string): GitIdentity | undefined {
  const m = /^\s*([^<>]*?)\s*<([^<>\s]+)>\s*$/.exec(text);
  if (!m || m[1] === '') return undefined;
  return { name: m[1], email: m[2] };
}

function describe(args: readonly string[]): string {
  return args
    .slice(0, 6)
    .map((a) => (/^[\w./:=@^{}-]+$/.test(a) ? a : JSON.stringify(a)))
    .join(' ');
}

function splitZ(out: string): string[] {
  return out.split('\0').filter((s) => s !== '');
}

/** Parses `git worktree list --porcelain -z`: attribute lines end with NUL, a record ends with an empty line. */
export function parseWorktreeList(out: string): WorktreeEntry[] {
  const entries: WorktreeEntry[] = [];
  let cur: WorktreeEntry | undefined;
  for (const line of out.split('\0')) {
    if (line === '') {
      if (cur) entries.push(cur);
      cur = undefined;
      continue;
    }
    const sp = line.indexOf(' ');
    const key = sp < 0 ? line : line.slice(0, sp);
    const value = sp < 0 ? undefined : line.slice(sp + 1);
    if (key === 'worktree') {
      if (cur) entries.push(cur);
      cur = { path: value ?? '', detached: false, bare: false };
      continue;
    }
    if (!cur) continue;
    switch (key) {
      case 'HEAD':
        cur.head = value;
        break;
      case 'branch':
        cur.branch = value;
        break;
      case 'detached':
        cur.detached = true;
        break;
      case 'bare':
        cur.bare = true;
        break;
      case 'locked':
        cur.locked = value ?? '';
        break;
      case 'prunable':
        cur.prunable = value ?? '';
        break;
    }
  }
  if (cur) entries.push(cur);
  return entries;
}

/** Parses `git status --porcelain=v2 -z` (headers off): ordinary, renamed, unmerged, untracked and ignored entries. */
export function parseStatusV2(out: string): StatusEntry[] {
  const parts = out.split('\0');
  const entries: StatusEntry[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === '' || p.startsWith('#')) continue;
    const kind = p[0] as StatusEntry['kind'];
    if (kind === '?' || kind === '!') {
      entries.push({ kind, xy: kind + kind, path: p.slice(2) });
      continue;
    }
    // Fixed field counts before the path: 1 → 8, 2 → 9 (then the original path in the next NUL field), u → 10.
    const fields = kind === '1' ? 8 : kind === '2' ? 9 : kind === 'u' ? 10 : -1;
    if (fields < 0) continue;
    let at = 0;
    for (let f = 0; f < fields; f++) at = p.indexOf(' ', at) + 1;
    const entry: StatusEntry = { kind, xy: p.slice(2, 4), path: p.slice(at) };
    if (kind === '2') entry.origPath = parts[++i];
    entries.push(entry);
  }
  return entries;
}

/** Parses `git diff --numstat -z`: `A\tD\tpath\0`, or for a rename `A\tD\t\0old\0new\0`; `-` counts for binary files. */
export function parseNumstat(out: string): FileStat[] {
  const parts = out.split('\0');
  const stats: FileStat[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === '') continue;
    const m = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(p);
    if (!m) continue;
    const s: FileStat = { path: m[3] };
    if (m[1] !== '-') s.added = Number(m[1]);
    if (m[2] !== '-') s.deleted = Number(m[2]);
    if (m[3] === '') {
      s.origPath = parts[++i];
      s.path = parts[++i] ?? '';
    }
    stats.push(s);
  }
  return stats;
}
