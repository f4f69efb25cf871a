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
});
