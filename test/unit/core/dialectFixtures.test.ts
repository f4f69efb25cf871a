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

  it('a checklist saved on Windows: CRLF line ends and tab indentation nest groups two levels deep; [X] ticks, BLOCKED and Definition of Done read as in LF files', () => {
    const text = readFileSync(join(DIR, 'windows-tabs-crlf.md'), 'utf8');
    assert.ok(text.includes('\r\n') && !/[^\r]\n/.test(text) && text.includes('\n\t\t- [ ]'), 'the fixture is CRLF with tabs');
    const list = parseTaskList(text);
    assert.equal(list.eol, '\r\n');
    assert.equal(list.diagnostics.length, 0, JSON.stringify(list.diagnostics));
    const freeze = byTitle(list, 'Freeze the string table');
    const merge = byTitle(list, 'Merge the returned translations');
    assert.equal(freeze.group, true);
    assert.equal(merge.group, true);
    assert.equal(merge.parent, freeze.id);
    assert.equal(byTitle(list, 'Japanese').parent, merge.id);
    assert.equal(byTitle(list, 'Japanese').title, 'Japanese, once the glossary is agreed', 'no \\r left in a title');
    assert.deepEqual(blocking(merge), [byTitle(list, 'German').id, byTitle(list, 'Japanese').id]);
    assert.equal(byTitle(list, 'Drop the keys').status, 'completed');
    assert.deepEqual(byTitle(list, 'Sign the installer').blockers, ['waiting on the renewed code-signing certificate']);
    assert.equal(list.tasks.filter((t) => t.criterion).length, 2);
    // Read as the same file with LF ends and two-space indents.
    const lf = parseTaskList(text.replace(/\r\n/g, '\n').replace(/\t/g, '  '));
    assert.deepEqual(
      lf.tasks.map(({ id, parent, group, criterion, status, blockers, dependsOn }) => ({ id, parent, group, criterion, status, blockers, dependsOn })),
      list.tasks.map(({ id, parent, group, criterion, status, blockers, dependsOn }) => ({ id, parent, group, criterion, status, blockers, dependsOn })),
    );
    const g = DependencyGraph.fromTaskList(list);
    assert.deepEqual(
      g
        .readyIds()
        .map((id) => list.tasks.find((t) => t.id === id)!.title)
        .sort(),
      ['Build the installer from the frozen tree', 'Export the strings for the translators', 'German and French', 'Japanese, once the glossary is agreed'],
    );
  });

  it('GSD roadmap: the phase checkboxes stand for their phases (groups of the plans), never work of their own', () => {
    const list = read('gsd-roadmap.md');
    const summary = byTitle(list, '**Phase 2: Sharing**');
    assert.equal(summary.group, true);
    assert.deepEqual(blocking(summary), ['02-01', '02-02']);
    // A GSD phase's plans run side by side (no Spec Kit order inside a phase); each phase waits for what its
    // `**Depends on**:` line (a continuation of the `**Goal**:` paragraph) says: Phase 3 only for Phase 1.
    assert.deepEqual(DependencyGraph.fromTaskList(list).readyIds(), ['02-01', '02-02', '03-01']);
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

describe('dependencies as written (docs/tasklist-format.md "Dependencies")', () => {
  const deps = (t: TaskNode) => t.dependsOn.map((d) => `${d.id}:${d.type}`);
  const task = (l: TaskList, id: string) => l.tasks.find((t) => t.id === id)!;

  it("the plan's own example: T001.010 waits for T001.009 (keyword anywhere before the id in the sentence)", () => {
    const list = parseTaskList(
      [
        '## E001: Communication',
        '',
        '- [ ] **T001.009** Deploy RabbitMQ message bus',
        '- [ ] **T001.010** Implement task queue manager (Redis + RQ) after deploying RabbitMQ message bus (T001.009)',
        '',
      ].join('\n'),
    );
    assert.deepEqual(deps(task(list, 'T001.010')), ['T001.009:blocks']);
    assert.deepEqual(DependencyGraph.fromTaskList(list).readyIds(), ['T001.009']);
  });

  it('each keyword blocks; a bare mention, "see", "before" and another sentence stay soft', () => {
    const lines = ['## E001: X', '- [ ] **T1** a', '- [ ] **T2** b'];
    const cases: [string, string][] = [
      ['Start once the schema from T1 is merged', 'blocks'],
      ['This requires the exporter in T1', 'blocks'],
      ['Depends on the work of T1', 'blocks'],
      ['Blocked by the review of T1', 'blocks'],
      ['Waits for the cache layer, T1', 'blocks'],
      ['Needs the API client from T1', 'blocks'],
      ['Following the rollout of T1, enable it', 'blocks'],
      ['Refactor the handler; see T1', 'soft'],
      ['Related to T1', 'soft'],
      ['Land this before T1', 'soft'],
      ['Done after lunch. Compare with T1', 'soft'],
      ['Same area as T1', 'soft'],
    ];
    for (const [text, type] of cases) {
      const list = parseTaskList([...lines, `- [ ] **T3** ${text}`].join('\n'));
      assert.deepEqual(deps(task(list, 'T3')), [`T1:${type}`], text);
    }
  });

  it('the same rule in notes: Description and other sub-bullets, at any depth, on any of their lines', () => {
    const list = parseTaskList(
      [
        '## E001: X',
        '- [ ] **T1** Bus',
        '- [ ] **T2** Cache',
        '- [ ] **T3** Queue manager',
        '  - Description: builds on the bus once it is deployed (T1)',
        '  - Notes:',
        '    - the cache is in T2 already',
        '    - wire it in',
        '      after T2 is merged',
        '',
      ].join('\n'),
    );
    assert.deepEqual(deps(task(list, 'T3')), ['T1:blocks', 'T2:blocks']);
  });

  it('a dependency sentence naming nothing resolvable is an info "not understood", never silence', () => {
    const list = parseTaskList(
      ['## E001: X', '- [ ] **T1** Deploy', '  - Depends on the infra team', '- [ ] **T2** Ship, blocked by legal review', ''].join('\n'),
    );
    const infos = list.diagnostics.filter((d) => d.code === 'dependency-not-understood');
    assert.deepEqual(
      infos.map((d) => [d.line, d.severity]),
      [
        [2, 'info'],
        [3, 'info'],
      ],
    );
    assert.match(infos[0].message, /^not understood: "Depends on the infra team"/);
  });

  const speckit = (deps: string[]): TaskList =>
    parseTaskList(
      [
        '# Tasks',
        '## Phase 1: Setup',
        '- [ ] T001 Init',
        '## Phase 2: Foundational',
        '- [ ] T002 Store',
        '## Phase 3: User Story 1 - Read',
        '- [ ] T003 [US1] Reader',
        '## Phase 4: User Story 2 - Write',
        '- [ ] T004 [US2] Writer',
        '## Phase 5: User Story 3 - Share',
        '- [ ] T005 [US3] Sharing',
        '## Phase 6: Polish',
        '- [ ] T006 Docs',
        '## Dependencies & Execution Order',
        ...deps,
        '',
      ].join('\n'),
    );

  it('Spec Kit: a dependencies section says "User Story 2 depends on User Story 1", "Phase 5 depends on Phase 3", (Phase 3, 4, 5) lists', () => {
    const plain = speckit([]);
    assert.deepEqual(deps(task(plain, 'T004')), ['T003:blocks'], 'by default a phase follows the one before');
    const list = speckit([
      '### Phase Dependencies',
      '- **User Stories (Phase 3, 4, 5)**: all depend on Foundational (Phase 2)',
      '- **Polish (Final Phase)**: depends on Phases 3, 4 and 5',
      '### User Story Dependencies',
      '- User Story 2 depends on User Story 1',
      '- Phase 5 depends on Phase 3',
    ]);
    assert.deepEqual(deps(task(list, 'T003')), ['T002:blocks']);
    assert.deepEqual(deps(task(list, 'T004')), ['T003:blocks']);
    assert.deepEqual(deps(task(list, 'T005')), ['T003:blocks']);
    assert.deepEqual(deps(task(list, 'T006')), ['T003:blocks', 'T004:blocks', 'T005:blocks']);
    assert.deepEqual(list.diagnostics, []);
  });

  it('phase order only in Spec Kit files: a CCPM epic with a phase heading keeps (parallel: true) tasks parallel; (parallel: false) waits for the tasks before it', () => {
    const list = parseTaskList(
      [
        '# Epic: export',
        '## Phase 1: Foundation',
        '- [ ] #1 - Endpoint (parallel: false)',
        '- [ ] #2 - PDF renderer (parallel: true)',
        '- [ ] #3 - CSV serializer (parallel: true)',
        '## Phase 2: Delivery',
        '- [ ] #4 - Email the link (parallel: false)',
        '',
      ].join('\n'),
    );
    assert.notEqual(list.dialect, 'speckit');
    assert.deepEqual(
      list.tasks.map((t) => [t.title, deps(t)]),
      [
        ['Endpoint', []],
        ['PDF renderer', []],
        ['CSV serializer', []],
        ['Email the link', []],
      ],
    );
    assert.deepEqual(DependencyGraph.fromTaskList(list).readyIds().sort(), ['#1', '#2', '#3', '#4']);
    const serial = parseTaskList(['# Epic', '- [ ] #1 - A (parallel: true)', '- [ ] #2 - B (parallel: true)', '- [ ] #3 - C (parallel: false)', ''].join('\n'));
    assert.deepEqual(deps(serial.tasks[2]), ['#1:blocks', '#2:blocks']);
    assert.equal(serial.tasks[0].parallel, true);
  });

  it('GSD: `**Depends on**: Phase N` anywhere in the phase preamble, also as a continuation line of the Goal', () => {
    const list = parseTaskList(
      [
        '# Roadmap',
        '### Phase 1: Core',
        '**Goal**: core',
        'Plans:',
        '- [ ] 01-01: Storage',
        '### Phase 2: Sharing',
        '**Goal**: share',
        '**Depends on**: Phase 1',
        'Plans:',
        '- [ ] 02-01: Invites',
        '### Phase 3: Reports',
        'Reports need no sharing.',
        '',
        '**Requirements**: REQ-1',
        '**Depends on**: Phase 1',
        'Plans:',
        '- [ ] 03-01: Summary',
        '',
      ].join('\n'),
    );
    assert.deepEqual(deps(task(list, '02-01')), ['01-01:blocks']);
    assert.deepEqual(deps(task(list, '03-01')), ['01-01:blocks']);
  });
});

describe('smaller readings (#8 point 9)', () => {
  it('`P0` in backticks is a priority, before or after the title; inside the sentence it is text', () => {
    const list = parseTaskList('- [ ] Fix the crash `P0`\n- [ ] `P1` Tidy up\n- [ ] Talk about `P0` bugs\n');
    assert.deepEqual(
      list.tasks.map((t) => [t.title, t.priority]),
      [
        ['Fix the crash', 'P0'],
        ['Tidy up', 'P1'],
        ['Talk about `P0` bugs', undefined],
      ],
    );
  });

  it('a section before the phases does not shift the phase epic ids', () => {
    const list = parseTaskList(
      '# Tasks\n\n## Before you start\n\n- [ ] T000 Read the spec\n\n## Phase 1: Setup\n\n- [ ] T001 Init\n\n## Phase 2: Core\n\n- [ ] T002 Core\n',
    );
    assert.deepEqual(
      list.epics.map((e) => [e.id, e.title]),
      [
        ['E003', 'Before you start'],
        ['E001', 'Phase 1: Setup'],
        ['E002', 'Phase 2: Core'],
      ],
    );
  });
});
