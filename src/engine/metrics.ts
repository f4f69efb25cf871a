// Prometheus metrics of the engine (prom-client, on its own Registry — never the global one, so two engines in one
// process, or a test, never share series). State gauges (tasks by status, active agents, queue depth, breakers,
// uptime) are read from the orchestrator at scrape time; counters and histograms are fed by its events.
//
// Series (the plan's names first):
//   coditect_tasks_total                      counter  tasks processed: ended completed, failed or timed out (the
//                                             plan's Counter; = coditect_tasks_completed + coditect_tasks_failed)
//   coditect_plan_tasks                       gauge    tasks in the plan
//   coditect_epic_tasks{epic,state}           gauge    tasks of each epic, state done (completed or skipped) | remaining
//                                             (the plan's "Epic Progress" stacked bars)
//   coditect_tasks_by_status{status}          gauge    tasks per status (pending, ready, in_progress, completed, …)
//   coditect_tasks_completed                  counter  tasks completed by an agent since the engine started
//   coditect_tasks_failed                     counter  tasks that ended failed or timeout since the engine started
//   coditect_active_agents                    gauge    attempts running now
//   coditect_active_agents_by_type{agent_type} gauge   attempts running now per agent type
//   coditect_dispatch_latency_seconds         histogram  task ready → agent started
//   coditect_orchestrator_uptime_seconds      gauge    seconds since the engine started
//   coditect_sync_operations_total{direction,outcome} counter  markdown ⇄ db syncs (fed by the sync layer)
//   coditect_attempts_total{agent_type,provider,outcome} counter  finished attempts by outcome
//   coditect_attempt_duration_seconds{agent_type,outcome} histogram  attempt durations
//   coditect_retries_total{agent_type,reason} counter  retries scheduled (reason backoff | rate_limited)
//   coditect_circuit_breaker_state{provider}  gauge    0 closed, 1 half_open, 2 open, 3 paused (429)
//   coditect_queue_depth{kind}                gauge    ready tasks waiting for a slot (kind ready) or a backoff (delayed)
//   coditect_tokens_total{agent_type,model,kind} counter  model tokens (kind input | output | cache_read | cache_write;
//                                             input is the prompt without its cache reads and writes)
//   coditect_cost_usd_total{agent_type,model} counter  model cost in USD, reported or estimated (the cost ledger's)
//   coditect_kpi{kpi}                         gauge    the plan's KPIs from the database, kept across restarts (kpis.ts):
//                                             autonomy_rate, success_rate, tasks_per_hour, uptime_ratio,
//                                             dispatch_latency_p50_seconds, dispatch_latency_p95_seconds (absent while
//                                             there is nothing to divide)
//   coditect_alert_on_failure_rate            gauge    the config's monitoring.alert_on_failure_rate (default 0.1): the
//                                             threshold of the shipped HighTaskFailureRate rule (alerts.yml)
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BreakerState, KpiView, PlanCounts } from '../protocol/views';
import type { Orchestrator } from './orchestrator';
import { errorMessage } from '../core/describe';

/** The plan's `alert_on_failure_rate`: 10% of finished tasks failing. */
export const DEFAULT_ALERT_ON_FAILURE_RATE = 0.1;

/** Numeric value of each breaker state in `coditect_circuit_breaker_state`. */
export const BREAKER_STATE_VALUE: Readonly<Record<BreakerState, number>> = { closed: 0, half_open: 1, open: 2, paused: 3 };

/** What the state gauges read at scrape time (the Orchestrator provides all of it). */
export interface MetricsSource {
  counts(): PlanCounts;
  epicProgress(): { epic: string; total: number; done: number }[];
  runningByAgentType(): Record<string, number>;
  queueDepth(): { ready: number; delayed: number };
  breakers(): Record<string, BreakerState>;
}

const STATUS_KEYS: [Exclude<keyof PlanCounts, 'criteria' | 'optional'>, string][] = [
  ['pending', 'pending'],
  ['ready', 'ready'],
  ['inProgress', 'in_progress'],
  ['completed', 'completed'],
  ['blocked', 'blocked'],
  ['failed', 'failed'],
  ['timeout', 'timeout'],
  ['cancelled', 'cancelled'],
  ['skipped', 'skipped'],
];

/** The engine's metrics on a private Registry. */
export class EngineMetrics {
  readonly registry = new Registry();
  private source?: MetricsSource;
  private readonly startedAt: number;

  private readonly tasksTotal: Counter<string>;
  private readonly tasksCompleted: Counter<string>;
  private readonly tasksFailed: Counter<string>;
  private readonly dispatchLatency: Histogram<string>;
  private readonly syncOps: Counter<'direction' | 'outcome'>;
  private readonly attempts: Counter<'agent_type' | 'provider' | 'outcome'>;
  private readonly attemptDuration: Histogram<'agent_type' | 'outcome'>;
  private readonly retries: Counter<'agent_type' | 'reason'>;
  private readonly tokens: Counter<'agent_type' | 'model' | 'kind'>;
  private readonly cost: Counter<'agent_type' | 'model'>;
  private readonly failureRateThreshold: Gauge<string>;
  private kpiSource?: () => KpiView;

  /** `now` (epoch ms) is the uptime clock; `labels` are added to every series (e.g. `{ tasklist: 'plan.md' }`). */
  constructor(opts: { now?: () => number; labels?: Record<string, string> } = {}) {
    const now = opts.now ?? Date.now;
    this.startedAt = now();
    if (opts.labels) this.registry.setDefaultLabels(opts.labels);
    const registers = [this.registry];
    const self = (): MetricsSource | undefined => this.source;

    this.tasksTotal = new Counter({
      name: 'coditect_tasks_total',
      help: 'Tasks processed (ended completed, failed or timed out) since the engine started',
      registers,
    });
    new Gauge({
      name: 'coditect_plan_tasks',
      help: 'Tasks in the plan',
      registers,
      collect() {
        const s = self();
        if (s) this.set(s.counts().total);
      },
    });
    new Gauge({
      name: 'coditect_epic_tasks',
      help: 'Tasks of each epic: state done (completed or skipped) or remaining',
      labelNames: ['epic', 'state'],
      registers,
      collect() {
        const s = self();
        if (!s) return;
        this.reset();
        for (const e of s.epicProgress()) {
          this.set({ epic: e.epic, state: 'done' }, e.done);
          this.set({ epic: e.epic, state: 'remaining' }, e.total - e.done);
        }
      },
    });
    new Gauge({
      name: 'coditect_tasks_by_status',
      help: 'Tasks per status (ready = pending with every blocking dependency done)',
      labelNames: ['status'],
      registers,
      collect() {
        const s = self();
        if (!s) return;
        const c = s.counts();
        for (const [k, label] of STATUS_KEYS) this.set({ status: label }, c[k]);
      },
    });
    this.tasksCompleted = new Counter({ name: 'coditect_tasks_completed', help: 'Tasks completed by an agent since the engine started', registers });
    this.tasksFailed = new Counter({ name: 'coditect_tasks_failed', help: 'Tasks that ended failed or timed out since the engine started', registers });
    new Gauge({
      name: 'coditect_active_agents',
      help: 'Agent attempts running now',
      registers,
      collect() {
        const s = self();
        if (s) this.set(Object.values(s.runningByAgentType()).reduce((a, b) => a + b, 0));
      },
    });
    new Gauge({
      name: 'coditect_active_agents_by_type',
      help: 'Agent attempts running now per agent type',
      labelNames: ['agent_type'],
      registers,
      collect() {
        const s = self();
        if (!s) return;
        this.reset();
        for (const [t, n] of Object.entries(s.runningByAgentType())) this.set({ agent_type: t }, n);
      },
    });
    this.dispatchLatency = new Histogram({
      name: 'coditect_dispatch_latency_seconds',
      help: 'Time from a task becoming ready to its agent starting',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120],
      registers,
    });
    const startedAt = this.startedAt;
    new Gauge({
      name: 'coditect_orchestrator_uptime_seconds',
      help: 'Seconds since the engine started',
      registers,
      collect() {
        this.set((now() - startedAt) / 1000);
      },
    });
    this.syncOps = new Counter({
      name: 'coditect_sync_operations_total',
      help: 'Markdown/database sync operations',
      labelNames: ['direction', 'outcome'],
      registers,
    });
    this.attempts = new Counter({
      name: 'coditect_attempts_total',
      help: 'Finished agent attempts by outcome',
      labelNames: ['agent_type', 'provider', 'outcome'],
      registers,
    });
    this.attemptDuration = new Histogram({
      name: 'coditect_attempt_duration_seconds',
      help: 'Duration of agent attempts (agent and Verify command)',
      labelNames: ['agent_type', 'outcome'],
      buckets: [0.1, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200],
      registers,
    });
    this.retries = new Counter({
      name: 'coditect_retries_total',
      help: 'Retries scheduled (backoff after a transient failure, or a rate-limit release)',
      labelNames: ['agent_type', 'reason'],
      registers,
    });
    new Gauge({
      name: 'coditect_circuit_breaker_state',
      help: 'Circuit breaker per provider: 0 closed, 1 half_open, 2 open, 3 paused (rate limited)',
      labelNames: ['provider'],
      registers,
      collect() {
        const s = self();
        if (!s) return;
        for (const [p, st] of Object.entries(s.breakers())) this.set({ provider: p }, BREAKER_STATE_VALUE[st]);
      },
    });
    new Gauge({
      name: 'coditect_queue_depth',
      help: 'Tasks waiting: ready for a free slot (kind ready) or for their retry backoff (kind delayed)',
      labelNames: ['kind'],
      registers,
      collect() {
        const s = self();
        if (!s) return;
        const q = s.queueDepth();
        this.set({ kind: 'ready' }, q.ready);
        this.set({ kind: 'delayed' }, q.delayed);
      },
    });
    this.tokens = new Counter({
      name: 'coditect_tokens_total',
      help: 'Model tokens used by agents (kind input: the prompt without its cache reads and writes)',
      labelNames: ['agent_type', 'model', 'kind'],
      registers,
    });
    this.cost = new Counter({
      name: 'coditect_cost_usd_total',
      help: 'Model cost in USD, reported by the agent or estimated from its tokens (the cost ledger)',
      labelNames: ['agent_type', 'model'],
      registers,
    });
    this.failureRateThreshold = new Gauge({
      name: 'coditect_alert_on_failure_rate',
      help: 'Failed share of finished tasks above which HighTaskFailureRate fires (monitoring.alert_on_failure_rate)',
      registers,
    });
    this.failureRateThreshold.set(DEFAULT_ALERT_ON_FAILURE_RATE);
    const kpis = (): KpiView | undefined => this.kpiSource?.();
    new Gauge({
      name: 'coditect_kpi',
      help: "The plan's KPIs from the database: autonomy_rate, success_rate, tasks_per_hour, uptime_ratio, dispatch_latency_p50_seconds, dispatch_latency_p95_seconds",
      labelNames: ['kpi'],
      registers,
      collect() {
        this.reset();
        const k = kpis();
        if (!k) return;
        for (const [label, v] of [
          ['autonomy_rate', k.autonomyRate],
          ['success_rate', k.successRate],
          ['tasks_per_hour', k.tasksPerHour],
          ['uptime_ratio', k.uptimeRatio],
          ['dispatch_latency_p50_seconds', k.dispatchLatencyP50Seconds],
          ['dispatch_latency_p95_seconds', k.dispatchLatencyP95Seconds],
        ] as const) {
          if (v !== null) this.set({ kpi: label }, v);
        }
      },
    });
  }

  /** Where the KPI gauge reads the plan's KPIs at scrape time (the runtime's database). */
  setKpiSource(source: () => KpiView): void {
    this.kpiSource = source;
  }

  /** The config's alert thresholds, exported so the shipped rules read them (monitoring.alert_on_failure_rate). */
  setAlertThresholds(t: { failureRate?: number }): void {
    this.failureRateThreshold.set(t.failureRate ?? DEFAULT_ALERT_ON_FAILURE_RATE);
  }

  /** Reads state from `orch` at scrape time and counts its events; returns the detach function. */
  attach(orch: Orchestrator): () => void {
    this.source = orch;
    const offs = [
      orch.on('task:started', (e) => {
        if (e.dispatchLatencyMs !== undefined) this.dispatchLatency.observe(e.dispatchLatencyMs / 1000);
      }),
      orch.on('task:completed', () => {
        this.tasksCompleted.inc();
        this.tasksTotal.inc();
      }),
      orch.on('task:failed', () => {
        this.tasksFailed.inc();
        this.tasksTotal.inc();
      }),
      orch.on('task:timeout', () => {
        this.tasksFailed.inc();
        this.tasksTotal.inc();
      }),
      orch.on('task:retrying', (e) => this.retries.inc({ agent_type: e.agentType, reason: e.rateLimited ? 'rate_limited' : 'backoff' })),
      orch.on('attempt:finished', (e) => {
        this.attempts.inc({ agent_type: e.agentType, provider: e.provider, outcome: e.outcome });
        this.attemptDuration.observe({ agent_type: e.agentType, outcome: e.outcome }, Math.max(0, e.durationMs) / 1000);
        const model = e.model ?? 'unknown';
        const cacheRead = e.cacheReadTokens ?? 0;
        const cacheWrite = e.cacheWriteTokens ?? 0;
        const input = Math.max(0, (e.tokensIn ?? 0) - cacheRead - cacheWrite);
        for (const [kind, n] of [
          ['input', input],
          ['output', e.tokensOut ?? 0],
          ['cache_read', cacheRead],
          ['cache_write', cacheWrite],
        ] as const) {
          if (n > 0) this.tokens.inc({ agent_type: e.agentType, model, kind }, n);
        }
        if (e.costUsd) this.cost.inc({ agent_type: e.agentType, model }, e.costUsd);
      }),
    ];
    return () => {
      for (const off of offs) off();
      if (this.source === orch) this.source = undefined;
    };
  }

  /** Counts one sync operation (called by the sync layer). */
  recordSync(direction: string, outcome: string /* applied | conflict | error | noop */): void {
    this.syncOps.inc({ direction, outcome });
  }

  /** The exposition text (Prometheus text format). */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** A running metrics endpoint. */
export interface MetricsServer {
  readonly host: string;
  /** The bound port (the real one when 0 was asked). */
  readonly port: number;
  readonly url: string;
  /** Stops listening and closes open connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` from `registry` on `host:port` (loopback by default; port 0 picks a free one). Rejects with
 * an error naming the address when it cannot listen (e.g. the port is taken).
 */
export function startMetricsServer(registry: Registry | EngineMetrics, port: number, host = '127.0.0.1'): Promise<MetricsServer> {
  const reg = registry instanceof EngineMetrics ? registry.registry : registry;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    return Promise.reject(new RangeError(`metrics port must be an integer 0..65535, got ${JSON.stringify(port)}`));
  const server: Server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found; metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    reg.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': reg.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (e: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`metrics collection failed: ${errorMessage(e)}\n`);
      },
    );
  });
  return new Promise<MetricsServer>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      reject(new Error(`metrics server cannot listen on ${host}:${port}: ${e.code === 'EADDRINUSE' ? 'the port is already in use' : e.message}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address() as AddressInfo;
      let closing: Promise<void> | undefined;
      const urlHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        host: addr.address,
        port: addr.port,
        url: `http://${urlHost}:${addr.port}/metrics`,
        close() {
          closing ??= new Promise<void>((res) => {
            server.close(() => res());
            server.closeAllConnections();
          });
          return closing;
        },
      });
    });
  });
}
