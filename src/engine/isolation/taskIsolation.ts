// Per-task isolation, composed for the engine: each attempt of a task runs in its own git worktree on its own branch
// (created from the integration branch, which holds every completed dependency because a task is completed only once
// it has landed); after a successful attempt the engine commits the worktree and the merge queue lands the branch.
//
// A task's landing state lives in the database (`engine_state` key `isolation.tasks`, one record per task), written
// before each step it describes, so a restart after a crash finds every worktree and branch the engine owns and
// either lands, resumes or removes it (recover()). States:
//   working          an attempt runs (or ran and failed) in the worktree; the next attempt reuses it
//   queued, merging  committed, waiting in / going through the merge queue (the task is still in progress)
//   awaiting_review  committed, checks passed; merge.policy `review` waits for a person (task `blocked`)
//   needs_review     a conflict, a failing check on the merged result, or refused changes to what the engine trusts
//                    kept it from landing (task `blocked`); files and output say why. After a conflict a person may
//                    ask an agent to resolve it (resolveConflicts): the branch is rebuilt as one change on top of
//                    the integration branch's tip with git's conflict markers in the worktree, and goes back to
//                    `working` for an attempt whose prompt says so
//   merged           landed: worktree removed, branch kept `worktree.branch_retention_days`
//   rejected         a person rejected it: worktree removed, branch kept as `<branch>-rejected-N` (`kept`) for
//                    `worktree.branch_retention_days`; the note goes into the next attempt's prompt
import { readFile, rm } from 'node:fs/promises';
import * as path from 'node:path';
import type { IsolationConfig } from '../config';
import type { MergePolicy } from '../config/fileSchema';
import { errorMessage } from '../../core/describe';
import { commitTaskWork, taskCommitMessage } from './commit';
import { Git, GitError, GitMissingError } from './git';
import { MergeQueue } from './mergeQueue';
import { Merger, type MergeOutcome, type MergeRequest } from './merger';
import { statOf } from './review';
import { defaultWorktreesDir, WorktreeManager, WorktreeSetupError } from './worktrees';

/** Key of the landing records in `engine_state`. */
export const ISOLATION_STATE_KEY = 'isolation.tasks';

export type LandingState = 'working' | 'queued' | 'merging' | 'awaiting_review' | 'needs_review' | 'merged' | 'rejected';

/** What the engine remembers of one task's worktree and branch. */
export interface LandingRecord {
  taskId: string;
  title: string;
  branch: string;
  /** Absolute path of the task's worktree. */
  path: string;
  /** Commit the branch started from. */
  base: string;
  state: LandingState;
  /** Branch tip after the engine's commit. */
  head?: string;
  /** A merge result whose checks ran (a restart that finds it on the integration branch knows the task landed). */
  candidate?: string;
  /** Commit of the integration branch the task landed as. */
  mergedCommit?: string;
  /** Conflicting or refused files. */
  files?: string[];
  /** needs_review because merging conflicted (`files` are the conflicting ones): an agent may be asked to resolve it. */
  conflict?: boolean;
  /** The attempt running in the worktree resolves the conflicts in `files`: no conflict marker may remain there. */
  resolving?: boolean;
  /** How many times `merge.on_conflict: agent` sent this branch back to resolve its conflicts (at most AUTO_RESOLVE_MAX). */
  autoResolves?: number;
  /** Why it did not land (conflict, check output tail, refused paths), or a person's rejection note. */
  note?: string;
  /** The task's Verify command, re-run on the merged result. */
  verify?: string;
  /** Branches of rejected results, kept `worktree.branch_retention_days` from `at` (epoch ms), then deleted. */
  kept?: { branch: string; at: number }[];
  /** Epoch ms of the last change. */
  at: number;
}

/** How an attempt's work ended up. */
export type LandOutcome =
  | { kind: 'merged'; commit: string; alreadyMerged: boolean }
  | { kind: 'awaiting_review' | 'needs_review'; reason: string }
  /** The engine stopped before the branch was merged; the record stays queued and the next start lands it. */
  | { kind: 'stopped' }
  /** The merge conflicted and `merge.on_conflict: agent` sent it back: the task's next attempt resolves the markers. */
  | { kind: 'resolving'; reason: string };

/** The first word on a landing: its outcome, or `waiting` as soon as the merge queue cannot merge now (the landing goes on). */
export type FirstOutcome = LandOutcome | { kind: 'waiting'; reason: string };

/** A review action that does not apply (no branch waiting, the task runs, uncommitted changes in its worktree…). */
export class ReviewError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReviewError';
  }
}

/** Where the records live (the engine's TaskStore). */
export interface LandingStore {
  getState<T>(key: string): T | undefined;
  setState(key: string, value: unknown): void;
}

export interface TaskIsolationOptions {
  /** The workspace root (any folder inside the repository). */
  workspaceRoot: string;
  /** Files the agents may not change (plan, config, the db's folder): absolute paths; those outside the repository are ignored. */
  protectedPaths: readonly string[];
  /** Absolute paths whose uncommitted changes on the integration branch are the engine's own (plan, `.coditect/`). */
  engineOwnedPaths: readonly string[];
  /** The plan file (names the default worktrees folder). */
  planPath: string;
  config: IsolationConfig;
  store: LandingStore;
  /** Environment of set-up commands and merge checks. */
  env: Record<string, string | undefined>;
  /** Progress and notices (activity log). */
  log(message: string, taskId?: string): void;
  killGraceMs?: number;
  now?: () => number;
  /** While the integration branch is dirty, how often the merge queue looks again. Default 2000 ms. */
  recheckMs?: number;
}

/** A task as the isolation layer needs it. */
export interface IsolatedTask {
  id: string;
  title: string;
  epicId: string;
  featureId: string;
  verify?: string;
}

const DAY_MS = 86_400_000;
/** Longest check output kept in a record's note. */
const NOTE_CHARS = 4000;
/** Most times `merge.on_conflict: agent` sends one task's branch back to resolve its conflicts before a person is asked. */
export const AUTO_RESOLVE_MAX = 2;

/** Why `worktree` mode is not used, when it is not (a one-time notice). */
export type IsolationUnavailable = { reason: string; asked: boolean };

/** The engine's per-task worktrees, commits and merge queue (see the file comment). */
export class TaskIsolation {
  private readonly waiters = new Map<string, (o: LandOutcome) => void>();
  /** Told when the merge queue starts waiting (a dirty integration branch): every queued landing waits with it. */
  private readonly waitListeners = new Set<(reason: string) => void>();
  private readonly queue: MergeQueue;
  private closed = false;

  private constructor(
    private readonly opts: TaskIsolationOptions,
    readonly repo: Git,
    readonly toplevel: string,
    readonly baseBranch: string,
    readonly manager: WorktreeManager,
    merger: Merger,
    /** Repository-relative protected paths. */
    readonly protectedRel: readonly string[],
  ) {
    this.queue = new MergeQueue({
      merger,
      recheckMs: opts.recheckMs,
      handler: {
        started: (req) => this.update(req.taskId, { state: 'merging' }),
        candidate: (req, candidate) => {
          this.update(req.taskId, { candidate });
          if (req.verify || opts.config.merge.verify)
            this.opts.log(`${req.taskId}: checking ${req.branch} merged into ${this.baseBranch} (${candidate.slice(0, 12)})`, req.taskId);
        },
        blocked: (req, reason) => {
          this.opts.log(`merge of ${req.taskId} waits: ${reason}`, req.taskId);
          for (const l of [...this.waitListeners]) l(reason);
        },
        unblocked: (req) => this.opts.log(`merge of ${req.taskId} goes on: the integration branch ${this.baseBranch} can take it`, req.taskId),
        output: () => undefined,
        finished: (req, outcome) => this.finished(req, outcome),
        failed: (req, error) => this.settle(req.taskId, 'needs_review', `the merge could not be attempted: ${errorMessage(error)}`),
      },
    });
  }

  /**
   * Isolation for a workspace, or why there is none: `isolation: none`, no git, not inside a repository, no commit
   * on the integration branch, or a detached HEAD with no `base_branch`.
   */
  static async open(opts: TaskIsolationOptions): Promise<TaskIsolation | IsolationUnavailable> {
    const asked = opts.config.mode === 'worktree';
    if (opts.config.mode === 'none') return { reason: 'isolation is "none": every agent works in the shared tree', asked: false };
    const probe = new Git({ cwd: opts.workspaceRoot, env: opts.env });
    let found;
    try {
      found = await probe.discover();
    } catch (e) {
      if (e instanceof GitMissingError) return { reason: `git is not available (${e.message}); agents work in the shared tree`, asked };
      throw e;
    }
    if (!found) return { reason: `${opts.workspaceRoot} is not inside a git repository; agents work in the shared tree`, asked };
    const repo = new Git({ cwd: found.toplevel, env: opts.env });
    const baseBranch = opts.config.baseBranch ?? (await repo.currentBranch());
    if (!baseBranch) return { reason: `HEAD of ${found.toplevel} is detached and no base_branch is set; agents work in the shared tree`, asked };
    if (!(await repo.commitOf(`refs/heads/${baseBranch}`))) {
      return { reason: `the integration branch ${baseBranch} has no commit yet; agents work in the shared tree until it has one`, asked };
    }
    const rel = (abs: string): string | undefined => {
      const r = path.relative(found.toplevel, abs).split(path.sep).join('/');
      return r === '' || r.startsWith('..') || path.isAbsolute(r) ? undefined : r;
    };
    const protectedRel = [...new Set(opts.protectedPaths.map(rel).filter((r): r is string => r !== undefined))];
    const engineOwned = [...new Set(opts.engineOwnedPaths.map(rel).filter((r): r is string => r !== undefined))];
    const c = opts.config;
    const manager = new WorktreeManager({
      repo,
      toplevel: found.toplevel,
      commonDir: found.commonDir,
      dir: c.worktree.dir ?? defaultWorktreesDir(found.toplevel, found.commonDir, opts.planPath, opts.env),
      branchPrefix: c.worktree.branchPrefix,
      setup: { copy: c.worktree.copy, link: c.worktree.link, setup: c.worktree.setup },
      env: opts.env,
      killGraceMs: opts.killGraceMs,
    });
    const merger = new Merger({
      repo,
      baseBranch,
      strategy: c.merge.strategy,
      verify: c.merge.verify,
      identity: c.merge.author,
      engineOwnedPaths: engineOwned,
      keepPaths: manager.setupPaths,
      scratch: async () => {
        const tip = await repo.commitOf(`refs/heads/${baseBranch}`);
        const wt = await manager.scratch('merge', tip ?? 'HEAD');
        // The checks on merged results need what an attempt needs (node_modules, .env): set up once, when created.
        if (wt.created) await manager.setUp(wt.path);
        return manager.gitFor(wt);
      },
      env: opts.env,
      killGraceMs: opts.killGraceMs,
    });
    return new TaskIsolation(opts, repo, found.toplevel, baseBranch, manager, merger, protectedRel);
  }

  private get now(): number {
    return (this.opts.now ?? Date.now)();
  }

  // ---- records ----------------------------------------------------------------------------------------------------

  /** Every landing record, by task id. */
  records(): Record<string, LandingRecord> {
    return this.opts.store.getState<Record<string, LandingRecord>>(ISOLATION_STATE_KEY) ?? {};
  }

  record(taskId: string): LandingRecord | undefined {
    return this.records()[taskId];
  }

  private write(rec: LandingRecord): void {
    const all = this.records();
    all[rec.taskId] = rec;
    this.opts.store.setState(ISOLATION_STATE_KEY, all);
  }

  private drop(taskId: string): void {
    const all = this.records();
    if (!(taskId in all)) return;
    delete all[taskId];
    this.opts.store.setState(ISOLATION_STATE_KEY, all);
  }

  private update(taskId: string, patch: Partial<LandingRecord>): void {
    const rec = this.record(taskId);
    if (rec) this.write({ ...rec, ...patch, at: this.now });
  }

  // ---- an attempt -------------------------------------------------------------------------------------------------

  /** Where an attempt of `taskId` runs (its worktree's path; known before the worktree exists). */
  cwdFor(taskId: string): string {
    return this.manager.pathFor(taskId);
  }

  /**
   * The task's worktree, ready for an attempt: the one a previous attempt left (its work kept: a retry, a restart
   * after a crash, a person's "retry with note") or a new one from the integration branch's tip, then set up.
   */
  async prepare(task: IsolatedTask, opts: { signal?: AbortSignal; onOutput?(chunk: string): void } = {}): Promise<string> {
    const prev = this.record(task.id);
    const wtPath = this.manager.pathFor(task.id);
    if (prev && prev.state !== 'merged' && prev.state !== 'rejected' && prev.path === wtPath && (await this.manager.adminDirOf(wtPath))) {
      const head = await this.manager.gitFor({ path: wtPath, gitDir: (await this.manager.adminDirOf(wtPath))! }).currentBranch();
      if (head === prev.branch) {
        this.write({ ...prev, state: 'working', at: this.now });
        opts.onOutput?.(`worktree ${wtPath} (branch ${prev.branch}) reused with the previous attempt's work\n`);
        return wtPath;
      }
    }
    const base = await this.repo.commitOf(`refs/heads/${this.baseBranch}`);
    if (!base) throw new GitError(`the integration branch ${this.baseBranch} does not exist`, ['rev-parse'], 1, '');
    const branch = prev?.branch && prev.state !== 'merged' && prev.state !== 'rejected' ? prev.branch : this.manager.branchName(task.id, task.title);
    if (prev?.state === 'merged' || prev?.state === 'rejected') {
      // A task run again after it landed or was rejected starts a new branch from today's integration branch.
      await this.repo.deleteBranch(branch);
    }
    // Recorded before the worktree exists: a crash in between leaves a record recover() can clean up.
    this.write({ taskId: task.id, title: task.title, branch, path: wtPath, base, state: 'working', at: this.now, note: prev?.note, kept: prev?.kept });
    const wt = await this.manager.create(task.id, branch, base);
    if (wt.baseCommit !== base || (await this.repo.commitOf(`refs/heads/${branch}`)) !== base) {
      // An existing branch was checked out as it is: its own base is where it forked from the integration branch.
      const mb = await this.repo.text(['merge-base', base, `refs/heads/${branch}`]).catch(() => base);
      this.update(task.id, { base: mb });
    }
    opts.onOutput?.(`worktree ${wtPath} on branch ${branch} from ${this.baseBranch} at ${base.slice(0, 12)}\n`);
    try {
      await this.manager.setUp(wtPath, { signal: opts.signal, onOutput: opts.onOutput });
    } catch (e) {
      if (e instanceof WorktreeSetupError) throw e;
      throw new WorktreeSetupError(`setting up the worktree ${wtPath} failed: ${errorMessage(e)}`, '');
    }
    return wtPath;
  }

  /** The person's note from a rejection, for the next attempt's prompt (once). */
  noteFor(taskId: string): string | undefined {
    const rec = this.record(taskId);
    return rec?.state === 'working' || rec?.state === 'rejected' ? rec.note : undefined;
  }

  /**
   * After a successful attempt: the engine commits the worktree's changes (protected paths refused), then lands the
   * branch per the merge policy. Resolves when the branch merged, waits for a person, or was stopped.
   */
  async land(task: IsolatedTask, agentType: string, attempt: number, policy: MergePolicy, signal?: AbortSignal): Promise<LandOutcome> {
    const rec = this.record(task.id);
    if (!rec) throw new Error(`no worktree is recorded for ${task.id}`);
    const git = this.manager.gitFor({ path: rec.path, gitDir: (await this.manager.adminDirOf(rec.path)) ?? '' });
    if (rec.resolving && rec.files?.length) {
      // Committed, a marker would land as text: an agent that said it resolved the conflicts must have.
      const left = await filesWithConflictMarkers(rec.path, rec.files);
      if (left.length > 0) {
        const reason = `conflict markers remain in ${left.join(', ')}: the agent did not resolve every conflict; nothing was committed`;
        this.update(task.id, { state: 'needs_review', conflict: true, files: left, note: reason });
        this.opts.log(`${task.id} needs review: ${reason}`, task.id);
        return this.autoResolve(task.id, { kind: 'needs_review', reason });
      }
    }
    const c = await commitTaskWork(git, {
      base: rec.base,
      message: taskCommitMessage(task, agentType, attempt),
      identity: this.opts.config.merge.author,
      protectedPaths: this.protectedRel,
      ignoredPaths: this.manager.setupPaths,
      signal,
    });
    this.write({ ...rec, head: c.head, verify: task.verify, note: undefined, files: undefined, conflict: undefined, resolving: undefined, at: this.now });
    if (c.refused.length > 0) {
      const reason = `the agent changed files the engine trusts (${c.refused.join(', ')}); those changes were refused and the branch waits for review`;
      this.update(task.id, { state: 'needs_review', files: c.refused, note: `${reason}\n${c.refusedDiff ?? ''}`.slice(0, NOTE_CHARS) });
      return { kind: 'needs_review', reason };
    }
    if (policy === 'review') {
      const stat = await this.diffStat(task.id);
      this.update(task.id, { state: 'awaiting_review' });
      return { kind: 'awaiting_review', reason: `awaiting review (${stat}); accept with \`coditect review accept\`, or reject` };
    }
    return this.autoResolve(task.id, await this.merge(task.id, signal));
  }

  /**
   * `merge.on_conflict: agent`: an attempt's branch that conflicts (or whose resolution left markers) goes back to an
   * agent, at most AUTO_RESOLVE_MAX times, instead of waiting for a person. Anything else is returned as it is.
   */
  private async autoResolve(taskId: string, o: LandOutcome): Promise<LandOutcome> {
    const rec = this.record(taskId);
    const done = rec?.autoResolves ?? 0;
    if (o.kind !== 'needs_review' || !rec?.conflict || this.opts.config.merge.onConflict !== 'agent') return o;
    if (done >= AUTO_RESOLVE_MAX) {
      this.opts.log(`${taskId}: an agent tried ${done} times to resolve the conflicts; the branch waits for a person`, taskId);
      return o;
    }
    try {
      // Not resolveConflicts: the merge queue has settled this branch but still lists it until this landing returns.
      const { files } = await this.rebuildForResolution(rec);
      this.update(taskId, { autoResolves: done + 1 });
      return {
        kind: 'resolving',
        reason: `${o.reason}; merge.on_conflict agent: the next attempt resolves ${files.length ? files.join(', ') : 'the task on the new tip'} (${done + 1} of ${AUTO_RESOLVE_MAX})`,
      };
    } catch (e) {
      // A person's edit in the worktree, a branch gone: theirs to look at.
      this.opts.log(`${taskId} needs review: ${o.reason}; the conflict could not be handed to an agent: ${errorMessage(e)}`, taskId);
      return o;
    }
  }

  /** Queues the task's branch and resolves with its landing (or `stopped` when `signal` fires while it still waits). */
  merge(taskId: string, signal?: AbortSignal): Promise<LandOutcome> {
    const rec = this.record(taskId);
    if (!rec) return Promise.reject(new Error(`no branch is recorded for ${taskId}`));
    if (this.closed) return Promise.resolve({ kind: 'stopped' });
    this.write({ ...rec, state: 'queued', at: this.now });
    return new Promise<LandOutcome>((resolve) => {
      const onAbort = (): void => {
        // Still waiting in the queue: leave it (the record stays queued; the next start lands it). A merge already
        // running is bounded and allowed to finish, so the task is never released while its branch lands.
        if (this.queue.remove(taskId)) {
          this.waiters.delete(taskId);
          resolve({ kind: 'stopped' });
        }
      };
      this.waiters.set(taskId, (o) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(o);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.enqueue({ taskId, title: rec.title, branch: rec.branch, verify: rec.verify, candidate: rec.candidate });
      if (signal?.aborted) onAbort();
    });
  }

  /**
   * Queues the task's branch: `landing` resolves with its landing; `first` with the same, or earlier with `waiting`
   * when the merge queue cannot merge now (a person's uncommitted changes on the integration branch) — the branch
   * stays queued and lands once that clears.
   */
  queueLanding(taskId: string): { first: Promise<FirstOutcome>; landing: Promise<LandOutcome> } {
    const blockedNow = this.queue.blockedReason;
    const landing = this.merge(taskId);
    const first = new Promise<FirstOutcome>((resolve) => {
      if (blockedNow !== undefined) return resolve({ kind: 'waiting', reason: blockedNow });
      const onWait = (reason: string): void => {
        this.waitListeners.delete(onWait);
        resolve({ kind: 'waiting', reason });
      };
      this.waitListeners.add(onWait);
      void landing.then((o) => {
        this.waitListeners.delete(onWait);
        resolve(o);
      });
    });
    return { first, landing };
  }

  /** The paths the task's branch changes against its base (renames as their new path); [] without a branch. */
  async changedFiles(taskId: string): Promise<string[]> {
    const rec = this.record(taskId);
    if (!rec) return [];
    const tip = rec.head ?? (await this.repo.commitOf(`refs/heads/${rec.branch}`)) ?? rec.base;
    return this.repo.changedPaths(rec.base, tip);
  }

  /** Files, lines added and removed of the task's branch against its base (`3 files, +120 −8`). */
  async diffStat(taskId: string): Promise<string> {
    const rec = this.record(taskId);
    if (!rec) return 'no branch';
    const tip = rec.head ?? (await this.repo.commitOf(`refs/heads/${rec.branch}`)) ?? rec.base;
    return statOf(await this.repo.numstat(rec.base, tip)).text;
  }

  private async finished(req: MergeRequest, outcome: Exclude<MergeOutcome, { kind: 'blocked' }>): Promise<void> {
    switch (outcome.kind) {
      case 'merged': {
        const rec = this.record(req.taskId);
        this.update(req.taskId, { state: 'merged', mergedCommit: outcome.commit, candidate: undefined });
        if (rec) await this.removeWorktree(rec);
        if (this.opts.config.worktree.branchRetentionDays === 0 && rec) await this.repo.deleteBranch(rec.branch).catch(() => false);
        this.opts.log(
          outcome.alreadyMerged
            ? `${req.taskId}: branch ${req.branch} is already on ${this.baseBranch}`
            : `${req.taskId}: branch ${req.branch} merged into ${this.baseBranch} at ${outcome.commit.slice(0, 12)}`,
          req.taskId,
        );
        this.resolve(req.taskId, { kind: 'merged', commit: outcome.commit, alreadyMerged: outcome.alreadyMerged });
        return;
      }
      case 'conflict':
        await this.settle(
          req.taskId,
          'needs_review',
          `merging ${req.branch} into ${this.baseBranch} conflicts in ${outcome.files.join(', ')}; ${this.baseBranch} is unchanged`,
          outcome.files,
          true,
        );
        return;
      case 'checks_failed':
        await this.settle(
          req.taskId,
          'needs_review',
          `\`${outcome.failed.command}\` failed (exit ${outcome.failed.exitCode ?? 'signal'}) on ${req.branch} merged into ${this.baseBranch}, which is unchanged:\n${tail(outcome.failed.output)}`,
        );
        return;
    }
  }

  private settle(taskId: string, state: 'needs_review', reason: string, files?: string[], conflict?: true): Promise<void> {
    this.update(taskId, { state, note: reason.slice(0, NOTE_CHARS), files, conflict, candidate: undefined });
    this.opts.log(`${taskId} needs review: ${reason}`, taskId);
    this.resolve(taskId, { kind: state, reason });
    return Promise.resolve();
  }

  private resolve(taskId: string, o: LandOutcome): void {
    const w = this.waiters.get(taskId);
    this.waiters.delete(taskId);
    w?.(o);
  }

  // ---- a person's review ------------------------------------------------------------------------------------------

  /** The record of a branch a person may act on, or a ReviewError saying why there is none. */
  private reviewable(taskId: string, verb: string): LandingRecord {
    const rec = this.record(taskId);
    if (!rec || rec.state === 'rejected') throw new ReviewError(`${taskId} has no branch to ${verb}`);
    if (rec.state === 'merged') throw new ReviewError(`${taskId} already landed on ${this.baseBranch}; there is nothing to ${verb}`);
    if (rec.state === 'merging' || this.queue.pending().includes(taskId)) throw new ReviewError(`${taskId} is being merged right now`);
    return rec;
  }

  /**
   * A person accepts the task's branch (awaiting review, or needs review after a conflict or a failing check they
   * dealt with): it goes through the merge queue, its checks run on the merged result. Refused while the worktree
   * holds uncommitted changes (a person's conflict resolution would be lost when the merged worktree is removed).
   */
  async accept(taskId: string): Promise<{ first: Promise<FirstOutcome>; landing: Promise<LandOutcome> }> {
    const rec = this.reviewable(taskId, 'accept');
    if (rec.state === 'working') throw new ReviewError(`${taskId} has no committed result to accept: its last attempt did not succeed`);
    if (!(await this.repo.commitOf(`refs/heads/${rec.branch}`))) throw new ReviewError(`the branch ${rec.branch} of ${taskId} no longer exists`);
    await this.refuseUncommitted(taskId, rec, `commit them on ${rec.branch} there, then accept again`);
    this.opts.log(`${taskId}: accepted by a person; ${rec.branch} goes through the merge queue`, taskId);
    return this.queueLanding(taskId);
  }

  /** A review action that would lose a person's work in the task's worktree is refused, naming files and the way on. */
  private async refuseUncommitted(taskId: string, rec: LandingRecord, wayOn: string): Promise<void> {
    const dirty = await this.uncommitted(rec);
    if (dirty.length === 0) return;
    const some = `${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? ', …' : ''}`;
    throw new ReviewError(`the worktree of ${taskId} (${rec.path}) has uncommitted changes (${some}); ${wayOn}`);
  }

  /** Changed or untracked files in the task's worktree, set-up files (copied, linked) excepted. */
  private async uncommitted(rec: LandingRecord): Promise<string[]> {
    const admin = await this.manager.adminDirOf(rec.path);
    if (!admin) return [];
    const setup = this.manager.setupPaths;
    const entries = await this.manager.gitFor({ path: rec.path, gitDir: admin }).status({ untracked: true });
    return entries.map((e) => e.path).filter((p) => !setup.some((s) => p === s || p === `${s}/` || p.startsWith(`${s}/`)));
  }

  /**
   * A person rejects the task's result: its worktree is removed and its branch kept as `<branch>-rejected-N` for
   * `worktree.branch_retention_days` (nothing the agent made is lost at once); the next attempt starts a new branch
   * from the integration branch's tip, with the note in its prompt. Returns the kept branch's name.
   */
  async reject(taskId: string, note?: string): Promise<string | undefined> {
    const rec = this.reviewable(taskId, 'reject');
    await this.removeWorktree(rec);
    const kept = [...(rec.kept ?? [])];
    let keptBranch: string | undefined;
    if (await this.repo.commitOf(`refs/heads/${rec.branch}`)) {
      for (let n = kept.length + 1; ; n++) {
        const name = `${rec.branch}-rejected-${n}`;
        if (await this.repo.commitOf(`refs/heads/${name}`)) continue;
        await this.repo.run(['branch', '-m', '--', rec.branch, name]);
        keptBranch = name;
        break;
      }
      kept.push({ branch: keptBranch, at: this.now });
    }
    this.write({ ...rec, state: 'rejected', kept, note: reviewNote('rejected the previous result', note), files: undefined, at: this.now });
    this.opts.log(`${taskId}: rejected by a person${keptBranch ? `; the work is kept on ${keptBranch}` : ''}`, taskId);
    return keptBranch;
  }

  /** "Retry with note": the next attempt runs in the same worktree, on the same branch, with the note in its prompt. */
  retryWithNote(taskId: string, note?: string): void {
    const rec = this.reviewable(taskId, 'retry');
    this.write({ ...rec, state: 'working', note: reviewNote('asked for another attempt', note), files: undefined, conflict: undefined, at: this.now });
    this.opts.log(`${taskId}: sent back for another attempt in its worktree`, taskId);
  }

  /**
   * "Resolve conflicts with agent", for a branch whose merge conflicted: the branch is rebuilt as one change on top of
   * the integration branch's tip (`git merge --squash` of its previous tip: git's conflict markers where both sides
   * changed the same lines), the previous tip kept as `<branch>-conflicted-N` for `worktree.branch_retention_days`,
   * and the next attempt runs in that worktree with a prompt naming the files to resolve. One change on the tip lands
   * the same way under `merge.strategy` merge or rebase, and its review diff is the task's change alone. Returns the
   * files that conflict now (none when the integration branch moved on and the change applies cleanly).
   */
  resolveConflicts(taskId: string, note?: string): Promise<{ files: string[]; keptBranch: string }> {
    return this.rebuildForResolution(this.reviewable(taskId, 'resolve'), note);
  }

  /** resolveConflicts on a record known to be settled (the merge queue may still be letting go of it). */
  private async rebuildForResolution(rec: LandingRecord, note?: string): Promise<{ files: string[]; keptBranch: string }> {
    const taskId = rec.taskId;
    if (rec.state !== 'needs_review' || !rec.conflict)
      throw new ReviewError(
        `${taskId} has no merge conflict to resolve (${rec.state.replace('_', ' ')}${rec.state === 'needs_review' ? ': not a conflict' : ''})`,
      );
    const personal = note?.trim() ? ` A person adds: ${note.trim()}` : '';
    if (rec.resolving && rec.files?.length) {
      // A resolution that left markers: its worktree already holds the rebuilt change; the next attempt goes on there.
      const keptBranch = rec.kept?.at(-1)?.branch ?? '';
      this.write({ ...rec, state: 'working', conflict: undefined, note: `${this.resolveAsk(rec.files)}${personal}`.slice(0, NOTE_CHARS), at: this.now });
      this.opts.log(`${taskId}: an agent resolves the conflicts left in ${rec.files.join(', ')}`, taskId);
      return { files: rec.files, keptBranch };
    }
    await this.refuseUncommitted(taskId, rec, 'commit or discard them there first');
    const admin = await this.manager.adminDirOf(rec.path);
    if (!admin) throw new ReviewError(`the worktree of ${taskId} (${rec.path}) no longer exists`);
    const previous = await this.repo.commitOf(`refs/heads/${rec.branch}`);
    if (!previous) throw new ReviewError(`the branch ${rec.branch} of ${taskId} no longer exists`);
    const tip = await this.repo.commitOf(`refs/heads/${this.baseBranch}`);
    if (!tip) throw new GitError(`the integration branch ${this.baseBranch} does not exist`, ['rev-parse'], 1, '');
    const kept = [...(rec.kept ?? [])];
    let n = 1;
    while (await this.repo.commitOf(`refs/heads/${rec.branch}-conflicted-${n}`)) n++;
    const keptBranch = `${rec.branch}-conflicted-${n}`;
    await this.repo.run(['branch', '--', keptBranch, previous]);
    kept.push({ branch: keptBranch, at: this.now });
    const wt = this.manager.gitFor({ path: rec.path, gitDir: admin });
    await wt.run(['reset', '--quiet', '--hard', tip]);
    // Exit 1 with unmerged paths is the conflict this is for; anything else is an error.
    const r = await wt.run(['merge', '--squash', '--quiet', previous], { ok: [0, 1] });
    const files = await wt.unmergedPaths();
    if (r.exitCode !== 0 && files.length === 0)
      throw new GitError(`git merge --squash failed in ${rec.path}: ${(r.stderr || r.stdout).trim()}`, ['merge'], r.exitCode, r.stderr);
    const ask =
      files.length > 0
        ? this.resolveAsk(files)
        : `${this.baseBranch} moved on and this task's changes now apply to it cleanly; check that the task is still done on top of it.`;
    this.write({
      ...rec,
      state: 'working',
      base: tip,
      head: undefined,
      kept,
      files,
      conflict: undefined,
      resolving: files.length > 0 ? true : undefined,
      note: `${ask}${personal}`.slice(0, NOTE_CHARS),
      at: this.now,
    });
    this.opts.log(
      `${taskId}: an agent resolves ${files.length ? `the conflicts in ${files.join(', ')}` : 'the task on the new tip'}; the previous work is kept on ${keptBranch}`,
      taskId,
    );
    return { files, keptBranch };
  }

  /** What the resolving attempt's prompt says. */
  private resolveAsk(files: readonly string[]): string {
    return `Bringing ${this.baseBranch} into this task's work conflicts in ${files.join(', ')}. The working tree holds this task's changes on top of ${this.baseBranch} with git's conflict markers (<<<<<<<, =======, >>>>>>>) in those files. Resolve every conflict so that both this task's change and what ${this.baseBranch} changed are kept, remove every marker, and leave the result uncommitted.`;
  }

  // ---- start-up and cleanup ---------------------------------------------------------------------------------------

  /**
   * After a crash (or any restart), for the tasks a dead engine left in progress (`recovered`), and every branch it
   * was landing (an accepted review included): a committed branch (`queued`/`merging`) is landed now — one the
   * integration branch already contains counts as merged, never merged twice; a `merged` record means the landing
   * happened and only the status was lost; `awaiting_review` and `needs_review` keep waiting; `working` worktrees stay
   * for the next attempt. Then cleanup(). Returns what the landings came to, by task id (the caller sets the
   * statuses); a landing the merge queue cannot do now is `waiting`, and `late` gets its outcome when it lands.
   */
  async recover(recovered: readonly string[], late: (taskId: string, o: LandOutcome) => void = () => undefined): Promise<Map<string, FirstOutcome>> {
    const out = new Map<string, FirstOutcome>();
    const recs = this.records();
    const landing = Object.values(recs)
      .filter((r) => r.state === 'queued' || r.state === 'merging')
      .map((r) => r.taskId);
    for (const id of [...new Set([...recovered, ...landing])]) {
      const rec = recs[id];
      if (!rec) continue;
      switch (rec.state) {
        case 'queued':
        case 'merging': {
          if (!(await this.repo.commitOf(`refs/heads/${rec.branch}`))) {
            this.update(id, { state: 'working' });
            break;
          }
          const q = this.queueLanding(id);
          const first = await q.first;
          out.set(id, first);
          if (first.kind === 'waiting') void q.landing.then((o) => late(id, o));
          break;
        }
        case 'merged':
          if (recovered.includes(id)) out.set(id, { kind: 'merged', commit: rec.mergedCommit ?? '', alreadyMerged: true });
          break;
        case 'awaiting_review':
        case 'needs_review':
          if (recovered.includes(id)) out.set(id, { kind: rec.state, reason: rec.note ?? rec.state.replace('_', ' ') });
          break;
        case 'working':
        case 'rejected':
          break;
      }
    }
    await this.cleanup();
    return out;
  }

  /** The engine stopped before a queued branch landed and the task will run again: back to `working`. */
  unqueue(taskId: string): void {
    const rec = this.record(taskId);
    if (rec && rec.state === 'queued') this.update(taskId, { state: 'working' });
  }

  /** Removes what the engine no longer needs (see recover); safe to run any time nothing merges. */
  async cleanup(): Promise<void> {
    const recs = this.records();
    const keepMs = this.opts.config.worktree.branchRetentionDays * DAY_MS;
    const owned = new Set<string>();
    for (const rec of Object.values(recs)) {
      const kept = (rec.kept ?? []).filter((k) => this.now - k.at < keepMs);
      if (kept.length !== (rec.kept ?? []).length) {
        for (const k of rec.kept ?? []) if (!kept.includes(k)) await this.repo.deleteBranch(k.branch).catch(() => false);
        this.write({ ...rec, kept: kept.length ? kept : undefined });
      }
      if (rec.state === 'merged' || rec.state === 'rejected') {
        await this.removeWorktree(rec);
        if (this.now - rec.at >= keepMs) {
          const tip = await this.repo.commitOf(`refs/heads/${rec.branch}`);
          // A rejected branch was renamed (kept, above); a merged one goes only if the integration branch still contains it.
          if (tip && rec.state === 'merged' && (await this.repo.isAncestor(tip, `refs/heads/${this.baseBranch}`)))
            await this.repo.deleteBranch(rec.branch, tip);
          if ((!rec.note || rec.state === 'merged') && kept.length === 0) this.drop(rec.taskId);
        }
      } else owned.add(path.resolve(rec.path));
    }
    for (const folder of await this.manager.taskFolders()) {
      if (owned.has(path.resolve(folder))) continue;
      try {
        await this.manager.remove(folder);
      } catch (e) {
        this.opts.log(`could not remove the orphaned worktree ${folder}: ${errorMessage(e)}`);
      }
    }
    await this.repo.pruneWorktrees().catch(() => undefined);
  }

  private async removeWorktree(rec: LandingRecord): Promise<void> {
    try {
      await this.manager.remove(rec.path);
    } catch (e) {
      this.opts.log(`could not remove the worktree ${rec.path} of ${rec.taskId}: ${errorMessage(e)}`, rec.taskId);
      await rm(rec.path, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** Stops the merge queue (a running merge is aborted and landed on the next start). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.close();
    for (const id of [...this.waiters.keys()]) this.resolve(id, { kind: 'stopped' });
  }
}

/** The merge policy of a task: the most specific of task, feature and epic overrides, else the default. */
export function policyOf(config: IsolationConfig, task: { id: string; featureId: string; epicId: string }): MergePolicy {
  const o = config.merge.policyOverrides;
  return o[task.id] ?? o[task.featureId] ?? o[task.epicId] ?? config.merge.policy;
}

/** A person's note as the next prompt reads it; none without text. */
/** Lines git writes around a conflict (`<<<<<<< ours`, `=======`, `>>>>>>> theirs`), each at the start of a line. */
const CONFLICT_MARKER = /^(?:<{7}(?: |$)|={7}$|>{7}(?: |$))/m;

/** Those of `files` (relative to `dir`) that still hold a conflict marker; a file removed holds none. */
async function filesWithConflictMarkers(dir: string, files: readonly string[]): Promise<string[]> {
  const left: string[] = [];
  for (const f of files) {
    const text = await readFile(path.join(dir, f), 'utf8').catch(() => '');
    if (CONFLICT_MARKER.test(text)) left.push(f);
  }
  return left;
}

function reviewNote(what: string, note: string | undefined): string | undefined {
  const text = note?.trim();
  return text ? `A person ${what}: ${text}` : undefined;
}

function tail(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
