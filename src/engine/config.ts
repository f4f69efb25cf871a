// The orchestrator configuration file (`.coditect/config.json`, or the file given by `--config`): schema, defaults,
// environment profiles, and the merge of editor settings over it. The file uses snake_case keys (as the plan's
// orchestrator-config.json does); the engine works on the validated, camelCase `OrchestratorConfig`.
//
// Every option, with its default:
//   profile                        profile applied over the base file (see `profiles`) [env CODITECT_PROFILE, else none]
//   profiles                       { name: partial config } deep-merged over the base, e.g. dev/staging/prod [{}]
//   max_concurrent_agents          global maximum of agents running at once, 1..1000 [4]
//   agent_limits.max_per_type      agent type → maximum running at once of that type, 0..1000; 0 holds that type's
//                                  tasks back (they wait, they do not fail) [{}: only the global cap]
//   default_agent                  agent that runs every agent type without its own entry in `agents`: a key of
//                                  `agents` or a built-in kind (anthropic, claude-code, codex, gemini, dry-run)
//                                  ["anthropic" when ANTHROPIC_API_KEY is set, else "dry-run" — a labelled simulation,
//                                   taking 1–3 s a task (SIMULATION_PACE_MS) so a person sees it run]
//   fallback_agent_type            agent type of a task no override, keyword or epic fallback routes [general-purpose]
//   agents                         name → agent options (`kind` + the kind's options, docs/agents.md) or → the name of
//                                  another entry / a built-in kind. A name equal to an agent type is used for that type. [{}]
//   model                          model for agents that take one and set none themselves [agent's own default]
//   agent_mappings                 agent type → routing keywords, or the plan's rows "a|b|c": agent type (mixable);
//                                  replaces the built-in map [the plan's 14 AGENT_MAPPINGS rows + more words]
//   agent_priority_overrides       task id → agent type, wins over keywords [{}]
//   epic_fallbacks                 epic id → agent type when no keyword matches [the plan's: E001 → backend-development,
//                                  E008 → security-specialist]
//   retry.max_attempts             retries of a task after transient failures, 0..100 [5: delays 1, 2, 4, 8, 16 s]
//   retry.initial_delay_ms         first backoff delay [1000]
//   retry.max_delay_ms             backoff cap, ≥ initial_delay_ms [16000]
//   retry.jitter                   none | half | full | decorrelated, or true (= half) / false (= none) [half]
//   circuit_breaker.failure_threshold  consecutive provider failures that open the breaker, 1..1000 [5]
//   circuit_breaker.cooldown_ms    open → half-open (one probe task) after this long [60000]
//   rate_limit.default_pause_ms    provider pause after a 429 without retry-after [30000]
//   timeouts.default_minutes       attempt timeout when neither the task nor its agent type sets one [120]
//   timeouts.per_agent_type        agent type → timeout in minutes [{}]
//   timeouts.kill_grace_ms         SIGTERM → SIGKILL grace for an agent's process tree [5000]
//   lease.ms                       lease length of a running task; a crashed engine's tasks come back after it [30000]
//   lease.heartbeat_ms             lease renewal interval, < lease.ms [10000]
//   shutdown_grace_ms              on stop, how long running tasks may finish before they are released [30000]
//   metrics.enabled                serve Prometheus metrics [unset: on in daemon mode, off otherwise]
//   metrics.port                   metrics port, 0..65535 (0 = any free port) [9464]
//   metrics.host                   metrics bind address [127.0.0.1: loopback only]
//   checkpoint.enabled             record a checkpoint row when a feature or an epic completes [true]
//   checkpoint.git_tag             also tag `coditect/checkpoint/<id>` when the workspace is a git repository [false]
//   cwd                            working directory of agents and Verify commands, relative to the config file
//                                  [the workspace root]
//   sandbox.mode                   auto | required | off: run agent processes, run_command and Verify in bubblewrap
//                                  where it works (docs/security.md) [auto]
//   sandbox.network                network for run_command, Verify and command agents (agent CLIs that call their API
//                                  always have it) [false]
//   sandbox.env_allow              engine environment variables passed to agent processes beyond the built-in
//                                  allow-list (PATH, HOME, locale…) [[]]
//   sandbox.writable_paths         more absolute paths agent processes may write (`~/` = home) [[]]
//   isolation                      worktree | none: each task in its own git worktree and branch, landed by the merge
//                                  queue (docs/isolation.md), or every agent in the shared tree [worktree inside a git
//                                  repository; none otherwise, with a one-time notice]
//   base_branch                    integration branch task branches start from and merge into [the branch checked out
//                                  when the engine starts]
//   worktree.dir                   folder of the task worktrees [~/.cache/coditect/worktrees/<repo>-<id>, outside the repo]
//   worktree.branch_prefix         prefix of task branches, `<prefix><task-id>-<slug>` [coditect/]
//   worktree.copy                  repository-relative files/folders copied into each new worktree (.env…) [[]]
//   worktree.link                  repository-relative files/folders symlinked into each new worktree (node_modules…) [[]]
//   worktree.setup                 shell command run in each new worktree before the agent, output logged [none]
//   worktree.branch_retention_days days a merged or rejected task branch is kept before it is deleted, 0..3650 [7]
//   merge.strategy                 merge | rebase: a merge commit per task, or its commits rebased onto the branch [merge]
//   merge.verify                   shell command run on every merged result after the task's Verify (npm test…) [none]
//   merge.policy                   auto | review: land when checks pass, or wait for a person to accept [auto]
//   merge.policy_overrides         epic, feature or task id → auto | review (the most specific id wins) [{}]
//   merge.author                   `Name <email>` of the engine's commits, merges and tags [CODITECT <coditect@localhost>]
//   sync.write_ids                 which task lists get the ids of tasks written without one: dialect (only files in
//                                  the CODITECT dialect), always, never [dialect]; other tasks keep their identity in
//                                  the database (docs/sync.md)
//   prices                         model id → { inputPerMTok, outputPerMTok, cacheWritePerMTok?, cacheReadPerMTok? } (USD per
//                                  million tokens), merged over the shipped table (src/engine/agents/pricing.ts); prices
//                                  attempts whose agent reports tokens but no cost (marked estimated) [{}]
//   sync (other keys), logging     accepted for the plan's file shape and kept as given; nothing reads them yet [{}]
//
// Plan-style files (orchestrator-config.json with `orchestrator`, `dispatcher` and `monitoring` sections, and
// `environment`/`environments` for profiles) are accepted too: the known keys of those sections map onto the options
// above (see LEGACY_KEYS; seconds become ms), an error names the key as written, and keys this engine does not use
// become warnings (`OrchestratorConfig.warnings`) rather than errors. The flat option wins when both are given.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { DEFAULT_AGENT, DEFAULT_AGENT_MAPPINGS, keywordsFromPatterns, PLAN_EPIC_FALLBACKS, type RoutingConfig } from '../core/routing';
import { AGENT_KINDS, parseAgentSpec, type AgentKind, type AgentSpec } from './agents/agentFactory';
import { SIMULATION_PACE_MS } from './agents/dryRunAgent';
import type { EngineSettings } from '../protocol/engineProtocol';
import { errorMessage, textOf } from '../core/describe';
import { SANDBOX_MODES, type SandboxMode } from './agents/sandbox';
import type { ModelPrice } from './agents/pricing';

/** Backoff jitter strategies (cockatiel generators). */
export type JitterKind = 'none' | 'half' | 'full' | 'decorrelated';
export const JITTER_KINDS: readonly JitterKind[] = ['none', 'half', 'full', 'decorrelated'];

/** Agent kinds usable by name alone, without an `agents` entry (`command` needs an executable, so it is not one). */
export const BUILT_IN_AGENTS: readonly AgentKind[] = AGENT_KINDS.filter((k) => k !== 'command');

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
  rateLimit: { defaultPauseMs: number };
  timeouts: { defaultMinutes: number; perAgentType: Record<string, number>; killGraceMs: number };
  lease: { ms: number; heartbeatMs: number };
  shutdownGraceMs: number;
  metrics: { enabled?: boolean; port: number; host: string; grafana_dashboard_id?: string; alert_on_failure_rate?: number };
  checkpoint: { enabled: boolean; gitTag: boolean };
  /** Price overrides by model (USD per million tokens), merged over the shipped table, for costs estimated from tokens. */
  prices: Record<string, ModelPrice>;
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
  /** File it was loaded from, if any. */
  source?: string;
  /** Keys of plan-style sections this engine ignores, and shadowed duplicates (shown to the person, not fatal). */
  warnings: string[];
}

/** How a task's work lands: a merge commit, or its commits rebased onto the integration branch. */
export type MergeStrategyName = 'merge' | 'rebase';
export const MERGE_STRATEGIES: readonly MergeStrategyName[] = ['merge', 'rebase'];
/** Whether a task's branch lands when its checks pass (`auto`) or waits for a person (`review`). */
export type MergePolicy = 'auto' | 'review';
export const MERGE_POLICIES: readonly MergePolicy[] = ['auto', 'review'];

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
  };
}

/** Thrown for a bad configuration; the message names the file, the key path, what was expected and what was found. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: string[] = [message],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

// ---- schema ---------------------------------------------------------------------------------------------------

const posInt = (max: number) => z.number().int().min(1).max(max);
const nonNegInt = (max: number) => z.number().int().min(0).max(max);
const name = z.string().trim().min(1);
const nameMap = z.record(name);
/** A path inside the repository: relative, no `..`, not `.git`. */
const relPath = z
  .string()
  .trim()
  .min(1)
  .refine((p) => {
    const norm = path.posix.normalize(p.replace(/\\/g, '/'));
    return !path.isAbsolute(p) && norm !== '.' && norm !== '..' && !norm.startsWith('../') && norm !== '.git' && !norm.startsWith('.git/');
  }, 'expected a path inside the repository (relative, no "..", not .git)');

/** A model's price in USD per million tokens (the same shape as an Anthropic agent's `prices` entries). */
const modelPriceSchema = z
  .object({
    inputPerMTok: z.number().nonnegative(),
    outputPerMTok: z.number().nonnegative(),
    cacheWritePerMTok: z.number().nonnegative().optional(),
    cacheReadPerMTok: z.number().nonnegative().optional(),
  })
  .strict();

const retrySchema = z
  .object({
    max_attempts: nonNegInt(100).default(5),
    initial_delay_ms: nonNegInt(3_600_000).default(1000),
    max_delay_ms: nonNegInt(86_400_000).default(16_000),
    jitter: z.union([z.enum(JITTER_KINDS as [JitterKind, ...JitterKind[]]), z.boolean()]).default('half'),
    backoff_base: z.number().min(1).max(10).default(2),
  })
  .strict();

const fileSchema = z
  .object({
    version: z.union([name, z.number()]).optional(),
    profile: name.optional(),
    profiles: z.record(z.record(z.unknown())).optional(),
    health_check_interval_ms: nonNegInt(86_400_000).default(30_000),
    max_concurrent_agents: posInt(1000).default(4),
    agent_limits: z
      .object({ max_total: posInt(1000).optional(), max_per_type: z.record(nonNegInt(1000)).default({}) })
      .strict()
      .default({}),
    default_agent: name.optional(),
    fallback_agent_type: name.default(DEFAULT_AGENT),
    agents: z.record(z.union([name, z.record(z.unknown())])).default({}),
    model: name.optional(),
    // agent type → keywords, or the plan's rows: "pattern|pattern": agent type (both forms may be mixed).
    agent_mappings: z.record(z.union([z.array(z.string()), name])).optional(),
    agent_priority_overrides: nameMap.default({}),
    epic_fallbacks: nameMap.optional(),
    retry: retrySchema.default({}),
    circuit_breaker: z
      .object({ failure_threshold: posInt(1000).default(5), cooldown_ms: nonNegInt(86_400_000).default(60_000) })
      .strict()
      .default({}),
    rate_limit: z
      .object({ default_pause_ms: nonNegInt(86_400_000).default(30_000) })
      .strict()
      .default({}),
    timeouts: z
      .object({
        default_minutes: z.number().positive().max(10_080).default(120),
        per_agent_type: z.record(z.number().positive().max(10_080)).default({}),
        kill_grace_ms: nonNegInt(600_000).default(5000),
      })
      .strict()
      .default({}),
    lease: z
      .object({ ms: posInt(86_400_000).default(30_000), heartbeat_ms: posInt(86_400_000).default(10_000) })
      .strict()
      .default({}),
    shutdown_grace_ms: nonNegInt(86_400_000).default(30_000),
    metrics: z
      .object({
        enabled: z.boolean().optional(),
        port: nonNegInt(65_535).default(9464),
        host: name.default('127.0.0.1'),
        grafana_dashboard_id: name.optional(),
        alert_on_failure_rate: z.number().min(0).optional(),
      })
      .strict()
      .default({}),
    checkpoint: z
      .object({ enabled: z.boolean().default(true), git_tag: z.boolean().default(false) })
      .strict()
      .default({}),
    cwd: name.optional(),
    prices: z.record(name, modelPriceSchema).default({}),
    sandbox: z
      .object({
        mode: z.enum(SANDBOX_MODES as [SandboxMode, ...SandboxMode[]]).default('auto'),
        network: z.boolean().default(false),
        env_allow: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')).default([]),
        writable_paths: z.array(z.string().regex(/^(?:\/|~\/)/, 'expected an absolute path or one starting with ~/')).default([]),
      })
      .strict()
      .default({}),
    isolation: z.enum(['worktree', 'none']).optional(),
    base_branch: name.optional(),
    worktree: z
      .object({
        dir: name.optional(),
        branch_prefix: z
          .string()
          .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/?$/, 'expected letters, digits, ".", "_", "-" and "/" (e.g. "coditect/")')
          .default('coditect/'),
        copy: z.array(relPath).default([]),
        link: z.array(relPath).default([]),
        setup: name.optional(),
        branch_retention_days: z.number().min(0).max(3650).default(7),
      })
      .strict()
      .default({}),
    merge: z
      .object({
        strategy: z.enum(MERGE_STRATEGIES as [MergeStrategyName, ...MergeStrategyName[]]).default('merge'),
        verify: name.optional(),
        policy: z.enum(MERGE_POLICIES as [MergePolicy, ...MergePolicy[]]).default('auto'),
        policy_overrides: z.record(z.enum(MERGE_POLICIES as [MergePolicy, ...MergePolicy[]])).default({}),
        author: z
          .string()
          .regex(/^\s*[^<>\s][^<>]*<[^<>\s]+>\s*$/, 'expected "Name <email>"')
          .default('CODITECT <coditect@localhost>'),
      })
      .strict()
      .default({}),
    sync: z
      .object({
        write_ids: z.enum(['dialect', 'always', 'never']).optional(),
        enabled: z.boolean().default(true),
        markdown_path: name.optional(),
        json_path: name.optional(),
        db_path: name.optional(),
        watch_interval_ms: nonNegInt(3_600_000).default(5000),
        debounce_ms: nonNegInt(600_000).default(50),
        max_retries: nonNegInt(100).default(5),
      })
      .strict()
      .default({}),
    dispatch: z
      .object({
        batch_size: posInt(100_000).optional(),
        priority_weights: z.record(z.enum(['P0', 'P1', 'P2', 'P3']), z.number()).optional(),
      })
      .strict()
      .default({}),
    logging: z
      .object({
        level: z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(['debug', 'info', 'warn', 'warning', 'error'])).optional(),
        file: name.optional(),
        max_bytes: posInt(1_099_511_627_776).optional(),
        backup_count: nonNegInt(1000).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

type FileConfig = z.infer<typeof fileSchema>;

// ---- plan-style sections --------------------------------------------------------------------------------------

/** Where a key of a plan-style section goes: a flat option path, with a scale (seconds → ms). */
interface LegacyTarget {
  path: string[];
  scale?: number;
}

/** Known keys of the plan's `orchestrator`, `dispatcher` and `monitoring` sections. */
export const LEGACY_KEYS: Readonly<Record<string, Readonly<Record<string, LegacyTarget>>>> = {
  orchestrator: {
    max_concurrent_agents: { path: ['max_concurrent_agents'] },
    max_concurrent_tasks: { path: ['max_concurrent_agents'] },
    task_timeout_minutes: { path: ['timeouts', 'default_minutes'] },
    timeout_minutes: { path: ['timeouts', 'default_minutes'] },
    default_timeout_minutes: { path: ['timeouts', 'default_minutes'] },
    max_retries: { path: ['retry', 'max_attempts'] },
    retry_attempts: { path: ['retry', 'max_attempts'] },
    max_attempts: { path: ['retry', 'max_attempts'] },
    retry_delay_seconds: { path: ['retry', 'initial_delay_ms'], scale: 1000 },
    retry_backoff_seconds: { path: ['retry', 'initial_delay_ms'], scale: 1000 },
    max_retry_delay_seconds: { path: ['retry', 'max_delay_ms'], scale: 1000 },
    heartbeat_interval_seconds: { path: ['lease', 'heartbeat_ms'], scale: 1000 },
    lease_timeout_seconds: { path: ['lease', 'ms'], scale: 1000 },
    shutdown_grace_seconds: { path: ['shutdown_grace_ms'], scale: 1000 },
    shutdown_timeout_seconds: { path: ['shutdown_grace_ms'], scale: 1000 },
    circuit_breaker_threshold: { path: ['circuit_breaker', 'failure_threshold'] },
    circuit_breaker_timeout_seconds: { path: ['circuit_breaker', 'cooldown_ms'], scale: 1000 },
    checkpoint_enabled: { path: ['checkpoint', 'enabled'] },
    retry_backoff_base: { path: ['retry', 'backoff_base'] },
    health_check_interval: { path: ['health_check_interval_ms'], scale: 1000 },
    working_directory: { path: ['cwd'] },
    model: { path: ['model'] },
    default_agent: { path: ['default_agent'] },
  },
  // The plan's sync daemon: its paths and timings (seconds) are options of the sync (docs/configuration.md).
  sync_daemon: {
    enabled: { path: ['sync', 'enabled'] },
    markdown_path: { path: ['sync', 'markdown_path'] },
    json_path: { path: ['sync', 'json_path'] },
    db_path: { path: ['sync', 'db_path'] },
    watch_interval: { path: ['sync', 'watch_interval_ms'], scale: 1000 },
    sync_debounce: { path: ['sync', 'debounce_ms'], scale: 1000 },
    max_retries: { path: ['sync', 'max_retries'] },
  },
  task_dispatcher: {
    batch_size: { path: ['dispatch', 'batch_size'] },
    priority_weights: { path: ['dispatch', 'priority_weights'] },
  },
  dispatcher: {
    max_concurrent_agents: { path: ['max_concurrent_agents'] },
    // In the plan, the dispatcher's default agent is the agent TYPE of tasks nothing else routes.
    default_agent: { path: ['fallback_agent_type'] },
    fallback_agent: { path: ['fallback_agent_type'] },
  },
  monitoring: {
    metrics_port: { path: ['metrics', 'port'] },
    prometheus_port: { path: ['metrics', 'port'] },
    port: { path: ['metrics', 'port'] },
    metrics_enabled: { path: ['metrics', 'enabled'] },
    enable_metrics: { path: ['metrics', 'enabled'] },
    prometheus_enabled: { path: ['metrics', 'enabled'] },
    enabled: { path: ['metrics', 'enabled'] },
    metrics_host: { path: ['metrics', 'host'] },
    host: { path: ['metrics', 'host'] },
    grafana_dashboard_id: { path: ['metrics', 'grafana_dashboard_id'] },
    alert_on_failure_rate: { path: ['metrics', 'alert_on_failure_rate'] },
  },
};

/**
 * Moves the known keys of plan-style sections onto the flat options. Returns the new object, where each moved value
 * came from (flat path → written path, for errors) and warnings for ignored or shadowed keys.
 */
function liftLegacySections(raw: Record<string, unknown>): { raw: Record<string, unknown>; origin: Map<string, string>; warnings: string[]; errors: string[] } {
  const out: Record<string, unknown> = { ...raw };
  const origin = new Map<string, string>();
  const warnings: string[] = [];
  const errors: string[] = [];
  for (const [section, keys] of Object.entries(LEGACY_KEYS)) {
    if (!(section in out)) continue;
    const body = out[section];
    delete out[section];
    if (!isPlainObject(body)) {
      errors.push(`${section}: expected an object, got ${show(body)}`);
      continue;
    }
    for (const [k, v] of Object.entries(body)) {
      const written = `${section}.${k}`;
      const target = keys[k];
      if (!target) {
        warnings.push(`${written}: not used by this engine (ignored)`);
        continue;
      }
      let p = target.path;
      // `orchestrator.default_agent` may name an agent (dry-run, anthropic, an `agents` entry) or, as in the plan,
      // the agent TYPE of tasks nothing else routes.
      if (section === 'orchestrator' && k === 'default_agent' && typeof v === 'string') {
        const isAgent = (BUILT_IN_AGENTS as readonly string[]).includes(v) || (isPlainObject(raw.agents) && Object.hasOwn(raw.agents, v));
        if (!isAgent) p = ['fallback_agent_type'];
      }
      let cur: Record<string, unknown> = out;
      for (const seg of p.slice(0, -1)) {
        const next = cur[seg];
        cur = cur[seg] = isPlainObject(next) ? { ...next } : {};
      }
      const leaf = p[p.length - 1];
      if (cur[leaf] !== undefined) {
        warnings.push(`${written}: ignored, ${p.join('.')} is also set`);
        continue;
      }
      cur[leaf] = target.scale !== undefined && typeof v === 'number' ? v * target.scale : v;
      origin.set(p.join('.'), target.scale !== undefined ? `${written} (as ${p.join('.')})` : written);
    }
  }
  return { raw: out, origin, warnings, errors };
}

/** The plan's `agent_limits.max_total` is the global cap: `max_concurrent_agents` unless that is set too. */
function liftMaxTotal(raw: Record<string, unknown>, origin: Map<string, string>, warnings: string[]): void {
  const limits = raw.agent_limits;
  if (!isPlainObject(limits) || !('max_total' in limits)) return;
  const { max_total, ...rest } = limits;
  raw.agent_limits = rest;
  if (raw.max_concurrent_agents !== undefined) {
    if (raw.max_concurrent_agents !== max_total)
      warnings.push(`agent_limits.max_total: ignored, ${origin.get('max_concurrent_agents') ?? 'max_concurrent_agents'} is also set`);
    return;
  }
  raw.max_concurrent_agents = max_total;
  origin.set('max_concurrent_agents', 'agent_limits.max_total');
}

/**
 * Keys of the plan's file that are read and validated but that this engine does not act on (yet): said once, as a
 * warning naming each, so nobody believes a setting works that does not.
 */
function notYetActedOn(f: FileConfig, origin: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  const say = (flat: string, why: string) => out.push(`${writtenPath(flat, origin)}: read, but ${why}`);
  if (f.sync.markdown_path !== undefined) say('sync.markdown_path', 'the task list is the one given on the command line or opened in the editor');
  if (f.sync.db_path !== undefined) say('sync.db_path', 'the database is --db PATH or DB_PATH (default <workspace>/.coditect/context.db)');
  if (origin.has('sync.max_retries')) say('sync.max_retries', 'a failed sync is reported and tried again at the next change');
  if (f.dispatch.batch_size !== undefined)
    say('dispatch.batch_size', 'the dispatcher starts every ready task a free slot allows, event-driven, not in batches');
  const w = f.dispatch.priority_weights;
  if (w) {
    const order = (['P0', 'P1', 'P2', 'P3'] as const).map((p) => w[p]).filter((v): v is number => v !== undefined);
    // Weights that rank P0 > P1 > P2 > P3 are exactly the dispatch order; any other ranking is not supported.
    if (order.some((v, i) => i > 0 && v >= order[i - 1])) say('dispatch.priority_weights', 'dispatch order is always P0 > P1 > P2 > P3');
  }
  if (f.metrics.alert_on_failure_rate !== undefined)
    say('metrics.alert_on_failure_rate', 'set the threshold of HighTaskFailureRate in resources/monitoring/alerts.yml');
  if (f.logging.level !== undefined || f.logging.file !== undefined || f.logging.max_bytes !== undefined || f.logging.backup_count !== undefined)
    say('logging', 'the daemon logs to .coditect/logs/engine.log, rotated at 10 MB, 5 files kept');
  return out;
}

// ---- error formatting -----------------------------------------------------------------------------------------

function valueAt(raw: unknown, p: (string | number)[]): unknown {
  let cur = raw;
  for (const k of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s === undefined ? textOf(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** One zod issue as `path: expected …, got …`. */
function formatIssue(issue: z.ZodIssue, raw: unknown, origin?: ReadonlyMap<string, string>): string[] {
  const where = issue.path.length ? writtenPath(issue.path.join('.'), origin) : '(root)';
  const got = show(valueAt(raw, issue.path));
  switch (issue.code) {
    case 'too_small':
      return [`${where}: expected ${issue.inclusive ? '≥' : '>'}${String(issue.minimum)}${issue.type === 'string' ? ' characters' : ''}, got ${got}`];
    case 'too_big':
      return [`${where}: expected ${issue.inclusive ? '≤' : '<'}${String(issue.maximum)}, got ${got}`];
    case 'invalid_type':
      return [`${where}: expected ${issue.expected}, got ${issue.received === 'undefined' ? 'nothing' : got}`];
    case 'not_multiple_of':
      return [`${where}: expected a multiple of ${String(issue.multipleOf)}, got ${got}`];
    case 'unrecognized_keys':
      return issue.keys.map((k) => `${issue.path.length ? `${where}.` : ''}${k}: unknown option (check the spelling; see docs/configuration.md)`);
    case 'invalid_enum_value':
      return [`${where}: expected one of ${issue.options.join(', ')}, got ${got}`];
    case 'invalid_union':
      // Report the branch that got furthest (the first whose issues are not all type mismatches at the root).
      for (const e of issue.unionErrors) {
        const deep = e.issues.filter((i) => i.path.length > issue.path.length || i.code !== 'invalid_type');
        if (deep.length > 0) return deep.flatMap((i) => formatIssue(i, raw, origin));
      }
      return [`${where}: unexpected value ${got}`];
    default:
      return [`${where}: ${issue.message}, got ${got}`];
  }
}

/** The path as the person wrote it: a value lifted from a plan-style section is named by its section key. */
function writtenPath(flat: string, origin?: ReadonlyMap<string, string>): string {
  if (!origin || origin.size === 0) return flat;
  for (let p = flat; p !== ''; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const o = origin.get(p);
    if (o !== undefined) return o + flat.slice(p.length);
  }
  return flat;
}

function fail(source: string, issues: string[]): never {
  throw new ConfigError(`${source}: ${issues.join('; ')}`, issues);
}

// ---- parsing --------------------------------------------------------------------------------------------------

/** Options of `parseConfig` / `loadConfig`. */
export interface ConfigLoadOptions {
  /** Environment used for defaults (ANTHROPIC_API_KEY) and CODITECT_PROFILE. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Profile to apply; wins over CODITECT_PROFILE and the file's `profile`. */
  profile?: string;
  /** Directory relative paths (`cwd`) resolve against. Default: the config file's directory, else process.cwd(). */
  baseDir?: string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep merge of plain objects; arrays and scalars of `over` replace those of `base`. */
function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** Validates a raw config object (already parsed JSON); `source` names it in errors. */
export function parseConfig(raw: unknown, source = 'config', opts: ConfigLoadOptions = {}): OrchestratorConfig {
  const env = opts.env ?? process.env;
  if (raw === undefined || raw === null) raw = {};
  if (!isPlainObject(raw)) fail(source, [`(root): expected an object, got ${show(raw)}`]);

  // The plan's spelling of profiles: `environment` / `environments`.
  if ('environments' in raw || 'environment' in raw) {
    const r2: Record<string, unknown> = { ...raw };
    for (const [from, to] of [
      ['environments', 'profiles'],
      ['environment', 'profile'],
    ] as const) {
      if (!(from in r2)) continue;
      if (to in r2) fail(source, [`${from}: give either ${from} or ${to}, not both`]);
      r2[to] = r2[from];
      delete r2[from];
    }
    raw = r2;
  }
  const rawObj = raw as Record<string, unknown>;
  // Profiles first, so a profile's values are validated exactly like the base file's.
  const profiles = rawObj.profiles;
  const profileName = opts.profile ?? env.CODITECT_PROFILE ?? env.CODITECT_ENV ?? (typeof rawObj.profile === 'string' ? rawObj.profile : undefined);
  let merged: Record<string, unknown> = rawObj;
  if (profileName !== undefined && profileName !== '') {
    const available = isPlainObject(profiles) ? Object.keys(profiles) : [];
    const chosen = isPlainObject(profiles) ? profiles[profileName] : undefined;
    if (!isPlainObject(chosen)) {
      fail(source, [`profile: no profile "${profileName}" in profiles (available: ${available.length ? available.join(', ') : 'none'})`]);
    }
    if ('profiles' in chosen || 'profile' in chosen) fail(source, [`profiles.${profileName}: a profile cannot contain profile or profiles`]);
    merged = deepMerge(rawObj, chosen);
  }

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
  config.warnings.push(...lifted.warnings, ...notYetActedOn(r.data, lifted.origin));
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
  if (issues.length > 0) fail(source, issues);

  const jitter: JitterKind = f.retry.jitter === true ? 'half' : f.retry.jitter === false ? 'none' : f.retry.jitter;
  const dir = baseDir ?? (source !== 'config' && path.isAbsolute(source) ? path.dirname(source) : process.cwd());
  return {
    profile,
    maxConcurrentAgents: f.max_concurrent_agents,
    agentLimits: { maxPerType: { ...f.agent_limits.max_per_type } },
    defaultAgent,
    defaultAgentImplicit: f.default_agent === undefined,
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
    rateLimit: { defaultPauseMs: f.rate_limit.default_pause_ms },
    timeouts: { defaultMinutes: f.timeouts.default_minutes, perAgentType: { ...f.timeouts.per_agent_type }, killGraceMs: f.timeouts.kill_grace_ms },
    lease: { ms: f.lease.ms, heartbeatMs: f.lease.heartbeat_ms },
    shutdownGraceMs: f.shutdown_grace_ms,
    metrics: { ...f.metrics },
    checkpoint: { enabled: f.checkpoint.enabled, gitTag: f.checkpoint.git_tag },
    prices: { ...f.prices },
    healthCheckIntervalMs: f.health_check_interval_ms,
    version: f.version === undefined ? undefined : String(f.version),
    cwd: f.cwd === undefined ? undefined : path.resolve(dir, f.cwd),
    sandbox: { mode: f.sandbox.mode, network: f.sandbox.network, envAllow: [...f.sandbox.env_allow], writablePaths: [...f.sandbox.writable_paths] },
    isolation: isolationOf(f, dir),
    sync: f.sync,
    dispatch: f.dispatch,
    logging: f.logging,
    source: source === 'config' ? undefined : source,
    warnings: [],
  };
}

/** Agent → keywords from a file's `agent_mappings`, which may mix both forms (keyword lists and the plan's rows). */
function agentMappingsOf(raw: Record<string, string[] | string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, v] of Object.entries(raw)) {
    const add = typeof v === 'string' ? keywordsFromPatterns({ [key]: v }) : { [key]: v };
    for (const [agent, words] of Object.entries(add)) (out[agent] ??= []).push(...words.filter((w) => !out[agent].includes(w)));
  }
  return out;
}

function isolationOf(f: FileConfig, dir: string): IsolationConfig {
  const author = /^\s*(.*?)\s*<([^<>\s]+)>\s*$/.exec(f.merge.author)!;
  const prefix = f.worktree.branch_prefix;
  return {
    mode: f.isolation,
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
    },
  };
}

/** Validates each `agents` entry (through parseAgentSpec) and resolves name aliases, refusing loops. */
function resolveAgents(raw: Record<string, string | Record<string, unknown>>, issues: string[]): Record<string, AgentSpec> {
  const out: Record<string, AgentSpec> = {};
  const specOf = (key: string, trail: string[]): AgentSpec | undefined => {
    if (Object.hasOwn(out, key)) return out[key];
    const v = Object.hasOwn(raw, key) ? raw[key] : undefined;
    if (v === undefined) {
      if ((BUILT_IN_AGENTS as readonly string[]).includes(key)) return { kind: key, name: key } as AgentSpec;
      issues.push(`agents.${trail[0]}: expected the name of another agent or one of ${BUILT_IN_AGENTS.join(', ')}, got ${show(key)}`);
      return undefined;
    }
    if (typeof v === 'string') {
      if (trail.includes(v)) {
        issues.push(`agents.${trail[0]}: aliases form a loop (${[...trail, v].join(' → ')})`);
        return undefined;
      }
      const target = specOf(v, [...trail, v]);
      if (target) out[key] = target;
      return target;
    }
    if ('name' in v) {
      issues.push(`agents.${key}.name: the entry's key is its name; remove "name" (got ${show(v.name)})`);
      return undefined;
    }
    try {
      const spec = parseAgentSpec({ ...v, name: key }, `agents.${key}`);
      out[key] = spec;
      return spec;
    } catch (e) {
      issues.push(errorMessage(e));
      return undefined;
    }
  };
  for (const key of Object.keys(raw)) specOf(key, [key]);
  return out;
}

const MODEL_KINDS: ReadonlySet<string> = new Set(['anthropic', 'claude-code', 'codex', 'gemini']);

function withModel(spec: AgentSpec, model: string | undefined): AgentSpec {
  if (!model || !MODEL_KINDS.has(spec.kind) || (spec as { model?: string }).model) return spec;
  return { ...spec, model } as AgentSpec;
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
  return parseConfig(raw, abs, { ...opts, baseDir: opts.baseDir ?? path.dirname(abs) });
}

// ---- settings and derived views -------------------------------------------------------------------------------

const settingsSchema = z
  .object({
    maxConcurrentAgents: posInt(1000).optional(),
    maxPerType: z.record(nonNegInt(1000)).optional(),
    defaultAgent: name.optional(),
    model: name.optional(),
    retryMaxAttempts: nonNegInt(100).optional(),
    retryInitialDelayMs: nonNegInt(3_600_000).optional(),
    retryMaxDelayMs: nonNegInt(86_400_000).optional(),
    timeoutMinutes: z.number().positive().max(10_080).optional(),
    metricsPort: nonNegInt(65_535).optional(),
  })
  .strict();

/** Editor settings over a config: every set setting wins. Throws a ConfigError naming `settings.<key>` and the value. */
export function mergeSettings(config: OrchestratorConfig, settings: EngineSettings | undefined): OrchestratorConfig {
  if (!settings) return config;
  const r = settingsSchema.safeParse(settings);
  if (!r.success)
    fail(
      'settings',
      r.error.issues.flatMap((i) => formatIssue({ ...i, path: i.path }, settings)).map((s) => `settings.${s}`),
    );
  const s = r.data;
  const retry = {
    ...config.retry,
    maxAttempts: s.retryMaxAttempts ?? config.retry.maxAttempts,
    initialDelayMs: s.retryInitialDelayMs ?? config.retry.initialDelayMs,
    maxDelayMs: s.retryMaxDelayMs ?? config.retry.maxDelayMs,
  };
  if (retry.maxDelayMs < retry.initialDelayMs) {
    fail('settings', [`settings.retryMaxDelayMs: expected ≥ the initial delay (${retry.initialDelayMs}), got ${retry.maxDelayMs}`]);
  }
  const defaultAgent = s.defaultAgent ?? config.defaultAgent;
  if (!Object.hasOwn(config.agents, defaultAgent) && !(BUILT_IN_AGENTS as readonly string[]).includes(defaultAgent)) {
    fail('settings', [`settings.defaultAgent: expected a configured agent or one of ${BUILT_IN_AGENTS.join(', ')}, got ${show(defaultAgent)}`]);
  }
  return {
    ...config,
    maxConcurrentAgents: s.maxConcurrentAgents ?? config.maxConcurrentAgents,
    agentLimits: { maxPerType: { ...config.agentLimits.maxPerType, ...s.maxPerType } },
    defaultAgent,
    defaultAgentImplicit: s.defaultAgent === undefined && config.defaultAgentImplicit,
    model: s.model ?? config.model,
    retry,
    timeouts: { ...config.timeouts, defaultMinutes: s.timeoutMinutes ?? config.timeouts.defaultMinutes },
    metrics: { ...config.metrics, port: s.metricsPort ?? config.metrics.port },
  };
}

/** The routing maps of a config, in the shape `routeTask` takes. */
export function routingConfigOf(config: OrchestratorConfig): RoutingConfig {
  return {
    agentMappings: config.agentMappings,
    priorityOverrides: config.agentPriorityOverrides,
    epicFallbacks: config.epicFallbacks,
    defaultAgent: config.fallbackAgentType,
  };
}

/**
 * The agent spec that runs `agentType`: its own entry in `agents`, else the default agent; `config.model` filled in
 * for kinds that take a model and did not set one.
 */
export function agentSpecFor(config: OrchestratorConfig, agentType: string): AgentSpec {
  if (Object.hasOwn(config.agents, agentType)) return withModel(config.agents[agentType], config.model);
  const spec = agentSpecByName(config, config.defaultAgent);
  // The simulation nobody asked for runs at a pace a person can follow (SIMULATION_PACE_MS), unless configured.
  if (config.defaultAgentImplicit && spec.kind === 'dry-run' && spec.durationMs === undefined) return { ...spec, durationMs: { ...SIMULATION_PACE_MS } };
  return spec;
}

/** The spec of a named agent: an entry of `agents` or a built-in kind (with `config.model`). Throws for neither. */
export function agentSpecByName(config: OrchestratorConfig, name: string): AgentSpec {
  if (Object.hasOwn(config.agents, name)) return withModel(config.agents[name], config.model);
  if ((BUILT_IN_AGENTS as readonly string[]).includes(name)) return withModel({ kind: name, name } as AgentSpec, config.model);
  throw new ConfigError(`agent ${JSON.stringify(name)}: expected a name in agents or one of ${BUILT_IN_AGENTS.join(', ')}`);
}

/** Attempt timeout in ms: the task's own `Timeout:`, else its agent type's, else the default. */
export function timeoutMsFor(config: OrchestratorConfig, agentType: string, taskMinutes?: number): number {
  const minutes = taskMinutes ?? config.timeouts.perAgentType[agentType] ?? config.timeouts.defaultMinutes;
  return Math.max(1, Math.round(minutes * 60_000));
}
