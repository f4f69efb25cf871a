// What happens to the files an attempt run on a worker changes (`queue.results`, docs/server.md#file-changes).
//
// - `none`: the agent works in the worker's checkout and its changes stay there (the job carries no `results`).
// - `patch` / `branch`: the coordinator names the commit its own tree is at (`base`). The worker runs the attempt in a
//   fresh worktree of its checkout at that commit (fetched from `queue.remote` when the checkout lacks it), so jobs
//   running at once on one worker never see each other's files and the checkout itself is never touched. After a
//   successful attempt the worker commits what changed and sends it back: `patch` — the diff in the job result, which
//   the coordinator applies to its own tree (all or nothing: `git apply` refuses a patch that does not fit, and the
//   attempt then fails with git's words, the patch kept under .coditect/results/); `branch` — the commit pushed to
//   `queue.remote` as `coditect/results/<task>/attempt-<id>`, which the coordinator checks is really there before it
//   records the attempt. The worktree is removed afterwards either way.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../../core/describe';
import { Git } from '../isolation/git';
import { MAX_PATCH, resultsBranchOf, type JobChanges, type JobResultsRequest } from './jobProtocol';

/** Author and committer of a worker's commit of an attempt's changes. */
const WORKER_IDENTITY = { GIT_AUTHOR_NAME: 'coditect worker', GIT_AUTHOR_EMAIL: 'worker@coditect.invalid' };

/** Variables a push or fetch may need to reach a remote (ssh agent, an ssh command); nothing else of the environment. */
function remoteEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['SSH_AUTH_SOCK', 'GIT_SSH_COMMAND', 'GIT_ASKPASS']) if (env[k] !== undefined) out[k] = env[k];
  return out;
}

// ---- coordinator ------------------------------------------------------------------------------------------------

/** The request a job carries for `mode`: the coordinator's HEAD as the base, the branch named after the attempt. */
export async function resultsRequest(
  mode: 'patch' | 'branch',
  cwd: string,
  remote: string | undefined,
  taskId: string,
  attemptId: number,
): Promise<JobResultsRequest> {
  const base = await new Git({ cwd }).commitOf('HEAD');
  if (base === undefined) throw new Error(`queue.results ${mode} needs the coordinator's folder ${cwd} to be a git repository with a commit`);
  if (mode === 'patch') return { mode, base, ...(remote !== undefined ? { remote } : {}) };
  if (remote === undefined) throw new Error('queue.results branch needs queue.remote');
  return { mode, base, remote, branch: resultsBranchOf(taskId, attemptId) };
}

/**
 * Takes a worker's changes into the coordinator: a patch is applied to `cwd` (all or nothing; kept under
 * `.coditect/results/` when it does not apply), a branch is checked on the remote. Resolves with a line for the
 * attempt's summary, or rejects with why the changes cannot be taken.
 */
export async function takeChanges(
  req: JobResultsRequest,
  changes: JobChanges | undefined,
  cwd: string,
  stateDir: string,
  taskId: string,
  attemptId: number,
  env: Record<string, string | undefined>,
): Promise<string> {
  if (!changes) throw new Error(`the worker sent no changes, though the job asked for a ${req.mode}`);
  if (changes.base !== req.base) throw new Error(`the worker's changes start from ${changes.base}, not from the requested ${req.base}`);
  const git = new Git({ cwd, env });
  if (changes.commit === undefined || changes.files.length === 0) return 'no files changed';
  const files = `${changes.files.length} file(s): ${changes.files.slice(0, 10).join(', ')}${changes.files.length > 10 ? ', …' : ''}`;
  if (req.mode === 'branch') {
    if (changes.branch !== req.branch) throw new Error(`the worker pushed ${String(changes.branch)}, not the requested ${req.branch}`);
    const ref = `refs/heads/${req.branch}`;
    const out = await git.text(['ls-remote', '--end-of-options', req.remote, ref], { env: remoteEnv(env) });
    const at = out
      .split('\n')
      .find((l) => l.endsWith(`\t${ref}`))
      ?.split('\t')[0];
    if (at !== changes.commit) throw new Error(`${req.remote} has ${ref} at ${at ?? 'nothing'}, not at the worker's commit ${changes.commit}`);
    return `changes pushed to ${req.remote} as branch ${req.branch} (commit ${changes.commit.slice(0, 12)}), ${files}`;
  }
  if (changes.patch === undefined) throw new Error('the worker sent changed files but no patch');
  const dir = join(stateDir, 'results');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${taskId.replace(/[^A-Za-z0-9._-]/g, '-')}-attempt-${attemptId}.patch`);
  writeFileSync(file, changes.patch, { mode: 0o600 });
  try {
    // Not --index: a local agent's changes land in the working tree too, unstaged, for the person to look at.
    await git.run(['apply', '--whitespace=nowarn', '--', file]);
  } catch (e) {
    throw new Error(`its patch does not apply to ${cwd} (kept in ${file}): ${errorMessage(e)}`, { cause: e });
  }
  rmSync(file, { force: true });
  return `changes applied to this tree from the worker's patch, ${files}`;
}

// ---- worker -----------------------------------------------------------------------------------------------------

/** An attempt's own worktree on a worker. */
export interface JobWorktree {
  dir: string;
  /** Commits what the attempt changed and sends it back as asked (patch, or a pushed branch). */
  collect(taskId: string, title: string, worker: string): Promise<JobChanges>;
  /** Removes the worktree (and its folder); never throws. */
  remove(): Promise<void>;
}

/** Makes a fresh worktree of the checkout at `cwd` at the request's base (fetched from its remote when missing). */
export async function jobWorktree(req: JobResultsRequest, cwd: string, env: Record<string, string | undefined>): Promise<JobWorktree> {
  const git = new Git({ cwd, env });
  if ((await git.discover()) === undefined)
    throw new Error(`queue.results ${req.mode}: this worker's checkout ${cwd} is not a git repository (clone the coordinator's repository there)`);
  if ((await git.commitOf(req.base)) === undefined) {
    if (req.remote === undefined)
      throw new Error(`the coordinator's commit ${req.base} is not in this worker's checkout ${cwd} (pull it, or set queue.remote for workers to fetch it)`);
    await git.run(['fetch', '--quiet', '--end-of-options', req.remote], { env: remoteEnv(env) });
    if ((await git.commitOf(req.base)) === undefined)
      throw new Error(`the coordinator's commit ${req.base} is not on ${req.remote} either: push it there first`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'coditect-job-'));
  try {
    await git.addWorktree(dir, { start: req.base, detach: true, lockReason: 'coditect worker: a job runs here' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const wt = new Git({ cwd: dir, env });
  return {
    dir,
    collect: async (taskId, title, worker) => {
      await wt.run(['add', '--all', '--', '.']);
      const staged = await wt.run(['diff', '--cached', '--quiet', '--no-ext-diff'], { ok: [0, 1] });
      if (staged.exitCode === 0) return { base: req.base, files: [] };
      await wt.run(['commit', '--quiet', '--no-verify', '-m', `${taskId}: ${title.slice(0, 200)}\n\nRun by coditect worker ${worker}.`], {
        env: { ...WORKER_IDENTITY, GIT_COMMITTER_NAME: WORKER_IDENTITY.GIT_AUTHOR_NAME, GIT_COMMITTER_EMAIL: WORKER_IDENTITY.GIT_AUTHOR_EMAIL },
      });
      const commit = (await wt.commitOf('HEAD'))!;
      const files = await wt.changedPaths(req.base, commit);
      if (req.mode === 'branch') {
        await wt.run(['push', '--quiet', '--force', '--end-of-options', req.remote, `${commit}:refs/heads/${req.branch}`], { env: remoteEnv(env) });
        return { base: req.base, commit, files, branch: req.branch, remote: req.remote };
      }
      const patch = (await wt.run(['diff', '--binary', '--full-index', '--no-ext-diff', '--no-textconv', req.base, commit, '--'])).stdout;
      if (patch.length > MAX_PATCH)
        throw new Error(`the attempt's patch is ${patch.length} bytes, more than a job result carries (${MAX_PATCH}); use queue.results branch`);
      return { base: req.base, commit, files, patch };
    },
    remove: async () => {
      await git.removeWorktree(dir).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      await git.pruneWorktrees().catch(() => undefined);
    },
  };
}
