// Whether the task list on disk shows the statuses the engine set. A sync that could not write it (the diagnostic
// `sync-write-failed`: read-only, full disk, gone) opens a fault episode: said once, retried with backoff; the first
// sync after it that leaves nothing unwritten ends the episode, said once too. Without this a run whose write-backs
// all failed ended "completed 5/5" with 0 boxes ticked and exit 0 (#14 item 9).
import type { Diagnostic } from '../core/model';
import { RetryTimer } from './retryTimer';

/** What a sync reports that the episode reads. */
export interface WriteReport {
  diagnostics: readonly Diagnostic[];
  /** Statuses the sync did not get into the file yet. */
  pendingWriteBack: boolean;
}

/** Options of MarkdownFault. */
export interface MarkdownFaultOptions {
  /** Writes the statuses back again (the retry). */
  writeBack: () => void;
  /** The episode began: its error, said everywhere. */
  began: (message: string) => void;
  /** The episode ended: the file shows the statuses again. */
  ended: () => void;
  /** True once the owner is closing: no new retry is armed (its last write-back is the owner's own). */
  stopping: () => boolean;
  /** First retry delay, ms [1000]; each next doubles up to maxMs. */
  initialMs?: number;
  /** Longest retry delay, ms [30000]. */
  maxMs?: number;
}

/** The task list's write fault episode (see the file comment); close() stops retrying. */
export class MarkdownFault {
  private current?: string;
  private readonly retry: RetryTimer;

  constructor(private readonly opts: MarkdownFaultOptions) {
    this.retry = new RetryTimer({ initialMs: opts.initialMs ?? 1000, maxMs: opts.maxMs ?? 30_000, onFire: () => opts.writeBack() });
  }

  /**
   * Why the file shows older statuses than the database (its last write failed), or undefined when it shows them all.
   * `coditect run` ends with an error and exit 1 while it is set.
   */
  get fault(): string | undefined {
    return this.current;
  }

  /** Reads one sync's outcome. */
  note(r: WriteReport): void {
    const failed = r.diagnostics.find((d) => d.code === 'sync-write-failed' && d.severity === 'error');
    if (failed) {
      const first = this.current === undefined;
      this.current = failed.message;
      if (first) this.opts.began(failed.message);
      if (!this.opts.stopping()) this.retry.schedule(); // folds into a pending retry; a no-op once closed
    } else if (this.current !== undefined && !r.pendingWriteBack) {
      this.current = undefined;
      this.retry.reset();
      this.opts.ended();
    }
  }

  /** Stops retrying (the fault, if any, stays readable). Idempotent. */
  close(): void {
    this.retry.dispose();
  }
}
