import * as assert from 'node:assert/strict';
import { activeNow, DashboardSession, type DashboardSource } from '../../../src/extension/dashboard/dashboardSession';
import type { PlanSnapshot } from '../../../src/protocol/views';
import { FIRST_PAGE_TASKS, metricsOf, PAGE_TASKS, type DashboardCommand, type DashboardEvent, type ToWebview } from '../../../src/protocol/webviewProtocol';
import { deferred, type Deferred } from '../../fakes/agentTestKit';
import type { PlanMetrics, ReviewView } from '../../../src/protocol/engineProtocol';
import { countsOf, fixtureSnapshot, groupsOf, iso, reviewView, T0, task } from '../webview/dashboardFixture';

/** The editor's side as a stand-in: snapshots come from a queue of deferreds (or the fixture), events are emitted by the test. */
class FakeSource implements DashboardSource {
  readonly listeners = new Set<(e: DashboardEvent) => void>();
  readonly commands: [DashboardCommand, string | undefined][] = [];
  snapshots: Deferred<PlanSnapshot>[] = [];
  snapshotCalls = 0;
  metricsCalls = 0;
  current = fixtureSnapshot();
  failCommand: Error | undefined;

  snapshot(): Promise<PlanSnapshot> {
    this.snapshotCalls++;
    const d = this.snapshots.shift();
    return d ? d.promise : Promise.resolve(this.current);
  }
  metrics(): Promise<PlanMetrics> {
    this.metricsCalls++;
    return Promise.resolve(metricsOf(this.current));
  }
  onEvent(listener: (e: DashboardEvent) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
  async runCommand(command: DashboardCommand, taskId?: string): Promise<unknown> {
    this.commands.push([command, taskId]);
    if (this.failCommand) throw this.failCommand;
    return undefined;
  }
  emit(e: DashboardEvent): void {
    for (const l of [...this.listeners]) l(e);
  }
}

/** A source whose editor also keeps a review list (the ReviewStore). */
class ReviewingSource extends FakeSource {
  list: ReviewView[] = [];
  readonly reviewListeners = new Set<() => void>();
  reviews(): readonly ReviewView[] {
    return this.list;
  }
  onReviews(listener: () => void): { dispose(): void } {
    this.reviewListeners.add(listener);
    return { dispose: () => this.reviewListeners.delete(listener) };
  }
  setReviews(list: ReviewView[]): void {
    this.list = list;
    for (const l of [...this.reviewListeners]) l();
  }
}

function setup(over: { metricsRefreshMs?: number } = {}) {
  const source = new FakeSource();
  const posted: ToWebview[] = [];
  const errors: string[] = [];
  const session = new DashboardSession({
    source,
    post: (m) => posted.push(m),
    onError: (m) => errors.push(m),
    metricsRefreshMs: over.metricsRefreshMs ?? 0,
  });
  return { source, posted, errors, session };
}

const READY = { type: 'webview:ready', params: {} };
/** Lets every promise callback that is due run (one turn of the event loop): what the session does next is done. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const run = (command: string, taskId?: string) => ({ type: 'command:run', params: taskId === undefined ? { command } : { command, taskId } });

const tasksEvent = (): DashboardEvent => {
  const t = task('T001.004', { status: 'in_progress', startedAt: iso(61) });
  return { type: 'tasks:changed', params: { tasks: [t], counts: countsOf([t]), groups: groupsOf([t], [t]), removed: [] } };
};

describe('DashboardSession (extension side of the dashboard)', () => {
  it('posts nothing before ready, then the plan first and the engine events after it, under their own names', async () => {
    const { source, posted, session } = setup();
    source.emit(tasksEvent());
    assert.equal(source.listeners.size, 0, 'no subscription before the webview is ready');
    assert.equal(posted.length, 0);

    await session.receive(READY);
    assert.equal(session.isLive, true);
    assert.deepEqual(posted, [{ type: 'plan:changed', params: { snapshot: source.current } }]);

    const state: DashboardEvent = { type: 'state:changed', params: { state: 'paused', breakers: {} } };
    source.emit(state);
    source.emit({ type: 'activity:appended', params: { entries: [{ at: iso(62), kind: 'info', message: 'hi' }] } });
    assert.deepEqual(
      posted.map((m) => m.type),
      ['plan:changed', 'state:changed', 'activity:appended'],
    );
    assert.equal(posted[1], state, 'an engine event reaches the page as it is: one name, one payload');
    session.dispose();
  });

  it('replays events that arrive while the snapshot is loading, after the snapshot and in order', async () => {
    const { source, posted, session } = setup();
    const snap = deferred<PlanSnapshot>();
    source.snapshots.push(snap);
    const ready = session.receive(READY);
    assert.equal(source.listeners.size, 1, 'subscribed before the snapshot was requested');
    assert.equal(session.hasPage, true, 'the page is up even before its snapshot arrived');
    assert.equal(session.isLive, false);
    source.emit({ type: 'state:changed', params: { state: 'paused', breakers: {} } });
    source.emit(tasksEvent());
    assert.equal(posted.length, 0, 'nothing is posted before the snapshot');
    snap.resolve(source.current);
    await ready;
    assert.deepEqual(
      posted.map((m) => m.type),
      ['plan:changed', 'state:changed', 'tasks:changed'],
    );
    session.dispose();
  });

  it('starts from the plan the editor holds, without asking the engine, with its running tasks as the active agents and fresh metrics after', async () => {
    const source = new FakeSource();
    const base = fixtureSnapshot();
    // The held plan moved on since its last whole snapshot: T001.004 started, the snapshot's active list did not.
    const tasks = base.tasks.map((t) => (t.id === 'T001.004' ? { ...t, status: 'in_progress' as const, startedAt: iso(61) } : t));
    const heldPlan = { ...base, tasks, counts: countsOf(tasks) };
    const posted: ToWebview[] = [];
    const session = new DashboardSession({ source: Object.assign(source, { held: () => heldPlan }), post: (m) => posted.push(m), metricsRefreshMs: 60_000 });
    await session.receive(READY);
    await session.settled();
    assert.equal(source.snapshotCalls, 0, 'no snapshot asked of the engine');
    assert.deepEqual(
      posted.map((m) => m.type),
      ['plan:changed', 'metrics:changed'],
    );
    const first = posted[0] as Extract<ToWebview, { type: 'plan:changed' }>;
    assert.deepEqual(first.params.snapshot.tasks, tasks);
    assert.deepEqual(
      first.params.snapshot.active.map((a) => a.taskId).sort(),
      tasks
        .filter((t) => t.status === 'in_progress')
        .map((t) => t.id)
        .sort(),
    );
    assert.equal(source.metricsCalls, 1);
    session.dispose();
  });

  it("lists a held plan's running tasks as active agents, keeping what the snapshot said of those it listed", () => {
    const listed = { taskId: 'T1', title: 'One', agent: 'claude-code', startedAt: iso(10), attempt: 2 };
    const running = task('T2', { status: 'in_progress', startedAt: iso(5), retryCount: 1, route: { agent: 'dry-run', rule: 'default', reason: 'x' } });
    const s = { tasks: [task('T1', { status: 'in_progress' }), running, task('T3', { status: 'completed' })], active: [listed, { ...listed, taskId: 'T3' }] };
    assert.deepEqual(activeNow(s, T0), [listed, { taskId: 'T2', title: running.title, agent: 'dry-run', startedAt: iso(5), attempt: 2 }]);
  });

  it('sends a big plan in pages, each once the one before was handed over, and holds events until the last', async () => {
    const source = new FakeSource();
    const tasks = Array.from({ length: FIRST_PAGE_TASKS + PAGE_TASKS + 10 }, (_, i) => task(`T001.${String(i + 1).padStart(5, '0')}`));
    source.current = fixtureSnapshot({ tasks, counts: countsOf(tasks) });
    const posted: ToWebview[] = [];
    const handed: Deferred<boolean>[] = [];
    const session = new DashboardSession({
      source,
      post: (m) => {
        posted.push(m);
        const d = deferred<boolean>();
        handed.push(d);
        return d.promise;
      },
      metricsRefreshMs: 0,
    });
    const started = session.receive(READY);
    await turn();
    const first = posted[0] as Extract<ToWebview, { type: 'plan:changed' }>;
    assert.deepEqual([first.type, first.params.snapshot.tasks.length, first.params.rest], ['plan:changed', FIRST_PAGE_TASKS, PAGE_TASKS + 10]);
    assert.equal(posted[1]!.type, 'plan:continued', 'the second page goes at once');
    source.emit(tasksEvent());
    handed[1]!.resolve(true);
    await turn();
    assert.deepEqual(
      posted.map((m) => [m.type, m.type === 'plan:continued' ? m.params.rest : undefined]),
      [
        ['plan:changed', undefined],
        ['plan:continued', 10],
        ['plan:continued', 0],
      ],
      'no event between the pages',
    );
    handed[2]!.resolve(true);
    await started;
    assert.deepEqual(
      posted.slice(3).map((m) => m.type),
      ['tasks:changed'],
      'the event held while the pages went comes after the last',
    );
    const sent = posted.flatMap((m) => (m.type === 'plan:changed' ? m.params.snapshot.tasks : m.type === 'plan:continued' ? m.params.tasks : []));
    assert.deepEqual(
      sent.map((t) => t.id),
      tasks.map((t) => t.id),
    );
    session.dispose();
  });

  it('a plan change is forwarded as the new plan, and task changes trigger a metrics refresh', async () => {
    const { source, posted, session } = setup();
    await session.receive(READY);
    const changed = fixtureSnapshot({ state: 'idle' });
    source.emit({ type: 'plan:changed', params: { snapshot: changed } });
    assert.deepEqual(posted[1], { type: 'plan:changed', params: { snapshot: changed } });

    source.current = fixtureSnapshot({ metrics: { ...changed.metrics, tasksPerHour: 42 } });
    source.emit(tasksEvent());
    await session.settled();
    assert.deepEqual(
      posted.slice(2).map((m) => m.type),
      ['tasks:changed', 'metrics:changed'],
    );
    const metrics = posted[3] as Extract<ToWebview, { type: 'metrics:changed' }>;
    assert.equal(metrics.params.metrics.tasksPerHour, 42);
    session.dispose();
  });

  it('throttles metric refreshes: a burst of task changes costs one metrics request, and no snapshot', async () => {
    const { source, posted, session } = setup({ metricsRefreshMs: 60_000 });
    await session.receive(READY);
    const callsAfterReady = source.snapshotCalls;
    for (let i = 0; i < 5; i++) source.emit(tasksEvent());
    await session.settled();
    assert.equal(source.metricsCalls, 1);
    assert.equal(source.snapshotCalls, callsAfterReady, 'a refresh asks for the metrics alone, not the whole plan');
    assert.equal(posted.filter((m) => m.type === 'metrics:changed').length, 1);
    session.dispose();
  });

  it("runs the page's buttons as the registered commands, and logs a command that throws", async () => {
    const { source, posted, errors, session } = setup();
    await session.receive(run('coditect.revealTask', 'T001.003'));
    await session.receive(run('coditect.start'));
    await session.receive(run('coditect.retryTask', 'T002.002'));
    assert.deepEqual(source.commands, [
      ['coditect.revealTask', 'T001.003'],
      ['coditect.start', undefined],
      ['coditect.retryTask', 'T002.002'],
    ]);
    source.failCommand = new Error('command not found');
    await session.receive(run('coditect.cancelTask', 'T001.003'));
    assert.deepEqual(posted, [], 'commands tell the person themselves; the page gets no second message');
    assert.deepEqual(errors, ['dashboard: coditect.cancelTask T001.003 failed: command not found']);
    session.dispose();
  });

  it('ignores malformed messages and commands outside the allow-list, and reports them to the log only', async () => {
    const { source, posted, errors, session } = setup();
    await session.receive(run('coditect.revealTask'));
    await session.receive({ type: 'command:run', params: { command: 'coditect.revealTask', taskId: 42 } });
    await session.receive(run('workbench.action.terminal.new'));
    await session.receive(run('coditect.start', 'T1'));
    await session.receive('ready');
    assert.deepEqual(posted, []);
    assert.deepEqual(source.commands, []);
    assert.equal(errors.length, 5);
    assert.match(errors[1], /malformed message.*"taskId":42/);
    session.dispose();
  });

  it('a failed snapshot becomes an error notice and the next ready tries again', async () => {
    const { source, posted, session } = setup();
    const bad = deferred<PlanSnapshot>();
    source.snapshots.push(bad);
    const ready = session.receive(READY);
    bad.reject(new Error('engine is restarting'));
    await ready;
    assert.equal(session.isLive, false);
    assert.equal(session.hasPage, false);
    assert.equal(source.listeners.size, 0, 'no subscription is left behind');
    assert.deepEqual(posted, [{ type: 'notice:shown', params: { level: 'error', message: 'Could not load the plan: engine is restarting' } }]);

    await session.receive(READY);
    assert.equal(session.isLive, true);
    assert.equal(posted[1].type, 'plan:changed');
    session.dispose();
  });

  it('a page that reloads gets only the newest snapshot; a detached page gets nothing', async () => {
    const { source, posted, session } = setup();
    const slow = deferred<PlanSnapshot>();
    const fast = deferred<PlanSnapshot>();
    source.snapshots.push(slow, fast);
    const first = session.receive(READY);
    const second = session.receive(READY);
    const newer = fixtureSnapshot({ state: 'paused' });
    fast.resolve(newer);
    await second;
    slow.resolve(fixtureSnapshot());
    await first;
    assert.deepEqual(posted, [{ type: 'plan:changed', params: { snapshot: newer } }]);
    assert.equal(source.listeners.size, 1, 'exactly one subscription for the live page');

    session.detach();
    assert.equal(session.hasPage, false);
    source.emit(tasksEvent());
    assert.equal(posted.length, 1);
    assert.equal(source.listeners.size, 0);
    session.dispose();
  });

  it('dispose is idempotent, unsubscribes and stops all work', async () => {
    const { source, posted, session } = setup();
    await session.receive(READY);
    session.dispose();
    session.dispose();
    assert.equal(source.listeners.size, 0);
    await session.receive(run('coditect.revealTask', 'T1'));
    await session.receive(READY);
    assert.deepEqual(source.commands, []);
    assert.equal(posted.length, 1);
  });

  it('validates its options, naming the bad value', () => {
    assert.throws(
      () => new DashboardSession({ source: new FakeSource(), post: () => undefined, metricsRefreshMs: -5 }),
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
      onError: (m) => errors.push(m),
    });
    await session.receive(READY);
    source.emit({ type: 'state:changed', params: { state: 'idle', breakers: {} } });
    assert.deepEqual(errors, ['dashboard: could not post state:changed: boom']);
    session.dispose();
  });

  it('sends the review list after each snapshot and whenever it changes, and stops when the page goes', async () => {
    const source = new ReviewingSource();
    source.list = [reviewView('T001.004')];
    const posted: ToWebview[] = [];
    const session = new DashboardSession({ source, post: (m) => posted.push(m), metricsRefreshMs: 0 });
    source.setReviews([reviewView('T001.004'), reviewView('T002.001')]);
    assert.equal(posted.length, 0, 'nothing before ready');
    await session.receive(READY);
    assert.deepEqual(
      posted.map((m) => m.type),
      ['plan:changed', 'reviews:changed'],
    );
    const first = posted[1] as Extract<ToWebview, { type: 'reviews:changed' }>;
    assert.deepEqual(
      first.params.reviews.map((r) => r.taskId),
      ['T001.004', 'T002.001'],
      'the list as it is when the snapshot is sent',
    );
    source.setReviews([]);
    assert.deepEqual(posted.at(-1), { type: 'reviews:changed', params: { reviews: [] } });
    session.detach();
    const before = posted.length;
    source.setReviews([reviewView('T001.001')]);
    assert.equal(posted.length, before, 'a detached page is not sent the list');
    assert.equal(source.reviewListeners.size, 0, 'detaching unsubscribes');
    session.dispose();
  });
});
