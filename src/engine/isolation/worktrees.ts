// Task worktrees: one `git worktree add` per task, on its own branch, in a directory the engine owns; the set-up real
// projects need (copied files, linked folders, a set-up command); removal. Every worktree is created locked, so that
// `git worktree prune` (the person's, or gc's) never removes one the engine still owns; the engine unlocks by removing.
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, cp, lstat, mkdir, readdir, readFile, realpath, rm, symlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { runVerify } from '../agents/verify';
import { Git, GitError, type WorktreeEntry } from './git';

/** What a new worktree gets before the agent runs (config `worktree.*`). */
export interface WorktreeSetup {
  /** Repository-relative files or folders copied from the main work tree (e.g. `.env`). */
  copy: readonly string[];
  /** Repository-relative files or folders symlinked to the main work tree's copy (e.g. `node_modules`). */
  link: readonly string[];
  /** Shell command run in the new worktree (e.g. `npm ci`); its output is logged. */
  setup?: string;
}

/** One task's worktree. */
export interface TaskWorktree {
  taskId: string;
  /** Short branch name (`coditect/T001-add-login`). */
  branch: string;
  /** Absolute path of the work tree. */
  path: string;
  /** Its administrative directory inside the main repository (`<common>/worktrees/<name>`). */
  gitDir: string;
  /** Commit the branch started from. */
  baseCommit: string;
}

export interface WorktreeManagerOptions {
  /** The repository, run from its main work tree. */
  repo: Git;
  /** Top level of the main work tree (copy/link sources are relative to it). */
  toplevel: string;
  /** The shared git dir (`git rev-parse --git-common-dir`). */
  commonDir: string;
  /** Directory holding this plan's worktrees (created 0700). */
  dir: string;
  /** Branch name prefix, e.g. `coditect/`. */
  branchPrefix: string;
  setup: WorktreeSetup;
  /** Environment of the set-up command (the agents' environment). */
  env: Record<string, string | undefined>;
  killGraceMs?: number;
}

/** Thrown when a worktree cannot be set up (copy, link or the set-up command failed). */
export class WorktreeSetupError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
    this.name = 'WorktreeSetupError';
  }
}

/** Default directory of a plan's worktrees: outside the repository, in the user's cache, one folder per repository and plan. */
export function defaultWorktreesDir(toplevel: string, commonDir: string, planPath: string, env: Record<string, string | undefined> = process.env): string {
  const cache = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(homedir(), '.cache');
  const id = createHash('sha256').update(`${commonDir}\0${planPath}`).digest('hex').slice(0, 10);
  return path.join(cache, 'coditect', 'worktrees', `${sanitize(path.basename(toplevel)) || 'repo'}-${id}`);
}

/** A branch- and file-name-safe form of `s`: letters, digits, `.`, `_` and `-`; no leading dot, no `..`, no `.lock` end. */
export function sanitize(s: string): string {
  return s
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[.-]+/, '')
    .replace(/-{2,}/g, '-')
    .replace(/(\.lock)+$/i, '')
    .replace(/[.-]+$/, '');
}

/** Lower-case slug of a task title, at most `max` characters, cut at a word boundary. */
export function slugOf(title: string, max = 40): string {
  const s = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (s.length <= max) return s;
  const cut = s.slice(0, max);
  const dash = cut.lastIndexOf('-');
  return (dash > max / 2 ? cut.slice(0, dash) : cut).replace(/-+$/, '');
}

/** Checks a repository-relative path from the config: relative, inside the repository. Throws naming it. */
export function checkRelativePath(p: string, key: string): string {
  if (typeof p !== 'string' || p.trim() === '') throw new RangeError(`${key}: expected a repository-relative path, got ${JSON.stringify(p)}`);
  const norm = path.posix.normalize(p.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (path.isAbsolute(p) || norm === '..' || norm.startsWith('../') || norm === '.' || norm === '.git' || norm.startsWith('.git/')) {
    throw new RangeError(`${key}: expected a path inside the repository (not absolute, not .git, no ..), got ${JSON.stringify(p)}`);
  }
  return norm;
}

/** Creates, sets up, finds and removes the worktrees of one plan. */
export class WorktreeManager {
  readonly dir: string;
  private readonly repo: Git;

  constructor(private readonly opts: WorktreeManagerOptions) {
    this.repo = opts.repo;
    this.dir = path.resolve(opts.dir);
    if (!opts.branchPrefix || !/^[A-Za-z0-9._/-]+$/.test(opts.branchPrefix)) {
      throw new RangeError(`branch prefix: expected letters, digits, '.', '_', '-' or '/', got ${JSON.stringify(opts.branchPrefix)}`);
    }
    for (const p of opts.setup.copy) checkRelativePath(p, 'worktree.copy');
    for (const p of opts.setup.link) checkRelativePath(p, 'worktree.link');
  }

  /** Directory of task worktrees. */
  get tasksDir(): string {
    return path.join(this.dir, 'tasks');
  }

  /** The branch a task's work goes to: `<prefix><task-id>-<slug>`. */
  branchName(taskId: string, title: string): string {
    const slug = slugOf(title);
    const id = sanitize(taskId) || createHash('sha256').update(taskId).digest('hex').slice(0, 8);
    return `${this.opts.branchPrefix}${id}${slug ? `-${slug}` : ''}`;
  }

  /** Where a task's worktree lives. */
  pathFor(taskId: string): string {
    const id = sanitize(taskId);
    // Two ids that sanitize alike (T1/a vs T1-a) get distinct folders.
    const suffix = id === taskId ? '' : `-${createHash('sha256').update(taskId).digest('hex').slice(0, 6)}`;
    return path.join(this.tasksDir, `${id || 'task'}${suffix}`);
  }

  /** Paths (repository-relative) the engine's commit must leave out: what set-up copied or linked in. */
  get setupPaths(): readonly string[] {
    return [...this.opts.setup.copy, ...this.opts.setup.link].map((p) => checkRelativePath(p, 'worktree'));
  }

  /**
   * Creates the worktree of a task on a new branch at `baseCommit`, locked, and returns it. When the branch already
   * exists (a retry after a crash, a rejected attempt kept), it is checked out as it is. Set-up is separate (`setUp`).
   */
  async create(taskId: string, branch: string, baseCommit: string): Promise<TaskWorktree> {
    const wtPath = this.pathFor(taskId);
    await mkdir(this.tasksDir, { recursive: true, mode: 0o700 });
    await this.clearStale(wtPath);
    const exists = (await this.repo.commitOf(`refs/heads/${branch}`)) !== undefined;
    await this.repo.addWorktree(wtPath, {
      newBranch: exists ? undefined : branch,
      start: exists ? branch : baseCommit,
      lockReason: `coditect task ${taskId}: owned by the CODITECT engine, removed by it when merged or rejected`,
    });
    const gitDir = await this.adminDirOf(wtPath);
    if (!gitDir) throw new GitError(`worktree ${wtPath} was added but git does not list it`, ['worktree', 'add'], 0, '');
    return { taskId, branch, path: wtPath, gitDir, baseCommit };
  }

  /** A detached, locked scratch worktree (the merge queue's) at `commit`; an existing one is reused as it is. */
  async scratch(name: string, commit: string): Promise<{ path: string; gitDir: string; created: boolean }> {
    const wtPath = path.join(this.dir, sanitize(name));
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const known = await this.adminDirOf(wtPath);
    if (known && (await exists(wtPath))) return { path: wtPath, gitDir: known, created: false };
    await this.clearStale(wtPath);
    await this.repo.addWorktree(wtPath, { detach: true, start: commit, lockReason: `coditect ${name} worktree: owned by the CODITECT engine` });
    const gitDir = await this.adminDirOf(wtPath);
    if (!gitDir) throw new GitError(`worktree ${wtPath} was added but git does not list it`, ['worktree', 'add'], 0, '');
    return { path: wtPath, gitDir, created: true };
  }

  /** A Git bound to a worktree through its admin dir (never through the `.git` file an agent could rewrite). */
  gitFor(wt: { path: string; gitDir: string }): Git {
    return this.repo.forWorktree(wt.path, wt.gitDir);
  }

  /**
   * Copies and links what `worktree.copy`/`worktree.link` name from the main work tree, then runs `worktree.setup`
   * in the worktree. Missing sources are reported in the output, not fatal (a fresh clone has no `.env`); a failing
   * set-up command is (WorktreeSetupError with its output).
   */
  async setUp(wtPath: string, opts: { signal?: AbortSignal; onOutput?(chunk: string): void } = {}): Promise<string> {
    const lines: string[] = [];
    const say = (s: string): void => {
      lines.push(s);
      opts.onOutput?.(`${s}\n`);
    };
    for (const rel of this.opts.setup.copy) {
      const from = path.join(this.opts.toplevel, rel);
      const to = path.join(wtPath, rel);
      if (!(await exists(from))) {
        say(`worktree.copy: ${rel} does not exist in ${this.opts.toplevel}; not copied`);
        continue;
      }
      await mkdir(path.dirname(to), { recursive: true });
      await cp(from, to, { recursive: true, force: true, errorOnExist: false, verbatimSymlinks: true });
      say(`copied ${rel}`);
    }
    for (const rel of this.opts.setup.link) {
      const from = path.join(this.opts.toplevel, rel);
      const to = path.join(wtPath, rel);
      if (!(await exists(from))) {
        say(`worktree.link: ${rel} does not exist in ${this.opts.toplevel}; not linked`);
        continue;
      }
      if (await lexists(to)) {
        say(`worktree.link: ${rel} already exists in the worktree (tracked?); left as it is`);
        continue;
      }
      await mkdir(path.dirname(to), { recursive: true });
      await symlink(from, to);
      say(`linked ${rel} → ${from}`);
    }
    const cmd = this.opts.setup.setup;
    if (cmd) {
      say(`$ ${cmd}`);
      const ac = new AbortController();
      const onAbort = (): void => ac.abort(opts.signal?.reason);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const r = await runVerify(cmd, wtPath, ac.signal, this.opts.env, { killGraceMs: this.opts.killGraceMs, onOutput: opts.onOutput });
        lines.push(r.output);
        if (!r.ok) {
          const tail = r.output.trimEnd().split('\n').slice(-20).join('\n');
          throw new WorktreeSetupError(
            `worktree.setup \`${cmd}\` ${r.aborted ? 'was stopped' : `exited ${r.exitCode ?? r.signal}`} in ${wtPath}${tail ? `:\n${tail}` : ''}`,
            lines.join('\n'),
          );
        }
      } finally {
        opts.signal?.removeEventListener('abort', onAbort);
      }
    }
    return lines.join('\n');
  }

  /** Removes a worktree the engine owns (locked or not, with its changes) and forgets it. A missing one is fine. */
  async remove(wtPath: string): Promise<void> {
    this.assertOwned(wtPath);
    if (await this.adminDirOf(wtPath)) {
      try {
        await this.repo.removeWorktree(wtPath);
      } catch (e) {
        // Half-created or half-removed (a crash): delete what is left and let git forget it below.
        if (!(e instanceof GitError)) throw e;
      }
    }
    await rm(wtPath, { recursive: true, force: true, maxRetries: 3 });
    await this.forgetMissing(wtPath);
  }

  /** Worktrees of the repository that live in this manager's directory. */
  async owned(): Promise<WorktreeEntry[]> {
    const all = await this.repo.worktrees();
    const real = await realpathOr(this.dir);
    return all.filter((e) => isInside(e.path, this.dir) || isInside(e.path, real));
  }

  /** Task worktree folders on disk (registered with git or not), by folder path. */
  async taskFolders(): Promise<string[]> {
    try {
      return (await readdir(this.tasksDir)).map((n) => path.join(this.tasksDir, n));
    } catch {
      return [];
    }
  }

  /** The admin dir of the worktree at `wtPath`, found from the main repository's side; undefined when unregistered. */
  async adminDirOf(wtPath: string): Promise<string | undefined> {
    const root = path.join(this.opts.commonDir, 'worktrees');
    let names: string[];
    try {
      names = await readdir(root);
    } catch {
      return undefined;
    }
    const want = [path.join(wtPath, '.git'), path.join(await realpathOr(path.dirname(wtPath)), path.basename(wtPath), '.git')];
    for (const n of names) {
      let target: string;
      try {
        target = (await readFile(path.join(root, n, 'gitdir'), 'utf8')).trim();
      } catch {
        continue;
      }
      if (want.includes(target)) return path.join(root, n);
    }
    return undefined;
  }

  /** A folder at `wtPath` that git does not know (a crash between mkdir and registration) is ours to delete. */
  private async clearStale(wtPath: string): Promise<void> {
    this.assertOwned(wtPath);
    const admin = await this.adminDirOf(wtPath);
    if (admin) {
      // Registered but its folder may be gone (prunable): remove the registration so `add` can reuse the path.
      if (!(await exists(wtPath))) await this.forgetMissing(wtPath);
      else await this.repo.removeWorktree(wtPath);
    }
    await rm(wtPath, { recursive: true, force: true, maxRetries: 3 });
  }

  /** Drops git's record of a removed worktree, even when locked (`prune` keeps locked ones, by design). */
  private async forgetMissing(wtPath: string): Promise<void> {
    const admin = await this.adminDirOf(wtPath);
    if (!admin) return;
    if (!(await exists(wtPath))) await rm(admin, { recursive: true, force: true });
  }

  private assertOwned(wtPath: string): void {
    // Invariant: the engine deletes folders only inside its own worktrees directory.
    if (!isInside(path.resolve(wtPath), this.dir) || path.resolve(wtPath) === this.dir) {
      throw new Error(`refusing to remove ${wtPath}: not inside the engine's worktrees directory ${this.dir}`);
    }
  }
}

function isInside(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}

async function lexists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function realpathOr(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    return p;
  }
}
