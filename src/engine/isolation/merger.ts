// One merge of a task branch onto the integration branch, in the engine's scratch worktree, never in a person's:
//   1. the integration branch's commit is read (`old`); a branch it already contains is "already merged" (a restart
//      after a crash between the fast-forward and the database write merges nothing twice; a task that changed
//      nothing lands without waiting for anything);
//   2. the scratch worktree is reset to `old` and the branch is merged (`--no-ff`) or rebased onto it;
//   3. a conflict aborts the merge and reports the conflicting files;
//   4. the task's Verify and the global `merge.verify` run on the merged result; a failure reports their output;
//   5. the integration branch fast-forwards to the result with a compare-and-swap: `update-ref <new> <old>` when no
//      work tree has it checked out, else `merge --ff-only` in that work tree after checking it still is at `old` and
//      has no uncommitted changes to tracked files (the plan file and `.coditect/` excepted: the engine writes those).
// Nothing here touches the database; the caller records each phase (see MergeHooks) so a crash can be resumed.
import { runVerify } from '../agents/verify';
import { Git, GitError, identityEnv, type GitIdentity } from './git';

/** How a branch lands: a merge commit, or its commits rebased onto the integration branch. */
export type MergeStrategy = 'merge' | 'rebase';

/** What to merge. */
export interface MergeRequest {
  taskId: string;
  title: string;
  /** Short name of the task branch. */
  branch: string;
  /** The task's own `Verify:` command, re-run on the merged result. */
  verify?: string;
  /** A result this request produced before a crash: when the integration branch contains it, the task is merged. */
  candidate?: string;
}

/** The outcome of one merge attempt. `blocked` is not final: the queue waits and tries again. */
export type MergeOutcome =
  | { kind: 'merged'; commit: string; previous: string; alreadyMerged: boolean; checks: CheckRun[] }
  | { kind: 'conflict'; files: string[]; base: string }
  | { kind: 'checks_failed'; failed: CheckRun; checks: CheckRun[]; base: string }
  | { kind: 'blocked'; reason: string; files: string[] };

/** One check command run on the merged result. */
export interface CheckRun {
  command: string;
  ok: boolean;
  exitCode: number | null;
  output: string;
}

/** Phases the caller records (in this order) so a crash can be resumed without merging twice. */
export interface MergeHooks {
  /** A merge result exists and its checks are about to run; `candidate` is what the branch would move to. */
  onCandidate?(candidate: string): void;
  /** Live output of the checks. */
  onOutput?(chunk: string): void;
}

export interface MergerOptions {
  /** The repository, from its main work tree. */
  repo: Git;
  /** Integration branch (short name). */
  baseBranch: string;
  strategy: MergeStrategy;
  /** Global check run after the task's Verify (e.g. `npm test`). */
  verify?: string;
  identity: GitIdentity;
  /** Repository-relative paths whose uncommitted changes do not count as a person's (the plan file, `.coditect/`). */
  engineOwnedPaths: readonly string[];
  /**
   * Repository-relative paths the scratch worktree's clean keeps: what `worktree.copy`/`worktree.link` put there once
   * (a symlinked `node_modules` is untracked even where `.gitignore` says `node_modules/`). Default none.
   */
  keepPaths?: readonly string[];
  /** The scratch worktree to merge in, bound through its admin dir. */
  scratch(): Promise<Git>;
  env: Record<string, string | undefined>;
  killGraceMs?: number;
  /** Compare-and-swap retries when the integration branch moves under a merge. Default 5. */
  maxRaces?: number;
}

/** Raised when a merge cannot be attempted for a reason no retry fixes (the integration branch is missing…). */
export class MergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MergeError';
  }
}

/** Merges task branches onto the integration branch, one call at a time (the queue serializes). */
export class Merger {
  constructor(private readonly opts: MergerOptions) {}

  get baseRef(): string {
    return `refs/heads/${this.opts.baseBranch}`;
  }

  /** Merges `req` (see the file comment). Throws MergeError/GitError for failures that are not the branch's fault. */
  async merge(req: MergeRequest, hooks: MergeHooks = {}, signal?: AbortSignal): Promise<MergeOutcome> {
    const { repo } = this.opts;
    const maxRaces = this.opts.maxRaces ?? 5;
    for (let race = 0; ; race++) {
      const old = await repo.commitOf(this.baseRef);
      if (!old) throw new MergeError(`the integration branch ${this.opts.baseBranch} does not exist`);
      const tip = await repo.commitOf(`refs/heads/${req.branch}`);
      if (!tip) throw new MergeError(`the branch ${req.branch} of ${req.taskId} does not exist`);
      if ((await repo.isAncestor(tip, old)) || (req.candidate && (await repo.isAncestor(req.candidate, old)))) {
        return { kind: 'merged', commit: old, previous: old, alreadyMerged: true, checks: [] };
      }
      // Checked before the work of a merge and its checks; checked again at the fast-forward.
      const blocked = await this.blockedReason();
      if (blocked) return { kind: 'blocked', ...blocked };
      const wt = await this.opts.scratch();
      const made = await this.combine(wt, req, old, tip, signal);
      if (made.kind === 'conflict') return made;
      const candidate = made.commit;
      hooks.onCandidate?.(candidate);
      const checks: CheckRun[] = [];
      for (const command of [req.verify, this.opts.verify]) {
        if (!command) continue;
        const run = await this.check(command, wt.cwd, hooks, signal);
        checks.push(run);
        if (!run.ok) return { kind: 'checks_failed', failed: run, checks, base: old };
      }
      const ff = await this.fastForward(old, candidate, `coditect: merge ${req.taskId} (${req.branch})`);
      if (ff.kind === 'ok') return { kind: 'merged', commit: candidate, previous: old, alreadyMerged: false, checks };
      if (ff.kind === 'blocked') return ff;
      // The integration branch moved under us (a person committed, or reset): merge again onto its new commit.
      if (race + 1 >= maxRaces) throw new MergeError(`the integration branch ${this.opts.baseBranch} kept moving during ${maxRaces} merges of ${req.branch}`);
    }
  }

  /** Whether the integration branch could be fast-forwarded right now: undefined when yes, else why not. */
  async blockedReason(): Promise<{ reason: string; files: string[] } | undefined> {
    const holder = await this.checkedOutIn();
    if (!holder) return undefined;
    const dirty = await this.personalChanges(new Git({ cwd: holder, env: this.opts.env }));
    if (dirty.length === 0) return undefined;
    return { reason: dirtyReason(this.opts.baseBranch, holder, dirty), files: dirty };
  }

  /** Resets the scratch worktree to `old` and merges or rebases `tip` onto it. */
  private async combine(
    wt: Git,
    req: MergeRequest,
    old: string,
    tip: string,
    signal?: AbortSignal,
  ): Promise<{ kind: 'made'; commit: string } | Extract<MergeOutcome, { kind: 'conflict' }>> {
    await this.reset(wt, old, signal);
    const env = identityEnv(this.opts.identity);
    if (this.opts.strategy === 'merge') {
      const msg = `Merge ${req.branch}: ${req.taskId} ${req.title.replace(/\s+/g, ' ').trim()}`.slice(0, 200);
      const r = await wt.run(['merge', '--no-ff', '--no-edit', '--quiet', '-m', msg, tip], { ok: [0, 1, 128], env, signal });
      if (r.exitCode !== 0) return this.conflictOrThrow(wt, r, 'merge', old);
    } else {
      await wt.run(['checkout', '--quiet', '--detach', '--force', tip], { signal });
      const r = await wt.run(['rebase', '--quiet', old], { ok: [0, 1, 128], env, signal });
      if (r.exitCode !== 0) return this.conflictOrThrow(wt, r, 'rebase', old);
    }
    const commit = await wt.commitOf('HEAD');
    if (!commit) throw new MergeError(`no HEAD in the merge worktree after merging ${req.branch}`);
    return { kind: 'made', commit };
  }

  private async conflictOrThrow(
    wt: Git,
    r: { exitCode: number | null; stderr: string; stdout: string },
    op: 'merge' | 'rebase',
    base: string,
  ): Promise<Extract<MergeOutcome, { kind: 'conflict' }>> {
    const files = await wt.unmergedPaths();
    await wt.run([op, '--abort'], { ok: [0, 1, 128] });
    if (files.length === 0) {
      throw new GitError(`git ${op} failed in the merge worktree (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim()}`, [op], r.exitCode, r.stderr);
    }
    return { kind: 'conflict', files, base };
  }

  /**
   * Clean slate at `commit`: any merge/rebase left by a crash is aborted, tracked changes and untracked files go
   * (ignored files stay: node_modules, build caches; so do the set-up's copies and links, `keepPaths`).
   */
  private async reset(wt: Git, commit: string, signal?: AbortSignal): Promise<void> {
    await wt.run(['merge', '--abort'], { ok: [0, 1, 128], signal });
    await wt.run(['rebase', '--abort'], { ok: [0, 1, 128], signal });
    await wt.run(['checkout', '--quiet', '--detach', '--force', commit], { signal });
    await wt.run(['reset', '--quiet', '--hard', commit], { signal });
    const keep = (this.opts.keepPaths ?? []).flatMap((p) => ['-e', `/${ignorePattern(p)}`]);
    await wt.run(['clean', '-d', '--force', '--quiet', ...keep], { signal });
  }

  private async check(command: string, cwd: string, hooks: MergeHooks, signal?: AbortSignal): Promise<CheckRun> {
    const ac = new AbortController();
    const onAbort = (): void => ac.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      hooks.onOutput?.(`$ ${command}\n`);
      const r = await runVerify(command, cwd, ac.signal, this.opts.env, { killGraceMs: this.opts.killGraceMs, onOutput: hooks.onOutput });
      if (r.aborted) throw new MergeError(`the check \`${command}\` was stopped`);
      return { command, ok: r.ok, exitCode: r.exitCode, output: r.output };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The work tree that has the integration branch checked out, if any. */
  private async checkedOutIn(): Promise<string | undefined> {
    const holder = (await this.opts.repo.worktrees()).find((w) => w.branch === this.baseRef && !w.bare);
    return holder?.path;
  }

  /** Tracked files with uncommitted changes (staged or not) in a person's work tree, the engine's own files excepted. */
  private async personalChanges(git: Git): Promise<string[]> {
    const owned = this.opts.engineOwnedPaths;
    const isOwned = (p: string): boolean => owned.some((o) => p === o || p.startsWith(`${o}/`));
    const out: string[] = [];
    for (const e of await git.status()) {
      if (e.kind === '?' || e.kind === '!') continue;
      if (!isOwned(e.path)) out.push(e.path);
      if (e.origPath !== undefined && !isOwned(e.origPath)) out.push(e.origPath);
    }
    return [...new Set(out)];
  }

  /** Moves the integration branch from `old` to `next` (see the file comment, step 5). */
  private async fastForward(
    old: string,
    next: string,
    message: string,
  ): Promise<{ kind: 'ok' } | { kind: 'moved' } | Extract<MergeOutcome, { kind: 'blocked' }>> {
    const holder = await this.checkedOutIn();
    if (!holder) return (await this.opts.repo.updateRef(this.baseRef, next, old, message)) ? { kind: 'ok' } : { kind: 'moved' };
    const git = new Git({ cwd: holder, env: this.opts.env });
    if ((await git.commitOf('HEAD')) !== old) return { kind: 'moved' };
    const dirty = await this.personalChanges(git);
    if (dirty.length > 0) return { kind: 'blocked', reason: dirtyReason(this.opts.baseBranch, holder, dirty), files: dirty };
    // `merge --ff-only` updates HEAD with the commit it read as the expected old value (git's own compare-and-swap),
    // and refuses to overwrite an untracked file in the person's way.
    const r = await git.run(['merge', '--ff-only', '--quiet', next], { ok: [0, 1, 128], env: identityEnv(this.opts.identity) });
    if (r.exitCode === 0) return { kind: 'ok' };
    if ((await git.commitOf('HEAD')) !== old) return { kind: 'moved' };
    const inTheWay = untrackedInTheWay(r.stderr);
    if (inTheWay.length > 0) {
      return {
        kind: 'blocked',
        reason: `untracked files in ${holder} would be overwritten by the merge: ${inTheWay.slice(0, 10).join(', ')}; move them away (nothing was changed)`,
        files: inTheWay,
      };
    }
    throw new GitError(`git merge --ff-only in ${holder} failed: ${r.stderr.trim()}`, ['merge', '--ff-only'], r.exitCode, r.stderr);
  }
}

/** A literal repository-relative path as the rest of an anchored gitignore pattern (`/` + this): globs and a trailing space escaped. */
export function ignorePattern(rel: string): string {
  return rel.replace(/[\\*?[\]]/g, '\\$&').replace(/ $/, '\\ ');
}

function dirtyReason(branch: string, holder: string, files: string[]): string {
  const list = files.slice(0, 10).join(', ') + (files.length > 10 ? `, and ${files.length - 10} more` : '');
  return `${branch} has uncommitted changes in ${holder} (${list}); the merge queue waits until they are committed or stashed, and never touches them`;
}

/** Files git names under "untracked working tree files would be overwritten by merge:". */
function untrackedInTheWay(stderr: string): string[] {
  const m = /would be overwritten by (?:merge|checkout):\n([\s\S]*?)\n(?:Please|Aborting)/.exec(stderr);
  if (!m) return [];
  return m[1]
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
}
