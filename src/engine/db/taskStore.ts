// TaskStorePort on context.db: claims with leases, finish-once, crash recovery, the attempt log (`agent_execution_log`),
// the engine's key/value state (`engine_state`) and the plan's row-per-snapshot `orchestrator_state`.
// Every method is one statement or one transaction; statements are prepared once in the constructor.
import { parseAgentReport } from '../../core/agentReport';
import type Database from 'better-sqlite3';
import { TASK_STATUSES, type TaskStatus } from '../../core/model';
import { type AttemptView, TASK_LOG_ATTEMPTS } from '../../protocol/engineProtocol';
import type { AttemptOutcome } from '../../protocol/views';
import type { AttemptEnd, AttemptStart, Claim, FinishTask, OrchestratorSnapshot, SettleRecord, TaskRuntime, TaskStorePort } from '../ports';
import { createRedactor } from '../redact';
import type { DatabaseHandle } from './database';

/**
 * Most characters kept of any one text column of an attempt (stdout, stderr, error, summary, verify output) and of a
 * task's result summary: 64 Ki characters. Longer text keeps its first quarter and its last three quarters (errors
 * are usually at the end) around a `[… N characters cut …]` marker.
 */
export const MAX_OUTPUT_CHARS = 65_536;

const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = ['completed', 'failed', 'timeout', 'cancelled', 'released', 'verify_failed', 'budget_exceeded'];
const FINISH_STATUSES: readonly FinishTask['status'][] = ['completed', 'failed', 'timeout', 'cancelled', 'blocked', 'pending'];

/** Cuts `text` to at most `max` characters (see MAX_OUTPUT_CHARS); undefined stays undefined. */
export function capText(text: string | undefined | null, max = MAX_OUTPUT_CHARS): string | undefined {
  if (text === undefined || text === null) return undefined;
  if (text.length <= max) return text;
  const marker = (cut: number): string => `\n[… ${cut} characters cut …]\n`;
  // The marker's length depends on the count it prints; reserve room for the widest count.
  const room = max - marker(text.length).length;
  if (room <= 0) return text.slice(text.length - max);
  const head = Math.floor(room / 4);
  const tail = room - head;
  return text.slice(0, head) + marker(text.length - head - tail) + text.slice(text.length - tail);
}

const iso = (ms: number): string => new Date(ms).toISOString();

function checkEpoch(name: string, v: number): void {
  if (!Number.isFinite(v)) throw new Error(`${name} must be epoch milliseconds, got ${String(v)}`);
}

/** Options of TaskStore. */
export interface TaskStoreOptions {
  /**
   * Applied to every text an attempt records (stdout, stderr, error, summary, verify output) before it is stored.
   * Default: redaction of well-known key shapes (the orchestrator passes one that knows the run's secrets).
   */
  redact?: (text: string) => string;
  /** The engine run this store records attempts for (its lease owner id): stamped on every attempt row (`run_id`). */
  runId?: string;
}

interface RuntimeRow {
  task_id: string;
  status: TaskStatus;
  retry_count: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  started_at: string | null;
  result_summary: string | null;
}

interface AttemptRow {
  attempt: number;
  agent_type: string;
  status: string | null;
  started_at: string;
  completed_at: string | null;
  execution_time_seconds: number | null;
  exit_code: number | null;
  error: string | null;
  stdout: string | null;
  stderr: string | null;
  tokens_in: number | null;
  tokens_out: number | null;
  tokens_cache_read: number | null;
  tokens_cache_write: number | null;
  cost_usd: number | null;
  cost_estimated: number;
  model: string | null;
  summary: string | null;
  simulated: number;
  session_id: string | null;
  files_changed: string | null;
  tests_run: string | null;
  completion_status: string | null;
}

function toRuntime(r: RuntimeRow): TaskRuntime {
  return {
    id: r.task_id,
    status: r.status,
    retryCount: r.retry_count,
    leaseOwner: r.lease_owner ?? undefined,
    leaseExpiresAt: r.lease_expires_at ?? undefined,
    startedAt: r.started_at ?? undefined,
    resultSummary: r.result_summary ?? undefined,
  };
}

/** The orchestration's view of context.db (see TaskStorePort in ports.ts for each method's contract). */
export class TaskStore implements TaskStorePort {
  private readonly db: Database.Database;
  private readonly redact: (text: string) => string;
  private readonly runId: string | undefined;
  private readonly st;
  /**
   * Runs its argument in one transaction (a savepoint when nested). Made once: better-sqlite3's db.transaction(fn)
   * builds four wrapper functions each time it is called, ~9 µs that every settle paid (a CPU profile of the
   * throughput bench: 88 ms of 10,000 attempts).
   */
  private readonly inTransaction: <T>(fn: () => T) => T;

  constructor(handle: DatabaseHandle, opts: TaskStoreOptions = {}) {
    if (handle.readonly) throw new Error(`TaskStore needs a writable database; ${handle.path} was opened read-only`);
    if (opts.redact !== undefined && typeof opts.redact !== 'function') throw new Error(`redact must be a function, got ${typeof opts.redact}`);
    this.db = handle.db;
    this.redact = opts.redact ?? createRedactor([]);
    this.runId = opts.runId;
    const db = this.db;
    const tx = db.transaction((fn: () => unknown) => fn());
    this.inTransaction = <T>(fn: () => T): T => tx(fn) as T;
    this.st = {
      runtimes: db.prepare<[], RuntimeRow>(
        `SELECT task_id, status, retry_count, lease_owner, lease_expires_at, started_at, result_summary
           FROM v2_tasks WHERE archived_at IS NULL`,
      ),
      runtimeOf: db.prepare<[string], RuntimeRow>(
        `SELECT task_id, status, retry_count, lease_owner, lease_expires_at, started_at, result_summary
           FROM v2_tasks WHERE task_id = ? AND archived_at IS NULL`,
      ),
      // Whether the task has attempt rows is read in the same statement (idx_agent_log_task): Claim.attempted.
      claim: db.prepare<[string, number, string, string, string], { retry_count: number; attempted: 0 | 1 }>(
        `UPDATE v2_tasks SET status = 'in_progress', lease_owner = ?, lease_expires_at = ?, started_at = ?, updated_at = ?
          WHERE task_id = ? AND status = 'pending' AND archived_at IS NULL
          RETURNING retry_count, EXISTS (SELECT 1 FROM agent_execution_log l WHERE l.task_id = v2_tasks.task_id) AS attempted`,
      ),
      renew: db.prepare<[number, string]>(`UPDATE v2_tasks SET lease_expires_at = ? WHERE lease_owner = ? AND status = 'in_progress'`),
      attemptStart: db.prepare<
        [string, string, number, string | null, string, number, number, string | null, number, string | null, number | null, string | null]
      >(
        `INSERT INTO agent_execution_log (task_id, agent_type, attempt, route_rule, started_at, started_ms, retry_count, status, provider, simulated, run_id,
           dispatch_latency_ms, session_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)`,
      ),
      attemptRun: db.prepare<[number], { task_id: string; attempt: number; run_id: string | null }>(
        `SELECT task_id, attempt, run_id FROM agent_execution_log WHERE log_id = ?`,
      ),
      attemptStatus: db.prepare<[number], { status: string | null }>(`SELECT status FROM agent_execution_log WHERE log_id = ?`),
      attemptStartedMs: db.prepare<[number], { started_ms: number | null; started_at: string | null }>(
        `SELECT started_ms, started_at FROM agent_execution_log WHERE log_id = ?`,
      ),
      attemptEnd: db.prepare(
        `UPDATE agent_execution_log SET
           completed_at = @completed_at, execution_time_seconds = @execution_time_seconds, status = @status, exit_code = @exit_code,
           stdout = @stdout, stderr = @stderr, error = @error, error_kind = @error_kind,
           tokens_in = @tokens_in, tokens_out = @tokens_out, tokens_cache_read = @tokens_cache_read,
           tokens_cache_write = @tokens_cache_write, cost_usd = @cost_usd, cost_estimated = @cost_estimated, model = @model,
           session_id = COALESCE(@session_id, session_id),
           summary = @summary, verify_output = @verify_output,
           files_changed = @files_changed, tests_run = @tests_run, completion_status = @completion_status
         WHERE log_id = @id`,
      ),
      // MUST only match a task the owner still holds in_progress: this is what makes completion happen once.
      finish: db.prepare(
        `UPDATE v2_tasks SET status = @status, lease_owner = NULL, lease_expires_at = NULL,
           retry_count = COALESCE(@retry_count, retry_count),
           result_summary = COALESCE(@result_summary, result_summary),
           completed_at = CASE WHEN @status = 'completed' THEN @now ELSE completed_at END,
           updated_at = @now
         WHERE task_id = @id AND status = 'in_progress' AND lease_owner = @owner`,
      ),
      expired: db.prepare<[number, string], { task_id: string }>(
        `SELECT task_id FROM v2_tasks
          WHERE status = 'in_progress'
            AND (lease_expires_at IS NULL OR lease_expires_at < ? OR lease_owner IS NULL OR lease_owner IS NOT ?)`,
      ),
      release: db.prepare<[string, string]>(
        `UPDATE v2_tasks SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
          WHERE task_id = ? AND status = 'in_progress'`,
      ),
      // Started by a writer that did not record started_ms (another program following the plan): started_at is used.
      closeOpenAttempts: db.prepare<[string, number, number, string]>(
        `UPDATE agent_execution_log SET status = 'released', completed_at = ?,
           error = COALESCE(error, 'interrupted: the engine running it stopped (a crash or a kill) before the attempt ended'),
           execution_time_seconds = MAX(0, ? - COALESCE(started_ms, CAST(unixepoch(started_at, 'subsec') * 1000 AS INTEGER), ?)) / 1000.0
          WHERE task_id = ? AND completed_at IS NULL`,
      ),
      setStatus: db.prepare(
        `UPDATE v2_tasks SET status = @status,
           retry_count = CASE WHEN @reset THEN 0 ELSE retry_count END,
           completed_at = CASE WHEN @status = 'completed' THEN COALESCE(completed_at, @now) ELSE NULL END,
           updated_at = @now
         WHERE task_id = @id AND archived_at IS NULL AND status != 'in_progress'
           AND (status != @status OR (@reset AND retry_count != 0))`,
      ),
      attempts: db.prepare<[string, number], AttemptRow>(
        `SELECT attempt, agent_type, status, started_at, completed_at, execution_time_seconds, exit_code, error, stdout, stderr,
                tokens_in, tokens_out, tokens_cache_read, tokens_cache_write, cost_usd, cost_estimated, model, summary, simulated, session_id,
                files_changed, tests_run, completion_status
           FROM agent_execution_log WHERE task_id = ? ORDER BY log_id DESC LIMIT ?`,
      ),
      attemptedTasks: db.prepare<[], string>(`SELECT DISTINCT task_id FROM agent_execution_log`).pluck(),
      getState: db.prepare<[string], { value: string }>(`SELECT value FROM engine_state WHERE key = ?`),
      setState: db.prepare<[string, string, string]>(
        `INSERT INTO engine_state (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      ),
      deleteState: db.prepare<[string]>(`DELETE FROM engine_state WHERE key = ?`),
      // julianday() reads both the engine's ISO stamps and the plan's datetime('now') ones written by other programs.
      pruneSnapshots: db.prepare(`DELETE FROM orchestrator_state WHERE kind = ? AND julianday(timestamp) < julianday(?)`),
      snapshot: db.prepare(
        `INSERT INTO orchestrator_state (timestamp, active_agents, pending_tasks, completed_tasks, failed_tasks, tasks_per_hour,
           uptime_seconds, metrics_json, kind, milestone_id)
         VALUES (@timestamp, @active_agents, @pending_tasks, @completed_tasks, @failed_tasks, @tasks_per_hour,
           @uptime_seconds, @metrics_json, @kind, @milestone_id)`,
      ),
    };
  }

  /** Current runtime rows of every live (not archived) task, keyed by id. */
  runtimes(): Map<string, TaskRuntime> {
    const out = new Map<string, TaskRuntime>();
    for (const r of this.st.runtimes.iterate()) out.set(r.task_id, toRuntime(r));
    return out;
  }

  /** The runtime row of one live task (undefined when unknown or archived): for callers that refresh a few tasks. */
  runtime(taskId: string): TaskRuntime | undefined {
    const r = this.st.runtimeOf.get(taskId);
    return r && toRuntime(r);
  }

  /** pending → in_progress with a lease for `owner`; undefined when the task is not pending (or unknown/archived). */
  claim(taskId: string, owner: string, leaseMs: number, now: number): Claim | undefined {
    if (!owner) throw new Error('claim: owner must be a non-empty string');
    if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new Error(`claim: leaseMs must be a positive number, got ${String(leaseMs)}`);
    checkEpoch('claim: now', now);
    const row = this.st.claim.get(owner, now + leaseMs, iso(now), iso(now), taskId);
    return row ? { attempt: row.retry_count + 1, attempted: row.attempted === 1 } : undefined;
  }

  /** Extends every lease held by `owner`; returns how many. */
  renewLeases(owner: string, leaseMs: number, now: number): number {
    if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new Error(`renewLeases: leaseMs must be a positive number, got ${String(leaseMs)}`);
    checkEpoch('renewLeases: now', now);
    return this.st.renew.run(now + leaseMs, owner).changes;
  }

  /** Inserts the `agent_execution_log` row of an attempt; returns its row id. */
  recordAttemptStart(start: AttemptStart): number {
    if (!Number.isInteger(start.attempt) || start.attempt < 1)
      throw new Error(`recordAttemptStart: attempt must be an integer >= 1, got ${String(start.attempt)}`);
    checkEpoch('recordAttemptStart: startedAt', start.startedAt);
    const r = this.st.attemptStart.run(
      start.taskId,
      start.agent,
      start.attempt,
      start.routeRule ?? null,
      iso(start.startedAt),
      start.startedAt,
      start.attempt - 1,
      start.provider ?? null,
      start.simulated ? 1 : 0,
      this.runId ?? null,
      start.dispatchLatencyMs === undefined || !Number.isFinite(start.dispatchLatencyMs) ? null : Math.max(0, Math.round(start.dispatchLatencyMs)),
      start.sessionId ?? null,
    );
    return Number(r.lastInsertRowid);
  }

  /** Completes the `agent_execution_log` row; texts are redacted and capped (MAX_OUTPUT_CHARS). */
  recordAttemptEnd(attemptId: number, end: AttemptEnd): void {
    if (!ATTEMPT_OUTCOMES.includes(end.outcome))
      throw new Error(`recordAttemptEnd: unknown outcome '${String(end.outcome)}'; expected one of ${ATTEMPT_OUTCOMES.join(', ')}`);
    checkEpoch('recordAttemptEnd: endedAt', end.endedAt);
    const start = this.st.attemptStartedMs.get(attemptId);
    if (!start) throw new Error(`recordAttemptEnd: no attempt with id ${attemptId}`);
    const startedMs = start.started_ms ?? (start.started_at ? Date.parse(start.started_at) : NaN);
    const text = (s: string | undefined): string | null => capText(s === undefined ? undefined : this.redact(s)) ?? null;
    const summary = text(end.summary);
    // The plan's four-point report, read from the answer as stored (redacted): recorded, never acted on.
    const report = parseAgentReport(summary ?? undefined);
    const list = (v: string[] | undefined): string | null => (v === undefined ? null : JSON.stringify(v));
    this.st.attemptEnd.run({
      id: attemptId,
      completed_at: iso(end.endedAt),
      execution_time_seconds: Number.isFinite(startedMs) ? Math.max(0, end.endedAt - startedMs) / 1000 : null,
      status: end.outcome,
      exit_code: end.exitCode ?? null,
      stdout: text(end.stdout),
      stderr: text(end.stderr),
      error: text(end.error),
      error_kind: end.errorKind ?? null,
      tokens_in: end.tokensIn ?? null,
      tokens_out: end.tokensOut ?? null,
      tokens_cache_read: end.cacheReadTokens ?? null,
      tokens_cache_write: end.cacheWriteTokens ?? null,
      cost_usd: end.costUsd ?? null,
      cost_estimated: end.costUsd !== undefined && end.costEstimated ? 1 : 0,
      model: end.model ?? null,
      session_id: end.sessionId ?? null,
      summary,
      verify_output: text(end.verifyOutput),
      files_changed: list(end.filesChanged ?? report?.filesChanged),
      tests_run: list(report?.testsRun),
      completion_status: report?.completionStatus ?? null,
    });
  }

  /** Ends a claim held by `owner`; false (nothing changed) when the owner no longer holds it in_progress. */
  finish(taskId: string, owner: string, finish: FinishTask): boolean {
    if (!FINISH_STATUSES.includes(finish.status)) throw new Error(`finish: status '${String(finish.status)}' is not one of ${FINISH_STATUSES.join(', ')}`);
    if (finish.retryCount !== undefined && (!Number.isInteger(finish.retryCount) || finish.retryCount < 0)) {
      throw new Error(`finish: retryCount must be a non-negative integer, got ${String(finish.retryCount)}`);
    }
    checkEpoch('finish: now', finish.now);
    const r = this.st.finish.run({
      id: taskId,
      owner,
      status: finish.status,
      retry_count: finish.retryCount ?? null,
      result_summary: capText(finish.resultSummary === undefined ? undefined : this.redact(finish.resultSummary)) ?? null,
      now: iso(finish.now),
    });
    return r.changes === 1;
  }

  /** Which task, attempt number and engine run an attempt row belongs to (undefined: no such row). */
  attemptRun(attemptId: number): { taskId: string; attempt: number; runId?: string } | undefined {
    const r = this.st.attemptRun.get(attemptId);
    return r && { taskId: r.task_id, attempt: r.attempt, runId: r.run_id ?? undefined };
  }

  /** finish() and the attempt row's end in one transaction; returns whether the lease was held. */
  settle(r: SettleRecord): boolean {
    return this.inTransaction(() => {
      const held = this.finish(r.taskId, r.owner, r.finish);
      if (r.attemptId === undefined || r.attemptId < 0 || !r.end) return held;
      if (held) this.recordAttemptEnd(r.attemptId, r.end);
      else {
        // A row already ended by its result (a journaled result written twice after a crash) keeps that end.
        const now = this.st.attemptStatus.get(r.attemptId)?.status;
        if (now === undefined || now === null || now === 'running' || now === 'released')
          this.recordAttemptEnd(r.attemptId, { ...r.end, outcome: 'released', error: r.lostError ?? r.end.error });
      }
      return held;
    });
  }

  /** settle() of each record in one transaction, each in its own savepoint (see TaskStorePort.settleAll). */
  settleAll(records: readonly SettleRecord[], isFault: (e: unknown) => boolean): ({ held: boolean } | { error: unknown })[] {
    return this.inTransaction(() =>
      records.map((r) => {
        try {
          return { held: this.settle(r) };
        } catch (e) {
          if (isFault(e)) throw e;
          return { error: e };
        }
      }),
    );
  }

  /** `fn` in one transaction (TaskStorePort.batch); nested in another, a savepoint of it. */
  batch<T>(fn: () => T): T {
    return this.inTransaction(fn);
  }

  /**
   * Attempt rows not ended (a stopped engine's attempts, before recoverLeases closes them): a coordinator whose attempts
   * run as jobs on Redis carries on with their jobs (src/engine/queue/remoteAttempts.ts).
   */
  openAttempts(): { attemptId: number; taskId: string; agentType: string }[] {
    return this.db
      .prepare<[], { attemptId: number; taskId: string; agentType: string }>(
        // Named: without it the planner scans every attempt row (each carries kilobytes of output) for the few open ones;
        // it found them in the ledger's index until migration 011 left the open attempts out of that one.
        `SELECT log_id AS attemptId, task_id AS taskId, agent_type AS agentType FROM agent_execution_log INDEXED BY idx_agent_log_open
          WHERE completed_at IS NULL ORDER BY log_id`,
      )
      .all();
  }

  /** Returns to pending every in_progress task whose lease expired or whose owner is not `liveOwner`; closes their attempts as `released`. */
  recoverLeases(liveOwner: string, now: number): string[] {
    checkEpoch('recoverLeases: now', now);
    return this.inTransaction(() => {
      const ids = this.st.expired.all(now, liveOwner).map((r) => r.task_id);
      for (const id of ids) {
        this.st.release.run(iso(now), id);
        this.st.closeOpenAttempts.run(iso(now), now, now, id);
      }
      return ids;
    });
  }

  /** A person's or a command's status change; refuses (false) an in_progress (claimed) or archived task. */
  setStatus(taskId: string, status: TaskStatus, opts: { resetRetries?: boolean; now?: number } = {}): boolean {
    if (!TASK_STATUSES.includes(status)) throw new Error(`setStatus: unknown status '${String(status)}'; expected one of ${TASK_STATUSES.join(', ')}`);
    if (status === 'in_progress') throw new Error('setStatus: in_progress is only reached through claim() (it needs a lease)');
    const now = opts.now ?? Date.now();
    checkEpoch('setStatus: now', now);
    const r = this.st.setStatus.run({ id: taskId, status, reset: opts.resetRetries ? 1 : 0, now: iso(now) });
    return r.changes === 1;
  }

  /**
   * The tasks with at least one recorded attempt, in one query: a view of a 10,000-task plan asks for the last attempt
   * of the few of them only (one query per task was ~2 s of the first snapshot, #15).
   */
  attemptedTasks(): Set<string> {
    return new Set(this.st.attemptedTasks.all());
  }

  /** Every recorded attempt of a task, newest first (at most `limit`, by default as many as a task log shows). */
  attempts(taskId: string, limit = TASK_LOG_ATTEMPTS): AttemptView[] {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`attempts: limit must be a positive integer, got ${String(limit)}`);
    return this.st.attempts.all(taskId, limit).map((r) => {
      const v: AttemptView = { attempt: r.attempt, agent: r.agent_type, outcome: r.status ?? 'running', startedAt: r.started_at };
      if (r.completed_at !== null) v.endedAt = r.completed_at;
      if (r.execution_time_seconds !== null) v.durationMs = Math.round(r.execution_time_seconds * 1000);
      if (r.completed_at !== null) v.exitCode = r.exit_code;
      if (r.error !== null) v.error = r.error;
      if (r.stdout !== null) v.stdout = r.stdout;
      if (r.stderr !== null) v.stderr = r.stderr;
      if (r.tokens_in !== null) v.tokensIn = r.tokens_in;
      if (r.tokens_out !== null) v.tokensOut = r.tokens_out;
      if (r.tokens_cache_read !== null) v.cacheReadTokens = r.tokens_cache_read;
      if (r.tokens_cache_write !== null) v.cacheWriteTokens = r.tokens_cache_write;
      if (r.cost_usd !== null) v.costUsd = r.cost_usd;
      if (r.cost_usd !== null && r.cost_estimated === 1) v.costEstimated = true;
      if (r.model !== null) v.model = r.model;
      if (r.summary !== null) v.summary = r.summary;
      if (r.simulated === 1) v.simulated = true;
      if (r.session_id !== null) v.sessionId = r.session_id;
      if (r.files_changed !== null) v.filesChanged = JSON.parse(r.files_changed) as string[];
      if (r.tests_run !== null) v.testsRun = JSON.parse(r.tests_run) as string[];
      if (r.completion_status !== null) v.completionStatus = r.completion_status;
      return v;
    });
  }

  /** Value stored under `key` in `engine_state`, parsed from JSON. */
  getState<T>(key: string): T | undefined {
    const row = this.st.getState.get(key);
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  /** Stores `value` as JSON under `key`; `undefined` removes the key. */
  setState(key: string, value: unknown): void {
    if (value === undefined) {
      this.st.deleteState.run(key);
      return;
    }
    const json = JSON.stringify(value);
    if (json === undefined) throw new Error(`setState(${key}): value is not JSON-serialisable (${typeof value})`);
    this.st.setState.run(key, json, new Date().toISOString());
  }

  /** Appends one row to the plan's `orchestrator_state` (a heartbeat, a checkpoint, a snapshot); returns its state_id. */
  recordSnapshot(snap: OrchestratorSnapshot): number {
    for (const k of ['activeAgents', 'pendingTasks', 'completedTasks', 'failedTasks', 'uptimeSeconds'] as const) {
      const v = snap[k];
      if (!Number.isInteger(v) || v < 0) throw new Error(`recordSnapshot: ${k} must be a non-negative integer, got ${String(v)}`);
    }
    if (!Number.isFinite(snap.tasksPerHour) || snap.tasksPerHour < 0)
      throw new Error(`recordSnapshot: tasksPerHour must be a non-negative number, got ${String(snap.tasksPerHour)}`);
    checkEpoch('recordSnapshot: at', snap.at);
    const r = this.st.snapshot.run({
      timestamp: iso(snap.at),
      active_agents: snap.activeAgents,
      pending_tasks: snap.pendingTasks,
      completed_tasks: snap.completedTasks,
      failed_tasks: snap.failedTasks,
      tasks_per_hour: snap.tasksPerHour,
      uptime_seconds: snap.uptimeSeconds,
      metrics_json: snap.metrics === undefined ? null : JSON.stringify(snap.metrics),
      kind: snap.kind,
      milestone_id: snap.milestoneId ?? null,
    });
    return Number(r.lastInsertRowid);
  }

  pruneSnapshots(kind: OrchestratorSnapshot['kind'], before: number): number {
    checkEpoch('pruneSnapshots: before', before);
    return this.st.pruneSnapshots.run(kind, iso(before)).changes;
  }
}
