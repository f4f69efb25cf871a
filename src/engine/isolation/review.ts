// A person's view of a task branch waiting for review: which files it changes and by how much, why it waits, and its
// diff — built from the landing record and the repository, in the protocol's shapes (ReviewView), so the CLI, the
// editor and the HTTP API show the same thing.
import type { ListReviewsResult, ReviewFileView, ReviewView, ShowReviewResult } from '../../protocol/engineProtocol';
import type { FileStat } from './git';
import { ReviewError, type LandingRecord, type TaskIsolation } from './taskIsolation';

/** Default cap of a diff sent to a client, in characters. */
export const DEFAULT_MAX_DIFF_CHARS = 1_000_000;

/** Totals of a branch's changes, and the text the UI shows (`3 files, +120 −8`). */
export function statOf(files: readonly FileStat[]): ReviewView['stat'] {
  const added = files.reduce((n, f) => n + (f.added ?? 0), 0);
  const deleted = files.reduce((n, f) => n + (f.deleted ?? 0), 0);
  return { files: files.length, added, deleted, text: `${files.length} file${files.length === 1 ? '' : 's'}, +${added} −${deleted}` };
}

/** The review view of one record (which MUST be awaiting or needing review). */
export async function reviewView(iso: TaskIsolation, rec: LandingRecord & { state: ReviewView['state'] }): Promise<ReviewView> {
  const head = (await iso.repo.commitOf(`refs/heads/${rec.branch}`)) ?? rec.head ?? rec.base;
  const stats = await iso.repo.numstat(rec.base, head);
  const changes: ReviewFileView[] = stats.map((f) => ({
    path: f.path,
    ...(f.origPath !== undefined ? { oldPath: f.origPath } : {}),
    ...(f.added !== undefined ? { added: f.added } : {}),
    ...(f.deleted !== undefined ? { deleted: f.deleted } : {}),
  }));
  const worktree = (await iso.manager.adminDirOf(rec.path)) ? rec.path : undefined;
  const stat = statOf(stats);
  return {
    taskId: rec.taskId,
    title: rec.title,
    state: rec.state,
    reason: rec.note ?? (rec.state === 'awaiting_review' ? `awaiting review (${stat.text})` : 'needs review'),
    ...(rec.files?.length ? { files: rec.files } : {}),
    ...(rec.conflict ? { conflict: true } : {}),
    repository: iso.toplevel,
    baseBranch: iso.baseBranch,
    branch: rec.branch,
    base: rec.base,
    head,
    ...(worktree ? { worktree } : {}),
    changes,
    stat,
    since: new Date(rec.at).toISOString(),
  };
}

function waiting(rec: LandingRecord): rec is LandingRecord & { state: ReviewView['state'] } {
  return rec.state === 'awaiting_review' || rec.state === 'needs_review';
}

/** Every branch waiting for a person, oldest first. */
export async function listReviews(iso: TaskIsolation | undefined): Promise<ListReviewsResult> {
  if (!iso) return { isolation: false, reviews: [] };
  const recs = Object.values(iso.records())
    .filter(waiting)
    .sort((a, b) => a.at - b.at);
  return { isolation: true, reviews: await Promise.all(recs.map((r) => reviewView(iso, r))) };
}

/** One waiting branch with its diff against its base, capped at `maxChars`. */
export async function showReview(iso: TaskIsolation, taskId: string, maxChars = DEFAULT_MAX_DIFF_CHARS): Promise<ShowReviewResult> {
  if (!(Number.isInteger(maxChars) && maxChars > 0)) throw new RangeError(`maxDiffChars must be a positive integer, got ${String(maxChars)}`);
  const rec = iso.record(taskId);
  if (!rec || !waiting(rec)) throw new ReviewError(`${taskId} has no branch waiting for review${rec ? ` (its branch is ${rec.state.replace('_', ' ')})` : ''}`);
  const review = await reviewView(iso, rec);
  const diff = (await iso.repo.run(['diff', '-M', '--no-ext-diff', '--no-textconv', '--no-color', review.base, review.head, '--'])).stdout;
  const truncated = diff.length > maxChars;
  return { review, diff: truncated ? diff.slice(0, maxChars) : diff, truncated };
}
