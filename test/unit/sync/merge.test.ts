import * as assert from 'node:assert/strict';
import { engineStatusRule, mergeTask, resolveStatusConflict, taskFields, type FieldDependency, type TaskFields } from '../../../src/core/merge';
import { TASK_STATUSES } from '../../../src/core/model';
import { taskList } from '../core/taskListBuilder';

const base: TaskFields = {
  status: 'pending',
  title: 'Deploy RabbitMQ',
  priority: 'P1',
  estimateHours: 8,
  agent: 'devops-engineer',
  blockers: ['FDB operational'],
  dependsOn: [{ id: 'T1', type: 'blocks', source: 'explicit' }],
};
const clone = (f: TaskFields): TaskFields => structuredClone(f);

describe('merge: three-way task merge', () => {
  it('takes the markdown change when the database did not change, and the database change when the markdown did not', () => {
    const md = { ...clone(base), title: 'Deploy RabbitMQ cluster' };
    const db = { ...clone(base), status: 'completed' as const };
    const r = mergeTask('T9', base, md, db);
    assert.deepEqual(r.conflicts, []);
    assert.equal(r.fields.title, 'Deploy RabbitMQ cluster');
    assert.equal(r.fields.status, 'completed');
  });

  it('same change on both sides is not a conflict', () => {
    const md = { ...clone(base), status: 'completed' as const };
    const r = mergeTask('T9', base, md, clone(md));
    assert.deepEqual(r.conflicts, []);
    assert.equal(r.fields.status, 'completed');
  });

  it('removing an optional field on one side survives', () => {
    const md = clone(base);
    delete md.agent;
    const r = mergeTask('T9', base, md, clone(base));
    assert.equal('agent' in r.fields, false);
    const r2 = mergeTask('T9', base, clone(base), md);
    assert.equal('agent' in r2.fields, false, 'a removal on the database side survives too');
  });

  it('status conflict: completed on either side wins', () => {
    const r = mergeTask('T9', base, { ...clone(base), status: 'skipped' }, { ...clone(base), status: 'completed' });
    assert.equal(r.fields.status, 'completed');
    assert.equal(r.conflicts.length, 1);
    assert.deepEqual(
      { field: r.conflicts[0].field, winner: r.conflicts[0].winner, rule: r.conflicts[0].rule, base: r.conflicts[0].base },
      { field: 'status', winner: 'database', rule: 'completed-wins', base: 'pending' },
    );
    const r2 = mergeTask('T9', { ...clone(base), status: 'in_progress' }, { ...clone(base), status: 'completed' }, { ...clone(base), status: 'failed' });
    assert.equal(r2.fields.status, 'completed');
    assert.equal(r2.conflicts[0].winner, 'markdown');
  });

  it('status conflict: a running task stays running unless someone completed it', () => {
    const b = { ...clone(base), status: 'failed' as const };
    const r = mergeTask('T9', b, { ...clone(base), status: 'pending' }, { ...clone(base), status: 'in_progress' });
    assert.equal(r.fields.status, 'in_progress');
    assert.equal(r.conflicts[0].rule, 'running-wins');
  });

  it("status conflict: otherwise the person's markdown edit wins over the engine's outcome", () => {
    const r = mergeTask('T9', { ...clone(base), status: 'in_progress' }, { ...clone(base), status: 'pending' }, { ...clone(base), status: 'failed' });
    assert.equal(r.fields.status, 'pending');
    assert.equal(r.conflicts[0].rule, 'markdown-wins');
  });

  it('status rule table is total and never invents a status', () => {
    for (const m of TASK_STATUSES) {
      for (const d of TASK_STATUSES) {
        const r = resolveStatusConflict(m, d);
        assert.ok(r.status === m || r.status === d, `${m}/${d} gave ${r.status}`);
        if (m === 'completed' || d === 'completed') assert.equal(r.status, 'completed');
      }
    }
  });

  it('other fields: markdown wins a true conflict and the conflict is reported', () => {
    const r = mergeTask('T9', base, { ...clone(base), priority: 'P0' }, { ...clone(base), priority: 'P3' });
    assert.equal(r.fields.priority, 'P0');
    assert.equal(r.conflicts.length, 1);
    assert.equal(r.conflicts[0].rule, 'markdown-owns-field');
    assert.equal(r.conflicts[0].database, 'P3');
  });

  it('lists merge as sets: additions on both sides survive, a removal on one side wins', () => {
    const md = { ...clone(base), blockers: ['FDB operational', 'Legal review'], dependsOn: [] as FieldDependency[] };
    const db = {
      ...clone(base),
      blockers: ['FDB operational', 'Budget'],
      dependsOn: [...base.dependsOn, { id: 'T2', type: 'soft' as const, source: 'implicit' as const }],
    };
    const r = mergeTask('T9', base, md, db);
    assert.deepEqual(r.conflicts, []);
    assert.deepEqual(r.fields.blockers, ['FDB operational', 'Legal review', 'Budget']);
    assert.deepEqual(
      r.fields.dependsOn.map((d) => d.id),
      ['T2'],
      'T1 removed in markdown, T2 added in the database',
    );
  });

  it('a dependency retyped differently on both sides is a conflict the markdown wins', () => {
    const md = { ...clone(base), dependsOn: [{ id: 'T1', type: 'soft' as const, source: 'explicit' as const }] };
    const db = { ...clone(base), dependsOn: [{ id: 'T1', type: 'blocks' as const, source: 'implicit' as const }] };
    const r = mergeTask('T9', base, md, db);
    assert.equal(r.conflicts.length, 1);
    assert.equal(r.conflicts[0].field, 'dependsOn');
    assert.deepEqual(r.fields.dependsOn, md.dependsOn);
  });

  it('without a base: differing scalars are conflicts resolved by the rules, lists are united', () => {
    const r = mergeTask('T9', undefined, { ...clone(base), title: 'A', blockers: ['x'] }, { ...clone(base), title: 'B', blockers: ['y'] });
    assert.equal(r.fields.title, 'A');
    assert.deepEqual(r.fields.blockers, ['x', 'y']);
    assert.equal(r.conflicts.length, 1);
  });

  it('taskFields normalises a parsed task: dependency lines dropped, duplicates removed', () => {
    const list = taskList([{ id: 'T1' }, { id: 'T2', deps: ['T1', { id: 'T1', type: 'soft' }], blockers: ['b', 'b'], priority: 'P0', hours: 4 }]);
    const f = taskFields(list.tasks[1]);
    assert.deepEqual(f, {
      status: 'pending',
      title: 'Task T2',
      priority: 'P0',
      estimateHours: 4,
      blockers: ['b'],
      dependsOn: [{ id: 'T1', type: 'blocks', source: 'explicit' }],
    });
  });
});

describe('engineStatusRule: the database status stands where leases decide', () => {
  it('names the rule for a markdown that starts, stops or un-ends a run, and none for a person’s real changes', () => {
    const cases: [Parameters<typeof engineStatusRule>, ReturnType<typeof engineStatusRule>][] = [
      // [base, markdown, merged, database]
      [['pending', 'in_progress', 'in_progress', 'pending'], 'engine-starts-tasks'],
      [['in_progress', 'pending', 'pending', 'in_progress'], 'running-wins'],
      [['in_progress', 'completed', 'completed', 'in_progress'], undefined], // a tick still completes a running task
      [['in_progress', 'pending', 'pending', 'blocked'], 'engine-ends-tasks'], // a branch waiting for review
      [['in_progress', 'pending', 'pending', 'failed'], 'engine-ends-tasks'],
      [['in_progress', 'pending', 'pending', 'pending'], undefined], // released: nothing to keep
      [['failed', 'pending', 'pending', 'failed'], undefined], // the badge of a shown failure deleted: run it again
      [['in_progress', 'skipped', 'skipped', 'failed'], undefined], // a person's skip of it is theirs
      [['blocked', 'pending', 'pending', 'blocked'], undefined],
    ];
    for (const [args, rule] of cases) assert.equal(engineStatusRule(...args), rule, args.join(' → '));
  });
});
