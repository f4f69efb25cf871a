// An in-memory TaskStorePort for orchestrator tests. It honours the port's contract exactly as the SQLite store does:
// claim only a pending task, finish only a task the owner still holds in_progress, recover expired/foreign leases,
// setStatus never on a claimed task. It also counts completions so tests can prove "never completed twice".
import type { TaskList, TaskStatus } from '../../../src/core/model';
import type { AttemptView } from '../../../src/protocol/engineProtocol';
import type { AttemptEnd, AttemptStart, Claim, FinishTask, OrchestratorSnapshot, SettleRecord, TaskRuntime, TaskStorePort } from '../../../src/engine/ports';

/** One recorded attempt row, as the store holds it. */
export interface MemoryAttempt extends AttemptStart {
  id: number;
  end?: AttemptEnd;
}

const FINISH_STATUSES = new Set(['completed', 'failed', 'timeout', 'cancelled', 'blocked', 'pending']);

export class MemoryStore implements TaskStorePort {
  readonly rows = new Map<string, TaskRuntime>();
  readonly attemptRows: MemoryAttempt[] = [];
  readonly state = new Map<string, string>();
  /** Rows of `orchestrator_state`, in order. */
  readonly snapshots: OrchestratorSnapshot[] = [];
  /** Times each task was finished as completed (must never exceed 1 without a reset in between). */
  readonly completions = new Map<string, number>();
  /** Every call to finish that changed something, in order. */
  readonly finishes: { taskId: string; status: string; retryCount: number }[] = [];
  /** Highest number of tasks in_progress at once. */
  maxInProgress = 0;
  private inProgress = 0;

  /** A store holding every task of `list` with its written status (as sync would insert them). */
  static fromList(list: TaskList, over: Record<string, Partial<TaskRuntime>> = {}): MemoryStore {
    const s = new MemoryStore();
    s.addTasks(list, over);
    return s;
  }

  /** Inserts rows for tasks not yet known (sync adding tasks). */
  addTasks(list: TaskList, over: Record<string, Partial<TaskRuntime>> = {}): void {
    for (const t of list.tasks) {
      if (this.rows.has(t.id)) continue;
      const row: TaskRuntime = { id: t.id, status: t.status, retryCount: 0, ...over[t.id] };
      this.rows.set(t.id, row);
      if (row.status === 'in_progress') this.inProgress++;
    }
  }

  runtimes(): Map<string, TaskRuntime> {
    return new Map([...this.rows].map(([k, v]) => [k, { ...v }]));
  }

  claim(taskId: string, owner: string, leaseMs: number, now: number): Claim | undefined {
    if (!owner) throw new Error('claim: owner must be a non-empty string');
    if (!(leaseMs > 0)) throw new Error(`claim: leaseMs must be positive, got ${leaseMs}`);
    const r = this.rows.get(taskId);
    if (!r || r.status !== 'pending') return undefined;
    r.status = 'in_progress';
    r.leaseOwner = owner;
    r.leaseExpiresAt = now + leaseMs;
    r.startedAt = new Date(now).toISOString();
    this.inProgress++;
    this.maxInProgress = Math.max(this.maxInProgress, this.inProgress);
    return { attempt: r.retryCount + 1, attempted: this.attemptRows.some((a) => a.taskId === taskId) };
  }

  renewLeases(owner: string, leaseMs: number, now: number): number {
    let n = 0;
    for (const r of this.rows.values()) {
      if (r.status === 'in_progress' && r.leaseOwner === owner) {
        r.leaseExpiresAt = now + leaseMs;
        n++;
      }
    }
    return n;
  }

  recordAttemptStart(start: AttemptStart): number {
    if (!Number.isInteger(start.attempt) || start.attempt < 1) throw new Error(`recordAttemptStart: bad attempt ${start.attempt}`);
    const id = this.attemptRows.length + 1;
    this.attemptRows.push({ ...start, id });
    return id;
  }

  recordAttemptEnd(attemptId: number, end: AttemptEnd): void {
    const a = this.attemptRows[attemptId - 1];
    if (!a) throw new Error(`recordAttemptEnd: no attempt with id ${attemptId}`);
    // Like the SQLite store's UPDATE, a row closed as `released` by recoverLeases may be completed by its late owner.
    if (a.end && a.end.outcome !== 'released') throw new Error(`recordAttemptEnd: attempt ${attemptId} already ended`);
    a.end = { ...end };
  }

  finish(taskId: string, owner: string, finish: FinishTask): boolean {
    if (!FINISH_STATUSES.has(finish.status)) throw new Error(`finish: bad status ${finish.status}`);
    const r = this.rows.get(taskId);
    if (!r || r.status !== 'in_progress' || r.leaseOwner !== owner) return false;
    r.status = finish.status;
    r.leaseOwner = undefined;
    r.leaseExpiresAt = undefined;
    if (finish.retryCount !== undefined) r.retryCount = finish.retryCount;
    if (finish.resultSummary !== undefined) r.resultSummary = finish.resultSummary;
    this.inProgress--;
    if (finish.status === 'completed') this.completions.set(taskId, (this.completions.get(taskId) ?? 0) + 1);
    this.finishes.push({ taskId, status: finish.status, retryCount: r.retryCount });
    return true;
  }

  settle(rec: SettleRecord): boolean {
    const held = this.finish(rec.taskId, rec.owner, rec.finish);
    if (rec.attemptId !== undefined && rec.attemptId >= 0 && rec.end)
      this.recordAttemptEnd(rec.attemptId, held ? rec.end : { ...rec.end, outcome: 'released', error: rec.lostError ?? rec.end.error });
    return held;
  }

  settleAll(records: readonly SettleRecord[], isFault: (e: unknown) => boolean): ({ held: boolean } | { error: unknown })[] {
    return records.map((r) => {
      try {
        return { held: this.settle(r) };
      } catch (e) {
        if (isFault(e)) throw e;
        return { error: e };
      }
    });
  }

  /** No rollback here: the memory store's writes are single statements of a test (the SQLite store's batch is tested). */
  batch<T>(fn: () => T): T {
    return fn();
  }

  recoverLeases(liveOwner: string, now: number): string[] {
    const ids: string[] = [];
    for (const r of this.rows.values()) {
      if (r.status !== 'in_progress') continue;
      if (r.leaseExpiresAt === undefined || r.leaseExpiresAt < now || r.leaseOwner !== liveOwner) {
        r.status = 'pending';
        r.leaseOwner = undefined;
        r.leaseExpiresAt = undefined;
        this.inProgress--;
        ids.push(r.id);
        for (const a of this.attemptRows) if (a.taskId === r.id && !a.end) a.end = { outcome: 'released', endedAt: now };
      }
    }
    return ids;
  }

  setStatus(taskId: string, status: TaskStatus, opts: { resetRetries?: boolean; now?: number } = {}): boolean {
    if (status === 'in_progress') throw new Error('setStatus: in_progress is only reached through claim()');
    const r = this.rows.get(taskId);
    if (!r || r.status === 'in_progress') return false;
    if (r.status === status && !(opts.resetRetries && r.retryCount !== 0)) return false;
    r.status = status;
    if (opts.resetRetries) r.retryCount = 0;
    return true;
  }

  attempts(taskId: string, limit = 50): AttemptView[] {
    return this.attemptRows
      .filter((a) => a.taskId === taskId)
      .reverse()
      .slice(0, limit)
      .map((a) => ({
        attempt: a.attempt,
        agent: a.agent,
        outcome: a.end?.outcome ?? 'running',
        startedAt: new Date(a.startedAt).toISOString(),
        endedAt: a.end ? new Date(a.end.endedAt).toISOString() : undefined,
        durationMs: a.end ? a.end.endedAt - a.startedAt : undefined,
        exitCode: a.end?.exitCode,
        error: a.end?.error,
        stdout: a.end?.stdout,
        stderr: a.end?.stderr,
        tokensIn: a.end?.tokensIn,
        tokensOut: a.end?.tokensOut,
        costUsd: a.end?.costUsd,
        summary: a.end?.summary,
        simulated: a.simulated ? true : undefined,
        sessionId: a.end?.sessionId,
      }));
  }

  getState<T>(key: string): T | undefined {
    const v = this.state.get(key);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }

  setState(key: string, value: unknown): void {
    if (value === undefined) this.state.delete(key);
    else this.state.set(key, JSON.stringify(value));
  }

  recordSnapshot(snapshot: OrchestratorSnapshot): number {
    this.snapshots.push(snapshot);
    return this.snapshots.length;
  }

  pruneSnapshots(kind: OrchestratorSnapshot['kind'], before: number): number {
    const keep = this.snapshots.filter((s) => s.kind !== kind || s.at >= before);
    const n = this.snapshots.length - keep.length;
    this.snapshots.splice(0, this.snapshots.length, ...keep);
    return n;
  }

  /** Status of a task (test convenience). */
  status(id: string): TaskStatus | undefined {
    return this.rows.get(id)?.status;
  }

  /** Attempts of a task in order (test convenience). */
  attemptsOf(id: string): MemoryAttempt[] {
    return this.attemptRows.filter((a) => a.taskId === id);
  }
}
