// "Review changes": a task branch against the commit it forked from, in VS Code's multi-file diff editor
// (`vscode.changes`). Both sides are read-only documents of our own scheme, read from git at a commit (never the
// worktree, which the person or a later attempt may change under the diff), so the diff shows exactly what accepting
// would merge. The engine names the repository, the two commits and the files (ReviewView); this only reads them.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ReviewView } from '../protocol/engineProtocol';

export const REVIEW_SCHEME = 'coditect-review';

/** One side of one file: the file's path at `commit` in `repo`. */
interface Side {
  repo: string;
  commit: string;
  path: string;
}

const COMMIT_RE = /^[0-9a-f]{7,64}$/;

/** A read-only document of one side; the path stays readable (it names the editor's tab), the rest is the query. */
export function sideUri(side: Side, label: 'base' | 'task'): vscode.Uri {
  return vscode.Uri.from({ scheme: REVIEW_SCHEME, path: `/${side.path}`, query: JSON.stringify({ ...side, label }) });
}

function sideOf(uri: vscode.Uri): Side {
  const q = JSON.parse(uri.query) as Partial<Side>;
  if (typeof q.repo !== 'string' || typeof q.path !== 'string' || typeof q.commit !== 'string' || !COMMIT_RE.test(q.commit)) {
    throw new Error(`${uri.toString()} names no commit and path of a repository`);
  }
  return { repo: q.repo, commit: q.commit, path: q.path };
}

/**
 * The multi-diff editor's rows for a review: [the file in the repository, its base side, its task side]; a side the
 * commit does not have (`exists` says) is left out, so an added file reads as added, not as a change from empty.
 */
export async function reviewResources(
  r: ReviewView,
  exists: (side: Side) => Promise<boolean>,
): Promise<[vscode.Uri, vscode.Uri | undefined, vscode.Uri | undefined][]> {
  return Promise.all(
    r.changes.map(async (c) => {
      const base: Side = { repo: r.repository, commit: r.base, path: c.oldPath ?? c.path };
      const task: Side = { repo: r.repository, commit: r.head, path: c.path };
      const [hadIt, hasIt] = await Promise.all([exists(base), exists(task)]);
      return [vscode.Uri.file(path.join(r.repository, c.path)), hadIt ? sideUri(base, 'base') : undefined, hasIt ? sideUri(task, 'task') : undefined] as [
        vscode.Uri,
        vscode.Uri | undefined,
        vscode.Uri | undefined,
      ];
    }),
  );
}

/** The diff editor's title: `T003: Wire the CLI (+120 −8)` (VS Code adds the number of files). */
export function reviewTitle(r: ReviewView): string {
  return `${r.taskId}: ${r.title} (+${r.stat.added} −${r.stat.deleted})`;
}

/** Opens the multi-file diff of a review; resolves with what it opened. */
export async function openReviewDiff(r: ReviewView): Promise<{ title: string; files: string[] }> {
  const title = reviewTitle(r);
  await vscode.commands.executeCommand('vscode.changes', title, await reviewResources(r, existsAt));
  return { title, files: r.changes.map((c) => c.path) };
}

/** Runs git read-only in `repo`: no fsmonitor, no prompt, no optional locks. */
function gitRead(repo: string, args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string; message?: string }> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['-c', 'core.fsmonitor=false', '--no-pager', ...args],
      { cwd: repo, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' } },
      (err, stdout, stderr) => resolve({ ok: !err, stdout, stderr, message: err?.message }),
    );
  });
}

/** Whether `side.path` exists at `side.commit`. */
async function existsAt(side: Side): Promise<boolean> {
  if (!COMMIT_RE.test(side.commit)) return false;
  return (await gitRead(side.repo, ['cat-file', '-e', `${side.commit}:${side.path}`])).ok;
}

/** Serves the sides: `git show <commit>:<path>`; a side the commit does not have is empty. */
export class ReviewDocuments implements vscode.TextDocumentContentProvider {
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const side = sideOf(uri);
    // No textconv or external drivers: the bytes as committed. `<commit>:<path>` cannot be read as an option.
    const r = await gitRead(side.repo, ['show', '--no-textconv', `${side.commit}:${side.path}`]);
    if (r.ok) return r.stdout;
    if (/does not exist in|exists on disk, but not in/.test(r.stderr)) return '';
    throw new Error(`git show ${side.commit}:${side.path} in ${side.repo} failed: ${r.stderr.trim() || r.message}`);
  }
}
