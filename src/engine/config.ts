// The orchestrator configuration the engine runs on: a file (`.coditect/config.json`, or the file given by `--config`)
// read, validated against its schema and normalized into the camelCase `OrchestratorConfig`, and the views the engine
// takes of it. Each step has its own file under src/engine/config/:
//   fileSchema.ts     the file's options, their ranges and defaults (every option documented there)
//   profiles.ts       `profiles` / the plan's `environments`, and which one applies
//   planStyleKeys.ts  the plan's `orchestrator`, `dispatcher`, `monitoring`… sections mapped onto the options
//   agentsConfig.ts   the `agents` entries, aliases resolved, and the spec that runs an agent type
//   settings.ts       editor settings merged over a loaded config
//   configErrors.ts   ConfigError and the messages naming the key as written and the bad value
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AttentionKind } from '../protocol/engineProtocol';
import { DEFAULT_AGENT_MAPPINGS, keywordsFromPatterns, PLAN_EPIC_FALLBACKS, type RoutingConfig } from '../core/routing';
import type { AgentSpec } from './agents/agentFactory';
import { errorMessage } from '../core/describe';
import type { SandboxMode } from './agents/sandbox';
import type { ModelPrice } from './agents/pricing';
import { BUILT_IN_AGENTS, resolveAgents } from './config/agentsConfig';
import { ConfigError, fail, formatIssue, show, writtenPath } from './config/configErrors';
import { fileSchema, type FileConfig, type JitterKind, type MergePolicy, type MergeStrategyName, type QueueResults } from './config/fileSchema';
import { liftLegacySections, liftMaxTotal } from './config/planStyleKeys';
import { applyProfile } from './config/profiles';
import { isPlainObject } from './config/plainObject';
import { jsonValueProblems } from './config/jsonCheck';
import { redisUrlFromEnv, redisUrlProblem } from './queue/redisUrl';

/** The validated configuration the engine runs on. */
export interface OrchestratorConfig {
  /** Profile that was applied, if any. */
  profile?: string;
  maxConcurrentAgents: number;
  agentLimits: { maxPerType: Record<string, number> };
  /** Agent (entry of `agents` or built-in kind) running agent types without their own entry. */
  defaultAgent: string;
  /** Nobody chose `defaultAgent` (no `default_agent`, no setting): it followed the API key (anthropic, else dry-run). */
  defaultAgentImplicit: boolean;
  /** The simulation nobody chose (implicit dry-run default): average task length, ms (SIMULATION_MS). */
  simulation: { durationMs: number };
  /** Routing's last resort agent type. */
  fallbackAgentType: string;
  /** Every configured agent by name, aliases resolved. */
  agents: Record<string, AgentSpec>;
  model?: string;
  agentMappings: Record<string, string[]>;
  agentPriorityOverrides: Record<string, string>;
  epicFallbacks: Record<string, string>;
  retry: { maxAttempts: number; initialDelayMs: number; maxDelayMs: number; jitter: JitterKind; backoffBase: number };
  circuitBreaker: { failureThreshold: number; cooldownMs: number };
  rateLimit: { defaultPauseMs: number; usageLimitPauseMs: number };
  timeouts: { defaultMinutes: number; perAgentType: Record<string, number>; killGraceMs: number };
  lease: { ms: number; heartbeatMs: number };
  shutdownGraceMs: number;
  metrics: { enabled?: boolean; port: number; host: string; grafana_dashboard_id?: string; alert_on_failure_rate?: number };
  /** `bind`: where a daemon serves its HTTP API and web dashboard (loopback HOST:PORT) when `--http` does not say. */
  http: { bind?: string };
  /** `intervalTasks`: a checkpoint row every that many completed tasks (0 = only per feature and epic). */
  checkpoint: { enabled: boolean; gitTag: boolean; intervalTasks: number };
  /** Price overrides by model (USD per million tokens), merged over the shipped table, for costs estimated from tokens. */
  prices: Record<string, ModelPrice>;
  /** Spending limits in USD (docs/costs-and-gates.md#budgets); undefined: no limit. */
  budget: BudgetConfig;
  /** When the engine holds dispatch for a person to look (docs/costs-and-gates.md#pause-after). */
  pauseAfter: PauseAfterConfig;
  /** Where the engine tells a person it needs them or is done (docs/costs-and-gates.md#notifications). */
  notify: NotifyConfig;
  /** Interval of the heartbeat row in the plan's orchestrator_state, ms; 0 = none (`orchestrator.health_check_interval`). */
  healthCheckIntervalMs: number;
  /** Format version the file declares (the plan's `"version"`), shown, not interpreted. */
  version?: string;
  /** Absolute working directory of agents, when configured. */
  cwd?: string;
  /** How agent processes are contained (docs/security.md). */
  sandbox: { mode: SandboxMode; network: boolean; envAllow: string[]; writablePaths: string[] };
  /** Per-task git worktrees and the merge queue (docs/isolation.md). */
  isolation: IsolationConfig;
  sync: FileConfig['sync'];
  dispatch: FileConfig['dispatch'];
  logging: FileConfig['logging'];
  /** Periodic backups of the database (`backup.*`): every `intervalMs` (0 = off), the newest `keep` kept. */
  backup: { intervalMs: number; keep: number };
  /** Where attempts run: here, or as jobs on Redis for `coditect worker` processes (docs/server.md#workers). */
  queue: QueueConfig;
  /** File it was loaded from, if any. */
  source?: string;
  /** Keys of plan-style sections this engine ignores, and shadowed duplicates (shown to the person, not fatal). */
  warnings: string[];
}

/** The `queue.*` options: `local` (the engine runs its attempts), or `redis` with the shared Redis and the job settings. */
export type QueueConfig =
  | { kind: 'local' }
  | {
      kind: 'redis';
      url: string;
      prefix: string;
      lockMs: number;
      stalledIntervalMs: number;
      maxStalled: number;
      /** What workers send back of the files an attempt changed (docs/server.md#file-changes). */
      results: QueueResults;
      /** The git remote results branches go to (and workers fetch the base commit from). */
      remote?: string;
    };

/** The `budget.*` options: USD limits, each undefined when not set. */
export interface BudgetConfig {
  perTaskUsd?: number;
  perRunUsd?: number;
  perDayUsd?: number;
  perEpicUsd?: number;
}

/** The `pause_after.*` options: hold dispatch after so many completions, or at each finished feature. */
export interface PauseAfterConfig {
  /** Hold after this many tasks the engine completed since the person last looked; undefined: never by count. */
  tasks?: number;
  /** Hold when a feature the engine completed a task of has every task done. */
  feature: boolean;
}

/** The `notify.*` options. */
export interface NotifyConfig {
  /** http(s) URL the events are POSTed to as JSON; undefined: none. */
  webhook?: string;
  /** Program and arguments run per event (no shell), the event as JSON on stdin; undefined: none. */
  command?: string[];
  /** The kinds sent; undefined: all. */
  events?: AttentionKind[];
  timeoutMs: number;
  /** Webhook retries after a transient failure (network, timeout, 5xx, 408, 429). */
  retries: number;
}

/** The `isolation`, `base_branch`, `worktree.*` and `merge.*` options, validated. */
export interface IsolationConfig {
  /** `worktree` or `none`; undefined when the file does not say (worktree inside a git repository, else none). */
  mode?: 'worktree' | 'none';
  /** Integration branch; undefined: the branch checked out when the engine starts. */
  baseBranch?: string;
  worktree: {
    /** Absolute folder of the task worktrees; undefined: the default in the user's cache. */
    dir?: string;
    branchPrefix: string;
    copy: string[];
    link: string[];
    setup?: string;
    branchRetentionDays: number;
  };
  merge: {
    strategy: MergeStrategyName;
    verify?: string;
    policy: MergePolicy;
    policyOverrides: Record<string, MergePolicy>;
    author: { name: string; email: string };
    /** What a conflicting merge of an attempt's branch comes to: a person's review, or an agent resolving it. */
    onConflict: 'review' | 'agent';
  };
}

/** Options of `parseConfig` / `loadConfig`. */
export interface ConfigLoadOptions {
  /** Environment used for defaults (ANTHROPIC_API_KEY) and CODITECT_PROFILE. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Profile to apply; wins over CODITECT_PROFILE and the file's `profile`. */
  profile?: string;
  /** Directory relative paths (`cwd`) resolve against. Default: the config file's directory, else process.cwd(). */
  baseDir?: string;
}

/** Validates a raw config object (already parsed JSON); `source` names it in errors. */
export function parseConfig(raw: unknown, source = 'config', opts: ConfigLoadOptions = {}): OrchestratorConfig {
  const env = opts.env ?? process.env;
  if (raw === undefined || raw === null) raw = {};
  if (!isPlainObject(raw)) fail(source, [`(root): expected an object, got ${show(raw)}`]);

  const { merged, profileName } = applyProfile(raw, source, opts.profile, env);

  const lifted = liftLegacySections(merged);
  if (lifted.errors.length > 0) fail(source, lifted.errors);
  liftMaxTotal(lifted.raw, lifted.origin, lifted.warnings);
  const r = fileSchema.safeParse(lifted.raw);
  if (!r.success)
    fail(
      source,
      r.error.issues.flatMap((i) => formatIssue(i, lifted.raw, lifted.origin)),
    );
  const config = normalize(r.data, source, profileName || undefined, env, opts.baseDir, lifted.origin);
  config.warnings.push(...lifted.warnings);
  return config;
}

function normalize(
  f: FileConfig,
  source: string,
  profile: string | undefined,
  env: Record<string, string | undefined>,
  baseDir: string | undefined,
  origin: ReadonlyMap<string, string>,
): OrchestratorConfig {
  const issues: string[] = [];
  const w = (p: string): string => writtenPath(p, origin);
  if (f.retry.max_delay_ms < f.retry.initial_delay_ms) {
    issues.push(`${w('retry.max_delay_ms')}: expected ≥ ${w('retry.initial_delay_ms')} (${f.retry.initial_delay_ms}), got ${f.retry.max_delay_ms}`);
  }
  if (f.lease.heartbeat_ms >= f.lease.ms) issues.push(`${w('lease.heartbeat_ms')}: expected < ${w('lease.ms')} (${f.lease.ms}), got ${f.lease.heartbeat_ms}`);

  const agents = resolveAgents(f.agents, issues);
  const defaultAgent = f.default_agent ?? (env.ANTHROPIC_API_KEY ? 'anthropic' : 'dry-run');
  if (!Object.hasOwn(agents, defaultAgent) && !(BUILT_IN_AGENTS as readonly string[]).includes(defaultAgent)) {
    issues.push(`${w('default_agent')}: expected a name in agents or one of ${BUILT_IN_AGENTS.join(', ')}, got ${show(defaultAgent)}`);
  }
  if (f.agent_mappings) {
    for (const [key, v] of Object.entries(f.agent_mappings)) {
      const words = typeof v === 'string' ? key.split('|') : v;
      words.forEach((w, i) => {
        if (!/[A-Za-z0-9]/.test(w)) {
          const where = typeof v === 'string' ? `agent_mappings["${key}"]: alternative ${i + 1}` : `agent_mappings.${key}.${i}`;
          issues.push(`${where}: expected a keyword with letters or digits, got ${show(w)}`);
        }
      });
    }
  }
  const queue = queueOf(f, env, w, issues);
  if (queue.kind === 'redis' && f.isolation === 'worktree')
    issues.push(
      `${w('isolation')}: expected none (or unset) with queue.kind redis — workers run tasks in their own checkout, the coordinator has no worktree to land; got "worktree"`,
    );
  if (issues.length > 0) fail(source, issues);

  const jitter: JitterKind = f.retry.jitter === true ? 'half' : f.retry.jitter === false ? 'none' : f.retry.jitter;
  const dir = baseDir ?? (source !== 'config' && path.isAbsolute(source) ? path.dirname(source) : process.cwd());
  return {
    profile,
    maxConcurrentAgents: f.max_concurrent_agents,
    agentLimits: { maxPerType: { ...f.agent_limits.max_per_type } },
    defaultAgent,
    defaultAgentImplicit: f.default_agent === undefined,
    simulation: { durationMs: f.simulation.duration_ms },
    fallbackAgentType: f.fallback_agent_type,
    agents,
    model: f.model,
    agentMappings: f.agent_mappings ? agentMappingsOf(f.agent_mappings) : DEFAULT_AGENT_MAPPINGS,
    agentPriorityOverrides: { ...f.agent_priority_overrides },
    epicFallbacks: { ...(f.epic_fallbacks ?? PLAN_EPIC_FALLBACKS) },
    retry: {
      maxAttempts: f.retry.max_attempts,
      initialDelayMs: f.retry.initial_delay_ms,
      maxDelayMs: f.retry.max_delay_ms,
      jitter,
      backoffBase: f.retry.backoff_base,
    },
    circuitBreaker: { failureThreshold: f.circuit_breaker.failure_threshold, cooldownMs: f.circuit_breaker.cooldown_ms },
    rateLimit: { defaultPauseMs: f.rate_limit.default_pause_ms, usageLimitPauseMs: f.rate_limit.usage_limit_pause_ms },
    timeouts: { defaultMinutes: f.timeouts.default_minutes, perAgentType: { ...f.timeouts.per_agent_type }, killGraceMs: f.timeouts.kill_grace_ms },
    lease: { ms: f.lease.ms, heartbeatMs: f.lease.heartbeat_ms },
    shutdownGraceMs: f.shutdown_grace_ms,
    metrics: { ...f.metrics },
    http: { ...f.http },
    checkpoint: { enabled: f.checkpoint.enabled, gitTag: f.checkpoint.git_tag, intervalTasks: f.checkpoint.interval_tasks },
    prices: { ...f.prices },
    budget: budgetOf(f.budget),
    notify: {
      ...(f.notify.webhook !== undefined ? { webhook: f.notify.webhook } : {}),
      ...(f.notify.command !== undefined ? { command: [...f.notify.command] } : {}),
      ...(f.notify.events !== undefined ? { events: [...f.notify.events] } : {}),
      timeoutMs: f.notify.timeout_ms,
      retries: f.notify.retries,
    },
    pauseAfter: { ...(f.pause_after.tasks !== undefined ? { tasks: f.pause_after.tasks } : {}), feature: f.pause_after.feature },
    healthCheckIntervalMs: f.health_check_interval_ms,
    version: f.version === undefined ? undefined : String(f.version),
    cwd: f.cwd === undefined ? undefined : path.resolve(dir, f.cwd),
    sandbox: { mode: f.sandbox.mode, network: f.sandbox.network, envAllow: [...f.sandbox.env_allow], writablePaths: [...f.sandbox.writable_paths] },
    isolation: isolationOf(f, dir),
    sync: f.sync,
    dispatch: f.dispatch,
    logging: f.logging,
    backup: { intervalMs: Math.round(f.backup.interval_hours * 3_600_000), keep: f.backup.keep },
    queue,
    source: source === 'config' ? undefined : source,
    warnings: [],
  };
}

/**
 * Agent → keywords from a file's `agent_mappings`, which may mix both forms (keyword lists and the plan's rows). A map
 * with any of the plan's `"a|b|c": "agent"` rows is the plan's config over the plan's dispatcher table: its rows give
 * the keywords of the agent types they name (listed first), and every built-in type they do not name keeps its
 * built-in keywords after them — the plan's own file has 8 rows, and replacing the table with them dropped 6 of the
 * plan's 14 (monitoring, billing, refactoring… went to the default agent). A map of keyword lists alone replaces it.
 */
function agentMappingsOf(raw: Record<string, string[] | string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, v] of Object.entries(raw)) {
    const add = typeof v === 'string' ? keywordsFromPatterns({ [key]: v }) : { [key]: v };
    for (const [agent, words] of Object.entries(add)) (out[agent] ??= []).push(...words.filter((w) => !out[agent].includes(w)));
  }
  if (Object.values(raw).some((v) => typeof v === 'string')) {
    for (const [agent, words] of Object.entries(DEFAULT_AGENT_MAPPINGS)) if (!Object.hasOwn(out, agent)) out[agent] = [...words];
  }
  return out;
}

/** `queue.*`: the Redis URL from the file, else from REDIS_HOST/REDIS_PORT; problems named with the URL masked. */
function queueOf(f: FileConfig, env: Record<string, string | undefined>, w: (p: string) => string, issues: string[]): QueueConfig {
  const q = f.queue;
  if (q.kind === 'local') {
    if (q.url !== undefined) issues.push(`${w('queue.url')}: only used with queue.kind "redis" (queue.kind is "local"); set kind to redis or remove url`);
    if (q.results !== 'none' || q.remote !== undefined)
      issues.push(`${w(q.remote !== undefined ? 'queue.remote' : 'queue.results')}: only used with queue.kind "redis" (queue.kind is "local")`);
    return { kind: 'local' };
  }
  let url = q.url?.trim();
  if (url === undefined || url === '') {
    const fromEnv = redisUrlFromEnv(env);
    if (fromEnv.problem) issues.push(fromEnv.problem);
    else if (fromEnv.url === undefined)
      issues.push(`${w('queue.url')}: expected a redis:// URL with queue.kind redis (or REDIS_HOST in the environment), got nothing`);
    url = fromEnv.url ?? '';
  } else {
    const problem = redisUrlProblem(url);
    if (problem) issues.push(`${w('queue.url')}: ${problem}`);
  }
  if (q.results === 'branch' && q.remote === undefined)
    issues.push(`${w('queue.remote')}: expected the git remote (a name or URL) to push results branches to with queue.results "branch", got nothing`);
  return {
    kind: 'redis',
    url,
    prefix: q.prefix,
    lockMs: q.lock_ms,
    stalledIntervalMs: q.stalled_interval_ms,
    maxStalled: q.max_stalled,
    results: q.results,
    ...(q.remote !== undefined ? { remote: q.remote } : {}),
  };
}

function isolationOf(f: FileConfig, dir: string): IsolationConfig {
  const author = /^\s*(.*?)\s*<([^<>\s]+)>\s*$/.exec(f.merge.author)!;
  const prefix = f.worktree.branch_prefix;
  return {
    // Workers run attempts in their own checkout: the coordinator has no worktree to create or land (checked above).
    mode: f.queue.kind === 'redis' ? 'none' : f.isolation,
    baseBranch: f.base_branch,
    worktree: {
      dir: f.worktree.dir === undefined ? undefined : path.resolve(dir, f.worktree.dir),
      branchPrefix: prefix === '' || prefix.endsWith('/') || prefix.endsWith('-') ? prefix : `${prefix}/`,
      copy: f.worktree.copy.map((p) => path.posix.normalize(p.replace(/\\/g, '/')).replace(/\/+$/, '')),
      link: f.worktree.link.map((p) => path.posix.normalize(p.replace(/\\/g, '/')).replace(/\/+$/, '')),
      setup: f.worktree.setup,
      branchRetentionDays: f.worktree.branch_retention_days,
    },
    merge: {
      strategy: f.merge.strategy,
      verify: f.merge.verify,
      policy: f.merge.policy,
      policyOverrides: { ...f.merge.policy_overrides },
      author: { name: author[1], email: author[2] },
      onConflict: f.merge.on_conflict,
    },
  };
}

/**
 * Reads and validates a config file. Without `file`, returns the defaults. A missing or unreadable file, bad JSON
 * or a bad value is a ConfigError naming the file (and the key path and value).
 */
export function loadConfig(file?: string, opts: ConfigLoadOptions = {}): OrchestratorConfig {
  if (file === undefined) return parseConfig({}, 'config', opts);
  const abs = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`${abs}: cannot read the config file (${code === 'ENOENT' ? 'no such file' : (code ?? errorMessage(e))})`);
  }
  let raw: unknown;
  try {
    raw = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${abs}: not valid JSON (${errorMessage(e)})`);
  }
  const problems = jsonValueProblems(raw);
  if (problems.length > 0) throw new ConfigError(`${abs}: ${problems.slice(0, 5).join('; ')}`, problems);
  return parseConfig(raw, abs, { ...opts, baseDir: opts.baseDir ?? path.dirname(abs) });
}

// ---- derived views ----------------------------------------------------------------------------------------------

/** The routing maps of a config, in the shape `routeTask` takes. */
export function routingConfigOf(config: OrchestratorConfig): RoutingConfig {
  return {
    agentMappings: config.agentMappings,
    priorityOverrides: config.agentPriorityOverrides,
    epicFallbacks: config.epicFallbacks,
    defaultAgent: config.fallbackAgentType,
  };
}

/** Attempt timeout in ms: the task's own `Timeout:`, else its agent type's, else the default. */
export function timeoutMsFor(config: OrchestratorConfig, agentType: string, taskMinutes?: number): number {
  const minutes = taskMinutes ?? config.timeouts.perAgentType[agentType] ?? config.timeouts.defaultMinutes;
  return Math.max(1, Math.round(minutes * 60_000));
}

/** The `budget.*` options, camelCased; a budget not set stays undefined (no limit). */
function budgetOf(b: { per_task_usd?: number; per_run_usd?: number; per_day_usd?: number; per_epic_usd?: number }): BudgetConfig {
  const out: BudgetConfig = {};
  if (b.per_task_usd !== undefined) out.perTaskUsd = b.per_task_usd;
  if (b.per_run_usd !== undefined) out.perRunUsd = b.per_run_usd;
  if (b.per_day_usd !== undefined) out.perDayUsd = b.per_day_usd;
  if (b.per_epic_usd !== undefined) out.perEpicUsd = b.per_epic_usd;
  return out;
}
