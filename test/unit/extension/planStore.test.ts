import * as assert from 'node:assert/strict';
import { ACTIVITY_CAP, PlanStore, type TasksUpdate } from '../../../src/extension/planStore';
import type { GroupProgressView } from '../../../src/protocol/views';
import { smallPlan, taskView } from './planFixture';

function loaded(): PlanStore {
  const s = new PlanStore();
  s.replace(smallPlan());
  return s;
}

/** The engine's group progress for F001.01 and E001 with `done` of their tasks done (E001 has one more, T3). */
function moved(done: number): GroupProgressView[] {
  return [
    { kind: 'feature', id: 'F001.01', done, total: 2 },
    { kind: 'epic', id: 'E001', done, total: 3 },
  ];
}

describe('editor plan store', () => {
  it('indexes a snapshot: epics → features → tasks in document order', () => {
    const s = loaded();
    assert.deepEqual(
      s.epics().map((e) => e.id),
      ['E001', 'E002'],
    );
    assert.deepEqual(
      s.featuresOf('E001').map((f) => f.id),
      ['F001.01', 'F001.02'],
    );
    assert.deepEqual(
      s.tasksOf('F001.01').map((t) => t.id),
      ['T1', 'T2'],
    );
    assert.equal(s.task('T3')?.waitingOn[0], 'T2');
  });

  it('applies a status change and takes the epic and feature progress the engine sent', () => {
    const s = loaded();
    const updates: TasksUpdate[] = [];
    s.events.on('tasks:updated', (u) => updates.push(u));
    const counts = { ...s.snapshot!.counts, done: 2, completed: 2 };
    s.applyTasks({ tasks: [taskView('T2', { status: 'completed', line: 5 })], counts, groups: moved(2), removed: [] });
    assert.equal(updates.length, 1);
    assert.deepEqual(
      updates[0].tasks.map((t) => t.id),
      ['T2'],
    );
    assert.deepEqual(new Set(updates[0].groups), new Set(['F001.01', 'E001']));
    assert.equal(s.feature('F001.01')?.done, 2);
    assert.equal(s.epic('E001')?.done, 2);
    assert.equal(s.snapshot!.counts.done, 2);
    assert.equal(s.tasksOf('F001.01')[1].status, 'completed', 'the per-feature list holds the new view');
  });

  it('reports no group when progress did not move (ready → running)', () => {
    const s = loaded();
    let groups: string[] | undefined;
    s.events.on('tasks:updated', (u) => (groups = u.groups));
    s.applyTasks({ tasks: [taskView('T2', { status: 'in_progress', line: 5 })], counts: s.snapshot!.counts, groups: moved(1), removed: [] });
    assert.deepEqual(groups, []);
  });

  it('never recounts: a skipped task moves a group only as far as the engine says (one rule of done)', () => {
    const s = loaded();
    const counts = { ...s.snapshot!.counts, done: 2, skipped: 1 };
    s.applyTasks({ tasks: [taskView('T2', { status: 'skipped', line: 5 })], counts, groups: moved(2), removed: [] });
    assert.equal(s.feature('F001.01')?.done, 2, 'a skipped task is done, as the engine counts it');
  });

  it('removes tasks and shrinks their groups', () => {
    const s = loaded();
    s.applyTasks({
      tasks: [],
      counts: s.snapshot!.counts,
      groups: [
        { kind: 'feature', id: 'F001.01', done: 0, total: 1 },
        { kind: 'epic', id: 'E001', done: 0, total: 2 },
      ],
      removed: ['T1', 'nope'],
    });
    assert.equal(s.task('T1'), undefined);
    assert.deepEqual(
      s.tasksOf('F001.01').map((t) => t.id),
      ['T2'],
    );
    assert.deepEqual([s.feature('F001.01')?.total, s.feature('F001.01')?.done], [1, 0]);
    assert.deepEqual([s.epic('E001')?.total, s.epic('E001')?.done], [2, 0]);
  });

  it('never mutates a snapshot handed out before (group views are replaced)', () => {
    const s = loaded();
    const before = s.feature('F001.01')!;
    s.applyTasks({ tasks: [taskView('T2', { status: 'completed', line: 5 })], counts: s.snapshot!.counts, groups: moved(2), removed: [] });
    assert.equal(before.done, 1);
  });

  it('keeps the newest activity entries only and tracks state', () => {
    const s = loaded();
    const many = Array.from({ length: ACTIVITY_CAP + 10 }, (_, i) => ({ at: new Date(i).toISOString(), kind: 'info' as const, message: `m${i}` }));
    s.appendActivity({ entries: many });
    assert.equal(s.snapshot!.activity.length, ACTIVITY_CAP);
    assert.equal(s.snapshot!.activity.at(-1)?.message, `m${ACTIVITY_CAP + 9}`);
    let state: string | undefined;
    s.events.on('state:changed', (p) => (state = p.state));
    s.applyState({ state: 'running', breakers: { anthropic: 'open' } });
    assert.equal(state, 'running');
    assert.equal(s.snapshot!.breakers.anthropic, 'open');
  });

  it('ignores increments before the first snapshot', () => {
    const s = new PlanStore();
    s.applyTasks({ tasks: [taskView('T1')], counts: smallPlan().counts, groups: [], removed: [] });
    assert.equal(s.snapshot, undefined);
    assert.equal(s.task('T1'), undefined);
  });

  it('applies a plan patch: moved lines redraw nothing, a task moved to another feature is structural, a missed patch is a gap', () => {
    const s = new PlanStore();
    s.replace({ ...smallPlan(), revision: 4 });
    const updates: TasksUpdate[] = [];
    s.events.on('tasks:updated', (u) => updates.push(u));
    const patch = { counts: smallPlan().counts, diagnostics: [], tasks: [], removed: [], epics: [], features: [] };
    // Two lines typed above F001.02: it and everything below move down.
    assert.equal(s.applyPatch({ ...patch, base: 4, revision: 5, shifts: [{ from: 7, to: 12, delta: 2 }] }), 'apply');
    assert.deepEqual(
      s.tasks().map((t) => [t.id, t.line]),
      [
        ['T1', 4],
        ['T2', 5],
        ['T3', 10],
        ['T4', 14],
      ],
    );
    assert.equal(s.feature('F001.02')?.line, 9);
    assert.equal(s.epic('E002')?.line, 12);
    assert.deepEqual(updates.at(-1), { tasks: [], removed: [], groups: [], structural: false });
    // The same patch again (a snapshot taken after it): nothing happens.
    assert.equal(s.applyPatch({ ...patch, base: 4, revision: 5, shifts: [{ from: 7, to: 12, delta: 2 }] }), 'has');
    assert.equal(s.task('T3')?.line, 10);
    const t2 = { ...s.task('T2')!, featureId: 'F001.02', title: 'Moved' };
    assert.equal(s.applyPatch({ ...patch, base: 5, revision: 6, shifts: [], tasks: [t2] }), 'apply');
    assert.deepEqual(
      s.tasksOf('F001.02').map((t) => t.id),
      ['T2', 'T3'],
    );
    assert.equal(updates.at(-1)?.structural, true);
    assert.equal(s.applyPatch({ ...patch, base: 8, revision: 9, shifts: [] }), 'gap');
    assert.equal(s.snapshot?.revision, 6, 'a patch for another plan is not applied');
  });
});
