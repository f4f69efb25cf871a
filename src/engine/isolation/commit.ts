// The engine's commit of a task's work: when the agent ends, the engine (never the agent) stages and commits what
// changed in the task's worktree, with a message naming the task and the agent.
//
// Paths the engine runs or trusts (the plan file, `.coditect/`, the engine's config) are protected: a change to them
// is never committed. Changes an agent made to them — in the working tree or in commits of its own — are undone on
// the branch and reported as refused, with the diff, so the task goes to review with a note instead of landing.
import { Git, identityEnv, type GitIdentity } from './git';

/** Largest refused diff kept for the review note. */
const MAX_REFUSED_DIFF_CHARS = 20_000;

export interface CommitOptions {
  /** Commit the task's branch started from. */
  base: string;
  /** Commit message (first line names the task and the agent). */
  message: string;
  identity: GitIdentity;
  /** Repository-relative paths an agent may not change (their changes are refused). */
  protectedPaths: readonly string[];
  /** Repository-relative paths never committed (what set-up copied or linked in). */
  ignoredPaths: readonly string[];
  signal?: AbortSignal;
}

export interface CommitResult {
  /** Tip of the branch after the commit (equals `base` when the task changed nothing). */
  head: string;
  /** True when the engine made a commit. */
  committed: boolean;
  /** Protected paths the agent changed; their changes were undone. */
  refused: string[];
  /** `git diff` of the refused changes (capped), for the review note. */
  refusedDiff?: string;
}

/** Pathspecs that leave `paths` out (`:(top,literal,exclude)…`). */
export function excludeSpecs(paths: readonly string[]): string[] {
  return paths.map((p) => `:(top,literal,exclude)${p}`);
}

/** Pathspecs for exactly `paths`. */
export function literalSpecs(paths: readonly string[]): string[] {
  return paths.map((p) => `:(top,literal)${p}`);
}

/** Commits the task's work in its worktree (see the file comment). `git` MUST be bound to the worktree (Git.forWorktree). */
export async function commitTaskWork(git: Git, opts: CommitOptions): Promise<CommitResult> {
  const { signal } = opts;
  let refused: string[] = [];
  let refusedDiff: string | undefined;
  if (opts.protectedPaths.length > 0) {
    // Working tree against the base: covers both uncommitted edits and the agent's own commits.
    refused = splitZ(
      (await git.run(['diff', '--name-only', '-z', '--no-renames', '--no-ext-diff', opts.base, '--', ...literalSpecs(opts.protectedPaths)], { signal })).stdout,
    );
    if (refused.length > 0) {
      const diff = (await git.run(['diff', '--no-ext-diff', '--no-textconv', '--no-color', opts.base, '--', ...literalSpecs(refused)], { signal })).stdout;
      refusedDiff = diff.length > MAX_REFUSED_DIFF_CHARS ? `${diff.slice(0, MAX_REFUSED_DIFF_CHARS)}\n…[diff truncated]` : diff;
      // Back to the base's version, in the index and the working tree (a file the base lacks is removed).
      await git.run(['restore', `--source=${opts.base}`, '--staged', '--worktree', '--', ...literalSpecs(refused)], { signal });
    }
  }
  const exclude = excludeSpecs([...opts.protectedPaths, ...opts.ignoredPaths]);
  await git.run(['add', '--all', '--', '.', ...exclude], { signal });
  const staged = (await git.run(['diff', '--cached', '--quiet', '--no-ext-diff'], { ok: [0, 1], signal })).exitCode === 1;
  const merging = (await git.commitOf('MERGE_HEAD')) !== undefined;
  let committed = false;
  if (staged || merging) {
    // --no-verify is redundant with hooks off (PINNED_CONFIG), and says so where it matters.
    await git.run(['commit', '--quiet', '--no-verify', '--allow-empty-message', '-m', opts.message], { env: identityEnv(opts.identity), signal });
    committed = true;
  }
  const head = await git.commitOf('HEAD');
  if (!head) throw new Error(`no HEAD in ${git.cwd} after committing`);
  return { head, committed, refused, refusedDiff };
}

/** The engine's commit message: the task, its title, the agent; the body says who wrote the changes. */
export function taskCommitMessage(task: { id: string; title: string }, agentType: string, attempt: number): string {
  const title = task.title.replace(/\s+/g, ' ').trim();
  const subject = `${task.id}: ${title}`.slice(0, 100);
  return `${subject}\n\nChanges by the ${agentType} agent (attempt ${attempt}), committed by CODITECT.\nTask: ${task.id}\nAgent: ${agentType}\n`;
}

function splitZ(out: string): string[] {
  return out.split('\0').filter((s) => s !== '');
}
