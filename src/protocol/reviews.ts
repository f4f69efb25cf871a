// Rules about the list of task branches waiting for a person (docs/isolation.md#review), shared by every client that
// keeps a copy of it: the editor's ReviewStore, the dashboard page (editor webview and the daemon's web page).
// A branch's review state lives in the engine's landing records, not in TaskView, so clients ask for the list
// (coditect/reviewList, GET /api/reviews) when it may have changed, and diff the answer against what they hold.
import type { ReviewView } from './engineProtocol';
import type { TaskView } from './views';

/**
 * True when a change of these tasks may have added, changed or removed a review: a branch waits only while its task
 * is `blocked`, so a task entering or leaving `blocked` (or one that had a review) is a reason to ask again.
 */
export function reviewsMayHaveChanged(
  changed: readonly Pick<TaskView, 'id' | 'status'>[],
  removed: readonly string[],
  has: (taskId: string) => boolean,
): boolean {
  return changed.some((t) => t.status === 'blocked' || has(t.id)) || removed.some(has);
}

/** The list keyed by task, and the tasks whose review appeared, changed (what a person sees of it) or went. */
export function diffReviews(old: ReadonlyMap<string, ReviewView>, next: readonly ReviewView[]): { byTask: Map<string, ReviewView>; changed: string[] } {
  const byTask = new Map(next.map((r) => [r.taskId, r]));
  const changed: string[] = [];
  for (const [id, r] of byTask) {
    const o = old.get(id);
    if (
      !o ||
      o.head !== r.head ||
      o.state !== r.state ||
      o.stat.text !== r.stat.text ||
      o.reason !== r.reason ||
      o.worktree !== r.worktree ||
      o.conflict !== r.conflict
    )
      changed.push(id);
  }
  for (const id of old.keys()) if (!byTask.has(id)) changed.push(id);
  return { byTask, changed };
}
