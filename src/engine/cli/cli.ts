// `coditect`: the headless front door. Each command is a small function; output shapes are documented in docs/cli.md.
// Commands that need the database talk to a running engine (daemon or `coditect run`) over its control socket when
// one runs — it holds the single-writer lock — and otherwise open the engine in-process.
import { fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DependencyGraph } from '../../core/graph';
import { fileHolds, taskPaths } from '../../core/fileClaims';
import { decodeTaskList } from '../../core/decode';
import type { Diagnostic, TaskList, TaskStatus } from '../../core/model';
import { renameTasks } from '../../core/identity';
import { parseTaskList, type ParseOptions } from '../../core/parser';
import {
  AcceptReview,
  ActivityAppended,
  type ActivityAppendedParams,
  ApproveGate,
  RejectGate,
  CancelTask,
  ExportWorkItems,
  GetSnapshot,
  ListReviews,
  PauseOrchestration,
  RejectReview,
  ResumeOrchestration,
  ResolveConflicts,
  RetryReview,
  ShowReview,
  StartOrchestration,
  StateChanged,
  StopOrchestration,
  SyncNow,
  TasksChanged,
} from '../../protocol/engineProtocol';
import { stallsOf, taskKind, type PlanSnapshot, type StallView, type TaskView } from '../../protocol/views';
import { type ControlClient, connectControl, serveControlSocket, socketAnswers } from '../control';
import { type DaemonReadyMessage, pidAlive, readPidFile, runDaemon } from '../daemon';
import { openDatabase } from '../db/database';
import { createLogger } from '../logger';
import { loggingOf, logLevelOf } from '../logSink';
import { enginePaths, findWorkspaceRoot, type EnginePaths } from '../paths';
import { loadConfig, type OrchestratorConfig } from '../config';
import { createRedactor, secretEnvValues } from '../redact';
import { EngineRuntime } from '../runtime';
import { SyncService } from '../sync/syncService';
import { ENGINE_VERSION } from '../version';
import { tokenPath } from '../http/httpToken';
import { type CliOptions, parseCli, USAGE, UsageError } from './args';
import { cmdBackup, cmdRestore } from './backupCommands';
import { cmdCost } from './costCommand';
import { cmdReview, type ReviewClient } from './reviewCommand';
import { cmdReconcile } from './reconcileCommand';
import { errorMessage } from '../../core/describe';
import { changedFilesText, fileHoldText, formatDuration, formatWhen, kpiLine, listIds, planProgress, progressText } from '../../protocol/presentation';
import { formatUsd, pauseHint } from '../../protocol/spend';
import type { GateDecisionResult, GatesView } from '../../protocol/gates';

/** `--db` and `--metrics-port` from the plan's environment variables (DB_PATH, PROMETHEUS_PORT) when not given as flags. */
export function deploymentEnv(o: Pick<CliOptions, 'db' | 'metricsPort'>, env: NodeJS.ProcessEnv): Pick<CliOptions, 'db' | 'metricsPort'> {
  const db = o.db ?? (env.DB_PATH?.trim() || undefined);
  let metricsPort = o.metricsPort;
  const p = env.PROMETHEUS_PORT?.trim();
  if (metricsPort === undefined && p) {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n > 65_535) throw new UsageError(`PROMETHEUS_PORT must be a port number 0..65535, got ${JSON.stringify(p)}`);
    metricsPort = n;
  }
  return { db, metricsPort };
}

/** Config files looked for in the current folder when no task list is given: the engine's two and the plan's own place. */
const CWD_CONFIG_FILES = ['.coditect/config.json', '.coditect/orchestrator-config.json', 'config/orchestrator-config.json'];

/**
 * The task list and database a command works on. The arguments win (`<tasklist.md>`, then `--db`/`DB_PATH`); else the
 * config's `sync_daemon.markdown_path` and `sync_daemon.db_path` (the plan's file names both), relative to the workspace
 * root; else the defaults. Without a task list argument the config is `--config FILE` or the first of
 * CWD_CONFIG_FILES in the current folder. `validate` and `graph` with a task list do not read the config.
 */
export function planTargets(
  listArg: string | undefined,
  o: Pick<CliOptions, 'command' | 'config' | 'db' | 'profile'>,
  env: NodeJS.ProcessEnv,
  cwd = process.cwd(),
): { paths: EnginePaths; configFile?: string } {
  const readsConfig = listArg === undefined || (o.db === undefined && o.command !== 'validate' && o.command !== 'graph');
  let configFile = o.config === undefined ? undefined : resolve(cwd, o.config);
  if (configFile === undefined && readsConfig) {
    configFile =
      listArg === undefined
        ? CWD_CONFIG_FILES.map((f) => join(cwd, f)).find((f) => existsSync(f))
        : enginePaths(resolve(cwd, listArg)).defaultConfigPaths.find((f) => existsSync(f));
  }
  let sync: OrchestratorConfig['sync'] | undefined;
  if (readsConfig && configFile !== undefined) {
    try {
      sync = loadConfig(configFile, { env, profile: o.profile }).sync;
    } catch (e) {
      // With a task list given, a bad config is the engine's to report when it opens it (a reading command that talks
      // to a running daemon does not need it at all).
      if (listArg === undefined) throw e;
    }
  }
  let list = listArg === undefined ? undefined : resolve(cwd, listArg);
  if (list === undefined) {
    if (sync?.markdown_path === undefined)
      throw new UsageError(
        `${o.command} needs the path of a task list (e.g. coditect ${o.command} TASKLIST.md), or a config whose sync_daemon.markdown_path names it (--config FILE, or one of ${CWD_CONFIG_FILES.join(', ')} here)`,
      );
    list = resolve(findWorkspaceRoot(configFile!), sync.markdown_path);
  }
  const db = o.db ?? (sync?.db_path === undefined ? undefined : resolve(findWorkspaceRoot(list), sync.db_path));
  return { paths: enginePaths(list, db), configFile };
}

/** Result of one command: what to print and the exit code. */
interface Outcome {
  code: number;
}

const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string): void => void process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);
const json = (v: unknown): void => out(JSON.stringify(v, null, 2));

/** Diagnostics as the CLI prints them: 1-based line and column. */
function oneBased(d: Diagnostic): Diagnostic {
  return {
    ...d,
    line: d.line + 1,
    column: d.column + 1,
    endLine: d.endLine === undefined ? undefined : d.endLine + 1,
    endColumn: d.endColumn === undefined ? undefined : d.endColumn + 1,
  };
}

function printDiagnostics(file: string, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) err(`${file}:${d.line + 1}:${d.column + 1}: ${d.severity} [${d.code}] ${d.message}`);
}

/**
 * How the CLI's own parse (validate, graph, next, ids) reads the task list: as the engine does, with the config's
 * `sync.criteria_headings` (`--config FILE`, else the workspace's config file if there is one). A bad config is an
 * error here too: read with other criteria, the list would not be the one the engine runs.
 */
function parseOptionsFor(paths: EnginePaths, o: CliOptions): ParseOptions {
  const file = o.config !== undefined ? resolve(o.config) : paths.defaultConfigPaths.find((f) => existsSync(f));
  if (file === undefined) return {};
  const headings = loadConfig(file, { env: process.env, baseDir: paths.workspaceRoot, profile: o.profile }).sync.criteria_headings;
  return headings === undefined ? {} : { criteriaHeadings: headings };
}

/** Reads and parses a task list; the graph adds cycle and unknown-dependency diagnostics. */
export function loadTaskList(path: string, opts: ParseOptions = {}): { list: TaskList; graph: DependencyGraph; diagnostics: Diagnostic[] } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read task list ${path}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`);
  }
  const decoded = decodeTaskList(bytes);
  const list = parseTaskList(decoded.text, opts);
  const graph = DependencyGraph.fromTaskList(list);
  const seen = new Set<string>();
  const diagnostics = [...decoded.diagnostics, ...list.diagnostics, ...graph.diagnostics].filter((d) => {
    const key = `${d.line}:${d.column}:${d.code}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  return { list, graph, diagnostics };
}

function cmdValidate(paths: EnginePaths, o: CliOptions): Outcome {
  const { list, diagnostics } = loadTaskList(paths.tasklistPath, parseOptionsFor(paths, o));
  const ok = !diagnostics.some((d) => d.severity === 'error');
  const counts = {
    epics: list.epics.length,
    features: list.features.length,
    tasks: list.tasks.length,
    completed: list.tasks.filter((t) => t.status === 'completed').length,
  };
  if (o.json) {
    json({ file: paths.tasklistPath, dialect: list.dialect, ok, counts, diagnostics: diagnostics.map(oneBased) });
  } else {
    printDiagnostics(paths.tasklistPath, diagnostics);
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    out(
      `${paths.tasklistPath}: ${list.dialect} task list, ${counts.epics} epics, ${counts.features} features, ${counts.tasks} tasks (${counts.completed} completed); ${errors} error(s), ${diagnostics.length - errors} warning(s)`,
    );
  }
  return { code: ok ? 0 : 1 };
}

function cmdGraph(paths: EnginePaths, o: CliOptions): Outcome {
  const { list, graph, diagnostics } = loadTaskList(paths.tasklistPath, parseOptionsFor(paths, o));
  const nodes = list.tasks.map((t) => ({
    id: t.id,
    title: t.title,
    status: t.status,
    epicId: t.epicId,
    featureId: t.featureId,
    priority: t.priority,
    estimateHours: t.estimateHours,
    line: t.line + 1,
    kind: taskKind(t),
    parent: t.parent,
    blockers: t.blockers,
    blocked: graph.blockage(t.id),
  }));
  const critical = graph.criticalPath();
  if (o.json) {
    json({ nodes, edges: graph.edges(), topologicalOrder: graph.topologicalOrder(), criticalPath: critical, diagnostics: diagnostics.map(oneBased) });
  } else {
    printDiagnostics(paths.tasklistPath, diagnostics);
    for (const e of graph.edges()) out(`${e.from} -> ${e.to}  (${e.type}, ${e.source})`);
    out(`critical path (${critical.hours}h): ${critical.ids.join(' -> ')}`);
  }
  return { code: diagnostics.some((d) => d.severity === 'error') ? 1 : 0 };
}

/** A session with the engine for this list: the running one over its socket, else one opened here (no dispatch). */
interface EngineSession {
  remote?: ControlClient;
  local?: EngineRuntime;
  snapshot(): Promise<PlanSnapshot>;
  close(): Promise<void>;
}

/**
 * Opens a session. `reading`: the command only reads (status, next, export), so the engine opened here never writes
 * the markdown (ids and statuses reach the database only, as in an untrusted workspace); only writers (sync, run,
 * daemon, the editor's engine) write the task list.
 */
async function openSession(paths: EnginePaths, o: CliOptions, reading: boolean, inspectIsolation = false): Promise<EngineSession> {
  if (await socketAnswers(paths.socketPath)) {
    const remote = await connectControl(paths);
    return {
      remote,
      snapshot: () => remote.connection.sendRequest(GetSnapshot.type),
      close: () => remote.detach(),
    };
  }
  const local = await EngineRuntime.open({
    paths,
    configPath: o.config,
    profile: o.profile,
    watch: false,
    readOnly: reading,
    inspectIsolation,
    env: process.env,
    logger: createLogger({ stream: process.stderr, level: 'warn', redact: createRedactor(secretEnvValues(process.env)) }),
    engineVersion: ENGINE_VERSION,
  });
  return { local, snapshot: async () => local.snapshot(), close: () => local.close() };
}

/** `review …`: list and show read (the engine opened here read-only, its worktree records inspected); verdicts write. */
async function cmdReviewSession(paths: EnginePaths, o: CliOptions): Promise<Outcome> {
  const reading = o.review!.action === 'list' || o.review!.action === 'show';
  const s = await openSession(paths, o, reading, reading);
  try {
    const c = s.remote?.connection;
    const client: ReviewClient = c
      ? {
          reviews: () => c.sendRequest(ListReviews.type),
          showReview: (p) => c.sendRequest(ShowReview.type, p),
          acceptReview: (taskId) => c.sendRequest(AcceptReview.type, { taskId }),
          rejectReview: (p) => c.sendRequest(RejectReview.type, p),
          retryReview: (p) => c.sendRequest(RetryReview.type, p),
          resolveConflicts: (p) => c.sendRequest(ResolveConflicts.type, p),
        }
      : s.local!;
    return { code: await cmdReview(client, o, { out, err }) };
  } finally {
    await s.close();
  }
}

async function cmdStatus(paths: EnginePaths, o: CliOptions): Promise<Outcome> {
  const s = await openSession(paths, o, true);
  try {
    const snap = await s.snapshot();
    const pid = readPidFile(paths);
    const daemon = s.remote ? { running: true, pid: s.remote.init.pid, metricsPort: pid?.metricsPort } : { running: false };
    const running = snap.active.map((a) => ({ taskId: a.taskId, agent: a.agent, startedAt: a.startedAt, attempt: a.attempt }));
    if (o.json) {
      json({
        file: paths.tasklistPath,
        db: paths.dbPath,
        state: snap.state,
        ...(snap.pausedFor !== undefined ? { pausedFor: snap.pausedFor } : {}),
        simulated: snap.simulated,
        counts: snap.counts,
        running,
        stalls: stallsOf(snap.tasks),
        // Each blocked task with why (its own `Blocked by:` or BLOCKED text, or the hold upstream it waits behind).
        blocked: snap.tasks
          .filter((t) => t.blocked !== undefined)
          .map((t) => ({ id: t.id, line: t.line + 1, title: t.title, reason: t.blocked!.reason, text: t.blocked!.text, blockers: t.blockers })),
        breakers: snap.breakers,
        ...(snap.providerPauses?.length ? { providerPauses: snap.providerPauses } : {}),
        metrics: snap.metrics,
        spend: snap.spend,
        kpis: snap.kpis,
        ...(snap.gates ? { gates: oneBasedGates(snap.gates) } : {}),
        daemon,
      });
    } else {
      const c = snap.counts;
      out(`${paths.tasklistPath}`);
      // `blocked` is the graph's one definition: a person must act (a `Blocked by:`, a cycle, a failure upstream…).
      out(
        `  ${progressText(planProgress(c))} done (${c.completed} completed, ${c.skipped} skipped), ${c.inProgress} running, ${c.ready} ready, ${c.pending - c.ready} waiting on dependencies, ${c.blocked} blocked, ${c.failed} failed, ${c.timeout} timed out, ${c.cancelled} cancelled`,
      );
      for (const st of stallsOf(snap.tasks)) out(`  blocked: ${st.text}: holds ${listIds(st.holds)}`);
      out(
        `  engine: ${s.remote ? `running (pid ${s.remote.init.pid}), ${snap.state}` : 'not running'}${snap.simulated ? ' — SIMULATED agents (dry-run)' : ''}`,
      );
      if (snap.pausedFor) out(`  paused: ${snap.pausedFor} (${pauseHint(snap.pausedFor, 'cli')})`);
      for (const line of gateLines(snap, paths)) out(`  ${line}`);
      for (const r of running) out(`  running ${r.taskId} on ${r.agent} since ${r.startedAt} (attempt ${r.attempt})`);
      const pauses = new Map((snap.providerPauses ?? []).map((p) => [p.provider, p]));
      for (const [p, st] of Object.entries(snap.breakers)) {
        if (st === 'closed') continue;
        const pause = pauses.get(p);
        out(`  provider ${p}: ${pause ? `paused until ${formatWhen(pause.until)} (${pause.reason}); its tasks wait` : st}`);
      }
      if (snap.kpis) out(`  KPIs: ${kpiLine(snap.kpis)}`);
      if (snap.spend)
        out(
          `  spend: ${formatUsd(snap.spend.run.costUsd)} this run, ${formatUsd(snap.spend.today.costUsd)} today, ${formatUsd(snap.spend.total.costUsd)} in all`,
        );
      for (const b of snap.spend?.budgets ?? [])
        out(`  budget per ${b.scope}: ${formatUsd(b.spentUsd)} of ${formatUsd(b.budgetUsd)}${b.id !== undefined ? ` (${b.id}, the nearest its limit)` : ''}`);
      for (const h of snap.spend?.holds ?? []) if (h.reason !== snap.pausedFor) out(`  held: ${h.reason}`);
    }
    return { code: 0 };
  } finally {
    await s.close();
  }
}

/** Gates with 1-based lines, as every `--json` output prints lines. */
function oneBasedGates(g: GatesView): GatesView {
  return { waiting: g.waiting.map((w) => ({ ...w, line: w.line + 1 })), decisions: g.decisions };
}

/** The waiting gates and the latest decision, for people. */
function gateLines(snap: PlanSnapshot, paths: EnginePaths): string[] {
  const out: string[] = [];
  const file = paths.tasklistPath;
  for (const w of snap.gates?.waiting ?? [])
    out.push(
      `waiting for approval: ${w.id} "${w.title}" (${w.feature ? 'feature, ' : ''}${w.kind === 'review' ? 'Gate: review' : 'checkpoint'}${w.holds ? `, holds ${w.holds} task${w.holds === 1 ? '' : 's'}` : ''}${w.files ? `; ${changedFilesText(w.files)}` : ''}): coditect approve ${file} ${w.id} [--note …], or reject ${w.id} --note …`,
    );
  const last = snap.gates?.decisions[0];
  if (last) out.push(`last gate decision: ${last.gateId} ${last.decision} by ${last.by} at ${formatWhen(last.at)}${last.note ? `: ${last.note}` : ''}`);
  return out;
}

/** The pre-dispatch cost estimate of a task, when it has an estimate and its agent type a recent rate. */
function estimateOf(hours: number | undefined, usdPerHour: number | undefined): { estimateUsd?: number } {
  if (hours === undefined || usdPerHour === undefined) return {};
  return { estimateUsd: Math.round(hours * usdPerHour * 1e6) / 1e6 };
}

async function cmdNext(paths: EnginePaths, o: CliOptions): Promise<Outcome> {
  const s = await openSession(paths, o, true);
  try {
    const snap = await s.snapshot();
    // Tasks written without an id are known by the id the engine keeps for them: match them by line (the file is the
    // one the engine just read; a reading command changes nothing in between).
    const parsed = loadTaskList(paths.tasklistPath, parseOptionsFor(paths, o)).list;
    const byLine = new Map(snap.tasks.map((t) => [t.line, t.id]));
    const renames = new Map<string, string>();
    for (const t of parsed.tasks) {
      const id = byLine.get(t.line);
      if (!t.idExplicit && id !== undefined && id !== t.id) renames.set(t.id, id);
    }
    const list = renames.size > 0 ? renameTasks(parsed, renames) : parsed;
    const statuses = new Map<string, TaskStatus>(snap.tasks.map((t) => [t.id, t.status]));
    const approvedGates = new Set(snap.gates?.approvedFeatures ?? []);
    const graph = DependencyGraph.fromTaskList(list, statuses, { priorityWeights: snap.priorityWeights, approvedGates });
    const views = new Map(snap.tasks.map((t) => [t.id, t]));
    const rates = new Map((snap.spend?.rates ?? []).map((r) => [r.agentType, r.usdPerHour]));
    // The priority a task is dispatched with: its own, else its feature's, else its epic's (a Spec Kit phase heading's
    // `(Priority: P1)`), as the graph orders them.
    const groupPriority = new Map<string, string | undefined>([...list.epics, ...list.features].map((g) => [g.id, g.priority]));
    const readyIds = graph
      .readyIds()
      // A checkpoint is no work for an agent: it waits for a person (listed under gates).
      .filter((id) => views.has(id) && views.get(id)!.gate !== 'checkpoint');
    // File-aware scheduling (src/core/fileClaims.ts): a ready task naming a path that a task in progress, or a ready
    // task before it, names does not start at the same time; it says which and why.
    const nodes = new Map(list.tasks.map((t) => [t.id, t]));
    const pathsOf = (id: string): string[] => {
      const n = nodes.get(id);
      return n ? taskPaths(n) : [];
    };
    const holds = fileHolds(
      snap.tasks.filter((t) => t.status === 'in_progress').map((t) => ({ id: t.id, paths: pathsOf(t.id) })),
      readyIds.map((id) => ({ id, paths: pathsOf(id) })),
    );
    const ready = readyIds.map((id) => {
      const v = views.get(id)!;
      const files = pathsOf(id);
      const hold = holds.get(id);
      return {
        id,
        title: v.title,
        line: v.line + 1,
        priority: v.priority ?? groupPriority.get(v.featureId) ?? groupPriority.get(v.epicId) ?? null,
        estimateHours: v.estimateHours,
        unblocks: graph.unblocksCount(id),
        agent: v.route.agent,
        rule: v.route.rule,
        reason: v.route.reason,
        // Before it runs: its estimate × what an estimated hour recently cost on its agent type (docs/costs-and-gates.md).
        ...estimateOf(v.estimateHours, rates.get(v.route.agent)),
        ...(files.length > 0 ? { files } : {}),
        ...(hold ? { heldBy: { task: hold.holder, running: hold.running, paths: hold.paths, reason: fileHoldText(hold) } } : {}),
      };
    });
    const gates = snap.gates?.waiting ?? [];
    if (o.json) json({ file: paths.tasklistPath, ready, ...(gates.length ? { gates: oneBasedGates({ waiting: gates, decisions: [] }).waiting } : {}) });
    else {
      if (ready.length === 0) out('no task is ready');
      for (const r of ready)
        out(
          `${r.id.padEnd(10)} ${(r.priority ?? '  ').padEnd(3)} → ${r.agent.padEnd(24)} ${r.title}\n${' '.repeat(15)}${r.reason}${r.estimateUsd !== undefined ? ` · ${formatUsd(r.estimateUsd, true)} estimated` : ''}${r.heldBy ? `\n${' '.repeat(15)}${r.heldBy.reason}` : ''}`,
        );
      for (const line of gateLines({ ...snap, gates: { waiting: gates, decisions: [] } }, paths)) out(line);
    }
    return { code: 0 };
  } finally {
    await s.close();
  }
}

async function cmdSync(paths: EnginePaths, o: CliOptions): Promise<Outcome> {
  if (o.watch) {
    // Watch mode is the engine with its file watcher and no dispatch, until interrupted.
    const rt = await EngineRuntime.open({
      paths,
      configPath: o.config,
      profile: o.profile,
      watch: true,
      env: process.env,
      logger: createLogger({ stream: process.stderr, redact: createRedactor(secretEnvValues(process.env)) }),
      engineVersion: ENGINE_VERSION,
    });
    err(`watching ${paths.tasklistPath} (Ctrl-C to stop)`);
    await new Promise<void>((r) => {
      process.once('SIGINT', r);
      process.once('SIGTERM', r);
    });
    await rt.close();
    return { code: 0 };
  }
  const s = await openSession(paths, o, false);
  try {
    let r = s.remote ? await s.remote.connection.sendRequest(SyncNow.type) : await s.local!.syncNow();
    // Opening the engine here already synced: that is the sync this command did.
    const opened = s.local?.openSync;
    if (opened?.applied && !r.applied) r = { ...opened, diagnostics: r.diagnostics };
    if (o.json) json({ ...r, diagnostics: r.diagnostics.map(oneBased) });
    else {
      printDiagnostics(paths.tasklistPath, r.diagnostics);
      out(r.applied ? `synced (${r.direction ?? 'both ways'}), ${r.conflicts} conflict(s)` : 'already in sync');
    }
    return { code: r.diagnostics.some((d) => d.severity === 'error') ? 1 : 0 };
  } finally {
    await s.close();
  }
}

async function cmdExport(paths: EnginePaths, o: CliOptions): Promise<Outcome> {
  const s = await openSession(paths, o, true);
  try {
    const r = s.remote ? await s.remote.connection.sendRequest(ExportWorkItems.type, { outPath: o.out }) : s.local!.exportWorkItems(o.out);
    if (o.json) json(r);
    else out(`wrote ${r.count} work items to ${r.path}`);
    return { code: 0 };
  } finally {
    await s.close();
  }
}

/**
 * The ids of tasks written without one: the ids context.db knows them by (kept across edits, docs/sync.md). With
 * `--write`, writes them into the lines of unfinished tasks, in any dialect (the person's choice); without, only
 * lists them and leaves the markdown alone. Needs the database to itself: not while an engine runs for the list.
 */
async function cmdIds(paths: EnginePaths, o: CliOptions): Promise<Outcome> {
  if (await socketAnswers(paths.socketPath)) {
    err(`an engine runs for ${paths.tasklistPath}; stop it first (coditect daemon stop ${paths.tasklistPath})`);
    return { code: 1 };
  }
  const { criteriaHeadings } = parseOptionsFor(paths, o);
  const handle = openDatabase(paths.dbPath);
  const sync = new SyncService({ handle, tasklistPath: paths.tasklistPath, readOnly: !o.write, writeIds: o.write ? 'always' : 'never', criteriaHeadings });
  try {
    const r = await sync.syncFromDisk({ force: true });
    const unnamed = sync
      .current()
      .tasks.filter((t) => !t.idExplicit)
      .map((t) => ({ id: t.id, line: t.line + 1, status: t.status, title: t.title }));
    const written = o.write ? r.idsAssigned : 0;
    if (o.json) json({ file: paths.tasklistPath, written, unnamed });
    else {
      for (const u of unnamed) out(`${String(u.line).padStart(6)}  ${u.id.padEnd(10)} ${u.title}${u.status === 'completed' ? ' (done: never rewritten)' : ''}`);
      if (o.write) out(`wrote ${written} id(s) into ${paths.tasklistPath}`);
      else if (unnamed.length > 0) out(`${unnamed.length} task(s) without a written id; \`coditect ids ${paths.tasklistPath} --write\` writes them`);
      else out('every task has a written id');
    }
    return { code: 0 };
  } finally {
    await sync.close();
    handle.close();
  }
}

async function cmdRun(paths: EnginePaths, o: CliOptions): Promise<Outcome> {
  // One engine per plan: when one already runs (a daemon, an editor's), this run is its client rather than a failure.
  if (await socketAnswers(paths.socketPath)) return cmdRunAttached(paths, o);
  const started = Date.now();
  // The config's logging.level applies to the foreground run too; its lines go to stderr.
  const level = logLevelOf(loggingOf(paths, o.config, process.env, o.profile)) ?? 'info';
  const logger = createLogger({ stream: process.stderr, level, redact: createRedactor(secretEnvValues(process.env)) });
  const rt = await EngineRuntime.open({
    paths,
    configPath: o.config,
    profile: o.profile,
    watch: true,
    env: process.env,
    logger,
    engineVersion: ENGINE_VERSION,
    agentOverride: o.agent,
    concurrency: o.concurrency,
    metricsPort: o.metricsPort,
    serveMetrics: o.metricsPort !== undefined && o.metricsPort > 0,
  });
  const control = await serveControlSocket(rt, paths.socketPath, ENGINE_VERSION).catch((e: unknown) => {
    logger.warn(`control socket unavailable: ${errorMessage(e)}`);
    return undefined;
  });
  const opening = rt.snapshot();
  if (opening.simulated) err('NOTE: agents are SIMULATED (dry-run): no API key or agent is configured, nothing real will run.');
  // Problems in the list change what runs (a duplicate id runs once, a cycle holds its tasks): say so first.
  printDiagnostics(paths.tasklistPath, opening.diagnostics);
  if (opening.tasks.length === 0) {
    // Nothing to run is never a success: a binary file, the wrong file or a list the parser read nothing from
    // ended "completed 0/0" with exit 0 (#14 item 9).
    err(`error: ${paths.tasklistPath} has no tasks, nothing to run${whyNoTasks(paths.tasklistPath)} (docs/tasklist-format.md)`);
    await control?.close();
    await rt.close();
    return { code: 1 };
  }
  rt.on('activity:appended', printActivity);
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) return;
    interrupted = true;
    err('stopping: no new tasks; running tasks get the grace period, then go back to pending');
    void rt.stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  rt.start();
  await rt.idle();
  if (rt.fatalError) err(`error: engine stopped: ${rt.fatalError}`);
  const snap = rt.snapshot();
  const stalls = rt.stalls();
  await control?.close();
  await rt.close();
  const done = printRunSummary(snap, stalls, started, interrupted, o, rt.markdownFault);
  // Tasks the parser could not read (nested too deep) did not run: the plan is not done, whatever the counts say.
  const unread = opening.diagnostics.some((d) => d.code === 'nesting-too-deep');
  return { code: done && !rt.fatalError && rt.markdownFault === undefined && !unread ? 0 : 1 };
}

/** Why a task list has no tasks, when its bytes say: `: it looks binary (NUL byte at offset 12)`; else ''. */
function whyNoTasks(path: string): string {
  try {
    const at = readFileSync(path).indexOf(0);
    return at >= 0 ? `: it looks binary (NUL byte at offset ${at})` : '';
  } catch {
    return '';
  }
}

/** Prints activity entries as `run` shows them; most messages begin with their task's id ("T3 started on …"): printed once. */
function printActivity(p: ActivityAppendedParams): void {
  for (const a of p.entries) {
    const id = a.taskId !== undefined && !a.message.startsWith(a.taskId) ? `${a.taskId} ` : '';
    err(`${a.at.slice(11, 19)} ${a.kind.padEnd(9)} ${id}${a.message}`);
  }
}

/** The end of a run, local or attached: the outcome line (or --json object); true when every task is done. */
function printRunSummary(snap: PlanSnapshot, stalls: StallView[], started: number, interrupted: boolean, o: CliOptions, markdownFault?: string): boolean {
  // Done by the one rule of done (src/core/progress.ts), as the engine counted it.
  const done = snap.counts.done === snap.counts.total;
  const ids = (pred: (t: TaskView) => boolean): string[] => [...new Set(snap.tasks.filter(pred).map((t) => t.id))];
  const failed = ids((t) => ['failed', 'timeout', 'cancelled'].includes(t.status));
  // One definition of blocked (the graph's, carried by TaskView.blocked), with the reasons grouped in `stalls`.
  const blocked = ids((t) => t.blocked !== undefined);
  // A budget reached pauses the run: it ends here, saying which (a daemon would wait for resume instead).
  const outcome = done ? 'completed' : interrupted ? 'interrupted' : snap.pausedFor !== undefined ? 'paused' : 'stalled';
  if (o.json)
    json({
      outcome,
      durationMs: Date.now() - started,
      counts: snap.counts,
      failed,
      blocked,
      stalls,
      ...(snap.pausedFor !== undefined ? { pausedFor: snap.pausedFor } : {}),
      ...(snap.gates?.waiting.length ? { gates: oneBasedGates(snap.gates).waiting } : {}),
      simulated: snap.simulated,
      diagnostics: snap.diagnostics.map(oneBased),
      // The task list on disk is behind the database (its write failed): the run exits 1.
      ...(markdownFault !== undefined ? { markdownNotWritten: markdownFault } : {}),
    });
  else {
    out(
      `${outcome}: ${progressText(planProgress(snap.counts))} done, ${failed.length} failed, ${blocked.length} blocked (${formatDuration(Date.now() - started)})`,
    );
    if (snap.pausedFor !== undefined) out(`  paused: ${snap.pausedFor} (${pauseHint(snap.pausedFor, 'run')})`);
    for (const st of stalls) out(`  ${st.text}: holds ${listIds(st.holds)}`);
    for (const w of snap.gates?.waiting ?? []) out(`  approve with: coditect approve ${snap.tasklistPath} ${w.id} [--note …]`);
  }
  return done;
}

/**
 * `run` while an engine already runs for the list: starts it (if it was not dispatching) and follows it until nothing
 * more can start, printing its activity as a local run does. Ctrl-C detaches; the owner goes on (stop it with
 * `coditect stop`). --agent, --concurrency and --config are the owner's own and are not changed.
 */
async function cmdRunAttached(paths: EnginePaths, o: CliOptions): Promise<Outcome> {
  const started = Date.now();
  const c = await connectControl(paths);
  try {
    err(`attached to the engine of pid ${c.init.pid} that already runs ${paths.tasklistPath}: following it (Ctrl-C detaches; it keeps running)`);
    if (o.agent !== undefined || o.concurrency !== undefined || o.config !== undefined)
      err('note: --agent, --concurrency and --config do not change an engine that already runs');
    if (c.init.snapshot.simulated) err('NOTE: agents are SIMULATED (dry-run): no API key or agent is configured, nothing real will run.');
    c.connection.onNotification(ActivityAppended.type, printActivity);
    let counts = c.init.snapshot.counts;
    let state = c.init.snapshot.state;
    let detached = false;
    const finished = new Promise<void>((resolve) => {
      // The run is over when every task is done or the engine no longer dispatches (stalled, paused, stopped).
      const check = (): void => {
        if (detached || counts.done === counts.total || ['stalled', 'idle', 'paused'].includes(state)) resolve();
      };
      c.connection.onNotification(TasksChanged.type, (p) => {
        counts = p.counts;
        check();
      });
      c.connection.onNotification(StateChanged.type, (p) => {
        state = p.state;
        check();
      });
      c.connection.onClose(() => resolve());
      const onSignal = (): void => {
        detached = true;
        err('detaching: the engine keeps running');
        resolve();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      void c.connection.sendRequest(StartOrchestration.type).then((r) => {
        state = r.state;
        check();
      });
    });
    await finished;
    const snap = await c.connection.sendRequest(GetSnapshot.type);
    const done = printRunSummary(snap, stallsOf(snap.tasks), started, detached, o);
    return { code: done ? 0 : 1 };
  } finally {
    await c.detach();
  }
}

async function cmdControl(paths: EnginePaths, o: CliOptions): Promise<Outcome> {
  const c = await connectControl(paths);
  try {
    let result: unknown;
    switch (o.command) {
      case 'start':
        result = await c.connection.sendRequest(StartOrchestration.type);
        break;
      case 'pause':
        result = await c.connection.sendRequest(PauseOrchestration.type);
        break;
      case 'resume':
        result = await c.connection.sendRequest(ResumeOrchestration.type);
        break;
      case 'stop':
        result = await c.connection.sendRequest(StopOrchestration.type);
        break;
      case 'cancel':
        result = await c.connection.sendRequest(CancelTask.type, { taskId: o.positionals[1] });
        break;
      default:
        throw new UsageError(`not a control command: ${o.command}`);
    }
    if (o.json) json(result);
    else out(`${o.command}: ${JSON.stringify(result)}`);
    const ok = o.command !== 'cancel' || (result as { cancelled: boolean }).cancelled;
    if (!ok) err(`task ${o.positionals[1]} is not running`);
    return { code: ok ? 0 : 1 };
  } finally {
    await c.detach();
  }
}

/** `approve|reject <list> <id> [--note]`: a person's decision on a gate, through the running engine or one opened here. */
async function cmdGate(paths: EnginePaths, o: CliOptions): Promise<Outcome> {
  const s = await openSession(paths, o, false);
  try {
    const params = { gateId: o.positionals[1], ...(o.note !== undefined ? { note: o.note } : {}) };
    const approve = o.command === 'approve';
    let r: GateDecisionResult;
    if (s.remote) r = await s.remote.connection.sendRequest(approve ? ApproveGate.type : RejectGate.type, params);
    else r = approve ? s.local!.approveGate(params) : s.local!.rejectGate(params);
    if (o.json) json({ gateId: params.gateId, decision: approve ? 'approved' : 'rejected', ...r });
    else if (r.done) out(r.message);
    else err(`coditect: ${r.message}`);
    return { code: r.done ? 0 : 1 };
  } finally {
    await s.close();
  }
}

async function cmdDaemon(paths: EnginePaths, o: CliOptions): Promise<Outcome> {
  const action = o.positionals[0];
  const pid = readPidFile(paths);
  const alive = pid !== undefined && pidAlive(pid.pid) && (await socketAnswers(pid.socket));
  if (action === 'status') {
    if (o.json) json({ running: alive, ...(alive ? pid : {}) });
    else
      out(
        alive
          ? `daemon running: pid ${pid!.pid}, since ${pid!.startedAt}${pid!.metricsPort ? `, metrics http://127.0.0.1:${pid!.metricsPort}/metrics` : ''}${pid!.logFile ? `, log ${pid!.logFile}` : ''}${pid!.http ? `\n${dashboardLine(pid!.http, paths)}` : ''}`
          : 'daemon not running',
      );
    return { code: alive ? 0 : 1 };
  }
  if (action === 'stop') {
    if (!alive) {
      out('daemon not running');
      return { code: 0 };
    }
    process.kill(pid!.pid, 'SIGTERM');
    await waitForExit(pid!.pid);
    out(`daemon (pid ${pid!.pid}) stopped`);
    return { code: 0 };
  }
  // start
  if (alive) {
    err(`a daemon already runs for ${paths.tasklistPath} (pid ${pid!.pid})`);
    return { code: 1 };
  }
  if (o.foreground) {
    return {
      code: await runDaemon({
        tasklistPath: paths.tasklistPath,
        dbPath: o.db,
        configPath: o.config,
        profile: o.profile,
        metricsPort: o.metricsPort,
        agent: o.agent,
        concurrency: o.concurrency,
        http: o.http,
        foreground: true,
      }),
    };
  }
  const args = ['--daemon', '--tasklist', paths.tasklistPath, '--db', paths.dbPath];
  if (o.config) args.push('--config', o.config);
  if (o.profile) args.push('--profile', o.profile);
  if (o.metricsPort !== undefined) args.push('--metrics-port', String(o.metricsPort));
  if (o.agent) args.push('--agent', o.agent);
  if (o.concurrency) args.push('--concurrency', String(o.concurrency));
  if (o.http !== undefined) args.push('--http', o.http);
  // No stdio: the daemon outlives this process, so it reports start-up over IPC and logs to its own file.
  const child = fork(join(__dirname, 'engine.js'), args, { detached: true, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  const ready = await new Promise<DaemonReadyMessage | undefined>((res) => {
    child.once('message', (m) => res(m as DaemonReadyMessage));
    child.once('exit', () => res(undefined));
  });
  if (!ready || ready.type !== 'coditect:daemon-ready') {
    err(`daemon failed to start: ${ready?.type === 'coditect:daemon-failed' ? ready.message : `it exited; see ${paths.logFile}`}`);
    return { code: 1 };
  }
  if (child.connected) child.disconnect();
  child.unref();
  const log = ready.logFile ?? paths.logFile;
  if (o.json) json({ started: true, pid: ready.pid, socket: ready.socket, metricsPort: ready.metricsPort, log, http: ready.http });
  else {
    out(`daemon started: pid ${ready.pid}, log ${log}${ready.metricsPort ? `, metrics http://127.0.0.1:${ready.metricsPort}/metrics` : ''}`);
    if (ready.http) out(dashboardLine(ready.http, paths));
  }
  return { code: 0 };
}

/** Where the dashboard is and where its token lives (never the token itself: terminals are logged and shared). */
function dashboardLine(url: string, paths: EnginePaths): string {
  return `dashboard ${url}/#token=<the contents of ${tokenPath(paths.stateDir)}>; API ${url}/api (docs/server.md)`;
}

/** Resolves when the process is gone (the daemon's own grace bounds how long that takes). */
async function waitForExit(pid: number): Promise<void> {
  // A process that is not our child offers no exit event: poll kill(0) at a modest rate.
  while (pidAlive(pid)) await new Promise((r) => setTimeout(r, 100));
}

/** Runs the CLI; resolves with the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  let o: CliOptions;
  try {
    o = parseCli(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`coditect: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (o.command === 'help') {
    out(USAGE);
    return 0;
  }
  // A worker has no plan: it runs what a coordinator enqueues (docs/server.md#workers).
  if (o.command === 'worker') {
    try {
      // Loaded only for `worker`: BullMQ and ioredis are not evaluated by any other command.
      return await (await import('./workerCommand.js')).cmdWorker(o, process.env, err);
    } catch (e) {
      err(`coditect: ${errorMessage(e)}`);
      return e instanceof UsageError ? 2 : 1;
    }
  }
  const listArg = o.command === 'daemon' ? o.positionals[1] : o.positionals[0];
  // The plan's deployment sets DB_PATH and PROMETHEUS_PORT; a flag wins over them.
  try {
    Object.assign(o, deploymentEnv(o, process.env));
  } catch (e) {
    err(`coditect: ${errorMessage(e)}`);
    return 2;
  }
  let paths: EnginePaths;
  try {
    const targets = planTargets(listArg, o, process.env);
    paths = targets.paths;
    // The config that named the task list is the one the engine runs on.
    if (listArg === undefined) o.config ??= targets.configFile;
  } catch (e) {
    err(`coditect: ${errorMessage(e)}`);
    return e instanceof UsageError ? 2 : 1;
  }
  try {
    switch (o.command) {
      case 'validate':
        return cmdValidate(paths, o).code;
      case 'graph':
        return cmdGraph(paths, o).code;
      case 'status':
        return (await cmdStatus(paths, o)).code;
      case 'next':
        return (await cmdNext(paths, o)).code;
      case 'sync':
        return (await cmdSync(paths, o)).code;
      case 'export':
        return (await cmdExport(paths, o)).code;
      case 'ids':
        return (await cmdIds(paths, o)).code;
      case 'cost':
        return cmdCost(paths, o, out).code;
      case 'backup':
        return cmdBackup(paths, o, out).code;
      case 'restore':
        return (await cmdRestore(paths, o, out, err)).code;
      case 'reconcile':
        return (await cmdReconcile(paths, o, out, err)).code;
      case 'run':
        return (await cmdRun(paths, o)).code;
      case 'daemon':
        return (await cmdDaemon(paths, o)).code;
      case 'start':
      case 'pause':
      case 'resume':
      case 'stop':
      case 'cancel':
        return (await cmdControl(paths, o)).code;
      case 'review':
        return (await cmdReviewSession(paths, o)).code;
      case 'approve':
      case 'reject':
        return (await cmdGate(paths, o)).code;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`coditect: ${e.message}`);
      return 2;
    }
    err(`coditect: ${errorMessage(e)}`);
    return 1;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      err(`coditect: ${(e as Error)?.stack ?? String(e)}`);
      process.exitCode = 1;
    },
  );
}
