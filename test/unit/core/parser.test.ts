import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DependencyGraph } from '../../../src/core/graph';
import type { TaskList, TaskNode } from '../../../src/core/model';
import { parseTaskList } from '../../../src/core/parser';

const examples = join(__dirname, '..', '..', '..', 'resources', 'examples');
const md = (...lines: string[]) => lines.join('\n');
const parse = (...lines: string[]) => parseTaskList(md(...lines));
const task = (l: TaskList, id: string): TaskNode => {
  const t = l.tasks.find((x) => x.id === id);
  assert.ok(t, `task ${id} not found among ${l.tasks.map((x) => x.id).join(', ')}`);
  return t;
};
const deps = (t: TaskNode) => t.dependsOn.map((d) => `${d.id}:${d.source}:${d.type}`);
const codes = (l: TaskList) => l.diagnostics.map((d) => d.code);

describe('parseTaskList', () => {
  describe('the shipped examples', () => {
    it('PROJECT-TASKLIST.md: 10 epics, 35 features, 122 tasks, no diagnostics, a dependency graph without cycles', () => {
      const l = parseTaskList(readFileSync(join(examples, 'PROJECT-TASKLIST.md'), 'utf8'));
      assert.deepEqual(l.diagnostics, []);
      assert.equal(l.dialect, 'coditect');
      assert.equal(l.epics.length, 10);
      assert.equal(l.features.length, 35);
      assert.equal(l.tasks.length, 122);
      assert.ok(l.tasks.every((t) => t.idExplicit && t.title.length > 0 && t.priority && t.estimateHours));
      assert.equal(l.tasks.filter((t) => t.status === 'completed').length, 7);
      assert.deepEqual(l.epics[0], { id: 'E001', idExplicit: true, title: 'Core Platform', line: 18 });
      assert.deepEqual(l.features[0], { id: 'F001.01', idExplicit: true, epicId: 'E001', title: 'Messaging', line: 22 });

      const t3 = task(l, 'T001.003');
      assert.equal(t3.title, 'Implement publisher service with retries and dead-letter queue');
      assert.deepEqual(t3.dependsOn, [
        { id: 'T001.001', source: 'explicit', type: 'blocks', line: 28 },
        { id: 'T001.002', source: 'explicit', type: 'blocks', line: 28 },
      ]);
      assert.deepEqual(deps(task(l, 'T001.004')), ['T001.003:implicit:blocks'], '"after T001.003" in the title');
      assert.equal(task(l, 'T002.004').agent, 'security-specialist');
      assert.equal(task(l, 'T002.004').estimateHours, 16, '2d');
      assert.equal(task(l, 'T010.006').estimateHours, 40, '1w');
      assert.deepEqual(task(l, 'T002.011').blockers, ['Production FoundationDB cluster provisioned by the Infra team']);
      assert.equal(task(l, 'T001.001').verify, 'test -f README.md');
      assert.equal(task(l, 'T007.005').title, '`nimbus` CLI: login, deploy agent, tail logs');

      const g = DependencyGraph.fromTaskList(l);
      assert.deepEqual(g.diagnostics, []);
    });

    it('speckit/tasks.md: 26 tasks in 6 phases, [P] and story tags, implicit and phase dependencies', () => {
      const l = parseTaskList(readFileSync(join(examples, 'speckit', 'tasks.md'), 'utf8'));
      assert.deepEqual(l.diagnostics, []);
      assert.equal(l.dialect, 'speckit');
      assert.equal(l.tasks.length, 26);
      assert.equal(l.epics.length, 6);
      assert.ok(l.epics.every((e) => e.phase === true && !e.idExplicit));
      assert.deepEqual(
        l.epics.map((e) => [e.id, e.priority]),
        [
          ['E001', undefined],
          ['E002', undefined],
          ['E003', 'P1'],
          ['E004', 'P2'],
          ['E005', 'P3'],
          ['E006', undefined],
        ],
      );
      assert.equal(l.features.length, 9);
      const t12 = task(l, 'T012');
      assert.equal(t12.title, 'Create the Subscription model and repository in services/notifier/src/models/subscription.ts');
      assert.equal(t12.parallel, true);
      assert.deepEqual(t12.tags, ['US1']);
      // Phase 1: T001; T002 waits for T001; T003 and T004 are [P].
      assert.deepEqual(deps(task(l, 'T001')), []);
      assert.deepEqual(deps(task(l, 'T002')), ['T001:implicit:blocks']);
      assert.deepEqual(deps(task(l, 'T003')), []);
      // Phase 2's entries wait for Phase 1's last tasks (T002 and the [P] tasks after it).
      for (const id of ['T005', 'T006', 'T007', 'T008']) {
        assert.deepEqual(deps(task(l, id)), ['T002:phase:blocks', 'T003:phase:blocks', 'T004:phase:blocks'], id);
      }
      assert.deepEqual(deps(task(l, 'T009')), ['T005:implicit:blocks', 'T006:implicit:blocks', 'T007:implicit:blocks', 'T008:implicit:blocks']);
      // "User Stories (Phase 3+): All depend on Foundational phase completion": stories wait for Phase 2 only.
      for (const id of ['T010', 'T016', 'T017', 'T020', 'T021']) assert.deepEqual(deps(task(l, id)), ['T009:phase:blocks'], id);
      assert.deepEqual(deps(task(l, 'T013')), ['T012:explicit:blocks', 'T010:implicit:blocks', 'T011:implicit:blocks']);
      // "Polish (Final Phase): Depends on all desired user stories being complete".
      assert.deepEqual(deps(task(l, 'T024')), ['T015:phase:blocks', 'T019:phase:blocks', 'T023:phase:blocks']);
      assert.deepEqual(deps(task(l, 'T026')), ['T024:implicit:blocks', 'T025:implicit:blocks']);
      // The phase edges name the line of the statement that justified them.
      const phaseRef = task(l, 'T024').dependsOn[0];
      assert.match(l.tasks.length ? readFileSync(join(examples, 'speckit', 'tasks.md'), 'utf8').split('\n')[phaseRef.line] : '', /Polish \(Final Phase\)/);
      assert.deepEqual(DependencyGraph.fromTaskList(l).diagnostics, []);
    });
  });

  describe('hierarchy', () => {
    it('reads an empty file as an empty list', () => {
      assert.deepEqual(parseTaskList(''), { dialect: 'markdown', eol: '\n', epics: [], features: [], tasks: [], diagnostics: [] });
      assert.deepEqual(parseTaskList('\n\n  \n').tasks, []);
    });

    it('takes epics and features from headings with written ids', () => {
      const l = parse('# Plan', '', '## E002: Core Platform (Priority: P1)', '', '### F002.01: Messaging', '', '- [ ] **T002.001** Deploy bus');
      assert.deepEqual(l.epics, [{ id: 'E002', idExplicit: true, title: 'Core Platform', line: 2, priority: 'P1' }]);
      assert.deepEqual(l.features, [{ id: 'F002.01', idExplicit: true, epicId: 'E002', title: 'Messaging', line: 4 }]);
      assert.equal(l.tasks[0].featureId, 'F002.01');
      assert.equal(l.tasks[0].epicId, 'E002');
    });

    it('derives stable ids for headings without ids and provisional ids for tasks without ids', () => {
      const text = md('# Plan', '', '## Backend', '', '### API', '- [ ] a', '- [ ] b', '', '### Database', '- [ ] c', '', '## Frontend', '- [ ] d');
      const l = parseTaskList(text);
      assert.deepEqual(
        l.epics.map((e) => [e.id, e.idExplicit, e.title]),
        [
          ['E001', false, 'Backend'],
          ['E002', false, 'Frontend'],
        ],
      );
      assert.deepEqual(
        l.features.map((f) => [f.id, f.epicId, f.title]),
        [
          ['F001.01', 'E001', 'API'],
          ['F001.02', 'E001', 'Database'],
          ['E002.00', 'E002', 'Frontend'],
        ],
      );
      assert.deepEqual(
        l.tasks.map((t) => [t.id, t.idExplicit, t.featureId]),
        [
          ['T001.001', false, 'F001.01'],
          ['T001.002', false, 'F001.01'],
          ['T001.003', false, 'F001.02'],
          ['T002.001', false, 'E002.00'],
        ],
      );
      assert.deepEqual(parseTaskList(text), l, 'same text, same ids');
    });

    it('does not let a derived epic id take one written further down', () => {
      const l = parse('## Misc', '- [ ] x', '## E001: Core', '- [ ] **T001.001** y');
      assert.deepEqual(
        l.epics.map((e) => e.id),
        ['E002', 'E001'],
      );
    });

    it('puts tasks before any heading in an epic named after the document title', () => {
      const l = parse('- [ ] one', '', '# Release checklist', '', '- [ ] two');
      assert.deepEqual(
        l.epics.map((e) => [e.id, e.title, e.idExplicit]),
        [['E001', 'Release checklist', false]],
      );
      assert.deepEqual(
        l.features.map((f) => f.id),
        ['E001.00'],
      );
      assert.equal(l.tasks.length, 2);
    });

    it('ignores headings that hold no tasks and no id (prose such as "## Notes")', () => {
      const l = parse('# Plan', '## E001: Core', '- [ ] **T001.001** a', '## Notes', 'Some prose.', '### Glossary');
      assert.deepEqual(
        l.epics.map((e) => e.id),
        ['E001'],
      );
      assert.deepEqual(
        l.features.map((f) => f.id),
        ['E001.00'],
      );
    });

    it('reads deeper headings as part of the enclosing feature', () => {
      const l = parse('## E001: Core', '### F001.01: Bus', '#### Details', '- [ ] **T001.001** a');
      assert.equal(l.tasks[0].featureId, 'F001.01');
      assert.deepEqual(
        l.features.map((f) => f.id),
        ['F001.01'],
      );
    });

    it('reads setext headings and ignores YAML front matter', () => {
      const l = parse('---', 'title: x', '---', 'Backend', '=======', '', '- [ ] a');
      assert.deepEqual(
        l.epics.map((e) => [e.title, e.line]),
        [['Backend', 3]],
      );
      assert.equal(l.tasks.length, 1);
    });

    it('reports a duplicate epic id and gives the second epic a derived id', () => {
      const l = parse('## E001: A', '- [ ] a', '## E001: B', '- [ ] b');
      assert.deepEqual(
        l.epics.map((e) => [e.id, e.idExplicit]),
        [
          ['E001', true],
          ['E002', false],
        ],
      );
      const d = l.diagnostics.find((x) => x.code === 'duplicate-id');
      assert.ok(d);
      assert.equal(d.line, 2);
      assert.match(d.message, /Epic id E001 is already used on line 1/);
    });
  });

  describe('task lines', () => {
    const one = (line: string) => {
      const l = parse('## E001: X', line);
      assert.equal(l.tasks.length, 1, `one task in ${line}`);
      return { t: l.tasks[0], l };
    };

    for (const [line, id] of [
      ['- [ ] **T001.009** Deploy RabbitMQ message bus (P0, 16h)', 'T001.009'],
      ['- [ ] `T001.009` Deploy RabbitMQ message bus [P0] ~16h', 'T001.009'],
      ['- [ ] T001.009: Deploy RabbitMQ message bus — Priority: P0, est: 2d', 'T001.009'],
      ['- [ ] [T001.009] Deploy RabbitMQ message bus P0 16h', 'T001.009'],
      ['* [ ] __T001.009__ - Deploy RabbitMQ message bus (Priority: P0, Estimate: 16 hours)', 'T001.009'],
      ['1. [ ] (P0, 16h) T001.009 Deploy RabbitMQ message bus', 'T001.009'],
      ['- [ ] [P0] **T001.009** Deploy RabbitMQ message bus (est: 2d)', 'T001.009'],
      ['- [ ] P0: T001.009 Deploy RabbitMQ message bus ~2d', 'T001.009'],
      ['- [ ] **API-12** Deploy RabbitMQ message bus (P0, 16h)', 'API-12'],
    ] as const) {
      it(`reads ${line}`, () => {
        const { t, l } = one(line);
        assert.deepEqual(l.diagnostics, []);
        assert.equal(t.id, id);
        assert.equal(t.idExplicit, true);
        assert.equal(t.title, 'Deploy RabbitMQ message bus');
        assert.equal(t.priority, 'P0');
        assert.equal(t.estimateHours, 16);
        assert.equal(t.status, 'pending');
      });
    }

    it('converts estimate units: minutes, hours, days (8h), weeks (40h), compound', () => {
      const est = (s: string) => one(`- [ ] T1 Do it (${s})`).t.estimateHours;
      assert.equal(est('30m'), 0.5);
      assert.equal(est('1.5h'), 1.5);
      assert.equal(est('2 days'), 16);
      assert.equal(est('1w'), 40);
      assert.equal(est('1h30m'), 1.5);
      assert.equal(est('effort: 3d'), 24);
    });

    it('maps priority words', () => {
      assert.equal(one('- [ ] T1 Do it (Priority: critical)').t.priority, 'P0');
      assert.equal(one('- [ ] T1 Do it (priority: high)').t.priority, 'P1');
      assert.equal(one('- [ ] T1 Do it — Priority: low').t.priority, 'P3');
    });

    it('keeps prose in parentheses and durations that belong to the sentence in the title', () => {
      assert.equal(one('- [ ] T1 Validate URLs (HTTPS only, no private ranges) in x.ts').t.title, 'Validate URLs (HTTPS only, no private ranges) in x.ts');
      const cache = one('- [ ] T1 Cache results for 24h').t;
      assert.equal(cache.title, 'Cache results for 24h');
      assert.equal(cache.estimateHours, undefined);
      assert.equal(one('- [ ] T1 Cache results for ~2h').t.estimateHours, 2, 'a tilde makes it an estimate');
      assert.equal(one('- [ ] T1 Upgrade to Node 20').t.title, 'Upgrade to Node 20');
    });

    it('reads Spec Kit lines: bare id, [P], story tags, inline (depends on …)', () => {
      const { t } = one('- [ ] T013 [P] [US1] Implement handlers in src/http/webhooks.ts (depends on T012, T011)');
      assert.equal(t.id, 'T013');
      assert.equal(t.parallel, true);
      assert.deepEqual(t.tags, ['US1']);
      assert.equal(t.title, 'Implement handlers in src/http/webhooks.ts');
    });

    it('reads inline dependencies in writing order, with their columns in diagnostics', () => {
      const line = '- [ ] T3 Build it (depends on T1, T9)';
      const l = parse('## E001: X', '- [ ] T1 a', line);
      assert.deepEqual(deps(task(l, 'T3')), ['T1:explicit:blocks', 'T9:explicit:blocks'], 'the unknown id is kept: the graph holds T3');
      assert.deepEqual(l.diagnostics, [
        {
          line: 2,
          column: line.indexOf('T9'),
          endLine: 2,
          endColumn: line.indexOf('T9') + 2,
          severity: 'error',
          code: 'unknown-dependency',
          message: 'T3 depends on unknown task T9; T3 is held until the reference is fixed',
          data: { taskId: 'T3', id: 'T9' },
        },
      ]);
    });

    it('reads "after/requires/waits for T1" in prose as blocking and other mentioned ids as soft', () => {
      const l = parse('## E001: X', '- [ ] T1 a', '- [ ] T2 b', '- [ ] T3 c', '- [ ] T4 Ship it once T1 and T2 are done, see T3');
      assert.deepEqual(deps(task(l, 'T4')), ['T1:implicit:blocks', 'T2:implicit:blocks', 'T3:implicit:soft']);
      assert.deepEqual(l.diagnostics, []);
    });

    it('reads sub-bullets: Depends on, Blocked by, Agent, Verify, Timeout, Priority, Estimate', () => {
      const l = parse(
        '## E001: X',
        '- [ ] T1 a',
        '- [ ] T2 b',
        '- [ ] T3 c',
        '  - Depends on: T1, T2',
        '  - Blocked by: "Infrastructure FDB operational", T2',
        '  - **Agent:** devops-engineer',
        '  - Verify: `npm test -- --grep "bus"`',
        '  - Timeout: 30m',
        '  - Priority: P1',
        '  - Estimate: 2d',
        '  - a plain note that is left alone',
      );
      const t = task(l, 'T3');
      assert.deepEqual(l.diagnostics, []);
      assert.deepEqual(t.dependsOn, [
        { id: 'T1', source: 'explicit', type: 'blocks', line: 4 },
        { id: 'T2', source: 'explicit', type: 'blocks', line: 4 },
      ]);
      assert.deepEqual(t.blockers, ['Infrastructure FDB operational']);
      assert.equal(t.agent, 'devops-engineer');
      assert.equal(t.verify, 'npm test -- --grep "bus"');
      assert.equal(t.timeoutMinutes, 30);
      assert.equal(t.priority, 'P1');
      assert.equal(t.estimateHours, 16);
    });

    it('reads Isolation: none or worktree, and names anything else', () => {
      const l = parse(
        '## E001: X',
        '- [ ] T1 a',
        '  - Isolation: none',
        '- [ ] T2 b',
        '  - **Isolation:** `worktree`',
        '- [ ] T3 c',
        '- [ ] T4 d',
        '  - Isolation: shared',
      );
      assert.equal(task(l, 'T1').isolation, 'none');
      assert.equal(task(l, 'T2').isolation, 'worktree');
      assert.equal(task(l, 'T3').isolation, undefined);
      assert.equal(task(l, 'T4').isolation, undefined);
      assert.deepEqual(
        l.diagnostics.map((d) => [d.code, d.line, d.column, d.message]),
        [['bad-isolation', 7, 15, 'Unknown isolation "shared"; expected none or worktree']],
      );
    });

    it('reads Files: lines (commas or spaces, backquotes, nested bullets) and names an empty one', () => {
      const l = parse(
        '## E001: X',
        '- [ ] T1 a',
        '  - Files: src/a.ts, `src/b.ts`',
        '  - **Files:** docs/',
        '- [ ] T2 b',
        '  - Files:',
        '    - src/c.ts',
        '    - src/d/',
        '- [ ] T3 c',
        '  - Files changed in this task are listed below',
        '- [ ] T4 d',
        '  - Files: ``',
      );
      assert.deepEqual(task(l, 'T1').files, ['src/a.ts', 'src/b.ts', 'docs/']);
      assert.deepEqual(task(l, 'T2').files, ['src/c.ts', 'src/d/']);
      assert.equal(task(l, 'T3').files, undefined, 'a note that starts with "Files" is no Files: line');
      assert.equal(task(l, 'T4').files, undefined);
      assert.deepEqual(
        l.diagnostics.map((d) => [d.code, d.line]),
        [['bad-files', 11]],
      );
    });

    it('reads metadata on continuation lines and dependency lists as nested bullets', () => {
      const l = parse(
        '## E001: X',
        '- [ ] T1 a',
        '- [ ] T2 b',
        '- [ ] T3 c',
        '  Depends on T1',
        '  Timeout: 2h',
        '- [ ] T4 d',
        '  - Depends on:',
        '    - T1',
        '    - T3',
      );
      assert.deepEqual(deps(task(l, 'T3')), ['T1:explicit:blocks']);
      assert.equal(task(l, 'T3').timeoutMinutes, 120);
      assert.deepEqual(deps(task(l, 'T4')), ['T1:explicit:blocks', 'T3:explicit:blocks']);
    });

    it('expands a dependency on a feature or an epic to its tasks', () => {
      const l = parse(
        '## E001: A',
        '### F001.01: Bus',
        '- [ ] T1 a',
        '- [ ] T2 b',
        '## E002: B',
        '- [ ] T3 c',
        '  - Depends on: F001.01',
        '- [ ] T4 d (depends on E001)',
      );
      assert.deepEqual(deps(task(l, 'T3')), ['T1:explicit:blocks', 'T2:explicit:blocks']);
      assert.deepEqual(deps(task(l, 'T4')), ['T1:explicit:blocks', 'T2:explicit:blocks']);
    });

    it('reads nested checkboxes as tasks of their own', () => {
      const l = parse('## E001: X', '- [ ] T1 parent', '  - [x] T2 child', '    - Agent: qa');
      assert.deepEqual(
        l.tasks.map((t) => [t.id, t.status, t.agent]),
        [
          ['T1', 'pending', undefined],
          ['T2', 'completed', 'qa'],
        ],
      );
    });

    it('reports a task written without a title, and a bare checkbox is no task', () => {
      const l = parse('## E001: X', '- [ ] **T1**', '- [ ]', '- [x]   ');
      assert.deepEqual(
        l.tasks.map((t) => t.id),
        ['T1'],
      );
      assert.deepEqual(codes(l), ['empty-task', 'empty-task', 'empty-task']);
      assert.match(l.diagnostics[0].message, /T1 has no title/);
      assert.match(l.diagnostics[1].message, /A checkbox with no text is not a task/);
    });
  });

  describe('statuses', () => {
    const status = (line: string) => parse('## E001: X', line).tasks[0]?.status;
    it('reads checkboxes: [ ] pending, [x]/[X] completed, [-] cancelled, [/] held (a person is on it by hand)', () => {
      assert.equal(status('- [ ] T1 a'), 'pending');
      assert.equal(status('- [x] T1 a'), 'completed');
      assert.equal(status('- [X] T1 a'), 'completed');
      assert.equal(status('- [-] T1 a'), 'cancelled');
      // The engine marks what it runs with a badge; a bare [/] is a person's: never dispatched, never rewritten.
      const held = parse('- [/] T1 a').tasks[0];
      assert.deepEqual([held.status, held.blockers], ['pending', ['in progress by hand ([/])']]);
      assert.equal(status('- [/] T1 a `status:in_progress`'), 'in_progress');
    });

    it('reads status badges and keeps them out of the title', () => {
      for (const s of ['in_progress', 'blocked', 'failed', 'timeout', 'cancelled'] as const) {
        const l = parse('## E001: X', `- [ ] **T1** Deploy (P0, 4h) \`status:${s}\``);
        assert.equal(l.tasks[0].status, s);
        assert.equal(l.tasks[0].title, 'Deploy');
        assert.equal(l.tasks[0].priority, 'P0');
      }
      assert.equal(status('- [x] T1 a `status:skipped`'), 'skipped');
      assert.equal(status('- [ ] T1 a `status: in-progress`'), 'in_progress');
      assert.equal(status('- [ ] T1 a `status:timed out`'), 'timeout');
    });

    it('lets the checkbox win over a contradicting badge, with an info diagnostic', () => {
      const l = parse('## E001: X', '- [x] T1 a `status:failed`', '- [ ] T2 b `status:skipped`');
      assert.deepEqual(
        l.tasks.map((t) => t.status),
        ['completed', 'pending'],
      );
      assert.deepEqual(
        l.diagnostics.map((d) => [d.code, d.severity, d.line]),
        [
          ['status-conflict', 'info', 1],
          ['status-conflict', 'info', 2],
        ],
      );
    });

    it('warns about an unknown badge word and falls back to the checkbox', () => {
      const l = parse('## E001: X', '- [ ] T1 a `status:bogus`');
      assert.equal(l.tasks[0].status, 'pending');
      assert.deepEqual(codes(l), ['unknown-status']);
    });
  });

  describe('what is not a task', () => {
    it('ignores checkboxes in fenced and indented code, HTML comments and blocks, blockquotes and tables', () => {
      const l = parse(
        '## E001: X',
        '',
        '```md',
        '- [ ] T90 fenced',
        '```',
        '',
        '~~~',
        '- [ ] T91 tilde fenced',
        '~~~',
        '',
        '    - [ ] T92 indented code',
        '',
        '<!--',
        '- [ ] T93 commented out',
        '-->',
        '',
        '<div>',
        '- [ ] T94 in html',
        '</div>',
        '',
        '> - [ ] T95 quoted example',
        '> > - [x] T96 nested quote',
        '',
        '| Task | Done |',
        '|------|------|',
        '| - [ ] T97 in a table | no |',
        '',
        '- [ ] T1 the only task',
        '  ```',
        '  - [ ] T98 code inside the task item',
        '  ```',
      );
      assert.deepEqual(
        l.tasks.map((t) => t.id),
        ['T1'],
      );
      assert.deepEqual(l.diagnostics, []);
    });

    it('warns about checkboxes that markdown will not render as tasks', () => {
      const l = parse(
        '## E001: X',
        '',
        '- [] missing space',
        '',
        '-[ ] no space after the dash',
        '',
        '[x] not in a list',
        '',
        '- [ ]glued',
        '',
        '- [ ] T1 real',
        '[ ] T2 swallowed by T1 as a lazy continuation line',
      );
      assert.deepEqual(
        l.tasks.map((t) => t.title),
        ['real'],
      );
      assert.deepEqual(
        l.diagnostics.map((d) => [d.code, d.line]),
        [
          ['malformed-task', 2],
          ['malformed-task', 4],
          ['malformed-task', 6],
          ['malformed-task', 8],
          ['malformed-task', 11],
        ],
      );
    });

    it('does not take Spec Kit legend bullets such as "- [P] tasks = different files" for tasks', () => {
      const l = parse('## Notes', '- [P] tasks = different files, no dependencies', '- **[Story]**: maps a task to its story');
      assert.deepEqual(l.tasks, []);
      assert.deepEqual(l.diagnostics, []);
    });
  });

  describe('diagnostics', () => {
    it('reports duplicate ids with the first line and a suggested new id; the first task owns the id', () => {
      const l = parse('## E001: X', '### F001.01: Y', '- [ ] **T001.001** a', '- [ ] **T001.001** b', '- [ ] c (depends on T001.001)');
      const d = l.diagnostics.filter((x) => x.code === 'duplicate-id');
      assert.equal(d.length, 1);
      assert.equal(d[0].line, 3);
      assert.equal(d[0].column, '- [ ] **'.length);
      assert.deepEqual(d[0].data, { id: 'T001.001', firstLine: 2, suggestedId: 'T001.003' });
      assert.equal(task(l, 'T001.002').title, 'c', 'the id-less task is allocated first, the suggestion skips it');
      assert.equal(l.tasks.length, 3);
      assert.deepEqual(
        l.tasks[2].dependsOn.map((r) => r.id),
        ['T001.001'],
      );
    });

    it('reports a self-dependency and keeps it, so the graph holds the task', () => {
      const l = parse('## E001: X', '- [ ] T1 a', '  - Depends on: T1');
      assert.deepEqual(
        l.tasks[0].dependsOn.map((r) => r.id),
        ['T1'],
      );
      const g = DependencyGraph.fromTaskList(l);
      assert.equal(g.blockage('T1')?.reason, 'cycle');
      assert.deepEqual(g.diagnostics, [], 'reported once, by the parser');
      assert.deepEqual(
        l.diagnostics.map((d) => [d.code, d.severity, d.line, d.column]),
        [['self-dependency', 'error', 2, 16]],
      );
    });

    it('reports unreadable metadata with the column of the value', () => {
      const l = parse(
        '## E001: X',
        '- [ ] T1 a (P7)',
        '- [ ] T2 b est: soon',
        '- [ ] T3 c',
        '  - Timeout: whenever',
        '  - Depends on: the infra team',
        '  - Priority: urgent-ish',
        '  - Agent: !!!',
        '  - Verify:',
        '- [ ] T4 d',
        '  - Verify: ``',
      );
      assert.deepEqual(
        l.diagnostics.map((d) => [d.code, d.severity, d.line, d.column]),
        [
          ['bad-priority', 'warning', 1, 12],
          ['bad-estimate', 'warning', 2, 11],
          ['bad-timeout', 'warning', 4, 13],
          ['bad-dependency', 'warning', 5, 16],
          ['bad-priority', 'warning', 6, 14],
          ['bad-agent', 'warning', 7, 11],
          ['bad-verify', 'warning', 10, 12],
        ],
      );
      assert.ok(l.diagnostics.every((d) => d.message.length > 20));
      assert.match(l.diagnostics[0].message, /Unknown priority "P7"/);
      assert.equal(parse('## E001: X', '- [ ] T1 a', '  - Agent: devops-engineer (for the infra part)').tasks[0].agent, 'devops-engineer');
    });

    it('never throws, whatever the input', () => {
      for (const text of ['\u0000', '- [ ]', '#', '```', '<!--', '> - [ ] x', '\r', '\r\r\n\n', '- [x] T1 `status:', '- [ ] (((( T1', '|-|\n|-|', '\ud800']) {
        const l = parseTaskList(text);
        assert.ok(Array.isArray(l.tasks));
        assert.ok(!l.diagnostics.some((d) => d.code === 'internal-error'), JSON.stringify(text));
      }
    });
  });

  describe('nesting deeper than the parser reads', () => {
    const nested = (levels: number): string[] =>
      Array.from({ length: levels }, (_, i) => `${'  '.repeat(i)}- [ ] **T001.${String(i + 1).padStart(5, '0')}** level ${i + 1} (P1, 1h)`);

    it('49 levels are read whole, without a diagnostic', () => {
      const l = parse('## E001: Core', '', ...nested(49));
      assert.deepEqual(codes(l), []);
      assert.equal(l.tasks.length, 49);
    });
  });

  describe('Spec Kit rules', () => {
    it('applies the phase order unless a phase says otherwise', () => {
      const l = parse(
        '## Phase 1: Setup',
        '- [ ] T001 a',
        '- [ ] T002 [P] b',
        '## Phase 2: Independent work',
        '**Depends on**: none',
        '- [ ] T003 c',
        '## Phase 3: Later',
        '**Depends on**: Phase 1',
        '- [ ] T004 d',
        '## Phase 4: Last',
        '- [ ] T005 e',
      );
      assert.equal(l.dialect, 'speckit');
      assert.deepEqual(deps(task(l, 'T003')), []);
      assert.deepEqual(task(l, 'T004').dependsOn, [
        { id: 'T001', source: 'phase', type: 'blocks', line: 7 },
        { id: 'T002', source: 'phase', type: 'blocks', line: 7 },
      ]);
      assert.deepEqual(task(l, 'T005').dependsOn, [{ id: 'T004', source: 'phase', type: 'blocks', line: 10 }]);
    });

    it('reports a phase statement it cannot resolve and keeps the default order', () => {
      const l = parse(
        '## Phase 1: A',
        '- [ ] T001 a',
        '## Phase 2: B',
        '- [ ] T002 b',
        '## Dependencies',
        '### Phase Dependencies',
        '- **B (Phase 2)**: Depends on the weather',
      );
      assert.deepEqual(deps(task(l, 'T002')), ['T001:phase:blocks']);
      assert.deepEqual(
        l.diagnostics.map((d) => [d.code, d.severity, d.line]),
        [['phase-dependency-unresolved', 'info', 6]],
      );
    });

    it('reads real-world phase labels: ranges, "Phases a-b", "Final Phase" beating a range, and clauses cut at a dash', () => {
      const l = parse(
        '## Phase 1: Setup',
        '- [ ] T001 a',
        '## Phase 2: Foundational',
        '- [ ] T002 b',
        '## Phase 3: User Story 1 - Login (Priority: P1)',
        '- [ ] T003 c',
        '## Phase 4: User Story 2 - Logout (Priority: P2)',
        '- [ ] T004 d',
        '## Phase 5: Hardening',
        '- [ ] T005 e',
        '## Phase 6: Polish',
        '- [ ] T006 f',
        '## Dependencies & Execution Order',
        '### Phase Dependencies',
        '- **Foundational (Phase 2)**: Depends on Setup completion - BLOCKS all user stories',
        '- **User Stories (Phase 3+)**: All depend on Foundational phase completion',
        '- **Cross-cutting (Phases 5-6)**: Depend on all desired user stories being complete',
        '- **Polish (Final Phase)**: Depends on Hardening; nothing else',
      );
      assert.deepEqual(l.diagnostics, []);
      assert.deepEqual(deps(task(l, 'T002')), ['T001:phase:blocks']);
      assert.deepEqual(deps(task(l, 'T003')), ['T002:phase:blocks']);
      assert.deepEqual(deps(task(l, 'T004')), ['T002:phase:blocks']);
      assert.deepEqual(deps(task(l, 'T005')), ['T003:phase:blocks', 'T004:phase:blocks']);
      assert.deepEqual(deps(task(l, 'T006')), ['T005:phase:blocks']);
    });

    it('reads "after T011/T012 changes" as two blocking references', () => {
      const l = parse('## E001: X', '- [ ] T011 a', '- [ ] T012 b', '- [ ] T013 Regenerate bindings after T011/T012 changes; see docs/T099-notes.md');
      assert.deepEqual(deps(task(l, 'T013')), ['T011:implicit:blocks', 'T012:implicit:blocks']);
      assert.deepEqual(l.diagnostics, []);
    });

    it('adds explicit dependencies on top of the implicit ones and lets a blocking ref replace a soft one', () => {
      const l = parse('## Phase 1: A', '- [ ] T001 a', '- [ ] T002 b, see T001', '- [ ] T003 [P] c (depends on T001)');
      assert.deepEqual(task(l, 'T002').dependsOn, [{ id: 'T001', source: 'implicit', type: 'blocks', line: 2 }]);
      assert.deepEqual(deps(task(l, 'T003')), ['T001:explicit:blocks']);
    });
  });

  describe('line endings and size', () => {
    it('reports the dominant line ending and counts lines the way the editor does (CRLF, LF, lone CR)', () => {
      const l = parseTaskList('## E001: X\r\n- [ ] T1 a\r\n- [ ] T2 b\r- [ ] T3 c\r\n');
      assert.equal(l.eol, '\r\n');
      assert.deepEqual(
        l.tasks.map((t) => [t.id, t.line]),
        [
          ['T1', 1],
          ['T2', 2],
          ['T3', 3],
        ],
      );
      assert.equal(parseTaskList('- [ ] a\n- [ ] b\r\n- [ ] c\n').eol, '\n');
    });

    it('keeps structure right across the internal chunk boundaries of a large file', () => {
      const lines = ['# T', '', '## Epic A', ''];
      for (let i = 0; i < 990; i++) lines.push(`- [ ] task ${i}`);
      lines.push('', '```', ...Array.from({ length: 300 }, (_, i) => `- [ ] fenced ${i}`), '```', '', '- [ ] after the fence');
      lines.push('', '<!--', ...Array.from({ length: 3000 }, (_, i) => `- [ ] commented ${i}`), '-->', '', '- [ ] after the comment');
      lines.push('', '> quote', ...Array.from({ length: 2500 }, (_, i) => `> - [ ] quoted ${i}`), '', '- [ ] after the quote');
      const l = parseTaskList(lines.join('\n'));
      assert.equal(l.tasks.length, 993);
      assert.deepEqual(
        l.tasks.slice(-3).map((t) => t.title),
        ['after the fence', 'after the comment', 'after the quote'],
      );
      assert.deepEqual(l.diagnostics, []);
      assert.equal(new Set(l.tasks.map((t) => t.id)).size, 993);
    });
  });
});
