import * as assert from 'node:assert/strict';
import type { DashboardEvent, DashboardRequest, ToWebview } from '../../../src/protocol/webviewProtocol';
import type { PlanSnapshot } from '../../../src/protocol/views';
import { DashboardSession, type DashboardSource } from '../../../webview-ui/host/dashboardSession';
import { deferred, type Deferred } from '../../fakes/agentTestKit';
import { countsOf, fixtureSnapshot, groupsOf, iso, task } from './dashboardFixture';

/** An engine stand-in: snapshots come from a queue of deferreds (or the fixture), events are emitted by the test. */
class FakeSource implements DashboardSource {
  readonly listeners = new Set<(e: DashboardEvent) => void>();
  readonly requests: DashboardRequest[] = [];
  snapshots: Deferred<PlanSnapshot>[] = [];
  snapshotCalls = 0;
  current = fixtureSnapshot();
  failRequest: Error | undefined;

  snapshot(): Promise<PlanSnapshot> {
    this.snapshotCalls++;
    const d = this.snapshots.shift();
    return d ? d.promise : Promise.resolve(this.current);
  }
  onEvent(listener: (e: DashboardEvent) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
  async request(req: DashboardRequest): Promise<unknown> {
    this.requests.push(req);
    if (this.failRequest) throw this.failRequest;
    return { ok: true };
  }
  emit(e: DashboardEvent): void {
    for (const l of [...this.listeners]) l(e);
  }
}

function setup(over: { metricsRefreshMs?: number } = {}) {
  const source = new FakeSource();
  const posted: ToWebview[] = [];
  const revealed: string[] = [];
  const errors: string[] = [];
  const session = new DashboardSession({
    source,
    post: (m) => posted.push(m),
    reveal: (id) => revealed.push(id),
    onError: (m) => errors.push(m),
    metricsRefreshMs: over.metricsRefreshMs ?? 0,
  });
  return { source, posted, revealed, errors, session };
}

const tasksEvent = (): DashboardEvent => {
  const t = task('T001.004', { status: 'in_progress', startedAt: iso(61) });
  return { type: 'tasks:changed', tasks: [t], counts: countsOf([t]), groups: groupsOf([t], [t]), removed: [] };
};

describe('DashboardSession (extension side of the dashboard)', () => {
  it('posts nothing before ready, then the snapshot first and increments after it', async () => {
    const { source, posted, session } = setup();
    source.emit(tasksEvent());
    assert.equal(source.listeners.size, 0, 'no subscription before the webview is ready');
    assert.equal(posted.length, 0);

    await session.receive({ type: 'ready' });
    assert.equal(session.isLive, true);
    assert.deepEqual(
      posted.map((m) => m.type),
      ['snapshot'],
    );
    assert.equal((posted[0] as { snapshot: PlanSnapshot }).snapshot, source.current);

    source.emit({ type: 'state:changed', state: 'paused', breakers: {} });
    source.emit({ type: 'activity:appended', entries: [{ at: iso(62), kind: 'info', message: 'hi' }] });
    assert.deepEqual(
      posted.map((m) => m.type),
      ['snapshot', 'state', 'activity'],
    );
    session.dispose();
  });

  it('replays events that arrive while the snapshot is loading, after the snapshot and in order', async () => {
    const { source, posted, session } = setup();
    const snap = deferred<PlanSnapshot>();
    source.snapshots.push(snap);
    const ready = session.receive({ type: 'ready' });
    assert.equal(source.listeners.size, 1, 'subscribed before the snapshot was requested');
    assert.equal(session.hasPage, true, 'the page is up even before its snapshot arrived');
    assert.equal(session.isLive, false);
    source.emit({ type: 'state:changed', state: 'paused', breakers: {} });
    source.emit(tasksEvent());
    assert.equal(posted.length, 0, 'nothing is posted before the snapshot');
    snap.resolve(source.current);
    await ready;
    assert.deepEqual(
      posted.map((m) => m.type),
      ['snapshot', 'state', 'tasks'],
    );
    session.dispose();
  });

  it('a plan change becomes a fresh snapshot, and task changes trigger a metrics refresh', async () => {
    const { source, posted, session } = setup();
    await session.receive({ type: 'ready' });
    const changed = fixtureSnapshot({ state: 'idle' });
    source.emit({ type: 'plan:changed', snapshot: changed });
    assert.equal(posted.length, 2);
    assert.deepEqual(posted[1], { type: 'snapshot', snapshot: changed });

    source.current = fixtureSnapshot({ metrics: { ...changed.metrics, tasksPerHour: 42 } });
    source.emit(tasksEvent());
    await session.settled();
    assert.deepEqual(
      posted.slice(2).map((m) => m.type),
      ['tasks', 'metrics'],
    );
    const metrics = posted[3] as Extract<ToWebview, { type: 'metrics' }>;
    assert.equal(metrics.metrics.tasksPerHour, 42);
    session.dispose();
  });

  it('throttles metric refreshes: a burst of task changes costs one snapshot', async () => {
    const { source, posted, session } = setup({ metricsRefreshMs: 60_000 });
    await session.receive({ type: 'ready' });
    const callsAfterReady = source.snapshotCalls;
    for (let i = 0; i < 5; i++) source.emit(tasksEvent());
    await session.settled();
    assert.equal(source.snapshotCalls - callsAfterReady, 1);
    assert.equal(posted.filter((m) => m.type === 'metrics').length, 1);
    session.dispose();
  });

  it('reveals tasks, forwards control and task actions, and turns a failed request into an error notice', async () => {
    const { source, posted, revealed, session } = setup();
    await session.receive({ type: 'revealTask', taskId: 'T001.003' });
    assert.deepEqual(revealed, ['T001.003']);
    await session.receive({ type: 'control', action: 'start' });
    await session.receive({ type: 'taskAction', action: 'retry', taskId: 'T002.002' });
    assert.deepEqual(source.requests, [
      { type: 'control', action: 'start' },
      { type: 'taskAction', action: 'retry', taskId: 'T002.002' },
    ]);
    source.failRequest = new Error('workspace is read-only');
    await session.receive({ type: 'taskAction', action: 'cancel', taskId: 'T001.003' });
    await session.receive({ type: 'control', action: 'pause' });
    assert.deepEqual(posted, [
      { type: 'notice', level: 'error', message: 'Could not cancel T001.003: workspace is read-only' },
      { type: 'notice', level: 'error', message: 'Could not pause: workspace is read-only' },
    ]);
    session.dispose();
  });

  it('ignores malformed messages and reports them to the log only', async () => {
    const { source, posted, revealed, errors, session } = setup();
    await session.receive({ type: 'revealTask', taskId: 42 });
    await session.receive({ type: 'control', action: 'rm -rf' });
    await session.receive('ready');
    assert.deepEqual(posted, []);
    assert.deepEqual(revealed, []);
    assert.deepEqual(source.requests, []);
    assert.equal(errors.length, 3);
    assert.match(errors[0], /malformed message.*"taskId":42/);
    session.dispose();
  });

  it('a failed snapshot becomes an error notice and the next ready tries again', async () => {
    const { source, posted, session } = setup();
    const bad = deferred<PlanSnapshot>();
    source.snapshots.push(bad);
    const ready = session.receive({ type: 'ready' });
    bad.reject(new Error('engine is restarting'));
    await ready;
    assert.equal(session.isLive, false);
    assert.equal(session.hasPage, false);
    assert.equal(source.listeners.size, 0, 'no subscription is left behind');
    assert.deepEqual(posted, [{ type: 'notice', level: 'error', message: 'Could not load the plan: engine is restarting' }]);

    await session.receive({ type: 'ready' });
    assert.equal(session.isLive, true);
    assert.equal(posted[1].type, 'snapshot');
    session.dispose();
  });

  it('a page that reloads gets only the newest snapshot; a detached page gets nothing', async () => {
    const { source, posted, session } = setup();
    const slow = deferred<PlanSnapshot>();
    const fast = deferred<PlanSnapshot>();
    source.snapshots.push(slow, fast);
    const first = session.receive({ type: 'ready' });
    const second = session.receive({ type: 'ready' });
    const newer = fixtureSnapshot({ state: 'paused' });
    fast.resolve(newer);
    await second;
    slow.resolve(fixtureSnapshot());
    await first;
    assert.deepEqual(posted, [{ type: 'snapshot', snapshot: newer }]);
    assert.equal(source.listeners.size, 1, 'exactly one subscription for the live page');

    session.detach();
    assert.equal(session.hasPage, false);
    source.emit(tasksEvent());
    assert.equal(posted.length, 1);
    assert.equal(source.listeners.size, 0);
    session.dispose();
  });

  it('dispose is idempotent, unsubscribes and stops all work', async () => {
    const { source, posted, revealed, session } = setup();
    await session.receive({ type: 'ready' });
    session.dispose();
    session.dispose();
    assert.equal(source.listeners.size, 0);
    await session.receive({ type: 'revealTask', taskId: 'T1' });
    await session.receive({ type: 'ready' });
    assert.deepEqual(revealed, []);
    assert.equal(posted.length, 1);
  });

  it('validates its options, naming the bad value', () => {
    assert.throws(
      () => new DashboardSession({ source: new FakeSource(), post: () => undefined, reveal: () => undefined, metricsRefreshMs: -5 }),
      /metricsRefreshMs must be a number >= 0, got -5/,
    );
  });

  it('survives a post that throws or a webview that rejects (panel closed)', async () => {
    const source = new FakeSource();
    const errors: string[] = [];
    let calls = 0;
    const session = new DashboardSession({
      source,
      post: () => {
        calls++;
        if (calls === 1) return Promise.reject(new Error('Webview is disposed'));
        throw new Error('boom');
      },
      reveal: () => undefined,
      onError: (m) => errors.push(m),
    });
    await session.receive({ type: 'ready' });
    source.emit({ type: 'state:changed', state: 'idle', breakers: {} });
    assert.deepEqual(errors, ['dashboard: could not post state: boom']);
    session.dispose();
  });
});
