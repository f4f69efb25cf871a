// The shipped alert rules and Grafana dashboard must only use metrics the engine really exports.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineMetrics } from '../../../src/engine/metrics';

const dir = join(__dirname, '../../../resources/monitoring');

/** Metric names referenced by PromQL text, histogram suffixes folded onto their base name. */
function referencedMetrics(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/\bcoditect_[a-z_]+\b/g)) names.add(m[0].replace(/_(bucket|sum|count)$/, ''));
  return names;
}

async function exported(): Promise<Set<string>> {
  const metrics = new EngineMetrics();
  const json = await metrics.registry.getMetricsAsJSON();
  return new Set(json.map((m) => m.name));
}

describe('monitoring resources', () => {
  it('alert rules refer only to exported metrics, and include the plan’s three alerts', async () => {
    const text = readFileSync(join(dir, 'alerts.yml'), 'utf8');
    const names = await exported();
    const used = referencedMetrics(
      text
        .split('\n')
        .filter((l) => !l.trim().startsWith('#'))
        .join('\n'),
    );
    assert.ok(used.size >= 5, `expected the rules to use several metrics, found ${[...used].join(', ')}`);
    for (const n of used) assert.ok(names.has(n), `alerts.yml uses ${n}, which the engine does not export`);
    // The plan's three alerts under its names; OrchestratorDown exactly as the plan writes it.
    for (const alert of ['HighTaskFailureRate', 'OrchestratorDown', 'DispatchLatencyHigh']) {
      assert.match(text, new RegExp(`alert: ${alert}\\n`));
    }
    assert.match(text, /expr: up\{job="orchestrator"\} == 0\n\s+for: 1m/);
    // The failure-rate threshold is the config's, exported by the engine, not a number written into the rule.
    assert.match(text, /coditect_alert_on_failure_rate/);
  });

  it('the Grafana dashboard is valid JSON whose every query uses exported metrics', async () => {
    const dash = JSON.parse(readFileSync(join(dir, 'grafana-dashboard.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const names = await exported();
    const exprs = dash.panels.flatMap((p) => p.targets.map((t) => t.expr));
    assert.ok(exprs.length >= 8);
    // The plan's five panels.
    const titles = (dash.panels as unknown as { title: string; type: string }[]).map((p) => `${p.type}: ${p.title}`);
    for (const t of [
      'timeseries: Task Completion Rate (tasks/hour)',
      'gauge: Active Agents',
      'timeseries: Dispatch Latency (p50, p95, p99)',
      'timeseries: Failure Rate (percentage)',
      'barchart: Epic Progress',
    ])
      assert.ok(titles.includes(t), `the dashboard lacks the plan's panel ${t}: ${titles.join('; ')}`);
    // Every KPI the engine exports (metrics.ts, from the database) has a panel, the persisted dispatch latency included.
    for (const kpi of ['autonomy_rate', 'success_rate', 'tasks_per_hour', 'uptime_ratio', 'dispatch_latency_p50_seconds', 'dispatch_latency_p95_seconds'])
      assert.ok(
        exprs.some((e) => e.includes(`coditect_kpi{kpi="${kpi}"}`)),
        `no dashboard panel shows the KPI ${kpi}`,
      );
    for (const e of exprs) {
      const used = referencedMetrics(e);
      assert.ok(used.size > 0, `query without a coditect metric: ${e}`);
      for (const n of used) assert.ok(names.has(n), `dashboard query uses ${n}, which the engine does not export: ${e}`);
    }
  });

  it('a metric the engine does not export is caught', () => {
    assert.deepEqual([...referencedMetrics('rate(coditect_nope_bucket[5m]) + coditect_tasks_total')], ['coditect_nope', 'coditect_tasks_total']);
  });
});
