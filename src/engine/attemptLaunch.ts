// Runs one claimed attempt to its final report: builds the job (cwd, prompt input, sandbox, timeouts, the isolated
// worktree's preparation), runs it here (executeAttempt, under the attempt guard) or elsewhere (a RemoteRunner), and
// lands an isolated attempt's work. The orchestrator claims the task and counts the attempt in its slots first, and
// settles the report after; this never decides a task's status.
//
// Invariants:
//   - the job is built and the run begins synchronously, within the call: admission counted this attempt in the slots,
//     and no second queue stands between (attemptSlots.ts);
//   - the returned promise never rejects with the attempt unsettled: only the attempt row's insert can throw, and that
//     becomes a report (released unharmed when the database takes no writes: the agent never ran);
//   - the guard's `end` runs once the agent's part is over, before the landing; isolation and the guard apply only here,
//     never to a remote attempt (its agent works in a worker's checkout).
import { randomUUID } from 'node:crypto';
import type { TaskNode } from '../core/model';
import { errorMessage } from '../core/describe';
import type { ActivityEntry } from '../protocol/views';
import type { Agent, AgentSpend, AgentTaskInput } from './agents/agent';
import type { SandboxPolicy } from './agents/sandbox';
import { landAttempt, type AttemptIsolation, type LandingAttempt } from './attemptLanding';
import { timeoutMsFor, type OrchestratorConfig } from './config';
import { ABANDON_MARGIN_MS, executeAttempt, type AttemptJob, type AttemptReport, type ExecutorDeps } from './executor';
import type { RouteInfo } from './orchestratorEvents';
import type { WriteGate } from './ports';
import type { AttemptGuard } from './trustGuard';

/** Runs one attempt somewhere else; like executeAttempt, it writes the attempt row's start and never throws after it. */
export interface RemoteRunner {
  run(deps: ExecutorDeps, job: AttemptJob): Promise<AttemptReport>;
  /**
   * An agent type the plan will run, told before its first attempt so that whoever runs the attempts gets ready for it
   * meanwhile. Returns at once; a failure is the runner's to report (the type's first `run` meets it again).
   */
  announce(agentType: string): void;
}

/** The orchestrator's record of a running attempt, as launching reads it (and the stop it may set on it). */
export interface LaunchedAttempt extends LandingAttempt {
  readonly taskId: string;
}

/** What launching needs of the orchestrator (most of it its options, fixed at construction). */
export interface LaunchHost {
  /** Lease owner id of this engine: the job's run id. */
  readonly owner: string;
  /** Environment for agents and Verify commands (secrets included; never logged). */
  readonly env: Record<string, string | undefined>;
  readonly remote?: RemoteRunner;
  readonly isolation?: AttemptIsolation;
  readonly attemptGuard?: (simulated: boolean) => AttemptGuard;
  /** What the attempt's processes may not touch, with `cwd` writable. */
  sandbox(cwd: string): SandboxPolicy;
  /** Extra wait beyond the kill grace before an aborted agent is abandoned. Default ABANDON_MARGIN_MS. */
  readonly abandonMarginMs?: number;
  config(): OrchestratorConfig;
  /** The shared working tree (config `cwd` wins). */
  cwd(): string;
  /** The executor's database (in a coordinator's dispatch pass: the pass's, see Orchestrator.startsInOnePass), breakers, clock and redaction; read at launch. */
  deps(): ExecutorDeps;
  /** The database's write gate: tells a refused write from a real error. */
  readonly db: WriteGate;
  /** A listener of the task's live output, or undefined when nobody listens (then none is produced). */
  outputOf(taskId: string): ((stream: 'stdout' | 'stderr' | 'progress', chunk: string) => void) | undefined;
  /**
   * The agent's prompt input (dependencies' summaries, earlier attempts, a note), read at launch; `attempted`: the task
   * has earlier attempt rows to read (Launch.attempted).
   */
  taskInput(task: TaskNode, agentType: string, attempt: number, cwd: string, attempted: boolean): AgentTaskInput;
  /** Running spend of an attempt (budgets); absent: none watched. */
  readonly onSpend?: (rt: LaunchedAttempt, spent: AgentSpend) => void;
  log(kind: ActivityEntry['kind'], message: string, taskId?: string): void;
}

/** What one claimed attempt runs: its task, agent and route. */
export interface Launch {
  readonly task: TaskNode;
  readonly agent: Agent;
  readonly route: RouteInfo;
  /** The Verify command (the engine-held copy), if any. */
  readonly verify?: string;
  /** This attempt is its provider's half-open breaker probe. */
  readonly probe: boolean;
  readonly startedAt: number;
  readonly dispatchLatencyMs?: number;
  /** In a coordinator's dispatch pass: resolves when the pass committed, rejects when it rolled back (AttemptJob.committed). */
  readonly committed?: Promise<void>;
  /** The claim found attempt rows of the task from before it (Claim.attempted). */
  readonly attempted: boolean;
}

/**
 * Runs the attempt `rt` (the orchestrator's own record: a stop it sets later is what the landing reads) of `a` to its
 * final report (landed, when isolated) and hands that to `ended` in the same turn (no tick between the landing and the
 * settling). Never rejects for the attempt's own failure; rejects only when `ended` throws.
 */
export async function launchAttempt(h: LaunchHost, rt: LaunchedAttempt, a: Launch, ended: (report: AttemptReport) => void): Promise<void> {
  const { task, agent, verify } = a;
  const { agentType, attempt } = rt;
  const taskId = task.id;
  const config = h.config();
  // An isolated attempt works, is verified and is prompted in its own worktree (created by `prepare`, in the attempt).
  const remote = h.remote;
  const isolation = remote ? undefined : h.isolation;
  const isolatedCwd = isolation?.cwdFor(task);
  const cwd = isolatedCwd ?? h.cwd();
  const onOutput = h.outputOf(taskId);
  const onSpend = h.onSpend;
  const job = {
    taskId,
    runId: h.owner,
    attempt,
    agentType,
    agent,
    routeRule: a.route.rule,
    dispatchLatencyMs: a.dispatchLatencyMs,
    input: { ...h.taskInput(task, agentType, attempt, cwd, a.attempted), verify, ...(agent.presetsSessions ? { newSessionId: randomUUID() } : {}) },
    verify,
    cwd,
    prepare:
      isolation && isolatedCwd !== undefined
        ? (signal: AbortSignal) => isolation.prepare(task, { signal, onOutput: onOutput ? (c) => onOutput('progress', c) : undefined })
        : undefined,
    env: h.env,
    sandbox: h.sandbox(cwd),
    timeoutMs: timeoutMsFor(config, agentType, task.timeoutMinutes),
    killGraceMs: config.timeouts.killGraceMs,
    abandonAfterMs: config.timeouts.killGraceMs + (h.abandonMarginMs ?? ABANDON_MARGIN_MS),
    controller: rt.controller,
    committed: a.committed,
    probe: a.probe,
    onSpend: onSpend ? (spent: AgentSpend) => onSpend(rt, spent) : undefined,
    onOutput,
  };
  const deps = h.deps();
  const guard = remote ? undefined : h.attemptGuard?.(agent.simulated === true);
  let report: AttemptReport;
  try {
    report = remote ? await remote.run(deps, job) : await executeAttempt(deps, { ...job, audit: guard?.audit });
  } catch (e) {
    // Only the attempt row insert can throw; settle the task anyway so it never stays claimed here. A database that
    // takes no writes for now is not the task's fault: the agent never ran, so it goes back to pending unharmed.
    const t = deps.now();
    report = {
      attemptId: -1,
      startedAt: a.startedAt,
      endedAt: t,
      ok: false,
      refused: h.db.failed(e) !== undefined,
      failure: { kind: 'transient', message: deps.redact(`engine error: ${errorMessage(e)}`) },
      errorKind: 'transient',
    };
  }
  guard?.end();
  if (report.leftovers)
    h.log(
      'info',
      `${taskId} attempt ${attempt}: stopped ${report.leftovers.length} process(es) its agent left running outside its process group: ${report.leftovers.join(', ')}`,
      taskId,
    );
  if (report.ok && isolation && isolatedCwd !== undefined) report = await landAttempt(isolation, rt, task, verify, report, deps.redact);
  ended(report);
}
