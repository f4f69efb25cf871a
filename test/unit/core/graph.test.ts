import * as assert from 'node:assert/strict';
import { DependencyGraph } from '../../../src/core/graph';
import { taskList } from './taskListBuilder';

const build = (...args: Parameters<typeof taskList>) => DependencyGraph.fromTaskList(taskList(...args));

describe('DependencyGraph', () => {
  describe('building', () => {
    it('stores blocking and soft edges in writing order, both directions', () => {
      const g = build([{ id: 'A' }, { id: 'B', deps: ['A'] }, { id: 'C', deps: ['B', { id: 'A', type: 'soft', source: 'implicit' }] }]);
      assert.deepEqual(g.diagnostics, []);
      assert.deepEqual(g.edges(), [
        { from: 'B', to: 'A', type: 'blocks', source: 'explicit' },
        { from: 'C', to: 'B', type: 'blocks', source: 'explicit' },
        { from: 'C', to: 'A', type: 'soft', source: 'implicit' },
      ]);
      assert.deepEqual(
        g.dependenciesOf('C').map((e) => e.to),
        ['B', 'A'],
      );
      assert.deepEqual(
        g.dependentsOf('A').map((e) => `${e.from}:${e.type}`),
        ['B:blocks', 'C:soft'],
      );
      assert.deepEqual(g.dependenciesOf('nope'), []);
      assert.deepEqual(g.dependentsOf('nope'), []);
    });

    it('reports an unknown dependency on the reference line, does not store it, and holds the task and its dependents', () => {
      const g = build([{ id: 'A' }, { id: 'B', deps: ['A', 'T404'] }, { id: 'C', deps: ['B'] }]);
      assert.equal(g.diagnostics.length, 1);
      const d = g.diagnostics[0];
      assert.equal(d.code, 'unknown-dependency');
      assert.equal(d.severity, 'error');
      assert.equal(d.line, 6); // B is task #1 → line 5, its refs on line 6
      assert.match(d.message, /B depends on unknown task T404; B and the tasks that depend on it are held/);
      assert.deepEqual(d.data, { taskId: 'B', id: 'T404' });
      assert.deepEqual(
        g.dependenciesOf('B').map((e) => e.to),
        ['A'],
      );
      assert.deepEqual(g.setStatus('A', 'completed'), [], 'B stays held with A done');
      assert.equal(g.isReady('B'), false);
      assert.deepEqual(g.blockage('B'), {
        reason: 'unknown-dependency',
        root: 'B',
        cause: 'B depends on unknown task T404',
        text: 'B depends on unknown task T404',
      });
      assert.deepEqual(g.blockage('C'), {
        reason: 'unknown-dependency',
        root: 'B',
        via: 'B',
        cause: 'B depends on unknown task T404',
        text: 'waits on B: B depends on unknown task T404',
      });
      assert.equal(g.blockedCount(), 2);
    });

    it('an unknown soft dependency holds nothing', () => {
      const g = build([{ id: 'A', deps: [{ id: 'T404', type: 'soft' }] }]);
      assert.match(g.diagnostics[0].message, /the \(soft\) dependency is ignored/);
      assert.deepEqual(g.readyIds(), ['A']);
      assert.equal(g.blockedCount(), 0);
    });

    it('holds a task depending on itself (cycle of length 1)', () => {
      const g = build([
        { id: 'A', deps: ['A'] },
        { id: 'B', deps: ['A'] },
      ]);
      assert.equal(g.diagnostics.length, 1);
      const d = g.diagnostics[0];
      assert.equal(d.code, 'dependency-cycle');
      assert.equal(d.severity, 'error');
      assert.equal(d.line, 4);
      assert.equal(d.message, 'Dependency cycle: A (line 4) → A; A and every task depending on it are held until one of these dependencies is removed');
      assert.deepEqual(d.data, { cycle: ['A', 'A'], edge: { from: 'A', to: 'A' }, edges: [{ from: 'A', to: 'A', line: 4, source: 'explicit' }] });
      assert.deepEqual(g.edges(), [{ from: 'B', to: 'A', type: 'blocks', source: 'explicit' }]);
      assert.deepEqual(g.readyIds(), []);
      assert.deepEqual(g.blockage('A'), {
        reason: 'cycle',
        root: 'A',
        cause: 'A is on the dependency cycle A → A',
        text: 'A is on the dependency cycle A → A',
      });
      assert.deepEqual(g.stalls(), [{ reason: 'cycle', root: 'A', text: 'A is on the dependency cycle A → A', holds: ['A', 'B'] }]);
    });

    it('reports the edge that closes a 2-cycle, names the cycle with 1-based lines, and holds both tasks', () => {
      const g = build([
        { id: 'T1', deps: ['T2'] },
        { id: 'T2', deps: ['T1'] },
      ]);
      assert.equal(g.diagnostics.length, 1);
      const d = g.diagnostics[0];
      assert.equal(d.code, 'dependency-cycle');
      assert.equal(d.line, 6, 'on the reference written last (T2 → T1)');
      assert.equal(
        d.message,
        'Dependency cycle: T1 (line 4) → T2 (line 6) → T1; 2 tasks on it and every task depending on them are held until one of these dependencies is removed',
      );
      assert.deepEqual(d.data, {
        cycle: ['T1', 'T2', 'T1'],
        edge: { from: 'T2', to: 'T1' },
        edges: [
          { from: 'T2', to: 'T1', line: 6, source: 'explicit' },
          { from: 'T1', to: 'T2', line: 4, source: 'explicit' },
        ],
      });
      assert.deepEqual(g.edges(), [{ from: 'T1', to: 'T2', type: 'blocks', source: 'explicit' }]);
      assert.deepEqual(g.readyIds(), [], 'neither task on the cycle is ever ready');
      assert.equal(g.isBlocked('T1') && g.isBlocked('T2'), true);
    });

    it('holds every task of a 3+ cycle and everything downstream, and names the whole cycle', () => {
      // A→B→C→D→A, plus E depending on A and F on nothing: D→A (written last in the cycle) is reported.
      const g = build([
        { id: 'A', deps: ['B'] },
        { id: 'B', deps: ['C'] },
        { id: 'C', deps: ['D'] },
        { id: 'D', deps: ['A'] },
        { id: 'E', deps: ['A'] },
        { id: 'F' },
      ]);
      const cycles = g.diagnostics.filter((d) => d.code === 'dependency-cycle');
      assert.equal(cycles.length, 1);
      const data = cycles[0].data as { cycle: string[]; edge: unknown; edges: { from: string; to: string }[] };
      assert.deepEqual(data.cycle, ['A', 'B', 'C', 'D', 'A']);
      assert.deepEqual(data.edge, { from: 'D', to: 'A' });
      assert.deepEqual(
        data.edges.map((e) => `${e.from}->${e.to}`),
        ['D->A', 'A->B', 'B->C', 'C->D'],
      );
      assert.match(cycles[0].message, /A \(line 4\) → B \(line 6\) → C \(line 8\) → D \(line 10\) → A/);
      assert.deepEqual(g.topologicalOrder(), ['D', 'C', 'B', 'A', 'E', 'F']);
      assert.deepEqual(g.readyIds(), ['F'], 'D has no stored dependency left, and is held all the same');
      assert.deepEqual(g.stalls(), [{ reason: 'cycle', root: 'A', text: 'A is on the dependency cycle A → B → C → D → A', holds: ['A', 'B', 'C', 'D', 'E'] }]);
      assert.deepEqual(g.blockage('E'), {
        reason: 'cycle',
        root: 'A',
        via: 'A',
        cause: 'A is on the dependency cycle A → B → C → D → A',
        text: 'waits on A: A is on the dependency cycle A → B → C → D → A',
      });
      assert.deepEqual(g.setStatus('F', 'completed'), []);
      assert.equal(g.blockedCount(), 5);
    });

    it('reports one edge per independent cycle, and a soft cycle is harmless', () => {
      const g = build([
        { id: 'A', deps: ['B'] },
        { id: 'B', deps: ['A'] },
        { id: 'C', deps: [{ id: 'D', type: 'soft' }] },
        { id: 'D', deps: [{ id: 'C', type: 'soft' }] },
        { id: 'E', deps: ['F', 'G'] },
        { id: 'F', deps: ['G'] },
        { id: 'G', deps: ['E'] },
      ]);
      const edges = g.diagnostics.map((d) => (d.data as { edge: { from: string; to: string } }).edge);
      assert.deepEqual(edges, [
        { from: 'B', to: 'A' },
        { from: 'G', to: 'E' },
      ]);
      assert.equal(g.edges().filter((e) => e.type === 'soft').length, 2);
      assert.deepEqual(g.readyIds().sort(), ['C', 'D']);
      assert.deepEqual(
        g.stalls().map((s) => [s.root, s.holds]),
        [
          ['A', ['A', 'B']],
          ['E', ['E', 'F', 'G']],
        ],
      );
    });

    it('reports the reference that is new since the previous version, wherever it is written', () => {
      // The example plan's case: T8 ← T9 ← T10 exist; a person adds T10 to T8's dependencies (written first).
      const before = build([{ id: 'T8' }, { id: 'T9', deps: ['T8'] }, { id: 'T10', deps: ['T9'] }]);
      const after = taskList([
        { id: 'T8', deps: ['T10'] },
        { id: 'T9', deps: ['T8'] },
        { id: 'T10', deps: ['T9'] },
      ]);
      const cold = DependencyGraph.fromTaskList(after);
      assert.deepEqual((cold.diagnostics[0].data as { edge: unknown }).edge, { from: 'T10', to: 'T9' }, 'without history: the one written last');
      const g = DependencyGraph.fromTaskList(after, undefined, { previous: before });
      assert.equal(g.diagnostics.length, 1);
      assert.equal(g.diagnostics[0].line, 4, "on T8's dependency line");
      assert.deepEqual((g.diagnostics[0].data as { edge: unknown }).edge, { from: 'T8', to: 'T10' });
      assert.deepEqual(
        g.edges().map((e) => `${e.from}->${e.to}`),
        ['T9->T8', 'T10->T9'],
      );
      assert.deepEqual(g.readyIds(), []);
      assert.equal(g.blockedCount(), 3);
      assert.equal(g.declares('T8', 'T10'), true, 'a left-out reference is still declared, for the next version');
    });

    it('merges a dependency written twice; blocking wins over soft', () => {
      const g = build([{ id: 'A' }, { id: 'B', deps: [{ id: 'A', type: 'soft', source: 'implicit' }, 'A', 'A'] }]);
      assert.deepEqual(g.edges(), [{ from: 'B', to: 'A', type: 'blocks', source: 'explicit' }]);
      assert.deepEqual(g.waitingOn('B'), ['A']);
      assert.deepEqual(g.setStatus('A', 'completed'), ['B']);
    });

    it('takes statuses from the optional map over those written in the list', () => {
      const list = taskList([{ id: 'A' }, { id: 'B', deps: ['A'] }]);
      const g = DependencyGraph.fromTaskList(list, new Map([['A', 'completed']]));
      assert.equal(g.statusOf('A'), 'completed');
      assert.equal(g.statusOf('B'), 'pending');
      assert.equal(g.statusOf('Z'), undefined);
      assert.deepEqual(g.readyIds(), ['B']);
    });
  });

  describe('readiness', () => {
    it('waits on every blocking dependency of a diamond and unblocks once both are done', () => {
      const g = build([{ id: 'A' }, { id: 'B', deps: ['A'] }, { id: 'C', deps: ['A'] }, { id: 'D', deps: ['B', 'C'] }]);
      assert.deepEqual(g.readyIds(), ['A']);
      assert.deepEqual(g.setStatus('A', 'in_progress'), []);
      assert.deepEqual(g.readyIds(), []);
      assert.deepEqual(g.setStatus('A', 'completed'), ['B', 'C']);
      assert.deepEqual(g.waitingOn('D'), ['B', 'C']);
      assert.deepEqual(g.setStatus('B', 'completed'), []);
      assert.deepEqual(g.waitingOn('D'), ['C']);
      assert.equal(g.isReady('D'), false);
      assert.deepEqual(g.setStatus('C', 'skipped'), ['D'], 'skipped counts as done');
      assert.equal(g.isReady('D'), true);
    });

    it('soft edges never block', () => {
      const g = build([{ id: 'A' }, { id: 'B', deps: [{ id: 'A', type: 'soft' }] }]);
      assert.deepEqual(g.readyIds(), ['A', 'B']);
      assert.deepEqual(g.waitingOn('B'), []);
    });

    it('an external blocker keeps a task out of the ready set even with every dependency done', () => {
      const g = build([{ id: 'A' }, { id: 'B', deps: ['A'], blockers: ['Infrastructure FDB operational'] }]);
      assert.deepEqual(g.setStatus('A', 'completed'), []);
      assert.equal(g.isReady('B'), false);
      assert.deepEqual(g.readyIds(), []);
    });

    it('a failed, timed-out or cancelled dependency blocks its dependents until it is reset', () => {
      const g = build([{ id: 'A' }, { id: 'B', deps: ['A'] }, { id: 'C', deps: ['B'] }, { id: 'D' }]);
      assert.equal(g.blockedCount(), 0);
      g.setStatus('A', 'in_progress');
      assert.equal(g.blockedCount(), 0, 'running is not stuck');
      assert.deepEqual(g.takeBlockedChanges(), []);
      g.setStatus('A', 'failed');
      assert.deepEqual(g.takeBlockedChanges().sort(), ['B', 'C'], 'one failure blocks everything downstream at once');
      assert.equal(g.isBlocked('A'), false, 'the failed task itself is failed, not blocked');
      assert.deepEqual(g.blockage('C'), { reason: 'failed-dependency', root: 'A', via: 'B', cause: 'A failed', text: 'waits on B: A failed' });
      assert.deepEqual(g.stalls(), [{ reason: 'failed-dependency', root: 'A', text: 'A failed', holds: ['B', 'C'] }]);
      g.setStatus('A', 'timeout');
      assert.equal(g.blockage('B')?.text, 'waits on A: A timed out');
      assert.deepEqual(g.setStatus('A', 'pending'), ['A']);
      assert.equal(g.blockedCount(), 0);
      assert.deepEqual(g.stalls(), []);
      g.setStatus('B', 'blocked');
      assert.deepEqual(g.blockage('B'), { reason: 'marked', root: 'B', cause: 'B is marked blocked', text: 'B is marked blocked' });
      assert.deepEqual(g.blockage('C'), { reason: 'marked', root: 'B', via: 'B', cause: 'B is marked blocked', text: 'waits on B: B is marked blocked' });
      assert.equal(g.blockedCount(), 2);
    });

    it('an external blocker holds its task and everything downstream, with the blocker text', () => {
      const g = build([
        { id: 'A', blockers: ['FDB cluster provisioned'] },
        { id: 'B', deps: ['A'] },
      ]);
      assert.deepEqual(g.stalls(), [{ reason: 'external', root: 'A', text: 'A is blocked by "FDB cluster provisioned"', holds: ['A', 'B'] }]);
      g.setStatus('A', 'completed');
      assert.equal(g.blockedCount(), 0, 'a person marked it done: the hold is over');
      assert.deepEqual(g.readyIds(), ['B']);
    });

    it('only pending tasks are ready; failed, blocked, in-progress ones are not', () => {
      const g = build([
        { id: 'A', status: 'failed' },
        { id: 'B', status: 'blocked' },
        { id: 'C', status: 'in_progress' },
        { id: 'D', status: 'timeout' },
        { id: 'E' },
      ]);
      assert.deepEqual(g.readyIds(), ['E']);
      assert.deepEqual(g.setStatus('A', 'pending'), ['A'], 'a reset task becomes ready itself');
    });

    it('reopening a completed dependency makes its dependents wait again', () => {
      const g = build([
        { id: 'A', status: 'completed' },
        { id: 'B', deps: ['A'] },
      ]);
      assert.deepEqual(g.readyIds(), ['B']);
      assert.deepEqual(g.setStatus('A', 'pending'), ['A']);
      assert.deepEqual(g.readyIds(), ['A']);
      assert.deepEqual(g.waitingOn('B'), ['A']);
      assert.deepEqual(g.setStatus('A', 'skipped'), ['B']);
      assert.deepEqual(g.setStatus('A', 'completed'), [], 'skipped → completed changes nothing for dependents');
      assert.deepEqual(g.setStatus('A', 'completed'), [], 'same status again is a no-op');
    });

    it('throws a clear error for an unknown id in setStatus', () => {
      const g = build([{ id: 'A' }]);
      assert.throws(() => g.setStatus('T999', 'completed'), /setStatus: unknown task id "T999"/);
      assert.equal(g.isReady('T999'), false);
      assert.deepEqual(g.waitingOn('T999'), []);
    });
  });

  describe('wouldCycle', () => {
    it('returns the cycle path an edge would close, or undefined', () => {
      const g = build([{ id: 'A' }, { id: 'B', deps: ['A'] }, { id: 'C', deps: ['B'] }, { id: 'D', deps: ['A'] }]);
      assert.deepEqual(g.wouldCycle('A', 'C'), ['A', 'C', 'B', 'A']);
      assert.deepEqual(g.wouldCycle('A', 'B'), ['A', 'B', 'A']);
      assert.deepEqual(g.wouldCycle('B', 'B'), ['B', 'B']);
      assert.equal(g.wouldCycle('C', 'D'), undefined);
      assert.equal(g.wouldCycle('D', 'C'), undefined);
      assert.equal(g.wouldCycle('A', 'T404'), undefined);
    });

    it('ignores soft edges', () => {
      const g = build([{ id: 'A' }, { id: 'B', deps: [{ id: 'A', type: 'soft' }] }]);
      assert.equal(g.wouldCycle('A', 'B'), undefined);
    });
  });

  describe('structure', () => {
    it('orders topologically with ties in document order', () => {
      const g = build([{ id: 'X', deps: ['Z'] }, { id: 'Y' }, { id: 'Z' }, { id: 'W', deps: ['X', 'Y'] }]);
      assert.deepEqual(g.topologicalOrder(), ['Y', 'Z', 'X', 'W']);
    });

    it('finds the critical path by hours, defaulting unknown estimates to 1h', () => {
      //      A(2) ─ B(10) ─ D(1)
      //         └── C(3) ──┘      E(8) alone
      const g = build([
        { id: 'A', hours: 2 },
        { id: 'B', deps: ['A'], hours: 10 },
        { id: 'C', deps: ['A'], hours: 3 },
        { id: 'D', deps: ['B', 'C'] },
        { id: 'E', hours: 8 },
      ]);
      assert.deepEqual(g.criticalPath(), { ids: ['A', 'B', 'D'], hours: 13 });
      assert.deepEqual(build([]).criticalPath(), { ids: [], hours: 0 });
      assert.deepEqual(build([{ id: 'A' }, { id: 'B', hours: 1 }]).criticalPath(), { ids: ['A'], hours: 1 });
    });

    it('counts transitive dependents through blocking edges only, once each', () => {
      const g = build([
        { id: 'A' },
        { id: 'B', deps: ['A'] },
        { id: 'C', deps: ['A'] },
        { id: 'D', deps: ['B', 'C'] },
        { id: 'E', deps: ['D'] },
        { id: 'S', deps: [{ id: 'A', type: 'soft' }] },
      ]);
      assert.equal(g.unblocksCount('A'), 4);
      assert.equal(g.unblocksCount('B'), 2);
      assert.equal(g.unblocksCount('D'), 1);
      assert.equal(g.unblocksCount('E'), 0);
      assert.equal(g.unblocksCount('S'), 0);
      assert.equal(g.unblocksCount('nope'), 0);
    });

    it('counts dependents correctly across many bitset words (long chain plus fan-out)', () => {
      const specs = Array.from({ length: 100 }, (_, i) => ({ id: `T${i}`, deps: i === 0 ? [] : [`T${i - 1}`] }));
      specs.push({ id: 'F', deps: ['T0', 'T50', 'T99'] });
      const g = build(specs);
      assert.equal(g.unblocksCount('T0'), 100);
      assert.equal(g.unblocksCount('T50'), 50);
      assert.equal(g.unblocksCount('T99'), 1);
    });
  });

  describe('dispatch order', () => {
    it('orders by priority first, undefined counting as P2', () => {
      const g = build([
        { id: 'low', priority: 'P3' },
        { id: 'none' },
        { id: 'p1', priority: 'P1' },
        { id: 'p0', priority: 'P0' },
        { id: 'p2', priority: 'P2' },
      ]);
      assert.deepEqual(g.readyIds(), ['p0', 'p1', 'none', 'p2', 'low']);
    });

    it('inherits the feature, then the epic priority when the task has none', () => {
      const list = taskList(
        [
          { id: 'a', featureId: 'F1', epicId: 'E1' },
          { id: 'b', featureId: 'F2', epicId: 'E1' },
          { id: 'c', featureId: 'F2', epicId: 'E1', priority: 'P3' },
        ],
        {
          epics: [{ id: 'E1', idExplicit: true, title: 'E', line: 0, priority: 'P1' }],
          features: [
            { id: 'F1', idExplicit: true, epicId: 'E1', title: 'F1', line: 1 },
            { id: 'F2', idExplicit: true, epicId: 'E1', title: 'F2', line: 2, priority: 'P0' },
          ],
        },
      );
      assert.deepEqual(DependencyGraph.fromTaskList(list).readyIds(), ['b', 'a', 'c']);
    });

    it('then prefers the task that unblocks more work, then document order', () => {
      const g = build([
        { id: 'leaf1' },
        { id: 'small' },
        { id: 'big' },
        { id: 'leaf2' },
        { id: 's1', deps: ['small'], hours: 2 },
        { id: 'b1', deps: ['big'], hours: 2 },
        { id: 'b2', deps: ['b1'], hours: 2 },
        { id: 'wide' },
        { id: 'w1', deps: ['wide'], hours: 1 },
        { id: 'w2', deps: ['wide'], hours: 1 },
      ]);
      // big: 4h downstream; small: 2h; wide: 1h but 2 dependents; leaves: nothing.
      assert.deepEqual(g.readyIds(), ['big', 'small', 'wide', 'leaf1', 'leaf2']);
      assert.ok(g.compareForDispatch('big', 'small') < 0);
      assert.ok(g.compareForDispatch('leaf2', 'leaf1') > 0);
      assert.equal(g.compareForDispatch('wide', 'wide'), 0);
      assert.throws(() => g.compareForDispatch('wide', 'T9'), /unknown task id "T9"/);
    });

    it('uses the unblocks count when downstream hours tie', () => {
      const g = build([
        { id: 'one' },
        { id: 'two' },
        { id: 'o1', deps: ['one'], hours: 3 },
        { id: 't1', deps: ['two'], hours: 3 },
        { id: 't2', deps: ['two'], hours: 3 },
      ]);
      assert.deepEqual(g.readyIds(), ['two', 'one']);
    });

    it('returns newly ready tasks in dispatch order', () => {
      const g = build([{ id: 'root' }, { id: 'x', deps: ['root'], priority: 'P3' }, { id: 'y', deps: ['root'], priority: 'P0' }, { id: 'z', deps: ['root'] }]);
      assert.deepEqual(g.setStatus('root', 'completed'), ['y', 'z', 'x']);
    });
  });
});
