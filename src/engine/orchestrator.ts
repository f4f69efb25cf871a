// The orchestrator composes the parts that make a plan execute itself: PlanState (graph + live statuses), ReadyLanes
// (what starts next), ProviderGates and RetryPolicy (resilience), AttemptSlots (what runs, under the limits),
// BackoffTimers (retries waiting), LeaseKeeper (this engine's claims), executeAttempt (one attempt each), and the
// TaskStorePort (the only way to the database). It owns the task lifecycle:
//   pending → in_progress (claimed with a lease, heartbeats renew it) → completed | failed | timeout | cancelled,
//   or back to pending (retry after backoff, rate-limit release, graceful stop) with the retry count kept.
//
// Dispatch is event-driven — there is no polling loop. `dispatch()` runs when something may have made a start
// possible: a task became ready (dependency completed, plan replaced, blocker removed, retry reset, backoff over), a
// slot freed, a breaker half-opened or closed, a provider's pause ended, or orchestration started/resumed.
//
// Invariants:
//   - at most `maxConcurrentAgents` attempts run, and at most `agentLimits.maxPerType[t]` of type t, at any moment;
//   - a task is in at most one of: running, delayed (waiting for its backoff), the ready lanes;
//   - every claimed task is finished exactly once through store.finish (which refuses a lease we no longer hold).
import { defaultSandboxPolicy, type SandboxPolicy } from './agents/sandbox';
import type { VerifyVerdict } from './trustGuard';
import { TERMINAL_STATUSES, type TaskList, type TaskNode, type TaskStatus } from '../core/model';
import { namedAgentOf, routeTask, type RoutingConfig, type RoutingDecision } from '../core/routing';
import type { RunTaskResult } from '../protocol/engineProtocol';
import {
  emptyPlanCounts,
  type ActiveAgentView,
  type ActivityEntry,
  type BreakerState,
  type OrchestrationState,
  type PlanCounts,
  type StallView,
} from '../protocol/views';
import type { Agent, AgentSpend, AgentTaskInput } from './agents/agent';
import { routingConfigOf, type OrchestratorConfig } from './config';
import { ReadyLanes } from './dispatcher';
import { AttemptSlots, type SlotLimits } from './attemptSlots';
import { BackoffTimers } from './backoffTimers';
import { StopReason, type AttemptReport, type StopWhy } from './executor';
import { LeaseKeeper } from './leaseKeeper';
import { IdleWatch } from './idleWatch';
import { GateDecisions } from './gateDecisions';
import { AttemptSettler } from './attemptSettler';
import { launchAttempt, type LaunchedAttempt, type LaunchHost, type RemoteRunner } from './attemptLaunch';
import type { OrchestratorEvents, RouteInfo } from './orchestratorEvents';
import { ActivityLog } from './activityLog';
import { laneStalls, stallMessage } from './stallReport';
import { PlanState } from './planState';
import { OPEN_GATE, type Claim, type SettleRecord, type TaskStorePort, type WriteGate } from './ports';
import { ProviderGates, RetryPolicy, type GateTimers } from './resilience';
import { RETRY_CONTEXT_ATTEMPTS } from './retryContext';
import { agentTaskInput } from './taskInput';
import { attemptSpendOf } from './spend/attemptSpend';
import { ResultWriter } from './resultWriter';
import { TypedEmitter, type TypedEvents } from '../core/typedEmitter';
import { errorMessage } from '../core/describe';
import type { FileHold } from '../core/fileClaims';
import type { AttemptGuard } from './trustGuard';
import { fileHoldText } from '../protocol/presentation';
import type { AttemptIsolation } from './attemptLanding';
import type { GateDecision, GateDecisionResult, GateKind } from '../protocol/gates';

/** Construction options of the Orchestrator. */
export interface OrchestratorOptions {
  /** The database, through its port. */
  store: TaskStorePort;
  config: OrchestratorConfig;
  /** The agent that runs an agent type (the runtime caches them). May throw for a bad configuration. */
  agentFor(agentType: string): Agent;
  /** Lease owner id of this engine instance. */
  owner: string;
  /** Working directory of agents and Verify commands (config `cwd` wins when set). */
  cwd: string;
  /** Environment for agents and Verify commands (secrets included; never logged). */
  env: Record<string, string | undefined>;
  /**
   * What every attempt's processes may not touch (plan, `.coditect/`, db, `.git/`); the attempt's cwd is added as
   * writable. Default: `defaultSandboxPolicy(cwd)`.
   */
  sandbox?(cwd: string): SandboxPolicy;
  /** The Verify command to run for a task (the engine-held, person-authored copy), or why it is refused. Default: the plan's. */
  verifyFor?(taskId: string, text: string | undefined): VerifyVerdict;
  /**
   * Called when an attempt starts (with whether its agent is simulated); the returned function is called after the
   * agent returned and names what it changed that the engine trusts (then the attempt fails), and once more when the
   * attempt ends, with no result wanted (`end`).
   */
  attemptGuard?(simulated: boolean): AttemptGuard;
  /** Epoch-ms clock for db timestamps and leases. Default Date.now. */
  now?: () => number;
  /** Scrubs secrets from every text that leaves an attempt. */
  redact(text: string): string;
  /** Timers of the provider gates (tests). */
  gateTimers?: Partial<GateTimers>;
  /** Most activity entries kept in memory. Default 500. */
  activityLimit?: number;
  /** Wait beyond the kill grace for an aborted agent to settle before abandoning it. Default ABANDON_MARGIN_MS (5 s). */
  abandonMarginMs?: number;
  /** Per-task git worktrees and the merge queue (`isolation: worktree`); absent: every attempt runs in the shared tree. */
  isolation?: AttemptIsolation;
  /** Whether the database takes writes (db/dbGate.ts): claims wait while it does not. Default: never blocked. */
  gate?: WriteGate;
  /** Writes settled attempts and never drops one (resultWriter.ts). Default: a writer on `store` and `gate`, without a journal. */
  results?: ResultWriter;
  /** Spend limits dispatch obeys (docs/costs-and-gates.md#budgets); none when absent. */
  limits?: DispatchLimits;
  /**
   * Runs attempts elsewhere (`queue.kind: redis`: as jobs for `coditect worker` processes, src/engine/queue/) instead of
   * in this process. Isolation and the attempt guard do not apply: the agent works in a worker's checkout.
   */
  remote?: RemoteRunner;
  /** Gated features a person approved (the audit trail), read whenever the plan is rebuilt. Default: none. */
  approvedGates?(): ReadonlySet<string>;
}

/** What dispatch asks before it starts work, and while an attempt spends (the budgets). */
export interface DispatchLimits {
  /** Why nothing may start now (a run or day budget reached), or undefined. Orchestration then pauses with it. */
  globalHold(): string | undefined;
  /** Why `taskId` may not start now (its own budget spent, its epic's reached), or undefined: it waits in its lane. */
  taskHold(taskId: string): string | undefined;
  /** Why an attempt of `taskId` that has cost `attemptUsd` so far takes its task over budget (then it is stopped), or undefined. */
  overBudget(taskId: string, attemptUsd: number): string | undefined;
}

/** One dispatch pass of a coordinator of workers (Orchestrator.startsInOnePass). */
interface DispatchPass {
  /** Resolves when the pass committed, rejects when it rolled back. */
  committed: Promise<void>;
  /** The first database fault met in the pass: it ends the pass, rolled back. */
  fault?: unknown;
  /** Settlements made in the pass whose attempt rows it wrote (configuration failures). */
  records: SettleRecord[];
  /** Attempts started in it. */
  started: number;
}

interface RunningTask {
  taskId: string;
  title: string;
  agentType: string;
  provider: string;
  attempt: number;
  startedAt: number;
  route: RouteInfo;
  controller: AbortController;
  stop?: StopWhy;
  done: Promise<void>;
}

const RETRYABLE_BY_HAND: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['failed', 'timeout', 'cancelled', 'blocked']);
const RETRY_FAILED: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['failed', 'timeout']);
/** Statuses a task ends in by itself that keep a plan from finishing. */
const FAILED_BY_ITSELF: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['failed', 'timeout', 'cancelled']);
const IN_PROGRESS: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['in_progress']);

/** Runs a plan: dispatches ready tasks to agents under limits, with retries, breakers, timeouts and graceful stop. */
export class Orchestrator implements TypedEvents<OrchestratorEvents> {
  private readonly events: TypedEmitter<OrchestratorEvents>;
  private readonly store: TaskStorePort;
  private readonly now: () => number;
  private readonly redact: (text: string) => string;
  private config: OrchestratorConfig;
  private routing: RoutingConfig;
  private retryPolicy: RetryPolicy;
  private readonly gates: ProviderGates;
  private readonly lanes: ReadyLanes;
  private readonly gate: WriteGate;
  private readonly results: ResultWriter;
  /** A claim met a database that takes no writes: dispatch waits for the gate's retry. */
  private waitingForDb = false;
  private plan?: PlanState;

  /** Attempts running now, under the global and per-type limits. */
  private readonly running: AttemptSlots<RunningTask>;
  /** Tasks waiting out a retry backoff (in no ready lane meanwhile). */
  private readonly delayed: BackoffTimers;
  private readonly leases: LeaseKeeper;
  private readonly readySince = new Map<string, number>();
  /** performance.now() of the last event that allowed more starts (see `task:started`). */
  private startableSince = 0;
  private readonly routes = new Map<string, RoutingDecision>();
  /** Agent types told to the remote runner so far (announceType): each is told once. */
  private readonly announcedTypes = new Set<string>();
  private readonly summaries = new Map<string, string>();
  /** The orchestrator's activity lines (activityLog.ts), the latest `activityLimit` kept. */
  private readonly activityLog: ActivityLog;

  /** The control state; never `stalled` (that is `running` + idleness.stalled, see state()). */
  private current: OrchestrationState = 'idle';
  /** Why orchestration is paused when a limit paused it (not a person), shown with the state. */
  private pausedFor?: string;
  /** Idle and stall detection, and the waiters of idle() (idleWatch.ts). */
  private readonly idleness: IdleWatch;
  private dispatching = false;
  private dispatchAgain = false;
  /** What each finished attempt means, and the per-task memory that needs (attemptSettler.ts). */
  private readonly settler: AttemptSettler;
  /** What every attempt's launch reads of this orchestrator (attemptLaunch.ts). */
  private readonly launchHost: LaunchHost;
  /** The person's gates: due checkpoints, waiting announcements, decisions, rejection notes (gateDecisions.ts). */
  private readonly gateDecisions: GateDecisions;
  /** Attempts being settled right now (see settle). */
  private settling = 0;
  private stopping?: Promise<void>;
  private closing?: Promise<void>;
  private closed = false;

  constructor(private readonly opts: OrchestratorOptions) {
    if (!opts || typeof opts !== 'object') throw new TypeError('Orchestrator: options are required');
    for (const k of ['store', 'config', 'agentFor', 'redact'] as const) {
      if (!opts[k]) throw new TypeError(`Orchestrator: option "${k}" is required`);
    }
    if (typeof opts.owner !== 'string' || opts.owner === '')
      throw new TypeError(`Orchestrator: owner must be a non-empty string, got ${JSON.stringify(opts.owner)}`);
    if (typeof opts.cwd !== 'string' || opts.cwd === '') throw new TypeError(`Orchestrator: cwd must be a non-empty path, got ${JSON.stringify(opts.cwd)}`);
    this.store = opts.store;
    this.gate = opts.gate ?? OPEN_GATE;
    this.results =
      opts.results ?? new ResultWriter({ store: opts.store, gate: this.gate, warn: (m) => this.log('info', m), perTurn: opts.remote !== undefined });
    this.results.afterTurn(() => this.dispatch());
    this.now = opts.now ?? Date.now;
    this.redact = opts.redact;
    this.config = opts.config;
    this.routing = routingConfigOf(opts.config);
    this.retryPolicy = RetryPolicy.fromConfig(opts.config);
    this.activityLog = new ActivityLog(this.now, (entries) => this.events.emit('activity:appended', { entries }), opts.activityLimit ?? 500);
    this.events = new TypedEmitter<OrchestratorEvents>((e, event) => {
      // A broken listener must not break dispatch; say so in the activity log instead (unless that is the listener).
      if (event !== 'activity:appended') this.log('info', `listener of ${event} threw: ${errorMessage(e)}`);
    });
    this.gates = new ProviderGates({
      failureThreshold: opts.config.circuitBreaker.failureThreshold,
      cooldownMs: opts.config.circuitBreaker.cooldownMs,
      timers: opts.gateTimers,
    });
    this.gates.onChange((c) => {
      this.startableSince = performance.now();
      this.events.emit('breaker:changed', c);
      this.log('breaker', `provider ${c.provider}: ${c.previous} → ${c.state}`);
      this.emitState();
      this.dispatch();
    });
    this.running = new AttemptSlots(slotLimitsOf(opts.config));
    this.delayed = new BackoffTimers((id) => this.onBackoffOver(id));
    this.leases = new LeaseKeeper({
      store: opts.store,
      owner: opts.owner,
      lease: opts.config.lease,
      now: this.now,
      onError: (m) => this.log('info', m),
    });
    this.lanes = new ReadyLanes(() => 0);
    this.gateDecisions = new GateDecisions({
      plan: () => this.plan,
      closed: () => this.closed,
      running: () => this.current === 'running',
      store: opts.store,
      now: this.now,
      db: this.gate,
      awaitDb: () => this.awaitDb(),
      refreshFromStore: (id) => this.refreshFromStore(id),
      applyStatus: (id, status) => this.applyStatus(id, status),
      enqueue: (id) => this.enqueue(id),
      dispatch: () => this.dispatch(),
      forgetVerify: (id) => this.settler.forgetVerify(id),
      noteFor: opts.isolation ? (id) => opts.isolation!.noteFor(id) : undefined,
      waiting: (g) => this.events.emit('gate:waiting', g),
      log: (kind, message, taskId) => this.log(kind, message, taskId),
    });
    const limits = opts.limits;
    this.settler = new AttemptSettler({
      owner: opts.owner,
      now: this.now,
      prices: () => this.config.prices,
      retryPolicy: () => this.retryPolicy,
      overBudget: limits ? (id, usd) => limits.overBudget(id, usd) : undefined,
      reviewGated: (id) => this.plan?.byId.get(id)?.gate === 'review',
      titleOf: (id) => this.plan?.byId.get(id)?.title ?? id,
      pauseProvider: (provider, ms, reason) => this.gates.pause(provider, ms, reason),
      scheduleRetry: (id, delayMs) => {
        if (this.current !== 'stopping' && !this.closed) this.delayed.schedule(id, delayMs);
      },
      unqueue: (id) => this.lanes.remove(id),
      reviewWaiting: (id, files) => this.gateDecisions.waiting(id, 'review', files),
      emit: (event, payload) => this.events.emit(event, payload),
      log: (kind, message, taskId) => this.log(kind, message, taskId),
    });
    this.launchHost = {
      owner: opts.owner,
      env: opts.env,
      remote: opts.remote,
      isolation: opts.isolation,
      attemptGuard: opts.attemptGuard,
      sandbox: (cwd) => (opts.sandbox ? opts.sandbox(cwd) : defaultSandboxPolicy(cwd)),
      abandonMarginMs: opts.abandonMarginMs,
      config: () => this.config,
      cwd: () => this.cwd(),
      deps: () => ({ store: this.pass ? this.passStore : this.store, gates: this.gates, now: this.now, redact: this.redact }),
      db: this.gate,
      outputOf: (taskId) =>
        this.events.has('task:output')
          ? (stream: 'stdout' | 'stderr' | 'progress', chunk: string) => this.events.emit('task:output', { taskId, stream, chunk: this.redact(chunk) })
          : undefined,
      taskInput: (task, agentType, attempt, cwd, attempted) => this.taskInput(task, agentType, attempt, cwd, attempted),
      onSpend: limits ? (rt, spent) => this.onSpend(rt, spent) : undefined,
      log: (kind, message, taskId) => this.log(kind, message, taskId),
    };
    this.idleness = new IdleWatch(
      {
        closed: () => this.closed,
        control: () => this.current,
        running: () => this.running.size,
        stopping: () => this.stopping !== undefined,
        settling: () => this.settling,
        resultsPending: () => this.results.pending,
        delayed: () => this.delayed.size,
        waitingForDb: () => this.waitingForDb,
        lanes: this.lanes,
        maxPerType: () => this.config.agentLimits.maxPerType,
        taskHold: limits ? (id) => limits.taskHold(id) : undefined,
        openCount: () => this.plan?.openCount(),
      },
      (stalled) => {
        if (stalled) this.log('info', this.stallMessage());
        else if (this.current === 'running') this.log('info', 'no longer stalled: a task can start again');
        this.emitState();
      },
    );
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof OrchestratorEvents>(event: K, listener: (payload: OrchestratorEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  // ---- plan and configuration ---------------------------------------------------------------------------------

  /**
   * A new or changed plan (after a sync). Statuses come from the store (the markdown's when it has no row). Running
   * tasks keep running; waiting retries keep waiting; every ready task is queued again in the new order.
   */
  setPlan(list: TaskList): void {
    if (this.closed) return;
    const runtimes = this.store.runtimes();
    const statuses = new Map<string, TaskStatus>();
    for (const t of list.tasks) {
      const rt = runtimes.get(t.id);
      statuses.set(t.id, this.running.has(t.id) ? 'in_progress' : (rt?.status ?? t.status));
      if (rt?.resultSummary !== undefined) this.summaries.set(t.id, rt.resultSummary);
    }
    this.plan = new PlanState(
      list,
      statuses,
      this.plan?.graph,
      this.config.dispatch.run_optional ?? false,
      this.config.dispatch.priority_weights,
      this.opts.approvedGates?.(),
    );
    this.routes.clear();
    const plan = this.plan;
    this.delayed.cancelWhere((id) => !plan.has(id) || plan.status(id) !== 'pending');
    this.announceNamedTypes();
    this.rebuildLanes();
    this.dispatch();
  }

  /** New configuration (file reload or settings): limits, retries, breakers and routing apply from now on. */
  setConfig(config: OrchestratorConfig): void {
    if (this.closed) return;
    this.startableSince = performance.now();
    const reorder = JSON.stringify(config.dispatch.priority_weights) !== JSON.stringify(this.config.dispatch.priority_weights);
    this.config = config;
    this.routing = routingConfigOf(config);
    this.retryPolicy = RetryPolicy.fromConfig(config);
    this.gates.reconfigure(config.circuitBreaker.failureThreshold, config.circuitBreaker.cooldownMs);
    this.running.setLimits(slotLimitsOf(config));
    this.leases.configure(config.lease);
    this.routes.clear();
    // New priority weights change the dispatch order, which lives in the plan's graph: rebuild it (setPlan re-queues
    // and dispatches).
    if (reorder && this.plan) return this.setPlan(this.plan.list);
    if (this.plan) {
      this.announceNamedTypes();
      this.rebuildLanes();
    }
    this.dispatch();
  }

  /**
   * Crash recovery: returns to pending every in_progress task whose lease expired or belongs to another (dead)
   * owner, keeping its retry count. Call at start-up, holding the database's single-writer lock.
   */
  recover(): string[] {
    const ids = this.leases.recover(this.now());
    if (ids.length === 0) return ids;
    for (const id of ids) {
      if (this.plan?.has(id) && !this.running.has(id)) this.applyStatus(id, 'pending');
    }
    this.log(
      'info',
      `recovered ${ids.length} task${ids.length === 1 ? '' : 's'} left in progress by a previous run: ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''}`,
    );
    this.dispatch();
    return ids;
  }

  // ---- control ------------------------------------------------------------------------------------------------

  /** Starts dispatching ready tasks. */
  start(): OrchestrationState {
    if (this.closed || this.current === 'stopping') return this.current;
    if (this.current !== 'running') {
      this.startableSince = performance.now();
      this.pausedFor = undefined;
      this.setState('running');
      this.log('info', 'orchestration started');
    }
    this.dispatch();
    return this.current;
  }

  /** Stops starting new tasks; running ones go on. `reason`: a limit paused it (shown with the state), not a person. */
  pause(reason?: string): OrchestrationState {
    if (this.current === 'running') {
      this.pausedFor = reason;
      this.setState('paused');
      this.log('info', reason ? `orchestration paused: ${reason}` : 'orchestration paused');
      this.checkIdle();
    }
    return this.current;
  }

  /** Dispatches again after a pause. */
  resume(): OrchestrationState {
    if (this.current === 'paused') {
      this.startableSince = performance.now();
      this.pausedFor = undefined;
      this.setState('running');
      this.log('info', 'orchestration resumed');
      this.dispatch();
    }
    return this.current;
  }

  /** Why a limit paused orchestration (a budget reached), or undefined (running, or paused by a person). */
  pauseReason(): string | undefined {
    return this.current === 'paused' ? this.pausedFor : undefined;
  }

  /**
   * The limits changed (a raised budget, a new day): a pause a limit made ends when that limit no longer holds, and
   * tasks held back by theirs may start.
   */
  limitsChanged(): void {
    if (this.closed) return;
    if (this.current === 'paused' && this.pausedFor !== undefined && !this.opts.limits?.globalHold()) {
      this.log('info', `the limit that paused orchestration no longer holds (${this.pausedFor})`);
      this.resume();
      return;
    }
    this.startableSince = performance.now();
    this.dispatch();
  }

  /**
   * Stops dispatching, lets running attempts finish for up to `graceMs` (default `shutdown_grace_ms`), then aborts
   * the rest and releases them to pending with their retry count kept. Resolves when nothing runs.
   */
  stop(graceMs?: number): Promise<void> {
    if (this.stopping) return this.stopping;
    const grace = graceMs ?? this.config.shutdownGraceMs;
    if (!(grace >= 0)) throw new RangeError(`stop: graceMs must be ≥0, got ${graceMs}`);
    const wasState = this.current;
    this.setState('stopping');
    // Waiting retries stay pending in the db and queue up for the next start.
    for (const id of this.delayed.cancelAll()) if (this.plan?.graph.isReady(id)) this.enqueue(id);
    if (wasState !== 'idle' || this.running.size > 0) this.log('info', `stopping: ${this.running.size} running, grace ${grace} ms`);
    this.stopping = (async () => {
      if (this.running.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([this.allSettled(), new Promise<void>((r) => (timer = setTimeout(r, grace)))]);
        clearTimeout(timer);
        for (const rt of this.running.values()) {
          if (rt.controller.signal.aborted) continue;
          rt.stop = 'shutdown';
          rt.controller.abort(new StopReason('shutdown', `engine stopping; released after the ${grace} ms grace`));
        }
        await this.allSettled();
      }
      this.results.writeNow(); // the last results of the run are in the database when it is stopped
      this.setState('idle');
    })().finally(() => {
      this.stopping = undefined;
      this.checkIdle();
    });
    return this.stopping;
  }

  /** Runs one task now (CodeLens, tree), even when orchestration is not started; says why when it cannot. */
  runTask(taskId: string, agent?: string): RunTaskResult {
    const why = this.whyNot(taskId);
    if (why) return { started: false, reason: why };
    const plan = this.plan!;
    const decision = this.routeOf(taskId);
    const route: RouteInfo = agent ? { agent, rule: 'manual', reason: `run with ${agent} by request` } : decision;
    const type = route.agent;
    const refused = this.admission(type);
    if (refused !== undefined) return { started: false, reason: refused };
    this.delayed.cancel(taskId);
    this.lanes.remove(taskId);
    const started = this.startTask(taskId, type, route);
    if (!started && this.waitingForDb) return { started: false, reason: `the database takes no writes now; ${taskId} starts when it does` };
    if (!started) return { started: false, reason: `${taskId} is no longer pending in the database (status ${plan.status(taskId)})` };
    return { started: true };
  }

  /** Runs the first ready task in dispatch order that may start now. */
  runNext(): RunTaskResult & { taskId?: string } {
    if (this.closed) return { started: false, reason: 'the orchestrator is closed' };
    if (!this.plan) return { started: false, reason: 'no plan loaded' };
    if (this.current === 'stopping') return { started: false, reason: 'orchestration is stopping' };
    const full = this.running.full();
    if (full !== undefined) return { started: false, reason: full };
    // Tasks that share files with a task in progress are taken out while picking and put back after.
    const heldBack: { taskId: string; agentType: string; hold: FileHold }[] = [];
    try {
      for (;;) {
        const pick = this.lanes.next((t) => this.admission(t) === undefined);
        if (!pick) {
          const waiting = this.lanes.size + heldBack.length;
          const why =
            heldBack.length > 0 && this.lanes.size === 0
              ? `${heldBack[0].taskId} ${fileHoldText(heldBack[0].hold)}`
              : `${waiting} ready task${waiting === 1 ? '' : 's'} wait for a per-type limit or a paused/open provider`;
          return { started: false, reason: waiting === 0 ? 'no task is ready' : why };
        }
        const hold = this.fileHold(pick.taskId);
        if (hold) {
          heldBack.push({ ...pick, hold });
          continue;
        }
        if (this.startTask(pick.taskId, pick.agentType, this.routeOf(pick.taskId))) return { started: true, taskId: pick.taskId };
      }
    } finally {
      for (const h of heldBack) this.lanes.add(h.taskId, h.agentType);
    }
  }

  /** Cancels a running task (kills its agent) or a task waiting for its retry. Resolves once it is settled. */
  async cancel(taskId: string): Promise<boolean> {
    const rt = this.running.get(taskId);
    if (rt) {
      if (!rt.controller.signal.aborted) {
        rt.stop = 'cancel';
        rt.controller.abort(new StopReason('cancel', 'cancelled by request'));
      }
      await rt.done;
      this.results.writeNow(); // settled: its end is in the database (or waits for it) when this resolves
      return true;
    }
    if (this.delayed.has(taskId) && this.plan?.has(taskId)) {
      this.delayed.cancel(taskId);
      if (this.store.setStatus(taskId, 'cancelled', { now: this.now() })) {
        this.applyStatus(taskId, 'cancelled');
        const reason = 'cancelled by request while waiting to retry';
        this.events.emit('task:cancelled', { taskId, reason });
        this.log('cancelled', `${taskId} ${reason}`, taskId);
      } else {
        this.refreshFromStore(taskId);
      }
      this.dispatch();
      return true;
    }
    return false;
  }

  /** Resets a failed, timed-out, cancelled or blocked task to pending (retry count kept). */
  retry(taskId: string): boolean {
    if (this.closed || !this.plan?.has(taskId)) return false;
    const s = this.plan.status(taskId);
    if (!RETRYABLE_BY_HAND.has(s)) return false;
    if (!this.store.setStatus(taskId, 'pending', { now: this.now() })) {
      this.refreshFromStore(taskId);
      return false;
    }
    this.settler.forgetVerify(taskId);
    this.applyStatus(taskId, 'pending');
    this.log('info', `${taskId} reset to pending for another attempt`, taskId);
    this.dispatch();
    return true;
  }

  /** Resets every failed or timed-out task to pending; returns their ids. */
  retryFailed(): string[] {
    if (!this.plan) return [];
    const out: string[] = [];
    for (const id of this.plan.idsWithStatus(RETRY_FAILED)) if (this.retry(id)) out.push(id);
    return out;
  }

  /**
   * A person marks a task (done, skipped, pending…). A running attempt of it is stopped first and released.
   * Resolves true when the status changed.
   */
  async markTask(taskId: string, status: TaskStatus): Promise<boolean> {
    if (this.closed || !this.plan?.has(taskId)) return false;
    if (status === 'in_progress') throw new RangeError(`markTask: in_progress is reached only by running a task (${taskId})`);
    const rt = this.running.get(taskId);
    if (rt) {
      if (!rt.controller.signal.aborted) {
        rt.stop = 'marked';
        rt.controller.abort(new StopReason('marked', `marked ${status} by a person`));
      }
      await rt.done;
      this.results.writeNow(); // the attempt's end is written before the person's status
    }
    this.delayed.cancel(taskId);
    if (!this.plan?.has(taskId)) return false;
    const changed = this.store.setStatus(taskId, status, { now: this.now() });
    if (changed) {
      if (status === 'pending') this.settler.forgetVerify(taskId);
      this.applyStatus(taskId, status);
      this.log('info', `${taskId} marked ${status}`, taskId);
    } else if (this.plan.status(taskId) !== status) {
      this.refreshFromStore(taskId);
    } else if (status === 'pending' && this.plan.graph.isReady(taskId)) {
      this.enqueue(taskId); // released from a run by this very call
    }
    this.dispatch();
    return changed || rt !== undefined;
  }

  // ---- queries ------------------------------------------------------------------------------------------------

  /** Current orchestration state: `stalled` when running but nothing can move (see OrchestrationState). */
  state(): OrchestrationState {
    return this.current === 'running' && this.idleness.stalled ? 'stalled' : this.current;
  }

  /**
   * Why the plan cannot finish: the graph's stalls (failures, holds, cycles, unknown ids, external blockers) and
   * ready tasks of an agent type whose limit is 0. O(V + E).
   */
  stalls(): StallView[] {
    if (!this.plan) return [];
    const lanes = this.lanes;
    const limits = this.opts.limits;
    return [
      ...this.plan.graph.stalls(),
      ...laneStalls({
        ordered: lanes.ordered(),
        typeOf: (id) => lanes.typeOf(id)!,
        maxPerType: this.config.agentLimits.maxPerType,
        taskHold: limits ? (id) => limits.taskHold(id) : undefined,
      }),
    ];
  }

  /** Agents working right now. */
  active(): ActiveAgentView[] {
    return [...this.running.values()].map((r) => ({
      taskId: r.taskId,
      title: r.title,
      agent: r.agentType,
      startedAt: new Date(r.startedAt).toISOString(),
      attempt: r.attempt,
    }));
  }

  /** Pauses `provider` until `until` (epoch ms) with `reason`: a usage limit a previous engine run recorded. */
  pauseProvider(provider: string, until: number, reason: string): void {
    if (this.closed) return;
    const ms = until - this.now();
    if (ms > 0) this.gates.pause(provider, ms, reason);
  }

  /** Providers paused now (a 429 or a usage limit): until when and why. */
  providerPauses(): { provider: string; until: number; reason: string }[] {
    return this.gates.pauses();
  }

  /** Breaker state of every provider used so far (`paused` while a 429 pause lasts). */
  breakers(): Record<string, BreakerState> {
    return this.gates.states();
  }

  /** Task counts by status (the orchestrator's live view). */
  counts(): PlanCounts {
    return this.plan?.counts() ?? emptyPlanCounts();
  }

  /** Tasks per epic, total and done (the metrics' per-epic progress). */
  epicProgress(): { epic: string; total: number; done: number }[] {
    return this.plan?.epicProgress() ?? [];
  }

  /** Status of a task as the orchestrator sees it. */
  statusOf(taskId: string): TaskStatus | undefined {
    return this.plan?.has(taskId) ? this.plan.status(taskId) : undefined;
  }

  /** Routing decision of a task (why it goes to its agent). */
  routeOf(taskId: string): RoutingDecision {
    let d = this.routes.get(taskId);
    if (d) return d;
    const plan = this.mustPlan();
    const task = plan.byId.get(taskId);
    if (!task) throw new RangeError(`routeOf: unknown task "${taskId}"`);
    d = routeTask(task, { epic: plan.epics.get(task.epicId), feature: plan.features.get(task.featureId) }, this.routing);
    this.routes.set(taskId, d);
    return d;
  }

  /** Ready tasks waiting for a slot, and tasks waiting for their retry backoff. */
  queueDepth(): { ready: number; delayed: number; byType: Record<string, number> } {
    return { ready: this.lanes.size, delayed: this.delayed.size, byType: Object.fromEntries(this.lanes.depthByType()) };
  }

  /** Running attempts per agent type. */
  runningByAgentType(): Record<string, number> {
    return this.running.byType();
  }

  /** The most recent activity entries, oldest first. */
  activity(limit?: number): ActivityEntry[] {
    return this.activityLog.recent(limit);
  }

  /** Resolves when nothing runs and nothing more can start (all done, all blocked, paused, or stopped). */
  idle(): Promise<void> {
    return this.idleness.wait();
  }

  /** Stops (with the configured grace), clears every timer and listener. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const errors: unknown[] = [];
      try {
        await this.stop();
      } catch (e) {
        errors.push(e);
      }
      this.closed = true;
      for (const step of [
        () => this.leases.dispose(),
        () => {
          this.delayed.cancelAll();
          if (this.nextBatch) clearImmediate(this.nextBatch);
          this.nextBatch = undefined;
        },
        () => this.gates.dispose(),
        () => this.idleness.releaseAll(),
        () => this.events.clear(),
      ]) {
        try {
          step();
        } catch (e) {
          errors.push(e);
        }
      }
      if (errors.length > 0) throw errors[0];
    })();
    return this.closing;
  }

  // ---- dispatch -----------------------------------------------------------------------------------------------

  /** The engine's one live plan (undefined before the first setPlan): the views read it, never a copy (planView.ts). */
  livePlan(): PlanState | undefined {
    return this.plan;
  }

  private mustPlan(): PlanState {
    if (!this.plan) throw new Error('Orchestrator: no plan loaded; call setPlan(list) first');
    return this.plan;
  }

  private rebuildLanes(): void {
    const plan = this.mustPlan();
    this.lanes.reset((a, b) => plan.graph.compareForDispatch(a, b));
    this.gateDecisions.clearDue();
    const ready = new Set(plan.graph.readyIds());
    for (const id of this.readySince.keys()) if (!ready.has(id)) this.readySince.delete(id);
    for (const id of ready) if (!this.running.has(id) && !this.delayed.has(id)) this.enqueue(id);
  }

  private enqueue(taskId: string): void {
    if (this.running.has(taskId) || this.delayed.has(taskId)) return;
    if (this.plan?.byId.get(taskId)?.gate === 'checkpoint') {
      this.gateDecisions.due(taskId);
      return;
    }
    const agentType = this.routeOf(taskId).agent;
    this.announceType(agentType);
    this.lanes.add(taskId, agentType);
    if (!this.readySince.has(taskId)) this.readySince.set(taskId, performance.now());
  }

  /**
   * Tells the remote runner (a coordinator of workers) of an agent type before its first job: a worker without
   * `--agents` starts a type's queue (a blocking connection, BullMQ's start-up) only once told, and a type first told by
   * its first dispatch made that pass's jobs wait for it on every worker (docs/server.md#measured). Every ready task
   * passes here when a plan or configuration is loaded, before that load's dispatch pass.
   */
  private announceType(agentType: string): void {
    if (!this.opts.remote || this.announcedTypes.has(agentType)) return;
    this.announcedTypes.add(agentType);
    this.opts.remote.announce(agentType);
  }

  /**
   * The types named on the plan's unfinished tasks (an `Agent:` line, agent_priority_overrides), ready or not, told at
   * load. A task routed by its keywords is told when it becomes ready: routing every blocked task at each load costs
   * 15–40 µs a task with the default keyword map (0.15–0.4 s for the bench's generated 10,000-task plan), for types the
   * ready tasks of most plans already bring.
   */
  private announceNamedTypes(): void {
    if (!this.opts.remote) return;
    const plan = this.mustPlan();
    for (const t of plan.list.tasks) {
      if (TERMINAL_STATUSES.has(plan.status(t.id))) continue;
      const named = namedAgentOf(t, this.routing);
      if (named !== undefined) this.announceType(named);
    }
  }

  private providerOf(agentType: string): string | undefined {
    try {
      return this.opts.agentFor(agentType).provider;
    } catch {
      return undefined; // a bad agent config: let the start fail the task with the config error
    }
  }

  /**
   * The one admission check: why an attempt of `agentType` may not start now — the global limit, then the type's
   * (AttemptSlots), then its provider's breaker or pause — or undefined. Dispatch, runNext and runTask all ask it; a
   * budget's hold is the dispatcher's own (DispatchLimits), as a person's runTask is not held by it.
   */
  private admission(agentType: string): string | undefined {
    const full = this.running.full(agentType);
    if (full !== undefined) return full;
    const provider = this.providerOf(agentType);
    if (provider !== undefined && !this.gates.canDispatch(provider))
      return `provider ${provider} is ${this.gates.state(provider).replace('_', '-')}; try again later`;
    return undefined;
  }

  /** A task in progress that names a path `taskId` names: it does not start until that one is no longer in progress. */
  fileHold(taskId: string): FileHold | undefined {
    const plan = this.plan;
    if (!plan || plan.claims.size === 0) return undefined;
    return plan.claims.holdOf(taskId, plan.pathsOf(taskId));
  }

  /** Starts every task that may start now, in dispatch order, up to the limits. Re-entrant calls fold into one. */
  private dispatch(): void {
    if (this.closed || this.current !== 'running' || !this.plan || this.waitingForDb) {
      this.checkIdle();
      return;
    }
    if (this.dispatching) {
      this.dispatchAgain = true;
      return;
    }
    // Results of this turn land at its end (resultWriter.ts, perTurn): what they change counts for the picks (their
    // dependents are ready, a limit may be reached), so dispatch waits for them (afterTurn dispatches again).
    if (this.results.inTurn > 0) return;
    const hold = this.opts.limits?.globalHold();
    if (hold !== undefined) {
      this.pause(hold);
      return;
    }
    this.dispatching = true;
    // The plan's task_dispatcher.batch_size: at most this many starts per pass; the next batch follows on the next
    // turn of the event loop, so settling, syncing and the control socket get their turn between batches.
    const batch = this.config.dispatch.batch_size ?? Infinity;
    let started = 0;
    // Tasks a limit holds back (their budget, their epic's) or that share files with a task in progress
    // (src/core/fileClaims.ts) are taken out while picking and put back after: they start once it is no longer.
    const heldBack: { taskId: string; agentType: string }[] = [];
    try {
      do {
        this.dispatchAgain = false;
        if (!this.waitingForDb) this.tickDueGroups();
        if (!this.waitingForDb) this.gateDecisions.openDue();
        const starts = (): void => {
          while (this.current === 'running' && !this.waitingForDb && this.running.full() === undefined && started < batch) {
            const pick = this.lanes.next((t) => this.admission(t) === undefined);
            if (!pick) break;
            if (this.opts.limits?.taskHold(pick.taskId) !== undefined || this.fileHold(pick.taskId) !== undefined) {
              heldBack.push(pick);
              continue;
            }
            if (this.startTask(pick.taskId, pick.agentType, this.routeOf(pick.taskId))) started++;
            if (this.pass?.fault !== undefined) throw this.pass.fault as Error;
          }
        };
        if (this.opts.remote) this.startsInOnePass(starts);
        else starts();
      } while (this.dispatchAgain && this.current === 'running' && started < batch);
    } finally {
      for (const h of heldBack) this.lanes.add(h.taskId, h.agentType);
      this.dispatching = false;
    }
    if (started >= batch && !this.nextBatch) {
      this.nextBatch = setImmediate(() => {
        this.nextBatch = undefined;
        this.dispatch();
      });
    }
    this.checkIdle();
  }
  private nextBatch: NodeJS.Immediate | undefined;

  /**
   * A coordinator of workers (`remote`) claims and records the attempts of one dispatch pass in ONE transaction (one
   * commit instead of two per task). Their jobs go out only once it committed (AttemptJob.committed): a job id is an
   * attempt row's id, and a rolled-back row's id is given again. A fault anywhere in the pass (a claim or a row the
   * database did not take, or the commit) rolls all of it back: each attempt started in it is released (back to
   * pending, no job, no retry spent, no row written by its id) and dispatch waits for the database as after a claim
   * it refused. In process, each claim and row commits on its own: the agent starts at once.
   */
  private startsInOnePass(starts: () => void): void {
    let commit!: () => void;
    let rollBack!: (e: unknown) => void;
    const committed = new Promise<void>((resolve, reject) => {
      commit = resolve;
      rollBack = reject;
    });
    committed.catch(() => undefined); // each attempt of the pass reads it; none may leave it unhandled
    const pass: DispatchPass = { committed, records: [], started: 0 };
    this.pass = pass;
    try {
      this.store.batch(starts);
    } catch (e) {
      this.pass = undefined;
      // Settlements written in the pass (a configuration failure) name rows that are gone: they finish the task only.
      for (const r of pass.records) {
        delete r.attemptId;
        delete r.end;
      }
      rollBack(e);
      if (this.gate.failed(e) === undefined) throw e;
      this.log('info', `the database did not take a dispatch pass (${errorMessage(e)}): its ${pass.started} attempt(s) go back to pending`);
      this.awaitDb();
      return;
    }
    this.pass = undefined;
    commit();
  }
  private pass: DispatchPass | undefined;
  /** startTask's deps.store in a pass: a row the database does not take ends the pass (see startsInOnePass). */
  private readonly passStore: Pick<TaskStorePort, 'recordAttemptStart'> = {
    recordAttemptStart: (start) => {
      try {
        return this.store.recordAttemptStart(start);
      } catch (e) {
        if (this.pass) this.pass.fault ??= e;
        throw e;
      }
    },
  };

  /** Ticks every group whose subtasks are all done: a group is never run, it is done when they are. */
  private tickDueGroups(): void {
    const plan = this.mustPlan();
    for (let due = plan.graph.dueGroupIds(); due.length > 0 && this.current === 'running'; due = plan.graph.dueGroupIds()) {
      let ticked = 0;
      for (const id of due) {
        let changed: boolean;
        try {
          changed = this.store.setStatus(id, 'completed', { now: this.now() });
        } catch (e) {
          if (!this.gate.failed(e)) throw e;
          this.awaitDb(); // ticked at the dispatch after the database takes writes again
          return;
        }
        if (!changed) continue;
        ticked++;
        this.log('completed', `${id} completed: all its subtasks are done`, id);
        this.applyStatus(id, 'completed');
      }
      if (ticked === 0) break; // the store refused (another writer changed them): the next sync brings their status
    }
  }

  /**
   * A person's decision on a waiting gate (docs/costs-and-gates.md#gates). Approving ticks the task and frees what
   * depends on it; rejecting a `Gate: review` task sends it back to pending with the note for its next prompt; a
   * rejected checkpoint stays waiting. Recording who decided is the caller's (the runtime's audit trail).
   */
  decideGate(taskId: string, decision: GateDecision, note?: string): GateDecisionResult & { kind?: GateKind } {
    return this.gateDecisions.decide(taskId, decision, note);
  }

  /** A rejection taken by an earlier engine that no attempt has answered: its note goes into the next prompt, once. */
  restoreRejection(taskId: string, note: string | undefined): void {
    this.gateDecisions.restoreRejection(taskId, note);
  }

  /** Why `runTask` cannot start a task, or undefined when it can (limits are checked by the caller). */
  private whyNot(taskId: string): string | undefined {
    if (this.closed) return 'the orchestrator is closed';
    if (!this.plan) return 'no plan loaded';
    if (this.current === 'stopping') return 'orchestration is stopping';
    if (!this.plan.has(taskId)) return `unknown task ${taskId}`;
    if (this.running.has(taskId)) return `${taskId} is already running`;
    const s = this.plan.status(taskId);
    if (s !== 'pending') return `${taskId} is ${s.replace('_', ' ')}${RETRYABLE_BY_HAND.has(s) ? ' (retry it first)' : ''}`;
    if (this.plan.byId.get(taskId)?.gate === 'checkpoint') return `${taskId} is a checkpoint: no agent runs it, a person approves it`;
    if (this.plan.graph.isRunnableByHand(taskId)) {
      // Not even by hand: two agents on one file overwrite each other (or conflict at merge).
      const hold = this.fileHold(taskId);
      return hold && `${taskId} ${fileHoldText(hold)}`;
    }
    const node = this.plan.byId.get(taskId);
    if (node?.group || node?.criterion) return this.plan.graph.notRunBecause(taskId);
    const held = this.plan.graph.blockage(taskId);
    if (held) return held.via === undefined ? held.text : `${taskId} ${held.text}`;
    const waiting = this.plan.graph.waitingOn(taskId);
    if (waiting.length > 0) return `${taskId} is waiting on ${waiting.join(', ')}`;
    return `${taskId} is not ready`;
  }

  /** Claims and starts one task; false when it is not ready after all or the store refused the claim. */
  private startTask(taskId: string, agentType: string, route: RouteInfo): boolean {
    const plan = this.mustPlan();
    const task = plan.byId.get(taskId);
    // The lanes may hold a task that stopped being ready (a person reopened one of its dependencies): skip it; it is
    // queued again when it becomes ready.
    if (!task || !plan.graph.isRunnableByHand(taskId)) {
      this.lanes.remove(taskId);
      this.readySince.delete(taskId);
      return false;
    }
    let agent: Agent | undefined;
    let agentProblem: string | undefined;
    try {
      agent = this.opts.agentFor(agentType);
    } catch (e) {
      agentProblem = this.redact(`no usable agent for ${agentType}: ${errorMessage(e)}`);
    }
    // The Verify command is the engine-held copy of what the person wrote, never text an agent may have changed.
    const verdict: VerifyVerdict = this.opts.verifyFor ? this.opts.verifyFor(taskId, task.verify) : { command: task.verify };
    if (agent && 'refused' in verdict) {
      agent = undefined;
      agentProblem = this.redact(verdict.refused);
    }
    const verify = 'command' in verdict ? verdict.command : undefined;
    const now = this.now();
    let claim: Claim | undefined;
    try {
      claim = this.leases.claim(taskId, now);
    } catch (e) {
      if (!this.gate.failed(e)) throw e;
      if (this.pass) this.pass.fault ??= e;
      this.waitForDb(taskId);
      return false;
    }
    this.gate.succeeded();
    if (!claim) {
      this.refreshFromStore(taskId);
      return false;
    }
    const since = this.readySince.get(taskId);
    this.readySince.delete(taskId);
    const t = performance.now();
    const queuedMs = since === undefined ? undefined : t - since;
    const dispatchLatencyMs = since === undefined ? undefined : t - Math.max(since, this.startableSince);
    this.applyStatus(taskId, 'in_progress');

    if (!agent) {
      // A configuration problem fails the task at once, with an attempt row saying why.
      const reason = `configuration error (not retried: fix the configuration, then retry): ${agentProblem}`;
      const rec: SettleRecord = { taskId, owner: this.opts.owner, finish: { status: 'failed', now } };
      try {
        rec.attemptId = this.store.recordAttemptStart({ taskId, agent: agentType, attempt: claim.attempt, startedAt: now, routeRule: route.rule });
        rec.end = { outcome: 'failed', endedAt: now, error: reason, errorKind: 'config' };
        this.pass?.records.push(rec);
      } catch (e) {
        if (!this.gate.failed(e)) throw e; // the task still fails; its attempt row is what the database could not take
        if (this.pass) this.pass.fault ??= e;
      }
      this.finishClaim(
        rec,
        () => undefined,
        () => {
          this.events.emit('task:failed', { taskId, agentType, attempt: claim.attempt, reason, errorKind: 'config' });
          this.log('failed', `${taskId} failed: ${reason}`, taskId);
        },
      );
      return true;
    }

    if (this.pass) this.pass.started++;
    const probe = this.gates.begin(agent.provider);
    const rt: RunningTask = {
      taskId,
      title: task.title,
      agentType,
      provider: agent.provider,
      attempt: claim.attempt,
      startedAt: now,
      route,
      controller: new AbortController(),
      done: Promise.resolve(),
    };
    this.running.add(rt);
    this.leases.hold(taskId);
    this.events.emit('task:started', { taskId, agentType, provider: agent.provider, attempt: claim.attempt, route, dispatchLatencyMs, queuedMs });
    this.log(
      'started',
      `${taskId} started on ${agentType} (${agent.provider}${agent.simulated ? ', simulated' : ''}), attempt ${claim.attempt}; ${route.reason}`,
      taskId,
    );

    // Admission counted this attempt in `running`: it starts now, no second queue between (see attemptSlots.ts).
    const committed = this.pass?.committed;
    const attempted = claim.attempted;
    rt.done = launchAttempt(this.launchHost, rt, { task, agent, route, verify, probe, startedAt: now, dispatchLatencyMs, committed, attempted }, (report) =>
      this.settle(rt, report),
    ).catch((e: unknown) => this.log('info', `settling ${taskId} attempt ${claim.attempt} threw: ${errorMessage(e)}`, taskId));
    return true;
  }

  private cwd(): string {
    return this.config.cwd ?? this.opts.cwd;
  }

  /** An attempt's running spend: one that takes its task over budget is stopped (its process tree killed). */
  private onSpend(rt: LaunchedAttempt, spent: AgentSpend): void {
    if (rt.controller.signal.aborted) return;
    const usd = attemptSpendOf(spent, this.config.prices).costUsd;
    if (usd === undefined) return;
    const over = this.opts.limits?.overBudget(rt.taskId, usd);
    if (over === undefined) return;
    rt.stop = 'budget';
    rt.controller.abort(new StopReason('budget', over));
  }

  /** `attempted`: the claim found attempt rows of the task (Claim.attempted); without any there is nothing to read. */
  private taskInput(task: TaskNode, agentType: string, attempt: number, cwd: string, attempted: boolean): AgentTaskInput {
    return agentTaskInput(this.mustPlan(), task, {
      agentType,
      attempt,
      cwd,
      summaryOf: (id) => this.summaries.get(id),
      attempts: attempted ? this.store.attempts(task.id, RETRY_CONTEXT_ATTEMPTS) : [],
      note: this.gateDecisions.takeNote(task.id),
    });
  }

  // ---- settling an attempt ------------------------------------------------------------------------------------

  /**
   * Records the attempt's end, finishes the claim and decides what happens next. Runs once per started attempt. The
   * settlement lands in the database now, or later when it takes writes again (resultWriter.ts); until then the task
   * counts as busy, so the run neither ends nor reports a stall, and dependents start only once it has landed.
   */
  private settle(rt: RunningTask, report: AttemptReport): void {
    // While an attempt settles, its task is in no set (no longer running, not yet back in the lanes): a state change
    // made on the way (the provider pause of a rate limit) MUST NOT report the run idle.
    this.settling++;
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      this.settling--;
      this.checkIdle();
    };
    try {
      this.settleAttempt(rt, report, done);
    } catch (e) {
      done();
      throw e;
    }
  }

  private settleAttempt(rt: RunningTask, report: AttemptReport, done: () => void): void {
    const taskId = rt.taskId;
    this.startableSince = performance.now(); // a slot frees
    this.running.delete(taskId);
    this.leases.release(taskId);
    const { rec, recorded, after } = this.settler.settle(rt, report);
    this.finishClaim(rec, recorded, after, done);
    this.dispatch();
  }

  /**
   * Writes the settlement (resultWriter.ts), then `recorded` (events about the attempt), then the in-memory status
   * change and `after` (events about the task), then `done`; handles a lost lease. Runs now, or when the database
   * takes the write.
   */
  private finishClaim(rec: SettleRecord, recorded: (held: boolean) => void, after: () => void, done: () => void = () => undefined): void {
    const { taskId, finish } = rec;
    if (this.gate.blocked)
      this.log('info', `${taskId}: its result waits for the database (kept in the result journal) and is recorded when it takes writes`, taskId);
    this.results.write(rec, (held) => {
      try {
        recorded(held);
        if (!held) {
          // The lease is gone (recovered by another start, or a person changed the task): the db has the truth.
          this.log('info', `${taskId}: the lease was lost before the attempt ended; its result was not recorded`, taskId);
          this.refreshFromStore(taskId);
          return;
        }
        // A result waiting for approval (blocked) is what its dependents get told about once it is approved.
        if ((finish.status === 'completed' || finish.status === 'blocked') && finish.resultSummary !== undefined)
          this.summaries.set(taskId, finish.resultSummary);
        this.applyStatus(taskId, finish.status);
        after();
      } finally {
        done();
        this.dispatch();
      }
    });
  }

  /** A claim met a database that takes no writes: `taskId` waits in the lanes, dispatch resumes at the gate's retry. */
  private waitForDb(taskId: string): void {
    this.enqueue(taskId);
    this.awaitDb();
  }

  /** Dispatch pauses until the gate's retry finds the database taking writes. */
  private awaitDb(): void {
    if (this.waitingForDb) return;
    this.waitingForDb = true;
    this.gate.whenFree(() => {
      this.waitingForDb = false;
      this.dispatch();
    });
  }

  /** A retry's backoff is over (BackoffTimers forgot it first): the task queues again if it is still ready. */
  private onBackoffOver(taskId: string): void {
    if (this.plan?.has(taskId) && this.plan.graph.isReady(taskId)) this.enqueue(taskId);
    this.dispatch();
  }

  /** Applies a status in memory: graph, ready lanes, events, checkpoints. */
  private applyStatus(taskId: string, status: TaskStatus): void {
    const plan = this.plan;
    if (!plan?.has(taskId)) return;
    const change = plan.setStatus(taskId, status);
    if (status !== 'pending') {
      this.lanes.remove(taskId);
      this.readySince.delete(taskId);
    }
    for (const id of change.nowReady) this.enqueue(id);
    if (change.previous !== status) this.events.emit('task:statusChanged', { taskId, status, previous: change.previous });
    for (const g of change.completedGroups) {
      this.events.emit('checkpoint:reached', g);
      this.log('info', `${g.kind} ${g.id} "${g.title}" completed`);
      if (g.kind === 'feature' && plan.graph.featureGateWaiting(g.id)) this.gateDecisions.featureWaiting(g.id, g.title);
    }
  }

  /** Re-reads one task's status from the store after a refused claim or a lost lease. */
  private refreshFromStore(taskId: string): void {
    const rt = this.store.runtimes().get(taskId);
    if (!rt || !this.plan?.has(taskId)) {
      this.lanes.remove(taskId);
      return;
    }
    if (rt.status === 'in_progress' && !this.running.has(taskId)) {
      // Held by someone else's lease; it comes back through recover() if that owner is dead.
      this.lanes.remove(taskId);
    }
    this.applyStatus(taskId, rt.status);
  }

  // ---- housekeeping -------------------------------------------------------------------------------------------

  private allSettled(): Promise<void> {
    return Promise.all([...this.running.values()].map((r) => r.done)).then(() => undefined);
  }

  private checkIdle(): void {
    this.idleness.check();
  }

  private stallMessage(): string {
    const plan = this.mustPlan();
    return stallMessage(this.stalls(), plan.idsWithStatus(FAILED_BY_ITSELF), plan.idsWithStatus(IN_PROGRESS), plan.openCount());
  }

  private setState(s: OrchestrationState): void {
    if (this.current === s) return;
    this.current = s;
    this.idleness.resync();
    this.emitState();
  }

  private emitState(): void {
    const pausedFor = this.pauseReason();
    this.events.emit('state:changed', { state: this.state(), breakers: this.gates.states(), ...(pausedFor !== undefined ? { pausedFor } : {}) });
  }

  private log(kind: ActivityEntry['kind'], message: string, taskId?: string): void {
    this.activityLog.note(kind, this.redact(message), taskId);
  }
}

/** The attempt limits of a configuration. */
function slotLimitsOf(config: OrchestratorConfig): SlotLimits {
  return { maxConcurrent: config.maxConcurrentAgents, maxPerType: config.agentLimits.maxPerType };
}
