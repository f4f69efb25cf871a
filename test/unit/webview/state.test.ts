import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import type { TaskStatus } from '../../../src/core/model';
import type { TaskView } from '../../../src/protocol/views';
import { countsAsDone } from '../../../src/core/progress';
import { ACTIVITY_LIMIT, applyMessage, dismissNotice, emptyModel, matchesFilter, type DashboardModel } from '../../../webview-ui/state';
import { planPages } from '../../../src/protocol/webviewProtocol';
import { countsOf, fixtureSnapshot, fixtureTasks, groupsOf, iso, reviewView, T0, task } from './dashboardFixture';

const NOW = T0 + 60 * 60_000;

function loaded(): DashboardModel {
  return applyMessage(emptyModel(), { type: 'plan:changed', params: { snapshot: fixtureSnapshot() } }, NOW).model;
}

/** Applies a tasks increment built from the model's current tasks with `changed` replacing some of them. */
function withTasks(model: DashboardModel, changed: TaskView[], removed: string[] = [], now = NOW) {
  const all = new Map(model.tasks);
  const gone = removed.map((id) => all.get(id)).filter((t): t is TaskView => t !== undefined);
  for (const id of removed) all.delete(id);
  for (const t of changed) all.set(t.id, t);
  const tasks = [...all.values()];
  return applyMessage(
    model,
    { type: 'tasks:changed', params: { tasks: changed, counts: countsOf(tasks), groups: groupsOf(tasks, [...changed, ...gone]), removed } },
    now,
  );
}

describe('dashboard state reducer', () => {
  it('ignores increments until the first snapshot, then loads everything from it', () => {
    const empty = emptyModel();
    const early = applyMessage(
      empty,
      { type: 'tasks:changed', params: { tasks: [task('T001.001')], counts: countsOf([task('T001.001')]), groups: [], removed: [] } },
      NOW,
    );
    assert.equal(early.model, empty, 'an increment before the snapshot must not change the model');
    assert.equal(early.change.full, false);
    assert.deepEqual(early.change.tasks, []);

    const { model, change } = applyMessage(empty, { type: 'plan:changed', params: { snapshot: fixtureSnapshot() } }, NOW);
    assert.equal(change.full, true);
    assert.equal(model.loaded, true);
    assert.equal(model.simulated, true);
    assert.deepEqual(
      model.order,
      fixtureTasks().map((t) => t.id),
    );
    assert.equal(model.tasks.get('T001.003')?.status, 'in_progress');
    assert.equal(model.counts.total, 8);
    assert.equal(model.metricsAt, NOW);
    assert.equal(model.activity.length, 3);
  });

  it('a plan sent in pages (planPages) loads the same tasks in the same order as the whole snapshot; an increment before the last page asks for the plan again', () => {
    const snapshot = { ...fixtureSnapshot(), revision: 7 };
    const whole = applyMessage(emptyModel(), { type: 'plan:changed', params: { snapshot } }, NOW).model;
    const pages = planPages(snapshot, 3, 2);
    assert.deepEqual(
      pages.map((m) => [m.type, m.type === 'plan:changed' ? m.params.rest : m.type === 'plan:continued' ? m.params.rest : -1]),
      [
        ['plan:changed', 5],
        ['plan:continued', 3],
        ['plan:continued', 1],
        ['plan:continued', 0],
      ],
    );
    let model = emptyModel();
    model = applyMessage(model, pages[0]!, NOW).model;
    assert.equal(model.loaded, true, 'the first page draws the page');
    assert.deepEqual(model.order, whole.order.slice(0, 3));
    assert.equal(model.counts.total, 8, "the plan's counts come whole with the first page");
    const early = applyMessage(model, { type: 'tasks:changed', params: { tasks: [], counts: model.counts, groups: [], removed: [] } }, NOW);
    assert.equal(early.change.resync, true, 'an increment to a plan whose pages are still coming');
    const stale = applyMessage(model, { type: 'plan:continued', params: { revision: 6, tasks: [task('T009.001')], rest: 0 } }, NOW);
    assert.equal(stale.model, model, "a page of another snapshot's plan is dropped");
    for (const page of pages.slice(1)) {
      const next = applyMessage(model, page, NOW);
      assert.deepEqual(next.change.tasks, [], 'appended rows are the plan, not news: none flashes');
      assert.equal(next.change.appended.length > 0, true);
      model = next.model;
    }
    assert.equal(model.rest, 0);
    assert.deepEqual(model.order, whole.order);
    assert.deepEqual([...model.tasks.entries()], [...whole.tasks.entries()]);
    assert.deepEqual(planPages(snapshot), [{ type: 'plan:changed', params: { snapshot } }], 'a small plan is one message, as before');
  });

  it('a task finishing updates its row, the counts, its epic, the active agents and the burndown', () => {
    const before = loaded();
    const done = { ...before.tasks.get('T001.003')!, status: 'completed' as TaskStatus, startedAt: undefined };
    const { model, change } = withTasks(before, [done]);

    assert.deepEqual(change.tasks, ['T001.003']);
    assert.equal(change.full, false);
    assert.equal(change.counts, true);
    assert.deepEqual(change.epics, ['E001']);
    assert.equal(change.active, true);
    assert.equal(model.tasks.get('T001.003')?.status, 'completed');
    assert.equal(model.counts.done, 4, 'three completed and one skipped');
    assert.equal(model.counts.inProgress, 0);
    assert.deepEqual(
      model.epics.find((e) => e.id === 'E001'),
      { ...before.epics[0], done: 3, total: 4 },
    );
    assert.equal(
      model.epics.find((e) => e.id === 'E002'),
      before.epics[1],
      'an untouched epic keeps its object',
    );
    assert.deepEqual(model.active, []);
    const last = model.metrics.throughput[model.metrics.throughput.length - 1];
    assert.deepEqual(last, { at: new Date(NOW).toISOString(), completed: 4, remaining: 4 }, 'the burndown counts done (completed and skipped)');
    assert.equal(change.metrics, true);

    // The previous model is untouched (the view may still hold it).
    assert.equal(before.tasks.get('T001.003')?.status, 'in_progress');
    assert.equal(before.counts.completed, 2);
    assert.equal(before.active.length, 1);
  });

  it('a task starting joins the active agents with its start time, routed agent and attempt number', () => {
    const before = loaded();
    const started = { ...before.tasks.get('T002.002')!, status: 'in_progress' as TaskStatus, startedAt: iso(58) };
    const { model, change } = withTasks(before, [started]);
    assert.equal(change.active, true);
    const a = model.active.find((x) => x.taskId === 'T002.002');
    assert.deepEqual(a, { taskId: 'T002.002', title: started.title, agent: 'backend-development', startedAt: iso(58), attempt: 2 });
    assert.equal(model.active.length, 2);

    // A running task without startedAt gets the client's clock, and a later update keeps that start.
    const noStart = { ...before.tasks.get('T002.001')!, status: 'in_progress' as TaskStatus, startedAt: undefined };
    const next = withTasks(model, [noStart], [], NOW + 5000).model;
    assert.equal(next.active.find((x) => x.taskId === 'T002.001')?.startedAt, new Date(NOW + 5000).toISOString());
    const again = withTasks(next, [{ ...noStart, title: 'Renamed' }], [], NOW + 9000).model;
    const kept = again.active.find((x) => x.taskId === 'T002.001');
    assert.equal(kept?.startedAt, new Date(NOW + 5000).toISOString());
    assert.equal(kept?.title, 'Renamed');
  });

  it('an update that does not touch running tasks keeps the same active list and adds no chart sample when counts hold', () => {
    const before = loaded();
    const retitled = { ...before.tasks.get('T002.003')!, title: 'Soft-delete (v2)' };
    const { model, change } = withTasks(before, [retitled]);
    assert.equal(model.active, before.active);
    assert.equal(change.active, false);
    assert.equal(model.metrics, before.metrics, 'no new sample when completed and remaining did not move');
    assert.equal(change.metrics, false);
    assert.deepEqual(change.epics, [], 'no epic moved');
  });

  it('removed tasks leave the order, the map, the active list and their epic totals; unknown ones go to the end', () => {
    const before = loaded();
    const extra = task('T001.099', { title: 'Late addition', epicId: 'E001', featureId: 'F001.01' });
    const { model, change } = withTasks(before, [extra], ['T001.003', 'T404.404']);
    assert.deepEqual(change.removed, ['T001.003'], 'an id the model never had is not reported as removed');
    assert.equal(model.tasks.has('T001.003'), false);
    assert.equal(model.order.includes('T001.003'), false);
    assert.equal(model.order[model.order.length - 1], 'T001.099');
    assert.deepEqual(model.active, []);
    const e1 = model.epics.find((e) => e.id === 'E001')!;
    assert.deepEqual([e1.total, e1.done], [4, 2]);
    const f1 = model.features.find((f) => f.id === 'F001.01')!;
    assert.deepEqual([f1.total, f1.done], [4, 2]);
  });

  it('appends activity once: entries replayed after a snapshot are not shown twice, and the log is capped', () => {
    const before = loaded();
    const entry = { at: iso(61), kind: 'completed' as const, taskId: 'T001.003', message: 'done' };
    const first = applyMessage(before, { type: 'activity:appended', params: { entries: [before.activity[2], entry] } }, NOW);
    assert.deepEqual(first.change.activityAdded, [entry]);
    assert.equal(first.model.activity.length, 4);
    const replay = applyMessage(first.model, { type: 'activity:appended', params: { entries: [entry] } }, NOW);
    assert.equal(replay.model, first.model);
    assert.deepEqual(replay.change.activityAdded, []);

    const many = Array.from({ length: ACTIVITY_LIMIT + 25 }, (_, i) => ({ at: iso(100 + i), kind: 'info' as const, message: `m${i}` }));
    const capped = applyMessage(first.model, { type: 'activity:appended', params: { entries: many } }, NOW).model;
    assert.equal(capped.activity.length, ACTIVITY_LIMIT);
    assert.equal(capped.activity[capped.activity.length - 1].message, `m${ACTIVITY_LIMIT + 24}`);
  });

  it('applies state and metrics messages and restarts the uptime clock from the metrics', () => {
    const before = loaded();
    const s = applyMessage(before, { type: 'state:changed', params: { state: 'paused', breakers: { claude: 'open' } } }, NOW);
    assert.equal(s.change.state, true);
    assert.equal(s.model.state, 'paused');
    assert.deepEqual(s.model.breakers, { claude: 'open' });

    const metrics = { ...before.metrics, tasksPerHour: 9, uptimeSeconds: 4000 };
    const m = applyMessage(s.model, { type: 'metrics:changed', params: { metrics } }, NOW + 1234);
    assert.equal(m.change.metrics, true);
    assert.equal(m.model.metrics, metrics);
    assert.equal(m.model.metricsAt, NOW + 1234);
    // A sender without KPIs or spend leaves the snapshot's in place.
    assert.equal(m.model.kpis, before.kpis);
    assert.equal(m.model.spend, before.spend);
  });

  it('takes why a limit paused dispatch, the KPIs, the spend and the provider pauses from their messages', () => {
    const before = loaded();
    assert.equal(before.kpis?.autonomyRate, 0.9666);
    assert.equal(before.spend?.today.costUsd, 1.37);
    assert.deepEqual(before.providerPauses, []);
    const reason = 'day budget $10.00 reached ($10.42 spent today)';
    const paused = applyMessage(before, { type: 'state:changed', params: { state: 'paused', breakers: {}, pausedFor: reason } }, NOW).model;
    assert.equal(paused.pausedFor, reason);
    // Resumed (or paused by a person): the old reason must not linger.
    const resumed = applyMessage(paused, { type: 'state:changed', params: { state: 'running', breakers: {} } }, NOW).model;
    assert.equal(resumed.pausedFor, undefined);

    const kpis = { ...before.kpis!, autonomyRate: 0.5 };
    const spend = { ...before.spend!, run: { ...before.spend!.run, costUsd: 2 } };
    const providerPauses = [{ provider: 'claude', until: iso(300), reason: 'usage limit' }];
    const m = applyMessage(resumed, { type: 'metrics:changed', params: { metrics: before.metrics, kpis, spend, providerPauses } }, NOW).model;
    assert.equal(m.kpis, kpis);
    assert.equal(m.spend, spend);
    assert.deepEqual(m.providerPauses, providerPauses);
    // A snapshot from an engine that sends none of them: no KPIs, no spend, no pauses.
    const bare = applyMessage(
      m,
      { type: 'plan:changed', params: { snapshot: fixtureSnapshot({ kpis: undefined, spend: undefined, providerPauses: undefined }) } },
      NOW,
    ).model;
    assert.equal(bare.kpis, undefined);
    assert.equal(bare.spend, undefined);
    assert.deepEqual(bare.providerPauses, []);
  });

  it('keeps notices until dismissed, but a new snapshot clears a load error', () => {
    const err = applyMessage(emptyModel(), { type: 'notice:shown', params: { level: 'error', message: 'Could not load the plan: engine gone' } }, NOW);
    assert.equal(err.change.notice, true);
    assert.equal(err.model.notice?.message, 'Could not load the plan: engine gone');
    const snap = applyMessage(err.model, { type: 'plan:changed', params: { snapshot: fixtureSnapshot() } }, NOW).model;
    assert.equal(snap.notice, undefined);

    const info = applyMessage(snap, { type: 'notice:shown', params: { level: 'info', message: 'Sync done' } }, NOW).model;
    const resnap = applyMessage(info, { type: 'plan:changed', params: { snapshot: fixtureSnapshot() } }, NOW).model;
    assert.deepEqual(resnap.notice, { level: 'info', message: 'Sync done' });
    assert.equal(dismissNotice(resnap).notice, undefined);
    assert.equal(dismissNotice(snap), snap);
  });

  it('keeps the branches waiting for review by task, across snapshots, and names the rows whose review changed', () => {
    const early = applyMessage(emptyModel(), { type: 'reviews:changed', params: { reviews: [reviewView('T001.004')] } }, NOW);
    assert.equal(early.model.reviews.get('T001.004')?.stat.text, '1 file, +2 −0', 'a list that comes before the plan is kept');
    const m = applyMessage(early.model, { type: 'plan:changed', params: { snapshot: fixtureSnapshot() } }, NOW).model;
    assert.deepEqual([...m.reviews.keys()], ['T001.004'], 'a snapshot is not the review list: it keeps it');

    const same = applyMessage(m, { type: 'reviews:changed', params: { reviews: [reviewView('T001.004')] } }, NOW);
    assert.equal(same.model, m, 'the same list changes nothing');
    assert.deepEqual(same.change.tasks, []);

    const moved = applyMessage(
      m,
      {
        type: 'reviews:changed',
        params: {
          reviews: [reviewView('T001.004', { head: 'c'.repeat(40), stat: { files: 2, added: 5, deleted: 1, text: '2 files, +5 −1' } }), reviewView('T002.001')],
        },
      },
      NOW,
    );
    assert.deepEqual(moved.change.tasks.sort(), ['T001.004', 'T002.001']);
    assert.equal(moved.model.reviews.get('T001.004')?.stat.text, '2 files, +5 −1');

    const gone = applyMessage(moved.model, { type: 'reviews:changed', params: { reviews: [] } }, NOW);
    assert.deepEqual(gone.change.tasks.sort(), ['T001.004', 'T002.001'], 'rows whose review went are repainted too');
    assert.equal(gone.model.reviews.size, 0);
    assert.equal(gone.change.full, false);
  });

  it('filters tasks by status group and epic', () => {
    const tasks = new Map(fixtureTasks().map((t) => [t.id, t]));
    const ids = (f: Parameters<typeof matchesFilter>[1], epic?: string) => [...tasks.values()].filter((t) => matchesFilter(t, f, epic)).map((t) => t.id);
    assert.equal(ids('all').length, 8);
    assert.deepEqual(ids('open'), ['T001.003', 'T001.004', 'T002.001', 'T002.002', 'T002.003']);
    assert.deepEqual(ids('running'), ['T001.003']);
    assert.deepEqual(ids('ready'), ['T002.001']);
    assert.deepEqual(ids('failed'), ['T002.002']);
    assert.deepEqual(ids('waiting'), ['T001.004', 'T002.003']);
    assert.deepEqual(ids('done'), ['T001.001', 'T001.002', 'T002.004']);
    assert.deepEqual(ids('done', 'E002'), ['T002.004']);
  });

  it('takes group progress as the engine sent it and never recounts (a disagreeing message wins)', () => {
    const before = loaded();
    const t = { ...before.tasks.get('T002.001')!, status: 'skipped' as TaskStatus };
    const { model, change } = applyMessage(
      before,
      {
        type: 'tasks:changed',
        params: { tasks: [t], counts: countsOf([...before.tasks.values()]), groups: [{ kind: 'epic', id: 'E002', done: 3, total: 5 }], removed: [] },
      },
      NOW,
    );
    assert.deepEqual(change.epics, ['E002']);
    const e2 = model.epics.find((e) => e.id === 'E002')!;
    assert.deepEqual([e2.done, e2.total], [3, 5]);
  });

  it('after any sequence of increments, group totals and the active list match a recomputation from the tasks', () => {
    const statuses: TaskStatus[] = ['pending', 'in_progress', 'completed', 'blocked', 'failed', 'timeout', 'cancelled', 'skipped'];
    const ids = fixtureTasks().map((t) => t.id);
    const step = fc.record({
      changes: fc.array(fc.record({ id: fc.constantFrom(...ids), status: fc.constantFrom(...statuses) }), { maxLength: 4 }),
      remove: fc.array(fc.constantFrom(...ids), { maxLength: 1 }),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), (steps) => {
        let model = loaded();
        let clock = NOW;
        for (const s of steps) {
          const changed = s.changes.filter((c) => !s.remove.includes(c.id)).map((c) => ({ ...(model.tasks.get(c.id) ?? task(c.id)), status: c.status }));
          model = withTasks(model, changed, s.remove, (clock += 1000)).model;
        }
        const all = [...model.tasks.values()];
        for (const e of model.epics) {
          const mine = all.filter((t) => t.epicId === e.id);
          assert.equal(e.total, mine.length, `${e.id} total`);
          assert.equal(e.done, mine.filter((t) => countsAsDone(t)).length, `${e.id} done`);
        }
        const running = all
          .filter((t) => t.status === 'in_progress')
          .map((t) => t.id)
          .sort();
        assert.deepEqual(model.active.map((a) => a.taskId).sort(), running);
        assert.deepEqual([...model.order].sort(), [...model.tasks.keys()].sort());
      }),
      { numRuns: 200 },
    );
  });
});
