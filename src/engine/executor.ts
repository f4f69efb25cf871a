// Runs ONE attempt of ONE claimed task: the attempt row, the agent (through its provider's circuit breaker) under an
// abort signal that fires on cancel, stop or timeout, then the task's Verify command. It never throws and never
// decides what happens next: it returns a redacted report, and the orchestrator settles the task from it.
import { createHash } from 'node:crypto';
import { isAgentError, type Agent, type AgentErrorKind, type AgentResult, type AgentSpend, type AgentTaskInput } from './agents/agent';
import { ATTEMPT_ENV, attemptMark, markedProcessesSoon, stopProcesses, takeSpawned } from './agents/orphans';
import type { SandboxPolicy } from './agents/sandbox';
import { runVerify } from './agents/verify';
import type { TaskStorePort } from './ports';
import { isBrokenCircuit, type AttemptFailure, type ProviderGates } from './resilience';
import { errorMessage } from '../core/describe';
import { formatSpan } from '../protocol/presentation';
import { validatedSpend } from './spend/attemptSpend';
import { WorktreeSetupError } from './isolation/worktrees';

/** Why the engine aborted an attempt. */
export type StopWhy = 'timeout' | 'cancel' | 'shutdown' | 'marked' | 'budget';

/**
 * The abort reason the engine puts on an attempt's signal. A timeout is named `TimeoutError` (like
 * AbortSignal.timeout's reason), so agents classify it as kind `timeout`; every other stop is an `AbortError`.
 */
export class StopReason extends Error {
  constructor(
    readonly why: StopWhy,
    message: string,
  ) {
    super(message);
    this.name = why === 'timeout' ? 'TimeoutError' : 'AbortError';
  }
}

/** What the executor needs to run one attempt. */
export interface AttemptJob {
  taskId: string;
  /** 1-based attempt number from the claim. */
  attempt: number;
  agentType: string;
  agent: Agent;
  /** Routing rule recorded on the attempt row (`keyword`, `task-override`, `manual`…). */
  routeRule: string;
  /** Ready → assigned, ms, recorded on the attempt row (the dispatch-latency KPI, kpis.ts). */
  dispatchLatencyMs?: number;
  input: AgentTaskInput;
  verify?: string;
  cwd: string;
  env: Record<string, string | undefined>;
  /** What the agent's processes, file tools and the Verify command may touch. */
  sandbox?: SandboxPolicy;
  /** This attempt is the half-open breaker's probe of its provider. */
  probe?: boolean;
  /** Makes the attempt's working directory ready (its worktree, set up) before the agent runs; a phase of the attempt. */
  prepare?(signal: AbortSignal): Promise<void>;
  /** After the agent returned: what it changed that the engine trusts (config, git hooks, db), if anything; then the attempt fails. */
  audit?(): string | undefined;
  /** The engine run (lease owner): with the attempt row's id it marks every process of the attempt (agents/orphans.ts). */
  runId?: string;
  /** Attempt timeout (agent + verify). */
  timeoutMs: number;
  /** SIGTERM → SIGKILL grace for agent and verify process trees. */
  killGraceMs: number;
  /** How long after an abort the engine waits for the agent to settle before abandoning it. Default killGraceMs + ABANDON_MARGIN_MS. */
  abandonAfterMs?: number;
  /** Aborted by the orchestrator on cancel/stop (with a StopReason); the executor adds the timeout to it. */
  controller: AbortController;
  onOutput?(stream: 'stdout' | 'stderr' | 'progress', chunk: string): void;
  /** The attempt's running spend, when its agent reports it mid-attempt (the budgets stop an attempt that goes over). */
  onSpend?(spent: AgentSpend): void;
  /**
   * A coordinator of workers writes a dispatch pass's claims and attempt rows in one transaction: the attempt's job may
   * go out only once it committed (its job id is the row's id). Rejects when the pass rolled back: the row is gone and
   * its id may be given again, so the attempt is released (attemptId -1, refused) and no job is enqueued for it.
   */
  committed?: Promise<void>;
}

/** The redacted outcome of one attempt. */
export interface AttemptReport {
  attemptId: number;
  startedAt: number;
  endedAt: number;
  /** The agent finished and the Verify command (if any) passed. */
  ok: boolean;
  /** Set when the engine stopped the attempt (the signal fired). */
  stopped?: StopWhy;
  /** The breaker refused the call (opened between the dispatch decision and the run): not the task's fault. */
  refused?: boolean;
  /** The attempt was the breaker's probe: a provider failure then is not the task's (no retry is spent). */
  probe?: boolean;
  failure?: AttemptFailure;
  /** AgentError kind or `verify`, for the attempt row. */
  errorKind?: string;
  result?: AgentResult;
  /** A failed agent's measured spend and session (from its AgentError), for the attempt row. */
  spent?: AgentSpend;
  verifyOutput?: string;
  verifyExitCode?: number | null;
  /**
   * Processes the attempt left running after its agent and Verify ended (they left the process group with setsid, so
   * the group kill missed them), found by the attempt's mark and stopped: `pid 4242 sleep 600`. Named in a warning.
   */
  leftovers?: string[];
  /**
   * The attempt succeeded but its branch did not land (set by the orchestrator after landing): it waits for a person,
   * or (`resolving`, merge.on_conflict agent) its conflict goes back to an agent in the task's next attempt.
   */
  landing?: { kind: 'awaiting_review' | 'needs_review' | 'resolving'; reason: string };
  /** The paths the attempt's branch changed against its base (git; set by the orchestrator after landing an isolated attempt). */
  filesChanged?: string[];
}

/** Dependencies of the executor. */
export interface ExecutorDeps {
  /** Only the attempt row's start (a queue worker, which has no database, answers with the coordinator's row id). */
  store: Pick<TaskStorePort, 'recordAttemptStart'>;
  gates: ProviderGates;
  now(): number;
  redact(text: string): string;
}

/** Fingerprint of a verification failure: exit code and output with numbers (durations, timestamps) folded. */
export function verifySignature(exitCode: number | null, output: string): string {
  const norm = output.replace(/\d+/g, '#').replace(/\s+/g, ' ').trim();
  return `${exitCode ?? 'signal'}:${createHash('sha256').update(norm).digest('hex').slice(0, 16)}`;
}

/** `r` with its texts redacted and its usage figures validated (what an attempt row may hold). */
export function redactResult(r: AgentResult, redact: (s: string) => string): AgentResult {
  // Usage figures are shown and summed: a −5 or 1e308 from a provider is dropped here, never stored.
  const out: AgentResult = validatedSpend({ ...r, summary: redact(String(r.summary ?? '')) });
  if (r.stdout !== undefined) out.stdout = redact(r.stdout);
  if (r.stderr !== undefined) out.stderr = redact(r.stderr);
  return out;
}

function lastLines(text: string, n = 20): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-n).join('\n');
}

/** Opens the attempt's row (agent_execution_log) as it starts, here or on a worker: its id and start time. */
export function recordAttemptStart(deps: Pick<ExecutorDeps, 'store' | 'now'>, job: AttemptJob): { attemptId: number; startedAt: number } {
  const startedAt = deps.now();
  const attemptId = deps.store.recordAttemptStart({
    taskId: job.taskId,
    agent: job.agentType,
    attempt: job.attempt,
    startedAt,
    routeRule: job.routeRule,
    provider: job.agent.provider,
    simulated: job.agent.simulated === true,
    dispatchLatencyMs: job.dispatchLatencyMs,
    sessionId: job.agent.presetsSessions ? (job.input.resume?.sessionId ?? job.input.newSessionId) : undefined,
  });
  return { attemptId, startedAt };
}

/** Runs one attempt (see the file comment). Never throws. */
export async function executeAttempt(deps: ExecutorDeps, job: AttemptJob): Promise<AttemptReport> {
  const { gates, redact } = deps;
  const { attemptId, startedAt } = recordAttemptStart(deps, job);
  const signal = job.controller.signal;
  // Every process of this attempt, and every descendant, carries the mark: a restarted engine finds them by it. Made
  // when an agent or Verify first reads it: copying the environment (process.env: a system call per variable) was the
  // largest single cost of a zero-work job in a queue worker's CPU profile, and an in-process agent never reads it.
  let attemptEnv: Record<string, string | undefined> | undefined;
  const envOf = (): Record<string, string | undefined> =>
    (attemptEnv ??= job.runId === undefined ? job.env : { ...job.env, [ATTEMPT_ENV]: attemptMark(job.runId, attemptId) });
  const timer = setTimeout(() => {
    job.controller.abort(new StopReason('timeout', `attempt timed out after ${formatSpan(job.timeoutMs)}`));
  }, job.timeoutMs);
  timer.unref?.();

  const report: AttemptReport = { attemptId, startedAt, endedAt: startedAt, ok: false, probe: job.probe };
  const stopWhy = (): StopWhy | undefined => (signal.aborted ? (signal.reason instanceof StopReason ? signal.reason.why : 'cancel') : undefined);
  const stopFailure = (why: StopWhy): AttemptFailure => {
    const reason = signal.reason instanceof Error ? signal.reason.message : 'stopped';
    if (why === 'timeout')
      return { kind: 'timeout', message: redact(`${job.agentType} (${job.agent.provider}): ${reason}; the agent's process tree was killed`) };
    if (why === 'budget') return { kind: 'budget', message: redact(`${reason}; the agent's process tree was killed`) };
    return { kind: 'cancelled', message: redact(`${job.agentType} (${job.agent.provider}): ${reason}`) };
  };
  /** Ends the report as stopped (timeout, cancel, shutdown, marked by hand). */
  const stoppedReport = (why: StopWhy): AttemptReport => {
    report.stopped = why;
    report.failure = stopFailure(why);
    report.errorKind = report.failure.kind;
    return report;
  };

  try {
    if (signal.aborted) return stoppedReport(stopWhy()!);
    if (job.prepare) {
      try {
        await job.prepare(signal);
      } catch (e) {
        const why = stopWhy();
        if (why) return stoppedReport(why);
        // A failing worktree.setup is the configuration's to fix; git itself failing may pass on a retry.
        const kind: AgentErrorKind = e instanceof WorktreeSetupError ? 'config' : 'transient';
        report.failure = { kind, message: redact(`preparing the worktree of ${job.taskId} failed: ${errorMessage(e)}`) };
        report.errorKind = kind;
        return report;
      }
    }
    let result: AgentResult;
    const abandonMs = job.abandonAfterMs ?? job.killGraceMs + ABANDON_MARGIN_MS;
    const watchdog = abandonAfterAbort(signal, abandonMs);
    try {
      result = await Promise.race([
        gates.execute(job.agent.provider, () =>
          job.agent.run(job.input, {
            signal,
            get env() {
              return envOf();
            },
            onOutput: job.onOutput,
            onSpend: job.onSpend,
            killGraceMs: job.killGraceMs,
            sandbox: job.sandbox,
          }),
        ),
        watchdog.promise,
      ]);
    } catch (e) {
      const why = stopWhy();
      if (why) {
        report.stopped = why;
        report.failure = stopFailure(why);
        if (e === ABANDONED) report.failure.message += ` (the agent did not stop within ${formatSpan(abandonMs)} of the abort; abandoned)`;
        // A stopped attempt's tokens were paid for too (a budget stop above all).
        if (isAgentError(e) && e.spent) report.spent = validatedSpend(e.spent);
      } else if (isBrokenCircuit(e)) {
        report.refused = true;
        report.failure = { kind: 'transient', message: `circuit breaker of ${job.agent.provider} is open; the task goes back to the queue` };
      } else if (isAgentError(e)) {
        report.failure = { kind: e.kind, message: redact(e.message), retryAfterMs: e.retryAfterMs };
        if (e.spent) report.spent = validatedSpend(e.spent);
      } else {
        // Agents only throw AgentError; anything else is a bug in the agent, which a retry will not fix.
        const msg = errorMessage(e);
        report.failure = { kind: 'fatal' as AgentErrorKind, message: redact(`agent ${job.agent.name} threw an unexpected error: ${msg}`) };
      }
      report.errorKind = report.failure.kind;
      return report;
    } finally {
      watchdog.dispose();
    }
    report.result = redactResult(result, redact);

    // The engine's stop wins over a result that arrived after it (the person asked to stop; the lease is going away).
    const lateStop = stopWhy();
    if (lateStop) return stoppedReport(lateStop);

    // An agent that changed what the engine trusts has not done its task, whatever it says (and Verify is not run).
    const tampered = job.audit?.();
    if (tampered) {
      report.failure = { kind: 'fatal', message: redact(`the attempt changed what the engine trusts: ${tampered}`) };
      report.errorKind = 'fatal';
      return report;
    }

    if (job.verify) {
      let v;
      try {
        v = await runVerify(job.verify, job.cwd, signal, envOf(), { killGraceMs: job.killGraceMs, sandbox: job.sandbox });
      } catch (e) {
        report.failure = { kind: 'config', message: redact(`Verify command could not run: ${errorMessage(e)}`) };
        report.errorKind = 'config';
        return report;
      }
      report.verifyOutput = redact(v.output);
      report.verifyExitCode = v.exitCode;
      if (!v.ok) {
        const why = stopWhy();
        if (why) return stoppedReport(why);
        const tail = lastLines(report.verifyOutput);
        report.failure = {
          kind: 'verify',
          message: `Verify \`${redact(job.verify)}\` exited ${v.exitCode ?? `on ${v.signal}`}${tail ? `:\n${tail}` : ''}`,
          verifySignature: verifySignature(v.exitCode, v.output),
        };
        report.errorKind = 'verify';
        return report;
      }
    }
    report.ok = true;
    return report;
  } finally {
    clearTimeout(timer);
    // Nothing an attempt started outlives it: processes that escaped its process group still carry its mark. An attempt
    // that started no process (an in-process agent, no Verify) has none to look for.
    if (job.runId !== undefined && takeSpawned(attemptMark(job.runId, attemptId))) {
      const left = (await markedProcessesSoon()).filter((p) => p.runId === job.runId && p.attemptId === attemptId);
      if (left.length > 0) {
        await stopProcesses(left, job.killGraceMs);
        report.leftovers = left.map((p) => redact(`pid ${p.pid}${p.command ? ` ${p.command}` : ''}`));
      }
    }
    report.endedAt = Math.max(startedAt, deps.now());
  }
}

/** Extra wait, beyond the kill grace, for an aborted agent to settle before the engine stops waiting for it. */
export const ABANDON_MARGIN_MS = 5000;
const ABANDONED = new Error('abandoned');

/**
 * Agents MUST settle soon after their signal fires; one that does not would hold its slot (and a graceful stop)
 * forever. This rejects with ABANDONED once the signal has fired and `ms` more have passed.
 */
function abandonAfterAbort(signal: AbortSignal, ms: number): { promise: Promise<never>; dispose(): void } {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => {
      timer = setTimeout(() => reject(ABANDONED), ms);
      timer.unref?.();
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => undefined);
  return {
    promise,
    dispose() {
      if (timer) clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    },
  };
}
