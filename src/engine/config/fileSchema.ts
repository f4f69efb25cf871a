// The schema of the orchestrator configuration file (`.coditect/config.json`, or the file given by `--config`) and its
// defaults. The file uses snake_case keys (as the plan's orchestrator-config.json does); the engine works on the
// validated, camelCase `OrchestratorConfig` (src/engine/config.ts).
//
// Every option, with its default:
//   profile                        profile applied over the base file (see `profiles`) [env CODITECT_PROFILE, else none]
//   profiles                       { name: partial config } deep-merged over the base, e.g. dev/staging/prod [{}]
//   version                        the file's format version (the plan's "version"), shown, not interpreted [unset]
//   health_check_interval_ms       a heartbeat row in the plan's orchestrator_state every interval, 0 = none [30000]
//   max_concurrent_agents          global maximum of agents running at once, 1..1000 [4]
//   agent_limits.max_per_type      agent type → maximum running at once of that type, 0..1000; 0 holds that type's
//                                  tasks back (they wait, they do not fail) [{}: only the global cap]
//   agent_limits.max_total         the plan's global cap: max_concurrent_agents when that is not set [unset]
//   default_agent                  agent that runs every agent type without its own entry in `agents`: a key of
//                                  `agents` or a built-in kind (anthropic, claude-code, codex, gemini, dry-run)
//                                  ["anthropic" when ANTHROPIC_API_KEY is set, else "dry-run" — a labelled simulation,
//                                   taking 1–3 s a task (simulation.duration_ms) so a person sees it run]
//   simulation.duration_ms         average length of a task of that simulation (the dry-run nobody chose); each task
//                                  takes from half to 1.5 times it, 0 = instant, 0..600000 [2000: 1–3 s]
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
//   retry.backoff_base             factor the delay grows by per retry, 1..10 [2]
//   retry.jitter                   none | half | full | decorrelated, or true (= half) / false (= none) [half]
//   circuit_breaker.failure_threshold  consecutive provider failures that open the breaker, 1..1000 [5]
//   circuit_breaker.cooldown_ms    open → half-open (one probe task) after this long [60000]
//   rate_limit.default_pause_ms    provider pause after a 429 without retry-after [30000]
//   rate_limit.usage_limit_pause_ms provider pause after a usage-limit or quota answer that gives no reset time
//                                  [18000000: 5 h, a Claude subscription's window]
//   timeouts.default_minutes       attempt timeout when neither the task nor its agent type sets one [120]
//   timeouts.per_agent_type        agent type → timeout in minutes [{}]
//   timeouts.kill_grace_ms         SIGTERM → SIGKILL grace for an agent's process tree [5000]
//   lease.ms                       lease length of a running task; a crashed engine's tasks come back after it [30000]
//   lease.heartbeat_ms             lease renewal interval, < lease.ms [10000]
//   shutdown_grace_ms              on stop, how long running tasks may finish before they are released [30000]
//   metrics.enabled                serve Prometheus metrics [unset: on in daemon mode, off otherwise]
//   metrics.port                   metrics port, 0..65535 (0 = any free port) [9464]
//   metrics.host                   metrics bind address [127.0.0.1: loopback only]
//   metrics.grafana_dashboard_id   kept as given (the shipped dashboard's uid is coditect-orchestrator) [unset]
//   metrics.alert_on_failure_rate  0..1, exported as coditect_alert_on_failure_rate, HighTaskFailureRate's threshold [0.1]
//   http.bind                      the daemon serves its HTTP API and web dashboard on this loopback HOST:PORT (or
//                                  PORT on 127.0.0.1; docs/server.md); `daemon start --http` wins [unset: not served]
//   checkpoint.enabled             record a checkpoint row when a feature or an epic completes [true]
//   checkpoint.git_tag             also tag `coditect/checkpoint/<id>` when the workspace is a git repository [false]
//   checkpoint.interval_tasks      also a checkpoint row each time the plan's completed count reaches a multiple of this
//                                  (the plan's orchestrator.checkpoint_interval_tasks), 0 = off [0]
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
//   merge.on_conflict              review | agent: a branch whose merge conflicts waits for a person, or goes back to an
//                                  agent to resolve the conflict markers (at most AUTO_RESOLVE_MAX = 2 times per task,
//                                  then it waits for a person) [review]
//   sync.write_ids                 which task lists get the ids of tasks written without one: dialect (only files in
//                                  the CODITECT dialect), always, never [dialect]; other tasks keep their identity in
//                                  the database (docs/sync.md)
//   sync.criteria_headings         headings and labels whose checkboxes are criteria (counted apart, never dispatched),
//                                  matched as words, case and punctuation ignored; replaces the built-in list, [] = none
//                                  [DEFAULT_CRITERIA_HEADINGS in src/core/parse/criteria.ts: Acceptance Criteria,
//                                  Success Criteria, Definition of Done, Exit Criteria, Completion Criteria, Done
//                                  Criteria, Done When]
//   dispatch.run_optional          optional tasks (Kiro `- [ ]* 2.2 …`) are dispatched like any other; otherwise they run
//                                  only when a person runs one (docs/tasklist-format.md) [false]
//   prices                         model id → { inputPerMTok, outputPerMTok, cacheWritePerMTok?, cacheReadPerMTok? } (USD per
//                                  million tokens), merged over the shipped table (src/engine/agents/pricing.ts); prices
//                                  attempts whose agent reports tokens but no cost (marked estimated) [{}]
//   dispatch.batch_size            at most this many starts per dispatch pass, the next batch on the next turn [unset]
//   dispatch.priority_weights      P0..P3 → weight, higher dispatched first [the plan's 100/50/25/10]
//   budget.per_task_usd            most one task's attempts may cost, USD; an attempt that takes it over is stopped
//                                  (process tree killed) and the task fails, not retried (attempt budget_exceeded) [none]
//   budget.per_run_usd             most this engine run may spend; reaching it pauses dispatch [none]
//   budget.per_day_usd             most all runs may spend in a local day; reaching it pauses dispatch until midnight [none]
//   budget.per_epic_usd            most one epic's tasks may cost; reaching it holds that epic's tasks [none]
//   pause_after.tasks              after this many tasks the engine completed, hold dispatch with a summary (done,
//                                  failed, spent) until a person resumes, 1..1000000 [unset: never by count]
//   pause_after.feature            hold the same way each time a feature the engine worked on is finished [false]
//   notify.webhook                 http(s) URL each event is POSTed to as JSON (a gate waits, work waits for review,
//                                  dispatch paused, a breaker opened, a usage limit, the plan stalled, a task failed,
//                                  done) [none]
//   notify.command                 [program, args…] run per event without a shell, the event as JSON on stdin [none]
//   notify.events                  the kinds sent: gate_waiting, review_waiting, paused, breaker_open, usage_limit,
//                                  stalled, task_failed, done [all]
//   notify.timeout_ms              bound of one delivery (a POST, a command run), 100..600000 [5000]
//   notify.retries                 webhook retries after a network error, a timeout, 5xx, 408 or 429, 0..10 [3]
//   sync.enabled                   watch the task list for changes [true]
//   sync.markdown_path             the task list when the command line gives none (the plan's sync_daemon) [unset]
//   sync.json_path                 the work items JSON written after every applied sync, relative to the root [unset]
//   sync.db_path                   the database unless --db/DB_PATH, relative to the workspace root [unset]
//   sync.watch_interval_ms         how often a watching engine looks for other programs' commits (0 = off) [5000]
//   sync.debounce_ms               wait after the last change of a burst before syncing [50]
//   sync.max_retries               restarts of a sync while the file keeps changing under it [5]
//   logging.level                  debug | info | warn(ing) | error: the daemon's and `coditect run`'s level [info]
//   logging.file                   the daemon's log file, relative to the workspace root [.coditect/logs/engine.log]
//   logging.max_bytes              size at which the log file is rotated [10485760]
//   logging.backup_count           rotated files kept, 0 = never rotated [5]
//   backup.interval_hours          a running engine copies its database into `<db folder>/backups` this often (the
//                                  plan's "automatic backups every 6 hours"); fractions allowed, 0 = off [6]
//   backup.keep                    periodic backups kept, the oldest removed first; other backups (manual, before a
//                                  migration or a restore) are never removed [28: a week at 6 h]
//   queue.kind                     local | redis: run attempts in this engine, or enqueue each one as a BullMQ job that
//                                  `coditect worker` processes run on any machine (docs/server.md#workers) [local]
//   queue.url                      redis:// or rediss:// URL of the Redis the coordinator and workers share
//                                  [redis://REDIS_HOST:REDIS_PORT from the environment (port 6379) when queue.kind is redis]
//   queue.prefix                   key prefix of the queues in Redis, one per plan sharing a Redis [coditect]
//   queue.lock_ms                  a worker's lock on a job, renewed at half of it; a worker that dies is noticed after
//                                  about this long [30000]
//   queue.stalled_interval_ms      how often workers look for jobs whose worker died [30000]
//   queue.max_stalled              times a job may lose its worker (crash, SIGKILL) and be run again elsewhere before it
//                                  fails with the reason, 0..100 [1]
//   queue.results                  none | patch | branch: what a worker sends back of the files an attempt changed —
//                                  nothing (they stay in the worker's checkout), a patch in the job result that the
//                                  coordinator applies to its own tree, or a branch pushed to queue.remote [none]
//   queue.remote                   git remote (a name in each checkout, or a URL) results branches are pushed to and
//                                  the coordinator's base commit is fetched from; required with results branch
import * as path from 'node:path';
import { z } from 'zod';
import { DEFAULT_AGENT } from '../../core/routing';
import { ATTENTION_KINDS, type AttentionKind } from '../../protocol/engineProtocol';
import { modelPriceSchema } from '../agents/agentFactory';
import { SIMULATION_MS } from '../agents/dryRunAgent';
import { SANDBOX_MODES, type SandboxMode } from '../agents/sandbox';
import { bindProblem } from '../http/bind';

/** Backoff jitter strategies (cockatiel generators). */
export type JitterKind = 'none' | 'half' | 'full' | 'decorrelated';
export const JITTER_KINDS: readonly JitterKind[] = ['none', 'half', 'full', 'decorrelated'];

/** How a task's work lands: a merge commit, or its commits rebased onto the integration branch. */
export type MergeStrategyName = 'merge' | 'rebase';
export const MERGE_STRATEGIES: readonly MergeStrategyName[] = ['merge', 'rebase'];
/** Where attempts run: in the engine, or as BullMQ jobs on Redis that `coditect worker` processes take. */
export type QueueKind = 'local' | 'redis';
export const QUEUE_KINDS: readonly QueueKind[] = ['local', 'redis'];
/** What a worker sends back of an attempt's file changes: nothing, a patch in the job result, or a pushed branch. */
export type QueueResults = 'none' | 'patch' | 'branch';
export const QUEUE_RESULTS: readonly QueueResults[] = ['none', 'patch', 'branch'];
/** The `queue.*` defaults (also a worker's when its config has no `queue`). */
export const QUEUE_DEFAULTS = { prefix: 'coditect', lockMs: 30_000, stalledIntervalMs: 30_000, maxStalled: 1 } as const;

/** Whether a task's branch lands when its checks pass (`auto`) or waits for a person (`review`). */
export type MergePolicy = 'auto' | 'review';
export const MERGE_POLICIES: readonly MergePolicy[] = ['auto', 'review'];

export const posInt = (max: number) => z.number().int().min(1).max(max);
export const nonNegInt = (max: number) => z.number().int().min(0).max(max);
export const name = z.string().trim().min(1);
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

/** A criteria heading name: matched on its words, so it needs one (`"✅"` alone would match nothing). */
const criteriaHeading = z
  .string()
  .max(200)
  .refine((h) => /[\p{L}\p{N}]/u.test(h), 'expected a heading name with a letter or digit');

/** An amount of money in USD: positive, finite, at most a million. */
const usd = z.number().positive().max(1_000_000);

const retrySchema = z
  .object({
    max_attempts: nonNegInt(100).default(5),
    initial_delay_ms: nonNegInt(3_600_000).default(1000),
    max_delay_ms: nonNegInt(86_400_000).default(16_000),
    jitter: z.union([z.enum(JITTER_KINDS as [JitterKind, ...JitterKind[]]), z.boolean()]).default('half'),
    backoff_base: z.number().min(1).max(10).default(2),
  })
  .strict();

export const fileSchema = z
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
    simulation: z
      .object({ duration_ms: nonNegInt(600_000).default(SIMULATION_MS) })
      .strict()
      .default({}),
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
      .object({ default_pause_ms: nonNegInt(86_400_000).default(30_000), usage_limit_pause_ms: nonNegInt(7 * 86_400_000).default(18_000_000) })
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
        alert_on_failure_rate: z.number().min(0).max(1).optional(),
      })
      .strict()
      .default({}),
    http: z
      .object({
        bind: name
          .superRefine((v, ctx) => {
            const problem = bindProblem(v);
            if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
          })
          .optional(),
      })
      .strict()
      .default({}),
    checkpoint: z
      .object({ enabled: z.boolean().default(true), git_tag: z.boolean().default(false), interval_tasks: nonNegInt(1_000_000).default(0) })
      .strict()
      .default({}),
    cwd: name.optional(),
    prices: z.record(name, modelPriceSchema).default({}),
    budget: z
      .object({
        per_task_usd: usd.optional(),
        per_run_usd: usd.optional(),
        per_day_usd: usd.optional(),
        per_epic_usd: usd.optional(),
      })
      .strict()
      .default({}),
    notify: z
      .object({
        webhook: z
          .string()
          .url()
          .refine((u) => /^https?:\/\//i.test(u), 'expected an http or https URL')
          .optional(),
        command: z.array(z.string().min(1)).min(1).optional(),
        events: z.array(z.enum(ATTENTION_KINDS as [AttentionKind, ...AttentionKind[]])).optional(),
        timeout_ms: z.number().int().min(100).max(600_000).default(5000),
        retries: nonNegInt(10).default(3),
      })
      .strict()
      .default({}),
    pause_after: z
      .object({ tasks: posInt(1_000_000).optional(), feature: z.boolean().default(false) })
      .strict()
      .default({}),
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
        on_conflict: z.enum(['review', 'agent']).default('review'),
      })
      .strict()
      .default({}),
    sync: z
      .object({
        write_ids: z.enum(['dialect', 'always', 'never']).optional(),
        criteria_headings: z.array(criteriaHeading).max(1000).optional(),
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
        run_optional: z.boolean().optional(),
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
    backup: z
      .object({ interval_hours: z.number().min(0).max(8760).default(6), keep: posInt(100_000).default(28) })
      .strict()
      .default({}),
    queue: z
      .object({
        kind: z.enum(QUEUE_KINDS as [QueueKind, ...QueueKind[]]).default('local'),
        // Checked in normalize (config.ts), where a password in it can be masked in the message.
        url: z.string().optional(),
        prefix: z
          .string()
          .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1-64 letters, digits, "_", "." or "-"')
          .default(QUEUE_DEFAULTS.prefix),
        lock_ms: z.number().int().min(1000).max(3_600_000).default(QUEUE_DEFAULTS.lockMs),
        stalled_interval_ms: z.number().int().min(100).max(3_600_000).default(QUEUE_DEFAULTS.stalledIntervalMs),
        max_stalled: nonNegInt(100).default(QUEUE_DEFAULTS.maxStalled),
        results: z.enum(QUEUE_RESULTS as [QueueResults, ...QueueResults[]]).default('none'),
        remote: z
          .string()
          .trim()
          .min(1)
          .max(1000)
          .refine((r) => !r.startsWith('-'), 'a remote name or URL, not an option')
          .optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

export type FileConfig = z.infer<typeof fileSchema>;
