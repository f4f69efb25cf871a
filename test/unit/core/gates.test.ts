import * as assert from 'node:assert/strict';
import { DependencyGraph } from '../../../src/core/graph';
import type { TaskList, TaskNode, TaskStatus } from '../../../src/core/model';
import { parseTaskList } from '../../../src/core/parser';
import { reparseIncremental } from '../../../src/core/incremental';

const md = (...lines: string[]) => lines.join('\n');
const task = (l: TaskList, id: string): TaskNode => {
  const t = l.tasks.find((x) => x.id === id);
  assert.ok(t, `task ${id} not found among ${l.tasks.map((x) => x.id).join(', ')}`);
  return t;
};

describe('gates in the task list (docs/costs-and-gates.md#gates)', () => {
  it('a `Gate: review` line (any case, bold key) makes the task a review gate; the title stays as written', () => {
    const l = parseTaskList(
      md(
        '## E001: Core',
        '### F001.01: Bus',
        '- [ ] **T001.001** Deploy the bus (P0, 4h)',
        '  - Gate: review',
        '- [ ] **T001.002** Publisher',
        '  - **gate:** Review',
        '- [ ] **T001.003** Consumer',
        '  - Depends on: T001.001',
      ),
    );
    assert.deepEqual(l.diagnostics, []);
    assert.equal(task(l, 'T001.001').gate, 'review');
    assert.equal(task(l, 'T001.001').title, 'Deploy the bus');
    assert.equal(task(l, 'T001.002').gate, 'review');
    assert.equal(task(l, 'T001.003').gate, undefined);
  });

  it('a title starting with Review: or Checkpoint: (also bold) is a checkpoint; the words elsewhere are not', () => {
    const l = parseTaskList(
      md(
        '- [ ] T1 Review: the API design',
        '- [ ] T2 **Checkpoint:** user story 1 works end to end',
        '- [ ] T3 **Review**: release notes',
        '- [ ] T4 Code review of the parser',
        '- [ ] T5 Reviewer: assign one',
        '- [ ] T6 Checkpoint the database nightly',
      ),
    );
    assert.deepEqual(
      l.tasks.map((t) => [t.id, t.gate]),
      [
        ['T1', 'checkpoint'],
        ['T2', 'checkpoint'],
        ['T3', 'checkpoint'],
        ['T4', undefined],
        ['T5', undefined],
        ['T6', undefined],
      ],
    );
    assert.equal(task(l, 'T1').title, 'Review: the API design');
  });

  it('an unknown gate is a warning naming the value, and no gate', () => {
    const l = parseTaskList(md('- [ ] T1 Deploy', '  - Gate: manager'));
    assert.equal(task(l, 'T1').gate, undefined);
    const d = l.diagnostics.find((x) => x.code === 'bad-gate');
    assert.ok(d, JSON.stringify(l.diagnostics));
    assert.equal(d.severity, 'warning');
    assert.equal(d.line, 1);
    assert.match(d.message, /Unknown gate "manager"; write Gate: review/);
  });

  it('a group or a criterion is never a gate', () => {
    const l = parseTaskList(md('- [ ] T1 Review: themes', '  - [ ] T2 Default theme', '', '## Acceptance Criteria', '- [ ] Review: the docs read well'));
    assert.equal(task(l, 'T1').group, true);
    assert.equal(task(l, 'T1').gate, undefined);
    const c = l.tasks.find((t) => t.criterion);
    assert.ok(c);
    assert.equal(c.gate, undefined);
  });

  it('the graph: a gated task set to blocked waits for approval and holds its dependents (reason gate)', () => {
    const l = parseTaskList(md('- [ ] T1 Build', '  - Gate: review', '- [ ] T2 Ship after T1', '- [ ] T3 Docs after T2'));
    const statuses = new Map<string, TaskStatus>([['T1', 'blocked']]);
    const g = DependencyGraph.fromTaskList(l, statuses);
    assert.equal(g.isReady('T2'), false);
    assert.deepEqual(g.blockage('T1'), { reason: 'gate', root: 'T1', cause: "T1 waits for a person's approval", text: "T1 waits for a person's approval" });
    assert.equal(g.blockage('T3')?.reason, 'gate');
    assert.deepEqual(g.stalls(), [{ reason: 'gate', root: 'T1', text: "T1 waits for a person's approval", holds: ['T1', 'T2', 'T3'] }]);
    // Approval ticks it: the dependents become ready.
    assert.deepEqual(g.setStatus('T1', 'completed'), ['T2']);
    // A task without a gate marked blocked is what it was: marked.
    const plain = DependencyGraph.fromTaskList(parseTaskList(md('- [ ] T1 Build', '- [ ] T2 Ship after T1')), statuses);
    assert.equal(plain.blockage('T1')?.reason, 'marked');
  });

  it('the incremental parser gives up when a title becomes or stops being a checkpoint (the parser decides)', () => {
    const a = md('- [ ] T1 Build', '- [ ] T2 Look at it');
    const b = md('- [ ] T1 Build', '- [ ] T2 Review: look at it');
    const prev = parseTaskList(a);
    const next = reparseIncremental(a, prev, b) ?? parseTaskList(b);
    assert.equal(task(next, 'T2').gate, 'checkpoint');
    const back = reparseIncremental(b, next, a) ?? parseTaskList(a);
    assert.equal(task(back, 'T2').gate, undefined);
  });

  describe('a gate on a feature (`Gate: review` under its heading)', () => {
    const plan = md(
      '## E001: Core',
      '### F001.01: Billing',
      'Gate: review',
      '- [ ] **T001.001** Invoice model',
      '- [ ] **T001.002** Invoice API',
      '  - Depends on: T001.001',
      '### F001.02: Reports',
      '- [ ] **T001.003** Monthly report',
      '  - Depends on: T001.001',
      '- [ ] **T001.004** Report export after T001.003',
      '- [ ] **T001.005** Unrelated chore',
    );

    it('the parser reads it as a paragraph line or a top-level bullet (bold key too) and gives it to the feature', () => {
      const l = parseTaskList(plan);
      assert.deepEqual(l.diagnostics, []);
      assert.deepEqual(
        l.features.map((f) => [f.id, f.gate]),
        [
          ['F001.01', 'review'],
          ['F001.02', undefined],
        ],
      );
      // No task of the feature becomes a gate: the feature is reviewed as a whole.
      assert.equal(task(l, 'T001.001').gate, undefined);
      const bullet = parseTaskList(md('## E001: Core', '### F001.01: Billing', '', '- **Gate:** review', '', '- [ ] **T001.001** Invoice model'));
      assert.deepEqual(bullet.diagnostics, []);
      assert.equal(bullet.features[0].gate, 'review');
    });

    it('a task outside that waits for one of its tasks waits for all of them (implicit edges); inside, nothing changes', () => {
      const l = parseTaskList(plan);
      assert.deepEqual(
        task(l, 'T001.003').dependsOn.map((r) => [r.id, r.source, r.type]),
        [
          ['T001.001', 'explicit', 'blocks'],
          ['T001.002', 'implicit', 'blocks'],
        ],
      );
      assert.deepEqual(
        task(l, 'T001.002').dependsOn.map((r) => r.id),
        ['T001.001'],
      );
    });

    it('a bad value, or a gate under no feature heading, is a bad-gate warning and gates nothing', () => {
      const bad = parseTaskList(md('## E001: Core', '### F001.01: Billing', 'Gate: manager', '- [ ] **T001.001** Invoice model'));
      assert.equal(bad.features[0].gate, undefined);
      assert.deepEqual(
        bad.diagnostics.map((d) => [d.code, d.line]),
        [['bad-gate', 2]],
      );
      const nowhere = parseTaskList(md('## E001: Core', 'Gate: review', '- [ ] **T001.001** Invoice model'));
      assert.deepEqual(
        nowhere.diagnostics.map((d) => [d.code, d.line]),
        [['bad-gate', 1]],
      );
      assert.match(nowhere.diagnostics[0].message, /under no feature heading/);
      assert.ok(nowhere.features.every((f) => f.gate === undefined));
    });

    it('the graph holds what depends on the feature until it is approved, once the feature is done (reason gate)', () => {
      const l = parseTaskList(plan);
      const g = DependencyGraph.fromTaskList(l);
      assert.deepEqual(g.gatedFeatureIds(), ['F001.01']);
      assert.deepEqual(g.readyIds(), ['T001.001', 'T001.005']);
      assert.deepEqual(g.setStatus('T001.001', 'completed'), ['T001.002']);
      // T001.003 waits for the rest of the feature: not blocked yet, nothing to approve yet.
      assert.equal(g.isReady('T001.003'), false);
      assert.equal(g.isBlocked('T001.003'), false);
      assert.equal(g.featureGateWaiting('F001.01'), false);
      assert.deepEqual(g.stalls(), []);
      // The feature's last task: the feature waits, and T001.003 (and T001.004 behind it) are held by the gate.
      assert.deepEqual(g.setStatus('T001.002', 'completed'), []);
      assert.equal(g.featureGateWaiting('F001.01'), true);
      assert.equal(g.isReady('T001.003'), false);
      assert.deepEqual(g.blockage('T001.003'), {
        reason: 'gate',
        root: 'T001.003',
        cause: "T001.003 waits for a person's approval of feature F001.01 (Gate: review)",
        text: "T001.003 waits for a person's approval of feature F001.01 (Gate: review)",
      });
      assert.equal(g.blockage('T001.004')?.reason, 'gate');
      assert.deepEqual(g.stalls(), [
        { reason: 'gate', root: 'T001.003', text: "T001.003 waits for a person's approval of feature F001.01 (Gate: review)", holds: ['T001.003', 'T001.004'] },
      ]);
      assert.deepEqual(g.featureGateHolds('F001.01'), ['T001.003']);
      // A person reopens a task of the feature: the feature no longer waits, the hold is a wait again.
      g.setStatus('T001.002', 'pending');
      assert.equal(g.featureGateWaiting('F001.01'), false);
      assert.equal(g.isBlocked('T001.003'), false);
      g.setStatus('T001.002', 'completed');
      // Approval frees them.
      assert.deepEqual(g.approveFeatureGate('F001.01'), ['T001.003']);
      assert.equal(g.featureGateWaiting('F001.01'), false);
      assert.equal(g.featureGateApproved('F001.01'), true);
      assert.deepEqual(g.stalls(), []);
      assert.deepEqual(g.approveFeatureGate('F001.01'), []);
    });

    it('an approval recorded before (GraphOptions.approvedGates) holds nothing', () => {
      const l = parseTaskList(plan);
      const done = new Map<string, TaskStatus>([
        ['T001.001', 'completed'],
        ['T001.002', 'completed'],
      ]);
      assert.deepEqual(DependencyGraph.fromTaskList(l, done).readyIds(), ['T001.005']);
      const g = DependencyGraph.fromTaskList(l, done, { approvedGates: new Set(['F001.01']) });
      assert.deepEqual(g.readyIds(), ['T001.003', 'T001.005']);
      assert.equal(g.featureGateWaiting('F001.01'), false);
    });

    it('a failed task of the feature holds the dependents as a failure, not as a gate', () => {
      const l = parseTaskList(plan);
      const g = DependencyGraph.fromTaskList(
        l,
        new Map<string, TaskStatus>([
          ['T001.001', 'completed'],
          ['T001.002', 'failed'],
        ]),
      );
      assert.equal(g.blockage('T001.003')?.reason, 'failed-dependency');
      assert.equal(g.featureGateWaiting('F001.01'), false);
    });
  });
});
