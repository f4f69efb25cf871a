import { strict as assert } from 'node:assert';
import { request } from 'node:http';
import { Registry } from 'prom-client';
import { AgentError } from '../../../src/engine/agents/agent';
import { EngineMetrics, startMetricsServer, type MetricsServer } from '../../../src/engine/metrics';
import { taskList } from '../core/taskListBuilder';
import { ScriptedAgent, harness, type Harness } from './orchestratorKit';

function get(url: string, method = 'GET'): Promise<{ status: number; type?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The value of one sample line `name{labels} value`, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  let h: Harness | undefined;
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    await h?.cleanup();
    server = h = undefined;
  });

  it('exports task, attempt, retry, breaker, queue, token and latency series from a real run, on its own registry', async () => {
    let n = 0;
    const agent = new ScriptedAgent('s', 'anthropic', (input) => {
      if (input.id === 'T1' && ++n === 1) return new AgentError('HTTP 500', 'transient', 'anthropic');
      if (input.id === 'T3') return new AgentError('bad key', 'auth', 'anthropic');
      if (input.id === 'T2') return { summary: 'ok', tokensIn: 1000, tokensOut: 10, cacheReadTokens: 600, model: 'gpt-5' };
      return { summary: 'ok', tokensIn: 100, tokensOut: 20, costUsd: 0.5, model: 'claude-opus-5' };
    });
    const list = taskList([
      { id: 'T1', agent: 'backend' },
      { id: 'T2', agent: 'backend', deps: ['T1'] },
      { id: 'T3', agent: 'qa' },
      { id: 'T4', agent: 'qa', blockers: ['infra'] },
    ]);
    h = harness(list, { agent, config: { max_concurrent_agents: 1, retry: { initial_delay_ms: 1, max_delay_ms: 1 } } });
    const metrics = new EngineMetrics();
    const detach = metrics.attach(h.orch);
    metrics.recordSync('md->db', 'applied');
    h.orch.start();
    await h.orch.idle();
    server = await startMetricsServer(metrics, 0);
    assert.equal(server.host, '127.0.0.1');
    const res = await get(server.url);
    assert.equal(res.status, 200);
    assert.match(res.type ?? '', /text\/plain/);
    const t = res.body;
    assert.match(t, /^# TYPE coditect_tasks_total counter$/m, "the plan's Counter");
    assert.equal(sample(t, 'coditect_tasks_total'), 3, 'tasks processed: T1 and T2 completed, T3 failed (T4 never ran)');
    assert.equal(sample(t, 'coditect_plan_tasks'), 4);
    const epics = [...t.matchAll(/^coditect_epic_tasks\{epic="([^"]+)",state="(done|remaining)"\} (\d+)$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
    assert.deepEqual(epics, [`${list.epics[0].id} done 2`, `${list.epics[0].id} remaining 2`], 'per-epic progress');
    assert.equal(sample(t, 'coditect_tasks_by_status{status="completed"}'), 2);
    assert.equal(sample(t, 'coditect_tasks_by_status{status="failed"}'), 1);
    assert.equal(sample(t, 'coditect_tasks_by_status{status="pending"}'), 0);
    assert.equal(sample(t, 'coditect_tasks_by_status{status="blocked"}'), 1, 'T4, held by its external blocker');
    assert.equal(sample(t, 'coditect_tasks_by_status{status="ready"}'), 0);
    assert.equal(sample(t, 'coditect_tasks_completed'), 2);
    assert.equal(sample(t, 'coditect_tasks_failed'), 1);
    assert.equal(sample(t, 'coditect_active_agents'), 0);
    assert.equal(sample(t, 'coditect_attempts_total{agent_type="backend",provider="anthropic",outcome="completed"}'), 2);
    assert.equal(sample(t, 'coditect_attempts_total{agent_type="backend",provider="anthropic",outcome="failed"}'), 1);
    assert.equal(sample(t, 'coditect_attempts_total{agent_type="qa",provider="anthropic",outcome="failed"}'), 1);
    assert.equal(sample(t, 'coditect_retries_total{agent_type="backend",reason="backoff"}'), 1);
    assert.equal(sample(t, 'coditect_tokens_total{agent_type="backend",model="claude-opus-5",kind="input"}'), 100);
    assert.equal(sample(t, 'coditect_tokens_total{agent_type="backend",model="claude-opus-5",kind="output"}'), 20);
    assert.equal(sample(t, 'coditect_cost_usd_total{agent_type="backend",model="claude-opus-5"}'), 0.5);
    // T2 reported tokens and no cost: 400 input, 600 cache reads, 10 output, priced from the table (gpt-5: 1.25, 0.125, 10 $/MTok).
    assert.equal(sample(t, 'coditect_tokens_total{agent_type="backend",model="gpt-5",kind="input"}'), 400);
    assert.equal(sample(t, 'coditect_tokens_total{agent_type="backend",model="gpt-5",kind="cache_read"}'), 600);
    assert.equal(sample(t, 'coditect_tokens_total{agent_type="backend",model="gpt-5",kind="output"}'), 10);
    assert.equal(sample(t, 'coditect_cost_usd_total{agent_type="backend",model="gpt-5"}'), (400 * 1.25 + 600 * 0.125 + 10 * 10) / 1e6);
    assert.equal(sample(t, 'coditect_circuit_breaker_state{provider="anthropic"}'), 0);
    assert.equal(sample(t, 'coditect_queue_depth{kind="ready"}'), 0);
    assert.equal(sample(t, 'coditect_sync_operations_total{direction="md->db",outcome="applied"}'), 1);
    assert.equal(sample(t, 'coditect_dispatch_latency_seconds_count'), 4, 'one observation per queued start');
    assert.equal(sample(t, 'coditect_attempt_duration_seconds_count{agent_type="backend",outcome="completed"}'), 2);
    assert.ok((sample(t, 'coditect_orchestrator_uptime_seconds') ?? -1) >= 0);
    assert.ok(!(await new Registry().metrics()).includes('coditect_'), 'a fresh registry holds none of them');
    detach();
  });

  it("exports the plan's KPIs from their source at scrape time; one with nothing to divide is absent", async () => {
    const metrics = new EngineMetrics();
    assert.doesNotMatch(await metrics.text(), /^coditect_kpi\{/m, 'no source, no KPI');
    metrics.setKpiSource(() => ({
      autonomyRate: 0.5,
      successRate: null,
      tasksPerHour: 3,
      uptimeRatio: 0.999,
      windowSeconds: 60,
      dispatchLatencyP50Seconds: 0.2,
      dispatchLatencyP95Seconds: 1.5,
      dispatchSamples: 12,
    }));
    const t = await metrics.text();
    assert.equal(sample(t, 'coditect_kpi{kpi="dispatch_latency_p95_seconds"}'), 1.5);
    assert.equal(sample(t, 'coditect_kpi{kpi="dispatch_latency_p50_seconds"}'), 0.2);
    assert.equal(sample(t, 'coditect_kpi{kpi="autonomy_rate"}'), 0.5);
    assert.equal(sample(t, 'coditect_kpi{kpi="tasks_per_hour"}'), 3);
    assert.equal(sample(t, 'coditect_kpi{kpi="uptime_ratio"}'), 0.999);
    assert.equal(sample(t, 'coditect_kpi{kpi="success_rate"}'), undefined);
  });

  it('reports an open breaker in the gauge', async () => {
    const agent = new ScriptedAgent('s', 'flaky', () => new AgentError('503', 'transient', 'flaky'));
    h = harness(taskList([{ id: 'T1' }, { id: 'T2' }]), {
      agent,
      config: { max_concurrent_agents: 1, retry: { max_attempts: 0 }, circuit_breaker: { failure_threshold: 1, cooldown_ms: 3_600_000 } },
    });
    const metrics = new EngineMetrics();
    metrics.attach(h.orch);
    h.orch.start();
    await new Promise<void>((r) => h!.orch.on('breaker:changed', (c) => c.state === 'open' && r()));
    const t = await metrics.text();
    assert.equal(sample(t, 'coditect_circuit_breaker_state{provider="flaky"}'), 2);
    assert.equal(sample(t, 'coditect_queue_depth{kind="ready"}'), 1);
  });

  it('serves only /metrics, answers HEAD, closes idempotently and names a taken port', async () => {
    const metrics = new EngineMetrics({ labels: { tasklist: 'plan.md' } });
    server = await startMetricsServer(metrics, 0);
    assert.equal((await get(server.url.replace('/metrics', '/other'))).status, 404);
    const head = await get(server.url, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal((await get(server.url, 'POST')).status, 405);
    assert.match((await get(server.url)).body, /coditect_orchestrator_uptime_seconds\{tasklist="plan.md"\}/);
    await assert.rejects(startMetricsServer(metrics, server.port), new RegExp(`127\\.0\\.0\\.1:${server.port}: the port is already in use`));
    await assert.rejects(startMetricsServer(metrics, 70000), /metrics port must be an integer 0\.\.65535, got 70000/);
    const p = server.close();
    assert.equal(server.close(), p);
    await p;
    await assert.rejects(get(server.url));
  });
});
