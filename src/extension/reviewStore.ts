// The editor's copy of the task branches waiting for a person (docs/isolation.md#review): what the CodeLens and the
// tree need to offer "Review changes (3 files, +120 −8)". A branch's review state lives in the engine's landing
// records, not in TaskView, and its counts come from git, so the list is asked of the engine (coditect/reviewList)
// whenever it may have changed: a new plan, or a task moving into or out of `blocked` (the status a branch that waits
// has). Plain Node: no vscode import.
import type { ListReviewsResult, ReviewView } from '../protocol/engineProtocol';
import { diffReviews, reviewsMayHaveChanged } from '../protocol/reviews';
import { latestOnly } from '../core/latestOnly';
import { TypedEmitter } from '../core/typedEmitter';
import type { PlanStore } from './planStore';

export interface ReviewStoreEvents {
  /** Tasks whose review appeared, changed or went. */
  'reviews:changed': { taskIds: string[] };
  /** Asking the engine failed (it is gone or restarting); the last list stays. */
  'reviews:failed': { message: string };
}

/** The branches waiting for review, kept current from the engine. */
export class ReviewStore {
  readonly events = new TypedEmitter<ReviewStoreEvents>();
  private byTask = new Map<string, ReviewView>();
  /** Asks the engine; asks during one fold into one more after it (src/core/latestOnly.ts). */
  private readonly ask = latestOnly(async () => {
    try {
      this.replace((await this.list()).reviews);
    } catch (e) {
      this.events.emit('reviews:failed', { message: e instanceof Error ? e.message : String(e) });
    }
  });
  private readonly offs: (() => void)[] = [];

  /** `list` asks the engine (ListReviews); `store` tells when to ask again. */
  constructor(
    private readonly list: () => Promise<ListReviewsResult>,
    store?: PlanStore,
  ) {
    if (!store) return;
    this.offs.push(
      store.events.on('plan:replaced', () => void this.refresh()),
      store.events.on('tasks:updated', (u) => {
        if (reviewsMayHaveChanged(u.tasks, u.removed, (id) => this.byTask.has(id))) void this.refresh();
      }),
    );
  }

  /** The review waiting for `taskId`, if any. */
  get(taskId: string): ReviewView | undefined {
    return this.byTask.get(taskId);
  }

  all(): ReviewView[] {
    return [...this.byTask.values()];
  }

  /**
   * Asks the engine for the list now. Calls while one is under way fold into one more after it, so the answer always
   * reflects the latest change. Resolves once the store holds that answer (or the engine did not answer).
   */
  refresh(): Promise<void> {
    return this.ask();
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
  }

  private replace(reviews: readonly ReviewView[]): void {
    const { byTask, changed } = diffReviews(this.byTask, reviews);
    this.byTask = byTask;
    if (changed.length > 0) this.events.emit('reviews:changed', { taskIds: changed });
  }
}
