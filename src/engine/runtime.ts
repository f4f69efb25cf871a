// The engine, composed: database + store, sync (+ file watcher), orchestrator, metrics and config reload, behind the
// EngineApi that every front door uses (the editor's stdio connection, the control socket, the CLI in-process).
// This file only wires parts together; each part owns its own behaviour.
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { WriteIds } from '../core/ids';
import type { Diagnostic, TaskStatus } from '../core/model';
import type {
  AcceptReviewResult,
  ApplyEditsParams,
  AttemptView,
  ControlResult,
  DocumentChangedParams,
  ListReviewsResult,
  MarkTaskParams,
  RejectReviewParams,
  RejectReviewResult,
  RunTaskParams,
  RunTaskResult,
  ShowReviewParams,
  ShowReviewResult,
  SyncResult,
} from '../protocol/engineProtocol';
import type { EngineSettings } from '../protocol/engineSettings';
import type { KpiView, LastRunView, MetricsView, PlanCounts, PlanSnapshot, StallView, TaskView } from '../protocol/views';
import type { Agent } from './agents/agent';
import { createAgentResolver, isSimulated } from './agentResolver';
import { loadConfig, routingConfigOf, type OrchestratorConfig } from './config';
import { mergeSettings } from './config/settings';
import { describeOpen, openDatabase, type DatabaseHandle } from './db/database';
import { BackupTimer } from './db/backupTimer';
import { TaskStore } from './db/taskStore';
import { DbGate } from './db/dbGate';
import { ResultJournal, resultJournalPath } from './db/resultJournal';
import { recoverInPlaceWrite, removeStaleTemps } from './sync/atomicWrite';
import { retryWhileBlocked } from './db/retryBlocked';
import { ResultWriter, replayResults } from './resultWriter';
import type { EditApplier, EngineApi, EngineEvents } from './engineApi';
import { createGitCheckpoint } from './checkpoint';
import { computeKpis } from './kpis';
import type { Logger } from './logger';
import { EngineMetrics, startMetricsServer, type MetricsServer } from './metrics';
import { Orchestrator } from './orchestrator';
import { planWritePendingPath, type EnginePaths } from './paths';
import { acquirePlanLock } from './planLock';
import type { LockHandle } from './db/lockFile';
import { buildPlanModel, featureDone, groupProgress, groupViews, planCounts, taskView, type PlanModel } from './planView';
import { createRedactor, secretEnvValues } from './redact';
import { agentEnv, describeSandbox, enginePolicy, sandboxSupport, type SandboxPolicy } from './agents/sandbox';
import { notifyEngineEvents } from './notify/engineNotifications';
import { Notifier } from './notify/notifier';
import { markedProcesses, stopProcesses } from './agents/orphans';
import { TrustGuard } from './trustGuard';
import { SpendControl } from './spend/spendControl';
import { GateLog } from './spend/gateLog';
import { decideGate, gatesView } from './spend/gates';
import type { GateDecision, GateDecisionParams, GateDecisionResult } from '../protocol/gates';
import { SyncService, type SyncOutcome } from './sync/syncService';
import { RetryTimer } from './retryTimer';
import { TaskListWatcher } from './sync/watcher';
import { DbChangePoller } from './sync/dbChangePoller';
import { TypedEmitter } from '../core/typedEmitter';
import { errorMessage } from '../core/describe';
import { formatWhen, remainingOf, truncate } from '../protocol/presentation';
import { ActivityLog, SNAPSHOT_ACTIVITY } from './activityLog';
import { ChangeCoalescer } from './coalesce';
import type { OrchestratorSnapshot } from './ports';
import { WriteBackScheduler } from './writeBack';
import { attemptIsolation, openIsolation } from './isolation/engineIsolation';
import type { TaskIsolation } from './isolation/taskIsolation';
import { ReviewDesk } from './isolation/reviewDesk';

/** Days heartbeat rows stay in orchestrator_state (7 days at the plan's 30 s interval: about 20,000 rows). */
export const HEARTBEAT_RETENTION_DAYS = 7;

/** Options of EngineRuntime.open. */

export interface RuntimeOptions {
  paths: EnginePaths;
  /** orchestrator config file; default `<root>/.coditect/config.json` when it exists. */
  configPath?: string;
  /** Editor settings merged over the config file. */
  settings?: EngineSettings;
  /** Untrusted workspace: show the plan, run nothing. */
  readOnly?: boolean;
  /**
   * With `readOnly`: still open the task worktrees' records and git, read-only (the CLI's `review list|show` when no
   * engine runs): nothing lands, nothing is cleaned, no verdict is taken. Default false (an untrusted workspace runs no git).
   */
  inspectIsolation?: boolean;
  /** Watch the task list (and the config file) for changes on disk. */
  watch: boolean;
  /** Environment of agents (secrets included; never logged). */
  env: Record<string, string | undefined>;
  logger: Logger;
  engineVersion: string;
  /** `--agent`: run every agent type on this agent. */
  agentOverride?: string;
  /** `--profile`: config profile (dev, staging, prod…); wins over CODITECT_PROFILE and the file's `profile`. */
  profile?: string;
  /** `--concurrency`: global maximum of concurrent agents. */
  concurrency?: number;
  /** Metrics port (0 = off); default from the config. Only used with `serveMetrics`. */
  metricsPort?: number;
  /** Serve /metrics over HTTP (daemon: yes). */
  serveMetrics?: boolean;
  /** Write every activity entry (started, completed, failed, retry…) to the log: the daemon's file, the editor's output. */
  logActivity?: boolean;
  /** The clock (epoch ms) of the runtime, its sync and its orchestrator. Default Date.now. */
  now?: () => number;
}

/** Most characters of an attempt's summary a task view carries (the log has all of it). */
const LAST_RUN_SUMMARY_CHARS = 400;
/** Least time between two markdown write-backs while tasks finish quickly (each one re-reads the file). */
const WRITE_BACK_INTERVAL_MS = 200;
/** Throughput samples kept for the chart: one a minute while idle (12 h), one per THROUGHPUT_ACTIVE_MS while tasks finish. */
const THROUGHPUT_SAMPLES = 720;
/**
 * Least time between two throughput samples while tasks finish. The chart's series is the engine's (every metrics
 * refresh replaces the page's own): sampled only once a minute, a run of a few minutes drew two or three points.
 */
const THROUGHPUT_ACTIVE_MS = 5_000;
/**
 * Longest wait for the attached editor to apply a write-back's edits (`coditect/applyEdits`: one WorkspaceEdit and,
 * for a clean document, a save) before the engine writes the file itself. An editor answers in milliseconds; one that
 * never answers held the sync queue, so every later write-back waited behind it and the plan's ticks stayed stale
 * for minutes (#15, 2 integration runs in 8). Well past a loaded extension host's answer, because falling back early
 * has a cost: the file is written while the editor still shows the text from before, and a text the editor sends
 * before it reloads reads as a person unticking what the engine just ticked. With 5 s, one integration run at load 9
 * (3.6x slower than usual) lost a tick this way, most likely (not confirmed); 10 s still shows the tick within seconds.
 */
export const EDITOR_APPLY_TIMEOUT_MS = 10_000;

/** The running engine for one task list. */
/** engine_state key of the providers' usage-limit pauses: provider → { until (epoch ms), reason }. */
const PROVIDER_PAUSES_KEY = 'provider_pauses';
type StoredPauses = Record<string, { until: number; reason: string }>;

export class EngineRuntime implements EngineApi {
  private readonly events = new TypedEmitter<EngineEvents>();
  private model!: PlanModel;
  private readonly lastRuns = new Map<string, LastRunView | null>();
  private editApplier?: EditApplier;
  /** An applyEdits request the editor has not answered within EDITOR_APPLY_TIMEOUT_MS (the file is written meanwhile). */
  private editorUnanswered?: Promise<unknown>;
  private settings?: EngineSettings;
  private config: OrchestratorConfig;
  /** The clock (RuntimeOptions.now). */
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly finished = { completed: 0, failed: 0, totalMs: 0 };
  /** Epoch ms of each completion in the last hour: tasks/hour is counted over it, never extrapolated. */
  private readonly completedAt: number[] = [];
  private readonly throughput: MetricsView['throughput'] = [];
  private throughputTimer?: NodeJS.Timeout;
  /** A sample due THROUGHPUT_ACTIVE_MS after the last one, set when the counts moved since. */
  private throughputSoon?: NodeJS.Timeout;
  private throughputSampledAt = 0;
  private heartbeatTimer?: NodeJS.Timeout;
  private backups?: BackupTimer;
  /** A burst of task changes reaches the views as one `tasks:changed` (coalesce.ts). */
  private readonly changes = new ChangeCoalescer((ids) => this.flushChanges(ids));
  /** Statuses reach the markdown once per burst, one write at a time (writeBack.ts). */
  private readonly writeBack = new WriteBackScheduler(
    async () => this.recordSync(await this.sync.writeBack()),
    (e) => {
      // A database that takes no writes for now: written back when it does (the statuses are in memory and the db).
      if (this.gate.failed(e)) this.gate.whenFree(() => this.scheduleWriteBack());
      else this.opts.logger.error(`writing statuses back to ${this.opts.paths.tasklistPath} failed: ${errorMessage(e)}`);
    },
    () => this.closing !== undefined,
    WRITE_BACK_INTERVAL_MS,
  );
  /** Writes the statuses back again, with backoff, while the task list cannot be written (see noteMarkdownWrite). */
  private readonly markdownRetry = new RetryTimer({ initialMs: 1000, maxMs: 30_000, onFire: () => this.scheduleWriteBack() });
  /**
   * Why the task list on disk shows older statuses than the database (its last write failed: read-only, full disk,
   * gone), or undefined when it shows them all. `coditect run` ends with an error and exit 1 while it is set.
   */
  markdownFault?: string;
  private metricsServer?: MetricsServer;
  private watcher?: TaskListWatcher;
  private dbPoller?: DbChangePoller;
  private configWatcher?: FSWatcher;
  private closing?: Promise<void>;
  private readonly disposers: (() => void)[] = [];
  /** The cost ledger and budgets (docs/costs-and-gates.md). */
  private readonly spend: SpendControl;
  /** The audit trail of gate decisions (docs/costs-and-gates.md#gates). */
  private readonly gateLog: GateLog;
  private readonly redactNote: (text: string) => string;
  /** notify.webhook / notify.command: a person hears when the engine needs them or is done. */
  private readonly notifier: Notifier;
  /** What the sync done while opening changed (the CLI's `sync` reports it: opening is usually the sync). */
  openSync?: SyncResult;

  /** A person's verdicts on task branches (the review requests). */
  private readonly reviewDesk: ReviewDesk;

  private constructor(
    private readonly opts: RuntimeOptions,
    private readonly handle: DatabaseHandle,
    private readonly store: TaskStore,
    private readonly sync: SyncService,
    private readonly orchestrator: Orchestrator,
    private readonly metrics: EngineMetrics,
    private readonly baseConfig: OrchestratorConfig,
    readonly owner: string,
    private readonly gate: DbGate,
    private readonly results: ResultWriter,
    /** Per-task worktrees and the merge queue; undefined when agents work in the shared tree. */
    readonly isolation?: TaskIsolation,
    /** The task list's one-engine lock (planLock.ts); undefined for a read-only engine. */
    private readonly planLock?: LockHandle,
  ) {
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
    this.settings = opts.settings;
    this.config = orchestratorConfigOf(baseConfig, opts.settings, opts);
    this.reviewDesk = new ReviewDesk({
      isolation,
      readOnly: opts.readOnly ? 'this engine is read-only (an untrusted workspace, or a reading command): no review is accepted or rejected' : undefined,
      status: (id) => (this.model?.byId.has(id) ? this.store.runtime(id)?.status : undefined),
      setStatus: async (id, status) => void (await this.orchestrator.markTask(id, status)),
      retry: (id) => this.orchestrator.retry(id),
    });
    this.spend = new SpendControl({
      db: handle.db,
      epicOf: (id) => this.model?.byId.get(id)?.epicId,
      budget: () => this.config.budget,
      pauseAfter: () => this.config.pauseAfter,
      featureOf: (id) => {
        const fid = this.model?.byId.get(id)?.featureId;
        const f = fid ? this.model.list.features.find((x) => x.id === fid) : undefined;
        return f ? { id: f.id, title: f.title } : undefined;
      },
      featureDone: (fid, alsoDone) => featureDone(this.model, fid, alsoDone),
    });
    this.gateLog = new GateLog(handle.db);
    this.redactNote = createRedactor(secretEnvValues(opts.env));
    this.notifier = new Notifier({
      config: () => this.config.notify,
      plan: opts.paths.tasklistPath,
      cwd: opts.paths.workspaceRoot,
      // The person's own command, but it gets no more of the engine's environment than an agent does (no keys).
      env: agentEnv(opts.env),
      redact: this.redactNote,
      warn: (message) => {
        opts.logger.warn(message);
        this.events.emit('log:message', { level: 'warn', message });
      },
    });
    const cwd = this.config.cwd ?? opts.paths.workspaceRoot;
    this.guard = new TrustGuard(
      { dbPath: opts.paths.dbPath, configPath: baseConfig.source, gitDirs: [...new Set([join(opts.paths.workspaceRoot, '.git'), join(cwd, '.git')])] },
      () => this.config.sandbox.mode !== 'off' && sandboxSupport().available,
    );
  }

  /** Opens the database (taking the single-writer lock), syncs the task list, recovers leases of a dead engine. */
  static async open(opts: RuntimeOptions): Promise<EngineRuntime> {
    const { paths } = opts;
    const configPath = opts.configPath ?? paths.defaultConfigPaths.find((f) => existsSync(f));
    const baseConfig = loadConfig(configPath, { env: opts.env, baseDir: paths.workspaceRoot, profile: opts.profile });
    const config = orchestratorConfigOf(baseConfig, opts.settings, opts);
    const redact = createRedactor(secretEnvValues(opts.env));
    const handle = openDatabase(paths.dbPath);
    const parts: { close(): unknown }[] = [handle];
    try {
      // After the database's lock (a second engine on the same db is told about that one first): the plan's own.
      const planLock = opts.readOnly ? undefined : acquirePlanLock(paths.tasklistPath, handle.path);
      if (planLock) parts.push({ close: () => planLock.release() });
      for (const line of describeOpen(handle)) opts.logger.info(line);
      const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
      const store = new TaskStore(handle, { redact, runId: owner });
      let runtime: EngineRuntime | undefined;
      // Results a previous engine could not write (the database was locked or full when it stopped): written first,
      // so a task that finished is never recovered as unfinished and run again.
      const journal = new ResultJournal(resultJournalPath(handle.path));
      for (const line of journal.unreadable) opts.logger.error(`result journal: unreadable record ${line}`);
      if (journal.size > 0) {
        const r = replayResults(store, journal);
        if (r.written.length)
          opts.logger.warn(`wrote ${r.written.length} result(s) a previous engine kept while the database took no writes: ${r.written.join(', ')}`);
        if (r.discarded.length) opts.logger.warn(`discarded ${r.discarded.length} kept result(s) whose task changed meanwhile: ${r.discarded.join(', ')}`);
      }
      const noReserve = opts.readOnly ? undefined : journal.reserve();
      if (noReserve !== undefined) opts.logger.warn(`no disk space reserved for finished results (${noReserve}): on a full disk they may wait in memory only`);
      if (!opts.readOnly)
        for (const tmp of removeStaleTemps(paths.tasklistPath)) opts.logger.info(`removed ${tmp}, left by a write of the task list that was killed`);
      // A plan write the previous engine was making in place when it stopped: finished before anything reads the plan.
      const recovered = recoverInPlaceWrite(planWritePendingPath(handle.path));
      if (recovered.kind === 'restored')
        opts.logger.warn(`finished a write of ${recovered.target} that a stopped engine began; the file as it was is kept at ${recovered.keptAt}`);
      if (recovered.kind === 'unreadable') opts.logger.error(`an interrupted plan write could not be read; kept at ${recovered.keptAt}`);
      const gate = new DbGate({
        db: handle.db,
        path: handle.path,
        onBlocked: (_fault, message) => runtime?.dbBlocked(message),
        onFree: (ms) => runtime?.dbFree(ms),
      });
      parts.push(gate);
      const results = new ResultWriter({ store, gate, journal, warn: (m) => opts.logger.warn(redact(m)) });
      const sync = new SyncService({
        handle,
        store,
        tasklistPath: paths.tasklistPath,
        now: opts.now,
        readOnly: opts.readOnly === true,
        writeIds: baseConfig.sync.write_ids as WriteIds | undefined,
        criteriaHeadings: baseConfig.sync.criteria_headings,
        maxRetries: baseConfig.sync.max_retries,
        // A sandboxed agent's read-only view of the plan is a bind mount that a rename would lift (atomicWrite.ts).
        writeInPlace: () => (runtime?.config ?? config).sandbox.mode !== 'off' && sandboxSupport().available,
        pendingWritePath: planWritePendingPath(handle.path),
      });
      const metrics = new EngineMetrics();
      const isolation =
        opts.readOnly && !opts.inspectIsolation
          ? undefined
          : await openIsolation(opts, config, baseConfig.source, store, redact, (m, id) => runtime?.isolationLog(m, id));
      if (isolation) parts.push({ close: () => void isolation.close() });
      const orchestrator = new Orchestrator({
        store,
        config,
        owner,
        now: opts.now,
        cwd: config.cwd ?? paths.workspaceRoot,
        env: opts.env,
        redact,
        agentFor: (agentType) => runtime!.agentFor(agentType),
        sandbox: (cwd) => runtime!.sandboxPolicy(cwd),
        verifyFor: (taskId, text) => runtime!.guard.verifyFor(taskId, text),
        attemptGuard: (simulated) => runtime!.attemptGuard(simulated),
        isolation: isolation ? attemptIsolation(isolation, () => runtime?.config.isolation ?? config.isolation) : undefined,
        gate,
        results,
        limits: {
          globalHold: () => runtime?.spend.limits.globalHold(),
          taskHold: (id) => runtime?.spend.limits.taskHold(id),
          overBudget: (id, usd) => runtime?.spend.limits.overBudget(id, usd),
        },
      });
      runtime = new EngineRuntime(opts, handle, store, sync, orchestrator, metrics, baseConfig, owner, gate, results, isolation, planLock);
      await runtime.init();
      return runtime;
    } catch (e) {
      for (const p of parts) {
        try {
          p.close();
        } catch {
          // the first error is the one worth reporting
        }
      }
      throw e;
    }
  }

  private async init(): Promise<void> {
    const { logger, paths } = this.opts;
    for (const w of this.baseConfig.warnings ?? []) logger.warn(`config: ${w}`);
    const sandboxNote = describeSandbox(this.config.sandbox.mode);
    if (sandboxNote.level === 'info') logger.info(sandboxNote.message);
    else logger[sandboxNote.level](sandboxNote.message);
    // Another program may hold the database's write lock for a while: the plan's retry with backoff, at most 5 times.
    const first = await retryWhileBlocked(() => this.sync.syncFromDisk(), { dbPath: this.handle.path, onRetry: (m) => logger.warn(m) });
    this.openSync = { applied: first.applied, direction: first.direction, conflicts: first.conflicts, diagnostics: first.diagnostics };
    this.metrics.recordSync(first.direction ?? 'none', first.applied ? 'applied' : 'noop');
    this.noteMarkdownWrite(first);
    this.noteOlderCopy(first);
    this.metrics.setAlertThresholds({ failureRate: this.config.metrics.alert_on_failure_rate });
    this.metrics.setKpiSource(() => this.kpis());
    if (first.applied) this.exportAfterSync();
    this.orchestrator.setPlan(this.sync.current());
    // The plan as it is when the engine starts is the person's: its Verify lines are the engine-held copy.
    this.guard.trustPlan(this.sync.current());
    // Agents a crashed engine left running would do their tasks again beside the new attempts: stopped first.
    await this.stopOrphanedAgents();
    this.restoreProviderPauses();
    const recovered = this.orchestrator.recover();
    if (recovered.length) logger.warn(`recovered ${recovered.length} task(s) left in progress by a previous engine: ${recovered.join(', ')}`);
    if (this.isolation && !this.opts.readOnly) await this.recoverLandings(recovered);
    this.rebuildModel();
    const every = this.config.checkpoint.intervalTasks;
    if (every > 0) this.checkpointedAt = Math.floor(planCounts(this.model).completed / every) * every;
    this.wire();
    if (this.opts.watch && this.config.sync.enabled) {
      this.watcher = new TaskListWatcher({
        path: paths.tasklistPath,
        debounceMs: this.config.sync.debounce_ms,
        onChange: () => this.syncDisk(),
        onError: (e) => logger.error(`watcher: ${e.message}`),
        // The engine's own atomic writes are not changes to sync back.
        expectedChecksum: () => this.sync.lastFileChecksum(),
      });
      await this.watcher.ready();
      this.pollDatabase();
      const cfg = this.baseConfig.source;
      if (cfg) {
        // chokidar, not fs.watch: editors that save by renaming a temp file over the config (vim) keep being seen.
        this.configWatcher = chokidarWatch(cfg, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 } });
        this.configWatcher.on('change', () => this.reloadConfig());
        this.configWatcher.on('add', () => this.reloadConfig());
        this.configWatcher.on('error', (e) => logger.warn(`cannot watch config ${cfg}: ${errorMessage(e)}`));
        // Until chokidar's first scan is done a change goes unseen: a config written right after open was never reloaded (nor refused).
        const watcher = this.configWatcher;
        await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
      }
    }
    // `--metrics-port 0` turns metrics off; the config's `metrics.port: 0` picks any free port.
    const port = this.opts.metricsPort ?? this.config.metrics.port;
    // Served by default in daemon mode (serveMetrics); anywhere (the editor's engine too) when the config enables it.
    const wanted = this.config.metrics.enabled ?? this.opts.serveMetrics === true;
    const serve = wanted && this.opts.metricsPort !== 0;
    if (serve) {
      this.metricsServer = await startMetricsServer(this.metrics, port, this.config.metrics.host);
      logger.info(`metrics on http://${this.config.metrics.host}:${this.metricsServer.port}/metrics`);
    }
    this.sampleThroughput();
    this.throughputTimer = setInterval(() => this.sampleThroughput(), 60_000);
    this.throughputTimer.unref();
    // The plan's health check: a heartbeat row in orchestrator_state every health_check_interval (0: none).
    if (this.config.healthCheckIntervalMs > 0 && !this.opts.readOnly) {
      this.heartbeat();
      this.heartbeatTimer = setInterval(() => this.heartbeat(), this.config.healthCheckIntervalMs);
      this.heartbeatTimer.unref();
    }
    // The plan's automatic backups: only an engine that stays up and writes (daemon, run, sync --watch, the editor's).
    if (this.opts.watch && !this.opts.readOnly) this.scheduleBackups();
    logger.info(
      `engine ${this.opts.engineVersion} opened ${paths.tasklistPath} (${this.model.list.tasks.length} tasks, db ${paths.dbPath})${this.simulated() ? ' — agents are SIMULATED (dry-run)' : ''}`,
    );
  }

  // ---- wiring ---------------------------------------------------------------------------------------------------

  private wire(): void {
    const o = this.orchestrator;
    const log = this.opts.logger;
    this.disposers.push(
      this.sync.on('plan:synced', (e) => {
        // Verify lines that changed while an unsandboxed agent could write the plan are not trusted (trustGuard.ts).
        const held = this.guard.observePlan(e.list);
        const fresh = held.filter((id) => !this.heldVerify.has(id));
        this.heldVerify = new Set(held);
        if (fresh.length) {
          const msg = `Verify lines of ${fresh.join(', ')} changed while an unsandboxed agent could write the plan: they are not run until you review them and run \`coditect sync\` (or restart the engine)`;
          log.warn(msg);
          this.events.emit('log:message', { level: 'warn', message: msg });
        }
        const r = e.result;
        // A write-back of the engine's own statuses changes no structure: the running plan stays as it is.
        const structural =
          r.source === 'editor' || r.tasksAdded + r.tasksUpdated + r.tasksArchived + r.tasksRestored + r.statusesToDb + r.idsAssigned > 0 || r.conflicts > 0;
        if (!structural) return;
        this.orchestrator.setPlan(e.list);
        this.rebuildModel();
        this.events.emit('plan:changed', { snapshot: this.snapshot() });
        this.events.emit('diagnostics:published', { path: this.opts.paths.tasklistPath, diagnostics: this.diagnostics() });
      }),
      this.sync.on('sync:conflict', (e) => {
        this.activity.note('conflict', e.message, e.taskId);
        log.warn(`sync conflict on ${e.taskId}: ${e.message}`);
      }),
      o.on('task:statusChanged', (e) => {
        this.onStatus(e.taskId, e.status);
        this.scheduleWriteBack();
      }),
      this.metrics.attach(o),
      this.spend.attach(o),
      notifyEngineEvents(
        o,
        (e) => {
          this.notifier.send(e);
          this.events.emit('attention:needed', { ...e, message: this.redactNote(e.message) });
        },
        {
          done: () => {
            const c = planCounts(this.model);
            return c.total > 0 && c.done === c.total ? { total: c.total } : undefined;
          },
          stalls: () => o.stalls().map((st) => st.text),
        },
      ),
      o.on('attempt:finished', (e) => {
        this.lastRuns.delete(e.taskId);
        if (e.outcome === 'completed') {
          this.finished.completed++;
          this.finished.totalMs += e.durationMs;
          this.completedAt.push(this.now());
        } else if (e.outcome !== 'released' && e.outcome !== 'cancelled') this.finished.failed++;
        this.markChanged(e.taskId);
      }),
      o.on('state:changed', (e) => this.events.emit('state:changed', e)),
      o.on('activity:appended', (e) => {
        if (this.opts.logActivity) for (const a of e.entries) log.info(`${a.kind} ${a.taskId ?? '-'}: ${a.message}`);
        this.events.emit('activity:appended', e);
      }),
      o.on('checkpoint:reached', (g) => this.checkpoint(g)),
      o.on('provider:paused', (p) => this.keepProviderPause(p)),
    );
  }

  /** Usage-limit pauses still running when a previous engine stopped: this one waits for the same reset. */
  private restoreProviderPauses(): void {
    const now = this.now();
    for (const [provider, p] of Object.entries(this.store.getState<StoredPauses>(PROVIDER_PAUSES_KEY) ?? {})) {
      if (typeof p?.until !== 'number' || p.until <= now) continue;
      this.orchestrator.pauseProvider(provider, p.until, String(p.reason));
      this.opts.logger.info(`provider ${provider} paused until ${formatWhen(p.until, now)} (${String(p.reason)}), as a previous run recorded`);
    }
  }

  /** Records a usage-limit pause (the ones over are dropped), so a restarted engine keeps it. */
  private keepProviderPause(p: { provider: string; until: number; reason: string }): void {
    const now = this.now();
    const kept: StoredPauses = {};
    for (const [k, v] of Object.entries(this.store.getState<StoredPauses>(PROVIDER_PAUSES_KEY) ?? {})) if (v.until > now) kept[k] = v;
    kept[p.provider] = { until: p.until, reason: p.reason };
    try {
      if (!this.opts.readOnly) this.store.setState(PROVIDER_PAUSES_KEY, kept);
    } catch (e) {
      this.opts.logger.warn(`the pause of ${p.provider} was not recorded: ${errorMessage(e)}`);
    }
    const msg = `provider ${p.provider} paused until ${formatWhen(p.until, now)} (${p.reason}); its tasks wait, other providers go on`;
    this.opts.logger.warn(msg);
    this.events.emit('log:message', { level: 'warn', message: msg });
  }

  private onStatus(taskId: string, status: TaskStatus): void {
    if (!this.model.byId.has(taskId)) return;
    const previous = this.model.statuses.get(taskId);
    this.model.statuses.set(taskId, status);
    this.model.graph.setStatus(taskId, status);
    this.markChanged(taskId);
    // A failure (or a reset) blocks (or frees) everything downstream at once: those rows change too.
    for (const id of this.model.graph.takeBlockedChanges()) this.markChanged(id);
    // Readiness of dependents follows the dependency's status.
    if (previous === 'completed' || status === 'completed' || previous === 'skipped' || status === 'skipped') {
      for (const e of this.model.graph.dependentsOf(taskId)) this.markChanged(e.from);
    }
    if (status === 'completed' && previous !== 'completed') this.checkpointEvery();
  }

  /**
   * The plan's `checkpoint_interval_tasks`: a checkpoint row (milestone `tasks-<n>`) each time the plan's completed
   * count reaches a new multiple of the interval, counted over the whole plan so a restart neither repeats nor skips one.
   */
  private checkpointEvery(): void {
    const n = this.config.checkpoint.intervalTasks;
    if (n <= 0 || this.opts.readOnly) return;
    const completed = planCounts(this.model).completed;
    const reached = Math.floor(completed / n) * n;
    if (reached === 0 || reached <= this.checkpointedAt) return;
    this.checkpointedAt = reached;
    this.checkpoint({ kind: 'tasks', id: `tasks-${reached}`, title: `${reached} tasks completed` });
  }
  /** Completed count of the last interval checkpoint (set at open, so the count the plan already had is not one). */
  private checkpointedAt = 0;

  private markChanged(taskId: string): void {
    this.changes.add(taskId);
  }

  private flushChanges(ids: string[]): void {
    if (this.closing) return;
    // Only the changed rows: re-reading every task's row on each burst would put a full table scan on the hot path.
    for (const id of ids) {
      const rt = this.store.runtime(id);
      if (rt) this.model.runtimes.set(id, rt);
      else this.model.runtimes.delete(id);
    }
    const tasks = ids.filter((id) => this.model.byId.has(id)).map((id) => this.view(id));
    const counts = planCounts(this.model);
    this.events.emit('tasks:changed', { tasks, counts, groups: groupProgress(this.model, ids), removed: [] });
    this.sampleThroughputSoon(counts);
  }

  /** While the counts move, samples the throughput at most every THROUGHPUT_ACTIVE_MS (the last move included). */
  private sampleThroughputSoon(c: PlanCounts): void {
    const last = this.throughput[this.throughput.length - 1];
    if (this.throughputSoon || this.closing || (last && last.completed === c.done && last.remaining === remainingOf(c))) return;
    const wait = Math.max(0, this.throughputSampledAt + THROUGHPUT_ACTIVE_MS - this.now());
    this.throughputSoon = setTimeout(() => {
      this.throughputSoon = undefined;
      this.sampleThroughput();
    }, wait);
    this.throughputSoon.unref();
  }

  private rebuildModel(): void {
    this.model = buildPlanModel(this.sync.current(), this.store.runtimes(), this.model?.graph, this.config.dispatch.priority_weights);
    this.lastRuns.clear();
  }

  private scheduleWriteBack(): void {
    this.writeBack.request();
  }

  /**
   * Stops the processes a previous engine's attempts left running (found by their mark, agents/orphans.ts), with the
   * kill grace. Only marks of attempt rows in this database written by another run: another workspace's agents, and
   * this run's own, are never touched.
   */
  private async stopOrphanedAgents(): Promise<void> {
    const found = markedProcesses().filter((p) => p.runId !== this.owner && this.store.attemptRun(p.attemptId)?.runId === p.runId);
    if (found.length === 0) return;
    await stopProcesses(found, this.config.timeouts.killGraceMs);
    const named = found.map((p) => {
      const a = this.store.attemptRun(p.attemptId)!;
      return `${a.taskId} attempt ${a.attempt} (pid ${p.pid}${p.command ? ` ${p.command}` : ''})`;
    });
    this.opts.logger.warn(`stopped ${found.length} process(es) a previous engine's agents left running: ${named.join(', ')}`);
  }

  /** A change of the task list on disk: synced now, or again when the database takes writes. */
  private async syncDisk(): Promise<void> {
    try {
      this.recordSync(await this.sync.syncFromDisk());
    } catch (e) {
      if (!this.gate.failed(e)) throw e;
      this.gate.whenFree(() => void this.syncDisk().catch((err: unknown) => this.opts.logger.error(`sync: ${errorMessage(err)}`)));
    }
  }

  /** The database stopped taking writes (DbGate): said as an error everywhere; finished results wait in the journal. */
  dbBlocked(message: string): void {
    const msg = `${message}: engine writes wait and are retried with backoff; finished results are kept in ${resultJournalPath(this.handle.path)} until written`;
    this.opts.logger.error(msg);
    this.events.emit('log:message', { level: 'error', message: msg });
    this.activity.note('info', msg);
  }

  /** The database takes writes again. */
  dbFree(blockedMs: number): void {
    const msg = `database ${this.handle.path} takes writes again after ${Math.round(blockedMs)} ms; waiting writes are done`;
    this.opts.logger.info(msg);
    this.activity.note('info', msg);
  }

  /** Watches context.db for other programs' commits within `sync.watch_interval_ms` (0: not at all); restarted on a config change. */
  private pollDatabase(): void {
    const ms = this.config.sync.watch_interval_ms;
    if (this.dbPoller) {
      if (this.dbPollMs === ms) return;
      const old = this.dbPoller;
      void old.close();
      this.dbPoller = undefined;
    }
    this.dbPollMs = ms;
    if (ms <= 0 || this.closing) return;
    this.dbPoller = new DbChangePoller({
      db: this.handle.db,
      // Twice per interval, so that a commit reaches the markdown within ONE interval, its sync included (the plan's
      // 5 s with `watch_interval: 5`; looking once per interval measured up to 5.2 s). A look is one pragma.
      intervalMs: Math.max(1, Math.floor(ms / 2)),
      onChange: () => this.outsideWrite(),
      onError: (e) => this.opts.logger.error(`database poll: ${e.message}`),
    });
  }
  private dbPollMs?: number;

  /**
   * Another program committed to context.db: its status changes reach the markdown (a sync: they differ from
   * `synced_status`, with or without `updated_at`) and the dispatcher (the plan is re-read from the rows: a task set
   * completed outside frees its dependents, one set back to pending runs again).
   */
  private async outsideWrite(): Promise<void> {
    if (this.closing) return;
    const r = await this.sync.writeBack();
    this.recordSync(r);
    if (this.closing) return;
    // Only a status the engine does not know yet re-plans (an outside write to another table changes nothing here).
    const runtimes = this.store.runtimes();
    const moved = [...this.model.statuses].some(([id, status]) => (runtimes.get(id)?.status ?? status) !== status);
    if (!moved && !r.applied) return;
    this.orchestrator.setPlan(this.sync.current());
    this.rebuildModel();
    this.events.emit('plan:changed', { snapshot: this.snapshot() });
  }

  /**
   * Asks the editor to apply a sync's edits, waiting at most EDITOR_APPLY_TIMEOUT_MS. 'not-open' makes the sync write
   * the file itself, by its own safe path: re-read, merged with what the file says, written only if the file is still
   * the one read (a person's save in between is merged, never overwritten); an unsaved buffer stays the editor's.
   * While an earlier request is unanswered the editor is not asked again: every later write-back goes to the file.
   */
  private async applyEditsInEditor(p: ApplyEditsParams): Promise<{ outcome: 'applied' | 'not-open' | 'stale' }> {
    const applier = this.editApplier;
    if (!applier || this.editorUnanswered) return { outcome: 'not-open' };
    const asked = performance.now();
    const answer = applier(p);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), EDITOR_APPLY_TIMEOUT_MS);
    });
    try {
      const r = await Promise.race([answer, late]);
      if (r !== 'timeout') return r;
    } catch (e) {
      this.opts.logger.warn(`the editor could not apply edits (${errorMessage(e)}); writing the file instead`);
      return { outcome: 'not-open' };
    } finally {
      clearTimeout(timer);
    }
    this.opts.logger.warn(
      `the editor did not apply ${p.edits.length} edit(s) to ${p.path} within ${EDITOR_APPLY_TIMEOUT_MS} ms; ` +
        'writing the file instead, and until it answers',
    );
    const unanswered: Promise<unknown> = answer.then(
      (r) => r.outcome,
      (e: unknown) => errorMessage(e),
    );
    this.editorUnanswered = unanswered;
    void unanswered.then((what) => {
      if (this.editorUnanswered !== unanswered) return;
      this.editorUnanswered = undefined;
      this.opts.logger.info(`the editor answered the edits after ${Math.round((performance.now() - asked) / 1000)} s (${String(what)}); asking it again`);
    });
    return { outcome: 'not-open' };
  }

  private resolver?: (agentType: string) => Agent;

  /** The agent of an agent type; one instance per distinct spec, rebuilt when the config changes. */
  private agentFor(agentType: string): Agent {
    this.resolver ??= createAgentResolver(this.config, { force: this.opts.agentOverride });
    return this.resolver(agentType);
  }

  /** What the engine trusts, guarded against uncontained agents. */
  readonly guard: TrustGuard;
  private configMark = 0;
  private heldVerify = new Set<string>();
  /** Set when the engine stopped itself because something it trusts was destroyed (the CLI exits non-zero). */
  fatalError?: string;

  /** Snapshot when an attempt starts; audit after the agent; a destroyed database stops the engine. */
  private attemptGuard(simulated: boolean): { audit(): string | undefined; end(): void } {
    const ended = this.guard.attemptStarted(simulated);
    const check = this.guard.beginAttempt();
    let audited = false;
    const run = (): string | undefined => {
      audited = true;
      const r = check();
      if (r.databaseDamage) this.fatal(r.databaseDamage);
      return r.tampered;
    };
    return {
      audit: run,
      end: () => {
        ended();
        if (!audited) run();
      },
    };
  }

  /** Stops dispatching for good and says so as an error everywhere (log, editor, CLI exit code). */
  fatal(message: string): void {
    if (this.fatalError) return;
    this.fatalError = message;
    const msg = `engine stopped: ${message}. Nothing more is dispatched; restore the file (backup or git) and restart the engine`;
    this.opts.logger.error(msg);
    this.events.emit('log:message', { level: 'error', message: msg });
    void this.orchestrator.stop(0).catch((e: unknown) => this.opts.logger.error(`stop after a fatal error failed: ${errorMessage(e)}`));
  }

  /** The sandbox of an attempt in `cwd`: what the engine trusts is read-only or hidden (docs/security.md). */
  sandboxPolicy(cwd: string): SandboxPolicy {
    const { paths } = this.opts;
    return enginePolicy({ ...paths, configPath: this.baseConfig.source }, this.config.sandbox, cwd, this.opts.env.HOME);
  }

  private simulated(): boolean {
    try {
      return isSimulated(this.config, this.opts.agentOverride);
    } catch {
      return false;
    }
  }

  private recordSync(r: SyncOutcome): void {
    this.noteMarkdownWrite(r);
    this.noteOlderCopy(r);
    if (!r.applied) return;
    this.metrics.recordSync(r.direction ?? 'unknown', r.conflicts ? 'conflict' : 'applied');
    this.exportAfterSync();
  }

  /**
   * A sync that could not write the task list (sync-write-failed) is said once as an error everywhere and retried
   * with backoff; the first sync after it that leaves nothing unwritten ends the episode. Without this a run whose
   * write-backs all failed ended "completed 5/5" with 0 boxes ticked and exit 0 (#14 item 9).
   */
  private noteMarkdownWrite(r: SyncOutcome): void {
    const failed = r.diagnostics.find((d) => d.code === 'sync-write-failed' && d.severity === 'error');
    if (failed) {
      const first = this.markdownFault === undefined;
      this.markdownFault = failed.message;
      if (first) {
        const msg = failed.message;
        this.opts.logger.error(msg);
        this.events.emit('log:message', { level: 'error', message: msg });
        this.activity.note('sync', msg);
      }
      if (!this.closing) this.markdownRetry.schedule();
    } else if (this.markdownFault !== undefined && !r.pendingWriteBack) {
      this.markdownFault = undefined;
      this.markdownRetry.reset();
      const msg = `${this.opts.paths.tasklistPath} written again: it shows the statuses the engine set`;
      this.opts.logger.info(msg);
      this.activity.note('sync', msg);
    }
  }

  /**
   * Another program wrote an older copy of the task list and the sync kept the tasks it unticked completed
   * (src/core/olderCopy.ts): said as a warning everywhere, since the person may have meant to run them again.
   */
  private noteOlderCopy(r: SyncOutcome): void {
    const d = r.olderCopy.length > 0 ? r.diagnostics.find((x) => x.code === 'older-copy') : undefined;
    if (!d) return;
    this.opts.logger.warn(d.message);
    this.events.emit('log:message', { level: 'warn', message: d.message });
    this.activity.note('sync', d.message);
  }

  /** The plan's `sync_daemon.json_path`: the work items written after every applied sync. */
  private exportAfterSync(): void {
    const target = this.config.sync.json_path;
    if (!target || this.opts.readOnly) return;
    try {
      const file = resolve(this.opts.paths.workspaceRoot, target);
      mkdirSync(dirname(file), { recursive: true });
      this.exportWorkItems(file);
    } catch (e) {
      this.opts.logger.warn(`sync_daemon.json_path: not written: ${errorMessage(e)}`);
    }
  }

  /** The columns every orchestrator_state row carries: the plan's counts, agents at work, throughput and uptime at `at`. */
  private snapshotRow(kind: OrchestratorSnapshot['kind'], at: number, counts: PlanCounts, metrics: MetricsView): OrchestratorSnapshot {
    return {
      kind,
      at,
      activeAgents: this.orchestrator.active().length,
      pendingTasks: counts.pending,
      completedTasks: counts.completed,
      failedTasks: counts.failed,
      tasksPerHour: metrics.tasksPerHour,
      uptimeSeconds: Math.floor(metrics.uptimeSeconds),
    };
  }

  /** One heartbeat row of the plan's orchestrator_state: counts, tasks/hour, uptime, and the metrics as JSON. */
  private heartbeat(): void {
    try {
      const counts = planCounts(this.model);
      const metrics = this.metricsView();
      this.store.recordSnapshot({
        ...this.snapshotRow('heartbeat', this.now(), counts, metrics),
        metrics: { counts, tasksPerHour: metrics.tasksPerHour, successRate: metrics.successRate, avgCompletionMs: metrics.avgCompletionMs },
      });
      // Heartbeats are kept HEARTBEAT_RETENTION_DAYS (the uptime KPI's window); checkpoints and snapshots for good.
      this.store.pruneSnapshots('heartbeat', this.now() - HEARTBEAT_RETENTION_DAYS * 86_400_000);
    } catch (e) {
      this.opts.logger.warn(`heartbeat row not written: ${errorMessage(e)}`);
    }
  }

  /** Starts, re-times or stops the periodic backups after the config (backup.*). */
  private scheduleBackups(): void {
    const { intervalMs, keep } = this.config.backup;
    if (this.backups) this.backups.reconfigure(intervalMs, keep);
    else if (intervalMs > 0) this.backups = new BackupTimer({ db: this.handle.db, dbPath: this.handle.path, intervalMs, keep, log: this.opts.logger });
  }

  private reloadConfig(): void {
    const src = this.baseConfig.source;
    if (!src) return;
    if (this.guard.couldWriteSince(this.configMark)) {
      // An unsandboxed agent could have written it: a config can name a command agent, i.e. run anything.
      const msg = `config ${src} changed while an unsandboxed agent could write it: not reloaded; review it and restart the engine to apply it`;
      this.opts.logger.error(msg);
      this.events.emit('log:message', { level: 'error', message: msg });
      return;
    }
    this.configMark = this.guard.mark();
    try {
      const fresh = loadConfig(src, { env: this.opts.env, baseDir: this.opts.paths.workspaceRoot, profile: this.opts.profile });
      // How the task list is read and written is fixed for the sync's life: parsing it anew with other criteria
      // headings would re-identify tasks under the engine's feet.
      const reading = (c: OrchestratorConfig): string => JSON.stringify([c.sync.criteria_headings, c.sync.write_ids]);
      if (reading(fresh) !== reading(this.baseConfig))
        this.opts.logger.warn(`sync.criteria_headings and sync.write_ids are read at start: restart the engine to apply the change in ${src}`);
      Object.assign(this.baseConfig, fresh);
      this.applyConfig();
      this.opts.logger.info(`reloaded config ${src}`);
    } catch (e) {
      // A bad edit keeps the last good config running; the error names the key.
      this.opts.logger.error(`config not reloaded: ${errorMessage(e)}`);
      this.events.emit('log:message', { level: 'error', message: `config not reloaded: ${errorMessage(e)}` });
    }
  }

  private applyConfig(): void {
    this.config = orchestratorConfigOf(this.baseConfig, this.settings, this.opts);
    this.metrics.setAlertThresholds({ failureRate: this.config.metrics.alert_on_failure_rate });
    this.resolver = undefined;
    this.orchestrator.setConfig(this.config);
    // A raised budget lifts the pause it made.
    this.orchestrator.limitsChanged();
    if (this.watcher) this.pollDatabase();
    if (this.opts.watch && !this.opts.readOnly) this.scheduleBackups();
    this.rebuildModel();
    this.events.emit('plan:changed', { snapshot: this.snapshot() });
  }

  private checkpoint(g: { kind: 'feature' | 'epic' | 'tasks'; id: string; title: string }): void {
    if (!this.config.checkpoint.enabled) return;
    const counts = planCounts(this.model);
    const metrics = this.metricsView();
    const now = this.now();
    // A row of the plan's orchestrator_state; the checkpoint's facts in full in its metrics_json.
    this.store.recordSnapshot({
      ...this.snapshotRow('checkpoint', now, counts, metrics),
      milestoneId: g.id,
      metrics: { ...g, at: new Date(now).toISOString(), counts, tasksPerHour: metrics.tasksPerHour, metrics },
    });
    if (this.config.checkpoint.gitTag) {
      void createGitCheckpoint(this.opts.paths.workspaceRoot, g.id, `${g.kind} ${g.id} ${g.title} completed`).then(
        (tag) => tag && this.opts.logger.info(`checkpoint tag ${tag}`),
        (e: unknown) => this.opts.logger.warn(`checkpoint tag for ${g.id} not created: ${errorMessage(e)}`),
      );
    }
  }

  /** A notice of the isolation layer (merges, waits, cleanup) in the activity log. */
  isolationLog(message: string, taskId?: string): void {
    this.activity.note('info', message, taskId);
  }

  /**
   * After a crash: tasks a dead engine left in progress whose branch was committed are landed now (never twice: a
   * branch already on the integration branch counts as merged) or left for review; the others run again in the
   * worktree they left. Worktrees and branches nobody needs any more are removed.
   */
  private async recoverLandings(recovered: readonly string[]): Promise<void> {
    const iso = this.isolation!;
    // A landing that waited (a person's uncommitted changes on the integration branch) ends after start-up.
    const outcomes = await iso.recover(recovered, (id, o) => void this.reviewDesk.settle(id, o));
    for (const [id, o] of outcomes) {
      // Until it lands, a task whose branch waits in the queue is not run again: blocked, as it waits for a person.
      const status: TaskStatus | undefined = o.kind === 'merged' ? 'completed' : o.kind === 'stopped' ? undefined : 'blocked';
      if (status && this.store.setStatus(id, status, { now: this.now() }))
        this.opts.logger.info(`${id}: ${o.kind === 'merged' ? 'landed after the restart' : o.kind === 'stopped' ? 'stopped' : o.reason}`);
    }
    if (outcomes.size > 0) this.orchestrator.setPlan(this.sync.current());
  }

  /** The runtime's own activity lines (activityLog.ts). */
  private readonly activity = new ActivityLog(
    () => this.now(),
    (entries) => this.events.emit('activity:appended', { entries }),
  );

  private sampleThroughput(): void {
    this.throughputSampledAt = this.now();
    const c = planCounts(this.model);
    this.throughput.push({ at: new Date(this.now()).toISOString(), completed: c.done, remaining: remainingOf(c) });
    if (this.throughput.length > THROUGHPUT_SAMPLES) this.throughput.shift();
  }

  // ---- views ----------------------------------------------------------------------------------------------------

  private lastRun(taskId: string): LastRunView | undefined {
    let v = this.lastRuns.get(taskId);
    if (v === undefined) {
      const a = this.store.attempts(taskId, 1)[0];
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
      this.lastRuns.set(taskId, v);
    }
    return v ?? undefined;
  }

  private view(id: string): TaskView {
    const v = taskView(this.model, this.model.byId.get(id)!, routingConfigOf(this.config), this.lastRun(id));
    const usd = this.spend.taskUsd(id);
    if (usd !== undefined) v.costUsd = usd;
    return v;
  }

  private diagnostics(): Diagnostic[] {
    const seen = new Set<string>();
    return [...this.sync.diagnostics(), ...this.model.graph.diagnostics].filter((d) => {
      const k = `${d.line}:${d.column}:${d.code}:${d.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }

  /** Tasks completed in the trailing hour (during the first hour: since the engine started). A count, not a projection. */
  private completionsInLastHour(): number {
    const since = this.now() - 3_600_000;
    let drop = 0;
    while (drop < this.completedAt.length && this.completedAt[drop] <= since) drop++;
    if (drop) this.completedAt.splice(0, drop);
    return this.completedAt.length;
  }

  /** The plan's KPIs from the database (the default heartbeat interval when heartbeats are off). */
  private kpis(): KpiView {
    return computeKpis(this.handle.db, this.now(), this.config.healthCheckIntervalMs || 30_000);
  }

  private metricsView(): MetricsView {
    const uptimeSeconds = (this.now() - this.startedAt) / 1000;
    const attempts = this.finished.completed + this.finished.failed;
    return {
      tasksPerHour: this.completionsInLastHour(),
      avgCompletionMs: this.finished.completed ? this.finished.totalMs / this.finished.completed : 0,
      successRate: attempts ? this.finished.completed / attempts : null,
      uptimeSeconds,
      throughput: [...this.throughput],
    };
  }

  // ---- EngineApi ------------------------------------------------------------------------------------------------

  get dbPath(): string {
    return this.opts.paths.dbPath;
  }

  get schemaVersion(): number {
    return this.handle.schemaVersion;
  }

  /** Port the metrics server listens on, if any. */
  get metricsPort(): number | undefined {
    return this.metricsServer?.port;
  }

  snapshot(): PlanSnapshot {
    this.model.runtimes = this.store.runtimes();
    const groups = groupViews(this.model);
    const activity = this.activity.latest(this.orchestrator.activity(SNAPSHOT_ACTIVITY));
    return {
      tasklistPath: this.opts.paths.tasklistPath,
      state: this.orchestrator.state(),
      ...(this.orchestrator.pauseReason() !== undefined ? { pausedFor: this.orchestrator.pauseReason() } : {}),
      simulated: this.simulated(),
      readOnly: this.opts.readOnly === true,
      epics: groups.epics.map((e) => {
        const usd = this.spend.epicUsd(e.id);
        return usd === undefined ? e : { ...e, costUsd: usd };
      }),
      features: groups.features,
      tasks: this.model.list.tasks.map((t) => this.view(t.id)),
      counts: planCounts(this.model),
      active: this.orchestrator.active(),
      breakers: this.orchestrator.breakers(),
      providerPauses: this.orchestrator.providerPauses().map((p) => ({ provider: p.provider, until: new Date(p.until).toISOString(), reason: p.reason })),
      metrics: this.metricsView(),
      activity,
      diagnostics: this.diagnostics(),
      spend: this.spend.view(),
      kpis: this.kpis(),
      priorityWeights: this.config.dispatch.priority_weights,
      gates: gatesView(this.model.list, this.model.graph, (id) => this.model.statuses.get(id) ?? 'pending', this.gateLog),
    };
  }

  approveGate(params: GateDecisionParams): GateDecisionResult {
    return this.decide('approved', params);
  }

  rejectGate(params: GateDecisionParams): GateDecisionResult {
    return this.decide('rejected', params);
  }

  /** A person's decision on a gate: taken by the orchestrator, recorded with who and the note, shown in the activity. */
  private decide(decision: GateDecision, params: GateDecisionParams): GateDecisionResult {
    if (this.opts.readOnly) return { done: false, message: 'the workspace is untrusted: the plan is read-only' };
    const r = decideGate(this.orchestrator, this.gateLog, decision, params, this.redactNote);
    if (r.done) {
      const message = `${params.gateId.trim()} ${decision} by ${r.by}${r.note !== undefined ? `: ${r.note}` : ''}`;
      this.opts.logger.info(`gate ${message}`);
      this.activity.note('info', `gate ${message}`, params.gateId.trim());
    }
    return { done: r.done, message: r.message };
  }

  private readOnlyResult(): ControlResult {
    return { state: this.orchestrator.state(), message: 'the workspace is untrusted: the plan is read-only and no agent runs' };
  }

  start(): ControlResult {
    if (this.opts.readOnly) return this.readOnlyResult();
    return { state: this.orchestrator.start() };
  }

  pause(): ControlResult {
    return { state: this.orchestrator.pause() };
  }

  /**
   * Dispatches again after a pause; a budget reached (run, day, epic) is acknowledged: it holds again only once changed;
   * pause_after counts again from nothing.
   */
  resume(): ControlResult {
    if (this.opts.readOnly) return this.readOnlyResult();
    for (const reason of this.spend.acknowledge()) this.opts.logger.info(`resumed past the ${reason}`);
    const state = this.orchestrator.resume();
    this.orchestrator.limitsChanged();
    return { state };
  }

  async stop(): Promise<ControlResult> {
    await this.orchestrator.stop(this.config.shutdownGraceMs);
    return { state: this.orchestrator.state() };
  }

  async runTask(params: RunTaskParams): Promise<RunTaskResult> {
    if (this.opts.readOnly) return { started: false, reason: 'the workspace is untrusted: no agent runs' };
    return this.orchestrator.runTask(params.taskId, params.agent);
  }

  async runNext(): Promise<RunTaskResult & { taskId?: string }> {
    if (this.opts.readOnly) return { started: false, reason: 'the workspace is untrusted: no agent runs' };
    return this.orchestrator.runNext();
  }

  cancelTask(taskId: string): Promise<boolean> {
    return this.orchestrator.cancel(taskId);
  }

  retryTask(taskId: string): boolean {
    return this.orchestrator.retry(taskId);
  }

  retryFailed(): string[] {
    return this.orchestrator.retryFailed();
  }

  async markTask(params: MarkTaskParams): Promise<boolean> {
    return this.orchestrator.markTask(params.taskId, params.status);
  }

  async syncNow(): Promise<SyncResult> {
    const r = await this.sync.syncFromDisk({ force: true });
    this.recordSync(r);
    // A sync the person asked for: the plan as it is now is theirs, Verify lines included.
    this.guard.trustPlan(this.sync.current());
    this.heldVerify.clear();
    return { applied: r.applied, direction: r.direction, conflicts: r.conflicts, diagnostics: this.diagnostics() };
  }

  documentChanged(params: DocumentChangedParams): void {
    void this.sync.syncFromText(params.text, params.version).then(
      (r) => this.recordSync(r),
      (e: unknown) => this.opts.logger.error(`sync of the open document failed: ${errorMessage(e)}`),
    );
  }

  validate(): { diagnostics: Diagnostic[]; counts: PlanCounts } {
    return { diagnostics: this.diagnostics(), counts: planCounts(this.model) };
  }

  exportWorkItems(outPath?: string): { path: string; count: number } {
    return this.sync.exportWorkItems(outPath ?? join(dirname(this.opts.paths.tasklistPath), 'v2-work-items.json'));
  }

  taskLog(taskId: string): AttemptView[] {
    return this.store.attempts(taskId);
  }

  reviews(): Promise<ListReviewsResult> {
    return this.reviewDesk.reviews();
  }

  showReview(params: ShowReviewParams): Promise<ShowReviewResult> {
    return this.reviewDesk.showReview(params);
  }

  acceptReview(taskId: string): Promise<AcceptReviewResult> {
    return this.reviewDesk.acceptReview(taskId);
  }

  rejectReview(params: RejectReviewParams): Promise<RejectReviewResult> {
    return this.reviewDesk.rejectReview(params);
  }

  retryReview(params: RejectReviewParams): Promise<{ status: TaskStatus }> {
    return this.reviewDesk.retryReview(params);
  }

  updateSettings(settings: EngineSettings): void {
    try {
      mergeSettings(this.baseConfig, settings); // validates; throws naming the bad setting
      this.settings = settings;
      this.applyConfig();
    } catch (e) {
      this.opts.logger.error(`settings not applied: ${errorMessage(e)}`);
      this.events.emit('log:message', { level: 'error', message: `settings not applied: ${errorMessage(e)}` });
    }
  }

  setEditApplier(applier: EditApplier | undefined): void {
    this.editApplier = applier;
    this.editorUnanswered = undefined; // a new (or no) editor owes no answer
    this.sync.setEditApplier(applier ? (p) => this.applyEditsInEditor(p) : undefined);
  }

  on<K extends keyof EngineEvents>(event: K, listener: (payload: EngineEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** Why the plan cannot finish (see Orchestrator.stalls): `coditect run` reports them when it ends short. */
  stalls(): StallView[] {
    return this.orchestrator.stalls();
  }

  /** Resolves when nothing runs and nothing more can start (used by `coditect run`). */
  idle(): Promise<void> {
    return this.orchestrator.idle();
  }

  /** Prometheus text of the engine's metrics. */
  metricsText(): Promise<string> {
    return this.metrics.text();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const log = this.opts.logger;
      const step = async (name: string, fn: () => unknown): Promise<void> => {
        try {
          await fn();
        } catch (e) {
          log.error(`close: ${name} failed: ${errorMessage(e)}`);
        }
      };
      // Order matters: stop producing work, let the last statuses reach the markdown, then close the database.
      await step('watcher', () => this.watcher?.close());
      await step('database poll', () => this.dbPoller?.close());
      await step('config watcher', () => this.configWatcher?.close());
      await step('orchestrator', () => this.orchestrator.close());
      await step('merge queue', () => this.isolation?.close());
      await step('write-back', async () => {
        this.markdownRetry.dispose();
        await this.writeBack.settled();
        this.noteMarkdownWrite(await this.sync.writeBack());
        if (this.markdownFault !== undefined)
          log.error(
            `${this.opts.paths.tasklistPath} does not show the engine's last statuses: ${this.markdownFault.replace(/; the markdown will be retried$/, '')}; \`coditect sync\` writes them once the file can be written`,
          );
      });
      await step('sync', () => this.sync.close());
      await step('result writer', () => {
        this.gate.close();
        const waiting = this.results.close();
        if (waiting > 0)
          log.error(
            `${waiting} finished result(s) could not be written (${this.gate.fault?.message ?? 'the database took no writes'}): kept in ${resultJournalPath(this.handle.path)}; the next start writes them`,
          );
      });
      // After the orchestrator's last event and before the process may exit: the queued deliveries go out.
      await step('notifications', () => this.notifier.close());
      await step('metrics server', () => this.metricsServer?.close());
      await step('timers', () => {
        clearInterval(this.throughputTimer);
        clearTimeout(this.throughputSoon);
        clearInterval(this.heartbeatTimer);
        this.backups?.close();
      });
      for (const d of this.disposers.splice(0)) await step('listener', d);
      await step('database', () => this.handle.close());
      await step('plan lock', () => this.planLock?.release());
      this.events.clear();
    })();
    return this.closing;
  }
}

/** The config the orchestrator runs with: the file's, then the editor's settings, then CLI flags. */
function orchestratorConfigOf(config: OrchestratorConfig, settings: EngineSettings | undefined, opts: RuntimeOptions): OrchestratorConfig {
  let c = mergeSettings(config, settings);
  if (opts.concurrency) c = { ...c, maxConcurrentAgents: opts.concurrency };
  return c;
}
