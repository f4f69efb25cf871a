// Plan-style files (orchestrator-config.json with `orchestrator`, `dispatcher` and `monitoring` sections, and
// `environment`/`environments` for profiles, see profiles.ts) are accepted too: the known keys of those sections map
// onto the options of fileSchema.ts (LEGACY_KEYS; seconds become ms), an error names the key as written, and keys this
// engine does not use become warnings (`OrchestratorConfig.warnings`) rather than errors. The flat option wins when
// both are given.
import { BUILT_IN_AGENTS } from './agentsConfig';
import { show } from './configErrors';
import { isPlainObject } from './plainObject';

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
    checkpoint_interval_tasks: { path: ['checkpoint', 'interval_tasks'] },
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
export function liftLegacySections(raw: Record<string, unknown>): {
  raw: Record<string, unknown>;
  origin: Map<string, string>;
  warnings: string[];
  errors: string[];
} {
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
export function liftMaxTotal(raw: Record<string, unknown>, origin: Map<string, string>, warnings: string[]): void {
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
