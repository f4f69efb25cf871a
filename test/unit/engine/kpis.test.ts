// The plan's KPIs computed from a real context.db: what counts as autonomous, as a success, as up.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type DatabaseHandle } from '../../../src/engine/db/database';
import { computeKpis, KPI_WINDOW_DAYS } from '../../../src/engine/kpis';

describe("the plan's KPIs (kpis.ts)", () => {
  let dir: string;
  let h: DatabaseHandle;
  const NOW = Date.parse('2026-12-02T12:00:00.000Z');
  const HOUR = 3_600_000;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coditect-kpis-'));
    h = openDatabase(join(dir, 'context.db'));
    h.db.exec(`INSERT INTO v2_epics (epic_id, title) VALUES ('E001', 'Core');
      INSERT INTO v2_features (feature_id, epic_id, title) VALUES ('F001.01', 'E001', 'Bus')`);
  });
  afterEach(() => {
    h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const task = (id: string, status: string) =>
    h.db.prepare(`INSERT INTO v2_tasks (task_id, epic_id, feature_id, title, status) VALUES (?, 'E001', 'F001.01', ?, ?)`).run(id, id, status);
  const attempt = (id: string, status: string, at: number) =>
    h.db
      .prepare(`INSERT INTO agent_execution_log (task_id, agent_type, status, completed_at) VALUES (?, 'backend-development', ?, ?)`)
      .run(id, status, new Date(at).toISOString());
  const beat = (at: number) => h.db.prepare(`INSERT INTO orchestrator_state (timestamp, kind) VALUES (?, 'heartbeat')`).run(new Date(at).toISOString());

  it('is null while there is nothing to divide', () => {
    assert.deepEqual(computeKpis(h.db, NOW, 30_000), {
      autonomyRate: null,
      successRate: null,
      tasksPerHour: null,
      uptimeRatio: null,
      windowSeconds: 0,
      dispatchLatencyP50Seconds: null,
      dispatchLatencyP95Seconds: null,
      dispatchSamples: 0,
    });
  });

  it('dispatch latency: median and 95th percentile of the attempt rows of the last 7 days, in seconds', () => {
    task('T1', 'completed');
    const start = (ms: number | null, at: number) =>
      h.db
        .prepare(`INSERT INTO agent_execution_log (task_id, agent_type, status, started_at, dispatch_latency_ms) VALUES ('T1', 'x', 'completed', ?, ?)`)
        .run(new Date(at).toISOString(), ms);
    // 20 starts: 100, 200 … 2000 ms; one 9 s start 8 days ago (outside); one started by hand (no latency).
    for (let i = 1; i <= 20; i++) start(i * 100, NOW - i * HOUR);
    start(9000, NOW - 8 * 24 * HOUR);
    start(null, NOW - HOUR);
    const k = computeKpis(h.db, NOW, 30_000);
    assert.equal(k.dispatchSamples, 20);
    assert.equal(k.dispatchLatencyP50Seconds, 1.0, 'nearest rank: the 10th of 20');
    assert.equal(k.dispatchLatencyP95Seconds, 1.9, 'the 19th of 20');
  });

  it('autonomy: completed by an agent vs ticked by a person; success: agent completions vs failed and timed-out tasks', () => {
    task('T1', 'completed');
    attempt('T1', 'failed', NOW - 2 * HOUR);
    attempt('T1', 'completed', NOW - HOUR); // an agent completed it on its second attempt
    task('T2', 'completed'); // ticked by a person: no completed attempt
    task('T3', 'completed');
    attempt('T3', 'completed', NOW - HOUR);
    task('T4', 'failed');
    attempt('T4', 'failed', NOW - HOUR);
    task('T5', 'pending');
    const k = computeKpis(h.db, NOW, 30_000);
    assert.equal(k.autonomyRate, 2 / 3);
    assert.equal(k.successRate, 2 / 3, 'T1 and T3 against T4');
  });

  it('uptime: heartbeats closer than 2.5 intervals cover the time between; a gap is downtime; throughput per hour up', () => {
    const interval = 60_000;
    // Up for 2 h, down for 1 h, up for the last hour (beats every minute; the last one a minute ago).
    for (let t = NOW - 4 * HOUR; t <= NOW - 2 * HOUR; t += interval) beat(t);
    for (let t = NOW - HOUR; t <= NOW - interval; t += interval) beat(t);
    beat(NOW - (KPI_WINDOW_DAYS + 1) * 24 * HOUR); // outside the window: ignored
    task('T1', 'completed');
    attempt('T1', 'completed', NOW - 30 * 60_000);
    task('T2', 'completed');
    attempt('T2', 'completed', NOW - 90 * 60_000);
    const k = computeKpis(h.db, NOW, interval);
    assert.equal(k.windowSeconds, 4 * 3600, 'from the first heartbeat in the window');
    // Up: 2 h, then 59 minutes between the second run's beats, plus one interval after the last beat = 3 h of 4.
    assert.equal(k.uptimeRatio, 3 / 4);
    assert.equal(k.tasksPerHour, 2 / 3, 'two completions in the last 24 h, 3 h up');
  });
});
