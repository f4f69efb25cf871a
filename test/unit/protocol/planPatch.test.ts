import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { PlanPatcher } from '../../../src/engine/planPatcher';
import { applyPlanPatch, patchFit } from '../../../src/protocol/planPatch';
import type { EpicView, FeatureView, PlanSnapshot } from '../../../src/protocol/views';
import { countsOf, fixtureSnapshot, task } from '../webview/dashboardFixture';

/** A plan as lines: each entry is a task or a feature heading, `gap` lines below the entry before it. */
interface Entry {
  kind: 'task' | 'feature';
  id: string;
  title: string;
  gap: number;
}

function snapshotOf(entries: readonly Entry[]): PlanSnapshot {
  let line = 2;
  let feature = 'F001.01';
  const tasks = [];
  const features: FeatureView[] = [];
  for (const e of entries) {
    line += e.gap;
    if (e.kind === 'feature') {
      feature = e.id;
      features.push({ id: e.id, title: e.title, line, epicId: 'E001', done: 0, total: 0 });
    } else tasks.push(task(e.id, { title: e.title, line, featureId: feature, epicId: 'E001' }));
  }
  for (const f of features) f.total = tasks.filter((t) => t.featureId === f.id).length;
  const epics: EpicView[] = [{ id: 'E001', title: 'Epic', line: 0, done: 0, total: tasks.length, features: features.map((f) => f.id) }];
  return fixtureSnapshot({ epics, features, tasks, counts: countsOf(tasks), diagnostics: [] });
}

/** A first plan: two features, tasks under each. */
const planArb = fc.integer({ min: 1, max: 30 }).chain((n) =>
  fc.array(fc.integer({ min: 1, max: 3 }), { minLength: n + 2, maxLength: n + 2 }).map((gaps) => {
    const out: Entry[] = [{ kind: 'feature', id: 'F001.01', title: 'One', gap: gaps[0]! }];
    for (let i = 0; i < n; i++) {
      if (i === Math.floor(n / 2)) out.push({ kind: 'feature', id: 'F001.02', title: 'Two', gap: gaps[n + 1]! });
      out.push({ kind: 'task', id: `T001.${String(i + 1).padStart(3, '0')}`, title: `Task ${i}`, gap: gaps[i + 1]! });
    }
    if (!out.some((e) => e.id === 'F001.02')) out.push({ kind: 'feature', id: 'F001.02', title: 'Two', gap: 1 });
    return out;
  }),
);

/** What a person's typing does to the plan between two syncs (features stay, in their order). */
const editArb = fc.oneof(
  fc.record({ op: fc.constant('lines' as const), at: fc.nat(), by: fc.integer({ min: -1, max: 40 }) }),
  fc.record({ op: fc.constant('title' as const), at: fc.nat(), text: fc.string({ maxLength: 8 }) }),
  fc.record({ op: fc.constant('remove' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('add' as const), at: fc.nat(), n: fc.nat(999) }),
  fc.record({ op: fc.constant('move' as const), at: fc.nat(), to: fc.nat() }),
  fc.record({ op: fc.constant('retitleFeature' as const), text: fc.string({ maxLength: 8 }) }),
);
type Edit = typeof editArb extends fc.Arbitrary<infer E> ? E : never;

function edit(entries: Entry[], e: Edit): Entry[] {
  const out = entries.map((x) => ({ ...x }));
  const i = out.length ? (e.op === 'retitleFeature' ? 0 : e.at % out.length) : 0;
  const isTask = out[i]?.kind === 'task';
  switch (e.op) {
    case 'lines':
      out[i]!.gap = Math.max(1, out[i]!.gap + e.by);
      break;
    case 'title':
      if (isTask) out[i]!.title += e.text;
      break;
    case 'remove':
      if (isTask) out.splice(i, 1);
      break;
    case 'add':
      if (!out.some((x) => x.id === `T009.${e.n}`)) out.splice(i + 1, 0, { kind: 'task', id: `T009.${e.n}`, title: 'new', gap: 1 });
      break;
    case 'move':
      if (isTask) {
        const [x] = out.splice(i, 1);
        out.splice(Math.max(1, e.to % (out.length + 1)), 0, x!);
      }
      break;
    case 'retitleFeature':
      out.find((x) => x.kind === 'feature')!.title += e.text;
      break;
  }
  return out;
}

describe('plan patches (engine PlanPatcher → protocol applyPlanPatch)', () => {
  it('a client that applies each patch to its snapshot holds the plan the engine has, through any edits', () => {
    fc.assert(
      fc.property(planArb, fc.array(fc.array(editArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }), (first, syncs) => {
        const patcher = new PlanPatcher();
        let client = patcher.stamp(snapshotOf(first));
        let entries = first;
        for (const edits of syncs) {
          entries = edits.reduce(edit, entries);
          const engine = snapshotOf(entries);
          const change = patcher.next(engine);
          assert.equal(change.kind, 'patch', 'the groups kept their order: a patch');
          if (change.kind !== 'patch') return;
          const p = change.patch;
          assert.equal(patchFit(client.revision, p), 'apply');
          const next = applyPlanPatch(client, p);
          client = { ...client, revision: next.revision, tasks: next.tasks, epics: next.epics, features: next.features };
          assert.deepEqual(client.tasks, engine.tasks);
          assert.deepEqual(client.features, engine.features);
          assert.deepEqual(client.epics, engine.epics);
          assert.equal(patchFit(client.revision, p), 'has', 'the same patch again is one the client has');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('lines typed above 10,000 tasks travel as one shift, not as the tasks', () => {
    const entries: Entry[] = [
      { kind: 'feature', id: 'F001.01', title: 'One', gap: 1 },
      { kind: 'feature', id: 'F001.02', title: 'Two', gap: 1 },
    ];
    for (let i = 0; i < 10_000; i++) entries.push({ kind: 'task', id: `T001.${i}`, title: `Task ${i}`, gap: 1 });
    const patcher = new PlanPatcher();
    const before = patcher.stamp(snapshotOf(entries));
    entries[2] = { ...entries[2]!, gap: 3 };
    const change = patcher.next(snapshotOf(entries));
    assert.equal(change.kind, 'patch');
    if (change.kind !== 'patch') return;
    assert.deepEqual(change.patch.shifts, [{ from: before.tasks[0]!.line, to: before.tasks[9_999]!.line, delta: 2 }]);
    assert.deepEqual(change.patch.tasks, []);
    assert.ok(JSON.stringify(change.patch).length < JSON.stringify(before).length / 100, 'the patch is a sliver of the plan');
    const after = applyPlanPatch(before, change.patch);
    assert.equal(after.moved, false, 'nothing to redraw: the order is the same');
    assert.equal(after.tasks[0]!.line, before.tasks[0]!.line + 2);
  });

  it('a feature added, removed or moved sends the whole plan (a new revision), and the next patch builds on it', () => {
    const patcher = new PlanPatcher();
    const first: Entry[] = [
      { kind: 'feature', id: 'F001.01', title: 'One', gap: 1 },
      { kind: 'task', id: 'T001.001', title: 'a', gap: 1 },
      { kind: 'feature', id: 'F001.02', title: 'Two', gap: 1 },
      { kind: 'task', id: 'T001.002', title: 'b', gap: 1 },
    ];
    const s0 = patcher.stamp(snapshotOf(first));
    const grown = [...first, { kind: 'feature' as const, id: 'F001.03', title: 'Three', gap: 1 }];
    const change = patcher.next(snapshotOf(grown));
    assert.equal(change.kind, 'snapshot');
    if (change.kind !== 'snapshot') return;
    assert.equal(change.snapshot.revision, (s0.revision ?? 0) + 1);
    const again = patcher.next(snapshotOf(grown));
    assert.equal(again.kind, 'patch');
    if (again.kind === 'patch') assert.equal(patchFit(change.snapshot.revision, again.patch), 'apply');
    // A client still at s0 missed the snapshot: it must ask for the plan again, not patch the old one.
    if (again.kind === 'patch') assert.equal(patchFit(s0.revision, again.patch), 'gap');
  });
});
