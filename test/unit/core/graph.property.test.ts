import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { DependencyGraph } from '../../../src/core/graph';
import { TASK_STATUSES, type TaskStatus } from '../../../src/core/model';
import { taskList, type TaskSpec } from './taskListBuilder';

const status = fc.constantFrom<TaskStatus>(...TASK_STATUSES);

/** A random DAG: task i may only depend on tasks written before it. */
const dag = fc.integer({ min: 1, max: 30 }).chain((n) =>
  fc.tuple(
    ...Array.from({ length: n }, (_, i) =>
      fc.record({
        deps: fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, i - 1) }), { maxLength: i === 0 ? 0 : 4 }),
        soft: fc.boolean(),
        blocked: fc.integer({ min: 0, max: 9 }).map((k) => k === 0),
        status,
        priority: fc.constantFrom(undefined, 'P0', 'P1', 'P2', 'P3' as const),
      }),
    ),
  ),
);

function specsOf(nodes: { deps: number[]; soft: boolean; blocked: boolean; status: TaskStatus; priority?: 'P0' | 'P1' | 'P2' | 'P3' }[]): TaskSpec[] {
  return nodes.map((nd, i) => ({
    id: `T${i}`,
    // The last dependency of every other task is soft, so soft edges are in the mix.
    deps: nd.deps.map((d, k) => ({ id: `T${d}`, type: nd.soft && k === nd.deps.length - 1 ? 'soft' : 'blocks' })),
    blockers: nd.blocked ? ['External thing'] : [],
    status: nd.status,
    priority: nd.priority,
  }));
}

/** Readiness straight from the definition, no bookkeeping. */
function readyByDefinition(specs: TaskSpec[], statuses: Map<string, TaskStatus>): Set<string> {
  const done = (id: string) => statuses.get(id) === 'completed' || statuses.get(id) === 'skipped';
  return new Set(
    specs
      .filter((s) => statuses.get(s.id) === 'pending' && (s.blockers ?? []).length === 0)
      .filter((s) => (s.deps ?? []).every((d) => (typeof d === 'string' ? done(d) : d.type === 'soft' || done(d.id))))
      .map((s) => s.id),
  );
}

/** Blocked straight from the definition: not done/running/failed, and held itself or by a stuck blocking dependency. */
function blockedByDefinition(specs: TaskSpec[], statuses: Map<string, TaskStatus>): Set<string> {
  const byId = new Map(specs.map((s) => [s.id, s]));
  const memo = new Map<string, boolean>();
  const failed = (id: string) => ['failed', 'timeout', 'cancelled'].includes(statuses.get(id)!);
  const blocked = (id: string): boolean => {
    if (memo.has(id)) return memo.get(id)!;
    const s = statuses.get(id)!;
    let b = false;
    if (s !== 'completed' && s !== 'skipped' && s !== 'in_progress' && !failed(id)) {
      const spec = byId.get(id)!;
      b =
        s === 'blocked' ||
        (spec.blockers ?? []).length > 0 ||
        (spec.deps ?? []).some((d) => typeof d !== 'string' && d.type === 'blocks' && (failed(d.id) || blocked(d.id)));
    }
    memo.set(id, b);
    return b;
  };
  return new Set(specs.filter((s) => blocked(s.id)).map((s) => s.id));
}

describe('DependencyGraph properties', () => {
  it('incremental updates give the same ready set as a from-scratch recomputation', () => {
    fc.assert(
      fc.property(dag, fc.array(fc.tuple(fc.nat(), status), { maxLength: 60 }), (nodes, ops) => {
        const specs = specsOf(nodes);
        const list = taskList(specs);
        const g = DependencyGraph.fromTaskList(list);
        const statuses = new Map(specs.map((s) => [s.id, s.status ?? 'pending']));
        for (const [pick, st] of ops) {
          const id = `T${pick % specs.length}`;
          const before = new Set(g.readyIds());
          const became = g.setStatus(id, st);
          statuses.set(id, st);
          const after = g.readyIds();
          const fresh = DependencyGraph.fromTaskList(list, statuses);
          assert.deepEqual(after, fresh.readyIds());
          assert.deepEqual(new Set(after), readyByDefinition(specs, statuses));
          // What setStatus reports is exactly the newly ready tasks, in dispatch order.
          assert.deepEqual(
            became,
            after.filter((r) => !before.has(r)),
          );
          for (const s of specs) assert.deepEqual(g.waitingOn(s.id), fresh.waitingOn(s.id));
          // Blocked-ness, kept incrementally, equals a fresh build's and the definition.
          assert.equal(g.blockedCount(), fresh.blockedCount());
          assert.deepEqual(g.stalls(), fresh.stalls());
          const blocked = blockedByDefinition(specs, statuses);
          for (const s of specs) {
            assert.equal(g.isBlocked(s.id), blocked.has(s.id), `${s.id} blocked`);
            assert.deepEqual(g.blockage(s.id), fresh.blockage(s.id));
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('dispatching ready tasks in any order completes every unblocked task in a topological order', () => {
    fc.assert(
      fc.property(dag, fc.array(fc.nat(), { minLength: 200, maxLength: 200 }), (nodes, picks) => {
        const specs = specsOf(nodes).map((s) => ({ ...s, status: 'pending' as const }));
        const g = DependencyGraph.fromTaskList(taskList(specs));
        const finished: string[] = [];
        for (let k = 0; ; k++) {
          const ready = g.readyIds();
          if (ready.length === 0) break;
          const id = ready[picks[k % picks.length] % ready.length];
          g.setStatus(id, 'completed');
          finished.push(id);
        }
        const pos = new Map(finished.map((id, i) => [id, i]));
        for (const e of g.edges()) {
          if (e.type === 'blocks' && pos.has(e.from)) assert.ok(pos.get(e.to)! < pos.get(e.from)!, `${e.from} ran before ${e.to}`);
        }
        // Whatever never ran is behind an external blocker, directly or through its dependencies.
        const blockedIds = new Set(specs.filter((s) => (s.blockers ?? []).length > 0).map((s) => s.id));
        for (const s of specs) {
          if (pos.has(s.id)) continue;
          const stuck = (id: string): boolean => blockedIds.has(id) || g.waitingOn(id).some((d) => stuck(d));
          assert.ok(stuck(s.id), `${s.id} never became ready`);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('on arbitrary (cyclic) input keeps exactly the edges a one-by-one cycle check keeps, and they form a DAG', () => {
    const anyGraph = fc
      .integer({ min: 1, max: 12 })
      .chain((n) => fc.array(fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: 4 }), { minLength: n, maxLength: n }));
    fc.assert(
      fc.property(anyGraph, (adj) => {
        const specs: TaskSpec[] = adj.map((ds, i) => ({ id: `T${i}`, deps: ds.map((d) => `T${d}`) }));
        const g = DependencyGraph.fromTaskList(taskList(specs));

        // Reference: add edges in writing order, reject any that closes a cycle (plain DFS).
        const kept: number[][] = adj.map(() => []);
        const reaches = (from: number, to: number, seen = new Set<number>()): boolean =>
          from === to || (!seen.has(from) && (seen.add(from), kept[from].some((x) => reaches(x, to, seen))));
        const expected: string[] = [];
        let rejected = 0;
        adj.forEach((ds, i) =>
          ds.forEach((d) => {
            if (reaches(d, i)) rejected++;
            else {
              kept[i].push(d);
              expected.push(`T${i}->T${d}`);
            }
          }),
        );
        assert.deepEqual(
          g.edges().map((e) => `${e.from}->${e.to}`),
          expected,
        );
        assert.equal(g.diagnostics.filter((d) => d.code === 'dependency-cycle').length, rejected);
        // Every task on a cycle (it reaches itself through written blocking references) is held, and never ready.
        const reachesAll = (from: number, to: number, seen = new Set<number>()): boolean =>
          adj[from].some((x) => x === to || (!seen.has(x) && (seen.add(x), reachesAll(x, to, seen))));
        adj.forEach((_, i) => {
          const onCycle = reachesAll(i, i);
          if (onCycle) assert.equal(g.blockage(`T${i}`)?.reason, 'cycle', `T${i} is on a cycle`);
          if (onCycle) assert.equal(g.isReady(`T${i}`), false);
        });
        const held = new Set(g.stalls().flatMap((s) => s.holds));
        for (const id of g.readyIds()) assert.ok(!held.has(id));
        for (const d of g.diagnostics) {
          const { cycle, edge } = d.data as { cycle: string[]; edge: { from: string; to: string } };
          assert.equal(cycle[0], cycle[cycle.length - 1]);
          const ring = cycle.slice(0, -1);
          const k = ring.indexOf(edge.from);
          assert.equal(ring[(k + 1) % ring.length], edge.to, 'the cycle runs through the rejected edge');
        }
        const order = g.topologicalOrder();
        assert.equal(order.length, adj.length);
        const pos = new Map(order.map((id, i) => [id, i]));
        for (const e of g.edges()) assert.ok(pos.get(e.to)! < pos.get(e.from)!);
      }),
      { numRuns: 300 },
    );
  });

  it('unblocks counts match brute force on plans large enough that the packed bitset rows grow', () => {
    // 1,500 tasks: more span words than the first allocation holds (graph.ts, unblocksCounts), with near and far edges.
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 3 })), {
          minLength: 1500,
          maxLength: 1500,
        }),
        (picks) => {
          const depsOf: number[][] = picks.map(([near, far, kinds], i) => {
            const deps = new Set<number>();
            if (i > 0 && kinds !== 0) deps.add(Math.max(0, i - near));
            if (i > 0 && kinds >= 2) deps.add(far % i);
            return [...deps];
          });
          const specs: TaskSpec[] = depsOf.map((deps, i) => ({
            id: `T${i}`,
            deps: deps.map((d) => ({ id: `T${d}`, type: 'blocks' as const })),
            blockers: [],
            status: 'pending' as const,
          }));
          const g = DependencyGraph.fromTaskList(taskList(specs));
          const dependents: number[][] = specs.map(() => []);
          depsOf.forEach((deps, i) => deps.forEach((d) => dependents[d].push(i)));
          const seen = new Uint8Array(specs.length);
          for (let i = 0; i < specs.length; i++) {
            seen.fill(0);
            const stack = [...dependents[i]];
            let count = 0;
            while (stack.length) {
              const j = stack.pop()!;
              if (seen[j]) continue;
              seen[j] = 1;
              count++;
              stack.push(...dependents[j]);
            }
            assert.equal(g.unblocksCount(`T${i}`), count, `T${i}`);
          }
        },
      ),
      { numRuns: 5 },
    );
  });

  it('unblocks counts and the critical path match brute force', () => {
    fc.assert(
      fc.property(dag, fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 30, maxLength: 30 }), (nodes, hours) => {
        const specs = specsOf(nodes).map((s, i) => ({ ...s, hours: i % 3 === 0 ? undefined : hours[i] }));
        const g = DependencyGraph.fromTaskList(taskList(specs));
        const blockingDeps = (id: string) =>
          g
            .dependenciesOf(id)
            .filter((e) => e.type === 'blocks')
            .map((e) => e.to);
        const h = (id: string) => specs[Number(id.slice(1))].hours ?? 1;
        for (const s of specs) {
          const seen = new Set<string>();
          const walk = (id: string) =>
            g
              .dependentsOf(id)
              .filter((e) => e.type === 'blocks')
              .forEach((e) => {
                if (!seen.has(e.from)) {
                  seen.add(e.from);
                  walk(e.from);
                }
              });
          walk(s.id);
          assert.equal(g.unblocksCount(s.id), seen.size);
        }
        const longestEndingAt = new Map<string, number>();
        for (const id of g.topologicalOrder()) longestEndingAt.set(id, h(id) + Math.max(0, ...blockingDeps(id).map((d) => longestEndingAt.get(d)!)));
        const cp = g.criticalPath();
        assert.equal(cp.hours, Math.max(...longestEndingAt.values()));
        assert.equal(
          cp.ids.reduce((sum, id) => sum + h(id), 0),
          cp.hours,
        );
        for (let k = 1; k < cp.ids.length; k++) assert.ok(blockingDeps(cp.ids[k]).includes(cp.ids[k - 1]));
      }),
      { numRuns: 200 },
    );
  });
});
