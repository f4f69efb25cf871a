// The plan's KPIs ("Success Metrics"), computed from the database, so they survive restarts and say the same to every
// reader (status --json, the metrics endpoint, a person's own SQL): autonomy rate, success rate, throughput, uptime and
// dispatch latency (from `agent_execution_log.dispatch_latency_ms`; the live histogram coditect_dispatch_latency_seconds
// restarts from zero with the engine, this does not).
import type Database from 'better-sqlite3';
import type { KpiView } from '../protocol/views';

/** Window of the uptime KPI (heartbeat rows are kept as long: runtime.ts HEARTBEAT_RETENTION_DAYS). */
export const KPI_WINDOW_DAYS = 7;

/** Two heartbeats further apart than this many intervals mean the engine was down in between. */
const GAP_FACTOR = 2.5;

const DAY_MS = 86_400_000;

/**
 * Computes the KPIs at `now` (epoch ms) from `v2_tasks`, `agent_execution_log` and the heartbeat rows of
 * `orchestrator_state`; `heartbeatMs` is the interval the heartbeats were written at.
 */
export function computeKpis(db: Database.Database, now: number, heartbeatMs: number): KpiView {
  const one = <T>(sql: string, ...args: unknown[]): T => db.prepare(sql).get(...args) as T;
  const { completed } = one<{ completed: number }>(`SELECT COUNT(*) AS completed FROM v2_tasks WHERE status = 'completed'`);
  const { byAgent } = one<{ byAgent: number }>(
    `SELECT COUNT(*) AS byAgent FROM v2_tasks t WHERE t.status = 'completed'
       AND EXISTS (SELECT 1 FROM agent_execution_log a WHERE a.task_id = t.task_id AND a.status = 'completed')`,
  );
  const { failed } = one<{ failed: number }>(`SELECT COUNT(*) AS failed FROM v2_tasks WHERE status IN ('failed', 'timeout')`);

  // Uptime: heartbeat pairs closer than GAP_FACTOR intervals cover the time between them; the last heartbeat covers
  // one interval after it (capped at now).
  const since = now - KPI_WINDOW_DAYS * DAY_MS;
  const beats = (
    db
      .prepare(
        `SELECT CAST(ROUND((julianday(timestamp) - 2440587.5) * 86400000) AS INTEGER) AS at FROM orchestrator_state
          WHERE kind = 'heartbeat' AND julianday(timestamp) >= julianday(?) ORDER BY at`,
      )
      .all(new Date(since).toISOString()) as { at: number }[]
  ).map((r) => r.at);
  const upIn = (from: number): { up: number; window: number } => {
    const inWindow = beats.filter((b) => b >= from);
    if (inWindow.length === 0) return { up: 0, window: 0 };
    let up = 0;
    for (let i = 1; i < inWindow.length; i++) {
      const gap = inWindow[i] - inWindow[i - 1];
      if (gap <= heartbeatMs * GAP_FACTOR) up += gap;
    }
    up += Math.min(heartbeatMs, Math.max(0, now - inWindow[inWindow.length - 1]));
    return { up, window: Math.max(0, now - inWindow[0]) };
  };
  const week = upIn(since);
  const day = upIn(now - DAY_MS);
  const { recent } = one<{ recent: number }>(
    `SELECT COUNT(*) AS recent FROM agent_execution_log WHERE status = 'completed' AND julianday(completed_at) >= julianday(?)`,
    new Date(now - DAY_MS).toISOString(),
  );
  // Nearest-rank percentiles of the recorded dispatch latencies in the window.
  const latencies = db
    .prepare(
      `SELECT dispatch_latency_ms FROM agent_execution_log
        WHERE dispatch_latency_ms IS NOT NULL AND julianday(started_at) >= julianday(?) ORDER BY dispatch_latency_ms`,
    )
    .pluck()
    .all(new Date(since).toISOString()) as number[];
  const rank = (p: number): number | null => (latencies.length === 0 ? null : latencies[Math.max(0, Math.ceil(p * latencies.length) - 1)] / 1000);
  return {
    autonomyRate: completed > 0 ? byAgent / completed : null,
    successRate: byAgent + failed > 0 ? byAgent / (byAgent + failed) : null,
    tasksPerHour: day.up > 0 ? recent / (day.up / 3_600_000) : null,
    uptimeRatio: week.window > 0 ? Math.min(1, week.up / week.window) : null,
    windowSeconds: Math.round(week.window / 1000),
    dispatchLatencyP50Seconds: rank(0.5),
    dispatchLatencyP95Seconds: rank(0.95),
    dispatchSamples: latencies.length,
  };
}
