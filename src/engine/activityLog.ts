// The runtime's own lines of the activity log (syncs, conflicts, isolation notices, gate decisions, limits), beside
// the orchestrator's (started, completed, failed, retry…, kept by the orchestrator). A snapshot shows the latest of
// both, in time order; each new line is also sent at once (`activity:appended`).
import type { ActivityEntry } from '../protocol/views';

/** Most activity entries a snapshot carries. */
export const SNAPSHOT_ACTIVITY = 100;

/** The runtime's activity lines: stamped with the injected clock, the latest SNAPSHOT_ACTIVITY kept. */
export class ActivityLog {
  private readonly entries: ActivityEntry[] = [];

  /**
   * @param now the clock (epoch ms).
   * @param appended receives each new line as it is noted.
   */
  constructor(
    private readonly now: () => number,
    private readonly appended: (entries: ActivityEntry[]) => void,
  ) {}

  /** Notes one line, now. */
  note(kind: ActivityEntry['kind'], message: string, taskId?: string): void {
    const entry: ActivityEntry = { at: new Date(this.now()).toISOString(), kind, message, ...(taskId !== undefined ? { taskId } : {}) };
    this.entries.push(entry);
    if (this.entries.length > SNAPSHOT_ACTIVITY) this.entries.shift();
    this.appended([entry]);
  }

  /** The latest SNAPSHOT_ACTIVITY lines of these and `others` (the orchestrator's), oldest first. */
  latest(others: readonly ActivityEntry[]): ActivityEntry[] {
    return [...others, ...this.entries].sort((a, b) => a.at.localeCompare(b.at)).slice(-SNAPSHOT_ACTIVITY);
  }
}
