// The tasks waiting out a retry backoff, one timer each (BullMQ's TimerManager, keyed by task id). The orchestrator
// asks it whether a task is waiting (then it is in no ready lane), cancels one when a person acts on the task, and
// cancels all at stop and close; when a backoff ends, the task is forgotten here BEFORE `onDue` runs, so `onDue` may
// queue it again. Timers are unref'd: a waiting retry alone never keeps the process alive.

/** Retry backoffs in flight, by task id. */
export class BackoffTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /** `onDue(taskId)` runs when a task's backoff is over (never for one cancelled first). */
  constructor(private readonly onDue: (taskId: string) => void) {}

  /** Tasks waiting for their backoff. */
  get size(): number {
    return this.timers.size;
  }

  /** True while `taskId` waits for its backoff. */
  has(taskId: string): boolean {
    return this.timers.has(taskId);
  }

  /** Waits `delayMs` before `onDue(taskId)`; a backoff already waiting for the task is replaced. */
  schedule(taskId: string, delayMs: number): void {
    if (!(delayMs >= 0)) throw new RangeError(`BackoffTimers.schedule: delayMs of ${taskId} must be ≥ 0 ms, got ${delayMs}`);
    this.cancel(taskId);
    const timer = setTimeout(() => {
      if (this.timers.get(taskId) !== timer) return;
      this.timers.delete(taskId);
      this.onDue(taskId);
    }, delayMs);
    timer.unref?.();
    this.timers.set(taskId, timer);
  }

  /** Stops `taskId`'s backoff; true when one was waiting. */
  cancel(taskId: string): boolean {
    const timer = this.timers.get(taskId);
    if (!timer) return false;
    clearTimeout(timer);
    this.timers.delete(taskId);
    return true;
  }

  /** Stops the backoffs of the tasks `drop` picks; returns their ids. */
  cancelWhere(drop: (taskId: string) => boolean): string[] {
    const out: string[] = [];
    for (const id of [...this.timers.keys()]) if (drop(id) && this.cancel(id)) out.push(id);
    return out;
  }

  /** Stops every backoff; returns the ids that were waiting. */
  cancelAll(): string[] {
    return this.cancelWhere(() => true);
  }
}
