// A bounded activity log: the runtime keeps its own lines (syncs, conflicts, isolation notices, gate decisions,
// limits), the orchestrator its own (started, completed, failed, retry…). A snapshot shows the latest of both, in
// time order; each new line is also sent at once (`activity:appended`).
import type { ActivityEntry } from '../protocol/views';

/** Most activity entries a snapshot carries. */
export const SNAPSHOT_ACTIVITY = 100;

/** Activity lines stamped with the injected clock; the latest `limit` kept (invariant: never more). */
export class ActivityLog {
  private readonly entries: ActivityEntry[] = [];

  /**
   * @param now the clock (epoch ms).
   * @param appended receives each new line as it is noted.
   * @param limit most lines kept [SNAPSHOT_ACTIVITY].
   */
  constructor(
    private readonly now: () => number,
    private readonly appended: (entries: ActivityEntry[]) => void,
    private readonly limit = SNAPSHOT_ACTIVITY,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`ActivityLog: limit must be a positive integer, got ${String(limit)}`);
  }

  /** Notes one line, now. */
  note(kind: ActivityEntry['kind'], message: string, taskId?: string): void {
    const entry: ActivityEntry = { at: new Date(this.now()).toISOString(), kind, message, ...(taskId !== undefined ? { taskId } : {}) };
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.shift();
    this.appended([entry]);
  }

  /** The latest `count` lines kept (all of them for 0), oldest first. */
  recent(count = this.limit): ActivityEntry[] {
    return this.entries.slice(-count);
  }

  /** The latest SNAPSHOT_ACTIVITY lines of these and `others` (the orchestrator's), oldest first. */
  latest(others: readonly ActivityEntry[]): ActivityEntry[] {
    return [...others, ...this.entries].sort((a, b) => a.at.localeCompare(b.at)).slice(-SNAPSHOT_ACTIVITY);
  }
}
