// The engine, composed: database + store, sync (+ file watcher), orchestrator, metrics and config reload, behind the
// EngineApi that every front door uses (the editor's stdio connection, the control socket, the CLI in-process).
// This file only wires parts together; each part owns its own behaviour.
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { WriteIds } from '../core/ids';
import type { Diagnostic, TaskStatus } from '../core/model';
import type {
  AcceptReviewResult,
  AttemptView,
  ControlResult,
  DocumentChangedParams,
  ListReviewsResult,
  MarkTaskParams,
  PlanMetrics,
  RejectReviewParams,
  RejectReviewResult,
  ResolveConflictsResult,
  RunTaskParams,
  RunTaskResult,
  ShowReviewParams,
  ShowReviewResult,
  SyncResult,
} from '../protocol/engineProtocol';
import type { EngineSettings } from '../protocol/engineSettings';
import type { KpiView, MetricsView, PlanCounts, PlanSnapshot, ProviderPauseView, StallView, TaskView } from '../protocol/views';
import { metricsOf } from '../protocol/webviewProtocol';
import type { Agent } from './agents/agent';
import { createAgentResolver, isSimulated } from './agentResolver';
import { loadConfig, routingConfigOf, type OrchestratorConfig } from './config';
import { mergeSettings } from './config/settings';
import { describeOpen, openDatabase, type DatabaseHandle } from './db/database';
import { BackupTimer } from './db/backupTimer';
import { WalCheckpointer } from './db/walCheckpointer';
import { TaskStore } from './db/taskStore';
import { LastRunCache } from './lastRuns';
import type { TaskRuntime } from './ports';
import { DbGate } from './db/dbGate';
import { resultJournalPath } from './db/resultJournal';
import { retryWhileBlocked } from './db/retryBlocked';
import { ResultWriter } from './resultWriter';
import type { EditApplier, EngineApi, EngineEvents } from './engineApi';
import { EditorEdits } from './editorEdits';
import { createGitCheckpoint } from './checkpoint';
import { computeKpis } from './kpis';
import type { Logger } from './logger';
import { EngineMetrics, startMetricsServer, type MetricsServer } from './metrics';
import { Orchestrator } from './orchestrator';
import { planWritePendingPath, type EnginePaths } from './paths';
import { acquirePlanLock } from './planLock';
import type { LockHandle } from './db/lockFile';
import { featureDone, fileHoldsMoved, groupProgress, groupViews, planCounts, taskView, type PlanModel } from './planView';
import { createRedactor, secretEnvValues } from './redact';
import { agentEnv, describeSandbox, enginePolicy, sandboxSupport, type SandboxPolicy } from './agents/sandbox';
import { notifyEngineEvents } from './notify/engineNotifications';
import { Notifier } from './notify/notifier';
import { markedProcesses, stopProcesses } from './agents/orphans';
import { orphanText, orphansOf } from './orphanAgents';
import { TrustGuard } from './trustGuard';
import { SpendControl } from './spend/spendControl';
import { GateLog } from './spend/gateLog';
import { decideGate, gatesView, unansweredRejections } from './spend/gates';
import type { GateDecision, GateDecisionParams, GateDecisionResult } from '../protocol/gates';
import { SyncService, type SyncOutcome } from './sync/syncService';
import { MarkdownFault } from './markdownFault';
import { recoverLeftovers } from './startupRecovery';
import { TaskListWatcher } from './sync/watcher';
import { DbChangePoller } from './sync/dbChangePoller';
import { TypedEmitter } from '../core/typedEmitter';
import type { RemoteAttempts } from './queue/remoteAttempts';
import { maskRedisUrl } from './queue/redisUrl';
import { errorMessage } from '../core/describe';
import { formatWhen } from '../protocol/presentation';
import { ActivityLog, SNAPSHOT_ACTIVITY } from './activityLog';
import { ChangeCoalescer } from './coalesce';
import { PlanPatcher } from './planPatcher';
import { WriteBackScheduler } from './writeBack';
import { RunStats } from './runStats';
import { RunMilestones } from './milestones';
import { ConfigReloader } from './configReload';
import { PROVIDER_PAUSES_KEY, pausesToKeep, pausesToRestore, type ProviderPause, type StoredPauses } from './providerPauses';
import { attemptIsolation, openIsolation } from './isolation/engineIsolation';
import type { TaskIsolation } from './isolation/taskIsolation';
import { ReviewDesk } from './isolation/reviewDesk';

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

/** Least time between two markdown write-backs while tasks finish quickly (each one re-reads the file). */
const WRITE_BACK_INTERVAL_MS = 200;
/** The running engine for one task list. */
export class EngineRuntime implements EngineApi {
  /** A client's listener that throws is logged (the engine goes on), never dropped without a word. */
  private readonly events = new TypedEmitter<EngineEvents>((e, event) => this.opts.logger.error(`a listener of ${event} threw: ${errorMessage(e)}`));
  /** The database's task rows as last read: the views' retry counts and start times (statuses are the live plan's). */
  private rows = new Map<string, TaskRuntime>();
  private viewModel?: PlanModel;
  /**
   * What the views read: the orchestrator's live plan itself (its statuses, graph and file claims: one copy, #13) and
   * the rows. Followed through the orchestrator, so a plan it rebuilds by itself (new priority weights) is read at once.
   */
  private get model(): PlanModel {
    const plan = this.orchestrator.livePlan();
    if (!plan) throw new Error('EngineRuntime: no plan loaded yet');
    if (this.viewModel?.plan !== plan) this.viewModel = { plan, runtimes: this.rows };
    else this.viewModel.runtimes = this.rows;
    return this.viewModel;
  }
  /** Each task's last finished attempt, as its view shows it (lastRuns.ts). */
  private readonly lastRuns: LastRunCache;
  /** The attached editors that apply the write-backs' edits, and how long one is waited for (editorEdits.ts). */
  private readonly editorEdits = new EditorEdits({
    use: (ask) => this.sync.setEditApplier(ask),
    warn: (m) => this.opts.logger.warn(m),
    info: (m) => this.opts.logger.info(m),
  });
  private settings?: EngineSettings;
  private config: OrchestratorConfig;
  /** The clock (RuntimeOptions.now). */
  private readonly now: () => number;
  /** This run's attempts, completions per hour and throughput samples (runStats.ts). */
  private readonly stats: RunStats;
  /** The heartbeat and checkpoint rows of orchestrator_state, and checkpoint tags (milestones.ts). */
  private readonly milestones: RunMilestones;
  private backups?: BackupTimer;
  /** The WAL's checkpoints off the event loop; stopped before the database closes. */
  private checkpointer?: WalCheckpointer;
  /** A burst of task changes reaches the views as one `tasks:changed` (coalesce.ts). */
  private readonly changes = new ChangeCoalescer((ids) => this.flushChanges(ids));
  /** The plan the clients have and its revision: a sync sends them what changed (`plan:patched`), not the whole plan. */
  private readonly patcher = new PlanPatcher();
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
  /** Whether the task list shows the engine's statuses; retries the write-back with backoff while not (markdownFault.ts). */
  private readonly markdown = new MarkdownFault({
    writeBack: () => this.scheduleWriteBack(),
    began: (msg) => {
      this.opts.logger.error(msg);
      this.events.emit('log:message', { level: 'error', message: msg });
      this.activity.note('sync', msg);
    },
    ended: () => {
      const msg = `${this.opts.paths.tasklistPath} written again: it shows the statuses the engine set`;
      this.opts.logger.info(msg);
      this.activity.note('sync', msg);
    },
    stopping: () => this.closing !== undefined,
  });
  /**
   * Why the task list on disk shows older statuses than the database (its last write failed: read-only, full disk,
   * gone), or undefined when it shows them all. `coditect run` ends with an error and exit 1 while it is set.
   */
  get markdownFault(): string | undefined {
    return this.markdown.fault;
  }
  private metricsServer?: MetricsServer;
  private watcher?: TaskListWatcher;
  private dbPoller?: DbChangePoller;
  /** Reloads the config file when it changes on disk (configReload.ts). */
  private configReload?: ConfigReloader;
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
    this.lastRuns = new LastRunCache(store);
    this.stats = new RunStats({ now: this.now, counts: () => planCounts(this.model) });
    this.milestones = new RunMilestones({
      store,
      now: this.now,
      counts: () => planCounts(this.model),
      metrics: () => this.metricsView(),
      activeAgents: () => this.orchestrator.active().length,
      config: () => this.config,
      readOnly: opts.readOnly === true,
      // With isolation the feature's work is on the integration branch, not necessarily in the checkout.
      gitTag: (id, message) => createGitCheckpoint(opts.paths.workspaceRoot, id, message, isolation?.baseBranch),
      tagBranch: isolation?.baseBranch,
      info: (m) => opts.logger.info(m),
      warn: (m) => opts.logger.warn(m),
    });
    this.settings = opts.settings;
    this.config = orchestratorConfigOf(baseConfig, opts.settings, opts);
    this.reviewDesk = new ReviewDesk({
      isolation,
      readOnly: opts.readOnly ? 'this engine is read-only (an untrusted workspace, or a reading command): no review is accepted or rejected' : undefined,
      status: (id) => (this.orchestrator.livePlan()?.has(id) ? this.store.runtime(id)?.status : undefined),
      setStatus: async (id, status) => void (await this.orchestrator.markTask(id, status)),
      retry: (id) => this.orchestrator.retry(id),
    });
    this.spend = new SpendControl({
      db: handle.db,
      epicOf: (id) => this.orchestrator.livePlan()?.byId.get(id)?.epicId,
      budget: () => this.config.budget,
      pauseAfter: () => this.config.pauseAfter,
      featureOf: (id) => {
        const plan = this.orchestrator.livePlan();
        const fid = plan?.byId.get(id)?.featureId;
        const f = fid ? plan?.features.get(fid) : undefined;
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
      // The WAL's checkpoints on a thread of their own (walCheckpointer.ts): SQLite's would run inside the commits that
      // dispatch, ~10 ms each. Only this engine holds the writer lock, so only it runs one for this database.
      const checkpointer = handle.readonly
        ? undefined
        : WalCheckpointer.start({ db: handle.db, path: handle.path, warn: (m) => opts.logger.warn(m), debug: (m) => opts.logger.debug(m) });
      if (checkpointer) parts.push({ close: () => void checkpointer.close() });
      for (const line of describeOpen(handle)) opts.logger.info(line);
      const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
      const store = new TaskStore(handle, { redact, runId: owner });
      let runtime: EngineRuntime | undefined;
      // What a stopped engine left half done, before anything reads the plan or the results (startupRecovery.ts).
      const journal = recoverLeftovers({ store, dbPath: handle.path, tasklistPath: paths.tasklistPath, readOnly: opts.readOnly === true, logger: opts.logger });
      const gate = new DbGate({
        db: handle.db,
        path: handle.path,
        onBlocked: (_fault, message) => runtime?.dbBlocked(message),
        onFree: (ms) => runtime?.dbFree(ms),
      });
      parts.push(gate);
      // A coordinator of workers takes results in bulk (each read of the queue's events brings many): one commit for each
      // turn's. In process, results arrive one by one and each slot is refilled at once (dispatch latency, #8).
      const results = new ResultWriter({ store, gate, journal, warn: (m) => opts.logger.warn(redact(m)), perTurn: config.queue.kind === 'redis' });
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
        // The runtime's own listener re-plans the running engine: its failure is said, not swallowed.
        onListenerError: (e, event) => opts.logger.error(`sync: a listener of ${event} threw: ${errorMessage(e)}`),
      });
      const metrics = new EngineMetrics();
      const isolation =
        opts.readOnly && !opts.inspectIsolation
          ? undefined
          : await openIsolation(opts, config, baseConfig.source, store, redact, (m, id) => runtime?.isolationLog(m, id));
      if (isolation) parts.push({ close: () => void isolation.close() });
      // queue.kind redis: attempts run on `coditect worker` processes; this engine stays the one writer.
      const queue = config.queue;
      // Loaded only here: BullMQ and ioredis cost every other engine ~17 MB and start-up time for nothing.
      const remote =
        queue.kind === 'redis' && !opts.readOnly
          ? new (await import('./queue/remoteAttempts.js')).RemoteAttempts({
              queue,
              owner,
              maxPerType: () => (runtime?.config ?? config).agentLimits.maxPerType,
              log: (level, m) => opts.logger[level](redact(m)),
            })
          : undefined;
      if (remote && queue.kind === 'redis') {
        parts.push({ close: () => void remote.close() });
        opts.logger.info(
          `attempts run on workers: one job each on redis ${maskRedisUrl(queue.url)} (prefix ${queue.prefix}, a queue per agent type); start them with \`coditect worker\``,
        );
        // Before recovery closes them: the jobs of a stopped coordinator's attempts are carried on with, not run again.
        remote.adopt(store.openAttempts());
      }
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
        // Snapshot when an attempt starts; audit after the agent; a destroyed database stops the engine.
        attemptGuard: (simulated) => runtime!.guard.guardAttempt(simulated, (m) => runtime!.fatal(m)),
        isolation: isolation ? attemptIsolation(isolation, () => runtime?.config.isolation ?? config.isolation) : undefined,
        gate,
        results,
        limits: {
          globalHold: () => runtime?.spend.limits.globalHold(),
          taskHold: (id) => runtime?.spend.limits.taskHold(id),
          overBudget: (id, usd) => runtime?.spend.limits.overBudget(id, usd),
        },
        remote,
        approvedGates: () => runtime?.approvedGates() ?? new Set<string>(),
      });
      runtime = new EngineRuntime(opts, handle, store, sync, orchestrator, metrics, baseConfig, owner, gate, results, isolation, planLock);
      runtime.remote = remote;
      runtime.checkpointer = checkpointer;
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
    this.markdown.note(first);
    this.noteOlderCopy(first);
    this.metrics.setAlertThresholds({ failureRate: this.config.metrics.alert_on_failure_rate });
    this.metrics.setKpiSource(() => this.kpis());
    // Written when the sync changed something, and also when the file is not there yet: a team that follows the plan
    // expects it after the first sync even when the database was already up to date (an earlier reading command synced it).
    if (first.applied || !this.workItemsWritten()) this.exportAfterSync();
    this.orchestrator.setPlan(this.sync.current());
    // The plan as it is when the engine starts is the person's: its Verify lines are the engine-held copy.
    this.guard.trustPlan(this.sync.current());
    // Agents a crashed engine left running would do their tasks again beside the new attempts: stopped first.
    await this.stopOrphanedAgents();
    this.restoreProviderPauses();
    const recovered = this.orchestrator.recover();
    if (recovered.length) logger.warn(`recovered ${recovered.length} task(s) left in progress by a previous engine: ${recovered.join(', ')}`);
    if (this.isolation && !this.opts.readOnly) await this.recoverLandings(recovered);
    this.refreshRows();
    // A rejection an earlier engine took still owes its note to the task's next prompt.
    const plan = this.model.plan;
    for (const r of unansweredRejections(
      plan.list,
      (id) => plan.status(id),
      this.gateLog,
      (id) => this.store.attempts(id, 1)[0]?.startedAt,
    ))
      this.orchestrator.restoreRejection(r.taskId, r.note);
    this.milestones.baseline(planCounts(this.model).completed);
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
        this.configReload = new ConfigReloader({
          path: cfg,
          base: this.baseConfig,
          load: () => loadConfig(cfg, { env: this.opts.env, baseDir: paths.workspaceRoot, profile: this.opts.profile }),
          mark: () => this.guard.mark(),
          couldWriteSince: (mark) => this.guard.couldWriteSince(mark),
          apply: () => this.applyConfig(),
          say: (level, message) => {
            logger[level](message);
            if (level === 'error') this.events.emit('log:message', { level, message });
          },
        });
        await this.configReload.watch();
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
    this.stats.start();
    // The plan's health check: a heartbeat row in orchestrator_state every health_check_interval (0: none).
    this.milestones.startHeartbeats();
    // The plan's automatic backups: only an engine that stays up and writes (daemon, run, sync --watch, the editor's).
    if (this.opts.watch && !this.opts.readOnly) this.scheduleBackups();
    logger.info(
      `engine ${this.opts.engineVersion} opened ${paths.tasklistPath} (${this.model.plan.list.tasks.length} tasks, db ${paths.dbPath})${this.simulated() ? ' — agents are SIMULATED (dry-run)' : ''}`,
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
        // A write-back of the engine's own statuses changes no structure: the running plan stays as it is. Any edit of
        // the markdown does, counted or not: a `Gate: review` line or lines moved down change no database column, and
        // a saved file read before the editor's text arrived was otherwise never planned at all (the editor's text,
        // equal to the file, was then skipped as synced): the engine ran the task without its gate (#15).
        const structural =
          r.markdownChanged ||
          r.source === 'editor' ||
          r.tasksAdded + r.tasksUpdated + r.tasksArchived + r.tasksRestored + r.statusesToDb + r.idsAssigned > 0 ||
          r.conflicts > 0;
        if (!structural) return;
        this.orchestrator.setPlan(e.list);
        this.refreshRows({ attemptsUnchanged: true });
        this.emitPlanChange();
        this.events.emit('diagnostics:published', { path: this.opts.paths.tasklistPath, diagnostics: this.diagnostics() });
      }),
      this.sync.on('sync:conflict', (e) => {
        this.activity.note('conflict', e.message, e.taskId);
        log.warn(`sync conflict on ${e.taskId}: ${e.message}`);
      }),
      o.on('task:statusChanged', (e) => {
        // The markdown follows the database whatever the views do: the write-back is asked for first.
        this.scheduleWriteBack();
        this.onStatus(e.taskId, e.status, e.previous);
      }),
      o.on('gate:waiting', (e) => {
        // A gated feature started waiting: no status says so, the snapshot's gates do (the heading's lenses).
        if (this.model.plan.features.has(e.taskId)) this.emitPlanChange();
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
        this.lastRuns.finished(e.taskId);
        this.stats.attemptFinished(e.outcome, e.durationMs);
        this.markChanged(e.taskId);
      }),
      o.on('state:changed', (e) => this.events.emit('state:changed', e)),
      o.on('activity:appended', (e) => {
        if (this.opts.logActivity) for (const a of e.entries) log.info(`${a.kind} ${a.taskId ?? '-'}: ${a.message}`);
        this.events.emit('activity:appended', e);
      }),
      o.on('checkpoint:reached', (g) => this.milestones.reached(g)),
      o.on('provider:paused', (p) => this.keepProviderPause(p)),
    );
  }

  /** Usage-limit pauses still running when a previous engine stopped: this one waits for the same reset. */
  private restoreProviderPauses(): void {
    const now = this.now();
    for (const p of pausesToRestore(this.store.getState<unknown>(PROVIDER_PAUSES_KEY), now)) {
      this.orchestrator.pauseProvider(p.provider, p.until, p.reason);
      this.opts.logger.info(`provider ${p.provider} paused until ${formatWhen(p.until, now)} (${p.reason}), as a previous run recorded`);
    }
  }

  /** Records a usage-limit pause (the ones over are dropped), so a restarted engine keeps it. */
  private keepProviderPause(p: ProviderPause): void {
    const now = this.now();
    try {
      if (!this.opts.readOnly) this.store.setState(PROVIDER_PAUSES_KEY, pausesToKeep(this.store.getState<StoredPauses>(PROVIDER_PAUSES_KEY), p, now));
    } catch (e) {
      this.opts.logger.warn(`the pause of ${p.provider} was not recorded: ${errorMessage(e)}`);
    }
    const msg = `provider ${p.provider} paused until ${formatWhen(p.until, now)} (${p.reason}); its tasks wait, other providers go on`;
    this.opts.logger.warn(msg);
    this.events.emit('log:message', { level: 'warn', message: msg });
  }

  /** A status the orchestrator set in the live plan (already there): the rows it changes are redrawn. */
  private onStatus(taskId: string, status: TaskStatus, previous: TaskStatus): void {
    const { plan } = this.model;
    if (!plan.has(taskId)) return;
    this.markChanged(taskId);
    // Tasks naming the same files wait while it is in progress (file-aware scheduling): their rows say so, or no more.
    if ((previous === 'in_progress') !== (status === 'in_progress')) for (const id of fileHoldsMoved(this.model, taskId)) this.markChanged(id);
    // A failure (or a reset) blocks (or frees) everything downstream at once: those rows change too.
    for (const id of plan.graph.takeBlockedChanges()) this.markChanged(id);
    // Readiness of dependents follows the dependency's status.
    if (previous === 'completed' || status === 'completed' || previous === 'skipped' || status === 'skipped') {
      for (const e of plan.graph.dependentsOf(taskId)) this.markChanged(e.from);
    }
    if (status === 'completed' && previous !== 'completed') this.milestones.taskCompleted();
  }

  private markChanged(taskId: string): void {
    this.changes.add(taskId);
  }

  private flushChanges(ids: string[]): void {
    if (this.closing) return;
    // Only the changed rows: re-reading every task's row on each burst would put a full table scan on the hot path.
    for (const id of ids) {
      const rt = this.store.runtime(id);
      if (rt) this.rows.set(id, rt);
      else this.rows.delete(id);
    }
    const tasks = ids.filter((id) => this.model.plan.has(id)).map((id) => this.view(id));
    const counts = planCounts(this.model);
    this.events.emit('tasks:changed', { tasks, counts, groups: groupProgress(this.model, ids), removed: [] });
    this.stats.countsMoved(counts);
  }

  /** Gated features a person approved (the audit trail's latest decision on each): every graph of the plan reads them. */
  approvedGates(): Set<string> {
    return this.gateLog.approvedGates();
  }

  /**
   * Reads the task rows again, and the last runs unless `attemptsUnchanged`: the refresh follows a sync of the plan's
   * text, which writes no attempt, so the last runs read so far still hold (reading them again for 10,000 tasks took
   * ~2 s on each sync of a keystroke's text, #15). The plan itself is the orchestrator's, up to date already.
   */
  private refreshRows(opts: { attemptsUnchanged?: boolean } = {}): void {
    this.rows = this.store.runtimes();
    if (!opts.attemptsUnchanged) this.lastRuns.clear();
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
    const found = orphansOf(markedProcesses(), this.owner, (id) => this.store.attemptRun(id));
    if (found.length === 0) return;
    await stopProcesses(
      found.map((o) => o.process),
      this.config.timeouts.killGraceMs,
    );
    this.opts.logger.warn(`stopped ${found.length} process(es) a previous engine's agents left running: ${found.map(orphanText).join(', ')}`);
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
    const { plan } = this.model;
    let moved = false;
    for (const id of plan.byId.keys()) {
      const status = plan.status(id);
      if ((runtimes.get(id)?.status ?? status) !== status) {
        moved = true;
        break;
      }
    }
    if (!moved && !r.applied) return;
    this.orchestrator.setPlan(this.sync.current());
    this.refreshRows();
    this.emitPlanChange();
  }

  /** The Redis queue attempts run through (`queue.kind: redis`); undefined when they run in this process. */
  private remote?: RemoteAttempts;

  private resolver?: (agentType: string) => Agent;

  /** The agent of an agent type; one instance per distinct spec, rebuilt when the config changes. */
  private agentFor(agentType: string): Agent {
    this.resolver ??= createAgentResolver(this.config, { force: this.opts.agentOverride });
    return this.resolver(agentType);
  }

  /** What the engine trusts, guarded against uncontained agents. */
  readonly guard: TrustGuard;
  private heldVerify = new Set<string>();
  /** Set when the engine stopped itself because something it trusts was destroyed (the CLI exits non-zero). */
  fatalError?: string;

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
    this.markdown.note(r);
    this.noteOlderCopy(r);
    if (!r.applied) return;
    this.metrics.recordSync(r.direction ?? 'unknown', r.conflicts ? 'conflict' : 'applied');
    this.exportAfterSync();
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

  /** The config's `http.bind`: where a daemon serves its HTTP API when `--http` does not say (read at start). */
  get httpBind(): string | undefined {
    return this.config.http.bind;
  }

  /** The plan's `sync_daemon.json_path`, resolved against the root (undefined when the config names none). */
  private workItemsPath(): string | undefined {
    const target = this.config.sync.json_path;
    return target ? resolve(this.opts.paths.workspaceRoot, target) : undefined;
  }

  private workItemsWritten(): boolean {
    const file = this.workItemsPath();
    return file === undefined || existsSync(file);
  }

  /** The plan's `sync_daemon.json_path`: the work items written after every applied sync. */
  private exportAfterSync(): void {
    const file = this.workItemsPath();
    if (!file || this.opts.readOnly) return;
    try {
      mkdirSync(dirname(file), { recursive: true });
      this.exportWorkItems(file);
    } catch (e) {
      this.opts.logger.warn(`sync_daemon.json_path: not written: ${errorMessage(e)}`);
    }
  }

  /** Starts, re-times or stops the periodic backups after the config (backup.*). */
  private scheduleBackups(): void {
    const { intervalMs, keep } = this.config.backup;
    if (this.backups) this.backups.reconfigure(intervalMs, keep);
    else if (intervalMs > 0) this.backups = new BackupTimer({ db: this.handle.db, dbPath: this.handle.path, intervalMs, keep, log: this.opts.logger });
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
    this.refreshRows();
    // New settings can change any part of the snapshot (simulated, priority weights): the clients take it whole.
    this.events.emit('plan:changed', { snapshot: this.patcher.replace(this.buildSnapshot()) });
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

  // ---- views ----------------------------------------------------------------------------------------------------

  private view(id: string): TaskView {
    const v = taskView(this.model, this.model.plan.byId.get(id)!, routingConfigOf(this.config), this.lastRuns.get(id));
    const usd = this.spend.taskUsd(id);
    if (usd !== undefined) v.costUsd = usd;
    return v;
  }

  private diagnostics(): Diagnostic[] {
    const seen = new Set<string>();
    return [...this.sync.diagnostics(), ...this.model.plan.graph.diagnostics].filter((d) => {
      const k = `${d.line}:${d.column}:${d.code}:${d.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }

  /** The plan's KPIs from the database (the default heartbeat interval when heartbeats are off). */
  private kpis(): KpiView {
    return computeKpis(this.handle.db, this.now(), this.config.healthCheckIntervalMs || 30_000);
  }

  private metricsView(): MetricsView {
    return this.stats.view();
  }

  private providerPauseViews(): ProviderPauseView[] {
    return this.orchestrator.providerPauses().map((p) => ({ provider: p.provider, until: new Date(p.until).toISOString(), reason: p.reason }));
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

  /** The dashboard's metrics without the plan (`coditect/metrics`): none of the 10,000 task views a snapshot builds. */
  planMetrics(): PlanMetrics {
    return metricsOf({ metrics: this.metricsView(), kpis: this.kpis(), spend: this.spend.view(), providerPauses: this.providerPauseViews() });
  }

  /** The whole plan for a client, stamped with the revision the next `plan:patched` builds on. */
  snapshot(): PlanSnapshot {
    return this.patcher.stamp(this.buildSnapshot());
  }

  /**
   * Tells the clients the plan changed: what changed (`plan:patched`), or the whole plan when its groups were added,
   * removed or reordered. Every change of lines or groups goes through here at once, so a snapshot a client takes
   * between two changes has the lines of the last one (PlanPatcher.stamp).
   */
  private emitPlanChange(): void {
    const change = this.patcher.next(this.buildSnapshot());
    if (change.kind === 'patch') this.events.emit('plan:patched', change.patch);
    else this.events.emit('plan:changed', { snapshot: change.snapshot });
  }

  private buildSnapshot(): PlanSnapshot {
    this.rows = this.store.runtimes();
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
      features: groups.features.map((f) => {
        const usd = this.spend.featureUsd(f.id);
        return usd === undefined ? f : { ...f, costUsd: usd };
      }),
      tasks: this.model.plan.list.tasks.map((t) => this.view(t.id)),
      counts: planCounts(this.model),
      active: this.orchestrator.active(),
      breakers: this.orchestrator.breakers(),
      providerPauses: this.providerPauseViews(),
      metrics: this.metricsView(),
      activity,
      diagnostics: this.diagnostics(),
      spend: this.spend.view(),
      kpis: this.kpis(),
      priorityWeights: this.config.dispatch.priority_weights,
      gates: gatesView(
        this.model.plan.list,
        this.model.plan.graph,
        (id) => this.model.plan.status(id),
        this.gateLog,
        (id) => this.store.attempts(id, 1)[0]?.filesChanged,
      ),
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
      if (this.model.plan.features.has(params.gateId.trim())) {
        // A feature's approval changes no task status: the views learn of it from the plan's snapshot.
        this.refreshRows();
        this.emitPlanChange();
      }
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

  resolveConflicts(params: RejectReviewParams): Promise<ResolveConflictsResult> {
    return this.reviewDesk.resolveConflicts(params);
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

  addEditApplier(applier: EditApplier): () => void {
    return this.editorEdits.add(applier);
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
      await step('config watcher', () => this.configReload?.close());
      await step('orchestrator', () => this.orchestrator.close());
      await step('queue', () => this.remote?.close());
      await step('merge queue', () => this.isolation?.close());
      await step('checkpoint tags', () => this.milestones.settled());
      await step('write-back', async () => {
        this.markdown.close();
        await this.writeBack.settled();
        this.markdown.note(await this.sync.writeBack());
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
        this.stats.close();
        this.milestones.close();
        this.backups?.close();
      });
      for (const d of this.disposers.splice(0)) await step('listener', d);
      // Before the database: the writer's own close then checkpoints and removes the WAL, as it always did.
      await step('checkpoints', () => this.checkpointer?.close());
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
