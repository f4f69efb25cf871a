// The fixture of each dialect (test/fixtures/dialects, written in our own words) read as a person means it: groups,
// optional tasks, criteria and BLOCKED text (issue #8), and the dependency graph's view of them.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DependencyGraph } from '../../../src/core/graph';
import type { TaskList, TaskNode } from '../../../src/core/model';
import { parseTaskList } from '../../../src/core/parser';

const DIR = join(__dirname, '../../fixtures/dialects');
const read = (name: string): TaskList => parseTaskList(readFileSync(join(DIR, name), 'utf8'));
const byTitle = (list: TaskList, start: string): TaskNode => {
  const t = list.tasks.find((x) => x.title.startsWith(start));
  assert.ok(t, `no task titled "${start}…"`);
  return t;
};
const blocking = (t: TaskNode) => t.dependsOn.filter((d) => d.type === 'blocks').map((d) => d.id);

describe('dialect fixtures: groups, optional tasks, criteria, BLOCKED', () => {
  it('Kiro: a numbered task with subtasks is a group waiting for its required subtasks; [ ]* tasks are optional, top level and nested', () => {
    const list = read('kiro-tasks.md');
    assert.equal(list.dialect, 'kiro');
    assert.equal(list.diagnostics.length, 0, JSON.stringify(list.diagnostics));
    assert.deepEqual(
      list.tasks.map((t) => t.id),
      ['1', '2', '2.1', '2.2', '2.3', '3', '3.1', '3.2', '4'],
    );
    const two = list.tasks[1];
    assert.equal(two.group, true);
    assert.deepEqual(blocking(two), ['2.1', '2.2'], 'the optional 2.3 does not hold the group');
    assert.equal(list.tasks[4].optional, true);
    assert.equal(list.tasks[4].parent, '2');
    assert.equal(list.tasks[8].optional, true);
    assert.equal(list.tasks[8].title, 'Add a benchmark for large files');
    const g = DependencyGraph.fromTaskList(list);
    assert.deepEqual(g.readyIds(), ['2.2', '3.1', '3.2'], 'neither groups nor optional tasks are ready by themselves');
    assert.ok(g.isRunnableByHand('4'), 'a person may run an optional task');
    assert.ok(!g.isRunnableByHand('2'), 'nobody runs a group');
    assert.deepEqual(DependencyGraph.fromTaskList(list, undefined, { runOptional: true }).readyIds().sort(), ['2.2', '2.3', '3.1', '3.2', '4']);
    g.setStatus('2.2', 'completed');
    assert.deepEqual(g.dueGroupIds(), ['2'], 'the group is due once its required subtasks are done');
  });

  it('GFM roadmap: nested checkboxes make groups (two levels), BLOCKED/⏸️/Blocked: text holds a task with its reason, a Definition of Done label makes criteria', () => {
    const list = read('gfm-roadmap.md');
    assert.equal(list.diagnostics.filter((d) => d.severity !== 'info').length, 0, JSON.stringify(list.diagnostics));
    const themes = byTitle(list, 'Themes');
    assert.equal(themes.group, true);
    assert.equal(byTitle(list, 'Theme inheritance').parent, themes.id);
    const inc = byTitle(list, 'Incremental builds');
    const cache = byTitle(list, 'Cache parsed pages');
    assert.equal(cache.parent, inc.id);
    assert.deepEqual(blocking(inc), [cache.id, byTitle(list, 'Rebuild only').id]);
    assert.deepEqual(blocking(cache), [byTitle(list, 'Hash the front').id, byTitle(list, 'Hash the body').id]);
    assert.deepEqual(byTitle(list, 'Plugin API').blockers, ['waiting on the sandbox decision']);
    assert.deepEqual(byTitle(list, 'Blocked: need a logo').blockers, ['need a logo from the design team before the landing page']);
    for (const t of ['Every page builds', 'No broken links']) assert.equal(byTitle(list, t).criterion, true, t);
    const g = DependencyGraph.fromTaskList(list);
    const plugin = byTitle(list, 'Plugin API').id;
    assert.equal(g.isReady(plugin), false);
    assert.equal(g.blockage(plugin)?.reason, 'external');
    assert.match(g.blockage(plugin)!.text, /waiting on the sandbox decision/);
    const ready = new Set(g.readyIds());
    for (const t of list.tasks) if (t.group || t.criterion || t.blockers.length) assert.ok(!ready.has(t.id), `${t.id} ${t.title} is ready`);
  });

  it('Backlog.md: the AC and DoD blocks are criteria, each numbered from #1 without a duplicate-id error', () => {
    const list = read('backlog-task.md');
    assert.equal(list.diagnostics.length, 0, JSON.stringify(list.diagnostics));
    assert.equal(list.tasks.length, 4);
    assert.ok(list.tasks.every((t) => t.criterion === true));
    assert.deepEqual(DependencyGraph.fromTaskList(list).readyIds(), []);
  });

  it('CCPM epic: tasks are work, Success Criteria (Technical) are criteria', () => {
    const list = read('ccpm-epic.md');
    assert.deepEqual(
      list.tasks.filter((t) => !t.criterion).map((t) => t.id),
      ['#41', '#42', '#43', '#44'],
    );
    assert.equal(list.tasks.filter((t) => t.criterion).length, 2);
  });

  it('Spec Kit: Success Criteria are criteria and outside the phase order; a BLOCKED task holds what follows its phase', () => {
    const list = read('speckit-tasks.md');
    assert.equal(list.dialect, 'speckit');
    const sc = list.tasks.filter((t) => t.criterion);
    assert.deepEqual(
      sc.map((t) => t.id),
      ['SC-001', 'T012'],
    );
    for (const t of list.tasks) for (const c of sc) assert.ok(!blocking(t).includes(c.id), `${t.id} waits for criterion ${c.id}`);
    const t008 = list.tasks.find((t) => t.id === 'T008')!;
    assert.deepEqual(t008.blockers, ['waiting on the staging API credentials']);
    const g = DependencyGraph.fromTaskList(list);
    assert.equal(g.blockage('T011')?.root, 'T008', 'Polish waits behind the blocked story task');
  });

  it('GSD roadmap: the phase checkboxes stand for their phases (groups of the plans), never work of their own', () => {
    const list = read('gsd-roadmap.md');
    const summary = byTitle(list, '**Phase 2: Sharing**');
    assert.equal(summary.group, true);
    assert.deepEqual(blocking(summary), ['02-01', '02-02']);
    assert.deepEqual(DependencyGraph.fromTaskList(list).readyIds(), ['02-01']);
  });

  it('a criteria heading is matched as words, any case, with emoji and numbering; configurable', () => {
    const text = '# P\n\n## ✅ 3. acceptance criteria (v1)\n\n- [ ] Works\n\n## Work\n\n- [ ] Do it\n\n## Exit checks\n\n- [ ] Checked\n';
    const list = parseTaskList(text);
    assert.deepEqual(
      list.tasks.map((t) => t.criterion === true),
      [true, false, false],
    );
    const custom = parseTaskList(text, { criteriaHeadings: ['Exit checks'] });
    assert.deepEqual(
      custom.tasks.map((t) => t.criterion === true),
      [false, false, true],
    );
  });

  it('a child inherits the blocking dependencies of its group; a criteria bullet under a task holds criteria, not subtasks', () => {
    const text = [
      '# P',
      '',
      '- [ ] **T1** Base',
      '- [ ] **T2** Feature after T1',
      '  - [ ] **T3** Part one',
      '  - [ ] **T4** Part two',
      '- [ ] **T5** Login page',
      '  - Acceptance criteria:',
      '    - [ ] Rejects a wrong password',
      '',
    ].join('\n');
    const list = parseTaskList(text);
    const [, t2, t3, t4, t5, crit] = list.tasks;
    assert.deepEqual(blocking(t2), ['T1', 'T3', 'T4']);
    assert.deepEqual(blocking(t3), ['T1']);
    assert.deepEqual(blocking(t4), ['T1']);
    assert.equal(t5.group, undefined, 'criteria do not make a group');
    assert.equal(crit.criterion, true);
    assert.equal(crit.parent, 'T5');
  });

  it('BLOCKED needs capitals or a colon: "Fix blocked requests" is a title, not a blocker', () => {
    const list = parseTaskList('- [ ] Fix blocked requests\n- [ ] Ship it (BLOCKED)\n- [ ] ⏸ Paused by the vendor\n');
    assert.deepEqual(
      list.tasks.map((t) => t.blockers),
      [[], ['Ship it (BLOCKED)'], ['Paused by the vendor']],
    );
  });
});
