// The last finished attempt of each task, as its view shows it (LastRunView): read from the database on first use and
// kept until that task's next attempt finishes, or until attempts may have changed behind it (`clear`). Which tasks
// have any attempt at all is read along with an emptied cache, in one query: most of a big plan has none, and one
// query per task was ~2 s of a 10,000-task plan's first snapshot (#15).
import type { AttemptView } from '../protocol/engineProtocol';
import type { LastRunView } from '../protocol/views';
import { truncate } from '../protocol/presentation';

/** Most characters of an attempt's summary a task view carries (the log has all of it). */
export const LAST_RUN_SUMMARY_CHARS = 400;

/** What the cache reads (the TaskStore). */
export interface AttemptSource {
  attemptedTasks(): Set<string>;
  attempts(taskId: string, limit: number): AttemptView[];
}

export class LastRunCache {
  private readonly runs = new Map<string, LastRunView | null>();
  /** Tasks with a recorded attempt, read when the cache starts empty (the others' last run is none without a query). */
  private attempted: Set<string> | undefined;

  constructor(private readonly source: AttemptSource) {}

  /** The last finished attempt of `taskId`; undefined when it has none (or only one still running). */
  get(taskId: string): LastRunView | undefined {
    let v = this.runs.get(taskId);
    if (v === undefined) {
      if (this.runs.size === 0) this.attempted = this.source.attemptedTasks();
      const a = this.attempted?.has(taskId) === false ? undefined : this.source.attempts(taskId, 1)[0];
      v =
        a && a.endedAt
          ? {
              attempt: a.attempt,
              agent: a.agent,
              outcome: a.outcome as LastRunView['outcome'],
              startedAt: a.startedAt,
              endedAt: a.endedAt,
              durationMs: a.durationMs ?? 0,
              error: a.error,
              // The views show a line of it; the whole text stays in the task's log (a snapshot carries every task).
              summary: a.summary === undefined ? undefined : truncate(a.summary, LAST_RUN_SUMMARY_CHARS),
              simulated: a.simulated,
            }
          : null;
      this.runs.set(taskId, v);
    }
    return v ?? undefined;
  }

  /** An attempt of `taskId` finished: read again on next use. */
  finished(taskId: string): void {
    this.runs.delete(taskId);
    this.attempted?.add(taskId);
  }

  /** Attempts may have changed anywhere (the plan was re-read from the database): everything is read again. */
  clear(): void {
    this.runs.clear();
  }
}
