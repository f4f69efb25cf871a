// A person's verdict on a task branch (accept, reject, retry with note), and the task status each comes to. The
// engine's runtime serves these through the protocol (ListReviews … RetryReview) to the CLI, the editor and the HTTP
// API alike; the isolation layer does the git side, this file keeps the task's status in step with it.
import type { TaskStatus } from '../../core/model';
import type {
  AcceptReviewResult,
  ListReviewsResult,
  RejectReviewParams,
  RejectReviewResult,
  ResolveConflictsResult,
  ShowReviewParams,
  ShowReviewResult,
} from '../../protocol/engineProtocol';
import { listReviews, showReview } from './review';
import { ReviewError, type FirstOutcome, type LandOutcome, type TaskIsolation } from './taskIsolation';

/** What the desk needs of the engine. */
export interface ReviewDeskDeps {
  /** Undefined when agents work in the shared tree (`isolation: none`, no git). */
  isolation: TaskIsolation | undefined;
  /** Why verdicts are refused (an untrusted workspace, a reading session), or undefined when they are taken. */
  readOnly: string | undefined;
  /** The task's status, or undefined when the plan has no such task. */
  status(taskId: string): TaskStatus | undefined;
  /** Sets a task's status as the orchestrator does (graph, dependents, write-back). */
  setStatus(taskId: string, status: TaskStatus): Promise<void>;
  /** Back to pending for another attempt (retry count kept); false when the orchestrator would not. */
  retry(taskId: string): boolean;
}

/** Serves the review requests (see the file comment). */
export class ReviewDesk {
  constructor(private readonly deps: ReviewDeskDeps) {}

  reviews(): Promise<ListReviewsResult> {
    return listReviews(this.deps.isolation);
  }

  showReview(p: ShowReviewParams): Promise<ShowReviewResult> {
    return showReview(this.isolation(), p.taskId, p.maxDiffChars);
  }

  /**
   * Lands the branch through the merge queue. Answers when it merged (the task is then completed and its dependents
   * may start) or did not (a conflict, a failing check: still blocked), or as soon as the queue waits (the landing
   * goes on and sets the status when it ends).
   */
  async acceptReview(taskId: string): Promise<AcceptReviewResult> {
    const iso = this.writable(taskId);
    const { first, landing } = await iso.accept(taskId);
    const f = await first;
    if (f.kind === 'waiting') {
      void landing.then((o) => this.settle(taskId, o));
      return { outcome: 'waiting', reason: f.reason };
    }
    await this.settle(taskId, f);
    switch (f.kind) {
      case 'merged':
        return { outcome: 'merged', commit: f.commit };
      case 'stopped':
        return { outcome: 'waiting', reason: 'the engine is stopping; the branch stays queued and lands on its next start' };
      default: {
        const files = iso.record(taskId)?.files;
        return { outcome: 'needs_review', reason: f.reason, ...(files?.length ? { files } : {}) };
      }
    }
  }

  async rejectReview(p: RejectReviewParams): Promise<RejectReviewResult> {
    const iso = this.writable(p.taskId);
    const keptBranch = await iso.reject(p.taskId, p.note);
    return { status: await this.again(p.taskId), ...(keptBranch ? { keptBranch } : {}) };
  }

  /** "Resolve conflicts with agent": see TaskIsolation.resolveConflicts. */
  async resolveConflicts(p: RejectReviewParams): Promise<ResolveConflictsResult> {
    const { files, keptBranch } = await this.writable(p.taskId).resolveConflicts(p.taskId, p.note);
    return { status: await this.again(p.taskId), files, keptBranch };
  }

  async retryReview(p: RejectReviewParams): Promise<{ status: TaskStatus }> {
    this.writable(p.taskId).retryWithNote(p.taskId, p.note);
    return { status: await this.again(p.taskId) };
  }

  /**
   * The status a landing comes to (an accepted review, or one the engine resumed after a restart): completed once
   * merged, blocked while it waits for a person or for the integration branch; nothing when the engine stopped.
   */
  async settle(taskId: string, o: FirstOutcome | LandOutcome): Promise<void> {
    if (o.kind === 'stopped') return;
    const want: TaskStatus = o.kind === 'merged' ? 'completed' : 'blocked';
    if (this.deps.status(taskId) !== want) await this.deps.setStatus(taskId, want);
  }

  private isolation(): TaskIsolation {
    if (!this.deps.isolation) throw new ReviewError('isolation is off (isolation: none, or not a git repository): no task has a branch to review');
    return this.deps.isolation;
  }

  /** The isolation layer, when the task may be given a verdict now. */
  private writable(taskId: string): TaskIsolation {
    const iso = this.isolation();
    if (this.deps.readOnly) throw new ReviewError(this.deps.readOnly);
    const s = this.deps.status(taskId);
    if (s === undefined) throw new ReviewError(`the plan has no task ${taskId}`);
    if (s === 'in_progress') throw new ReviewError(`${taskId} is running; cancel it first`);
    return iso;
  }

  /** The task back to pending for another attempt. */
  private async again(taskId: string): Promise<TaskStatus> {
    if (this.deps.status(taskId) !== 'pending' && !this.deps.retry(taskId)) await this.deps.setStatus(taskId, 'pending');
    return this.deps.status(taskId) ?? 'pending';
  }
}
