// The three-way merge over random tasks and edits (hundreds of runs each), in `npm run test:property`; the merge
// rules on chosen cases are in merge.test.ts.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { mergeTask, sameTaskFields, type FieldDependency, type TaskFields } from '../../../src/core/merge';
import { MERGED_TASK_FIELDS, PRIORITIES, TASK_STATUSES, type MergedTaskField, type TaskStatus } from '../../../src/core/model';

const clone = (f: TaskFields): TaskFields => structuredClone(f);

describe('merge: three-way task merge', () => {
  describe('property: non-conflicting changes from both sides all survive', () => {
    const SCALARS = ['status', 'title', 'priority', 'estimateHours', 'agent', 'verify'] as const;
    const word = fc.string({ minLength: 1, maxLength: 8 });
    const fieldsArb: fc.Arbitrary<TaskFields> = fc.record(
      {
        status: fc.constantFrom(...TASK_STATUSES),
        title: word,
        priority: fc.constantFrom(...PRIORITIES),
        estimateHours: fc.integer({ min: 1, max: 80 }),
        agent: word,
        verify: word,
        blockers: fc.uniqueArray(word, { maxLength: 4 }),
        dependsOn: fc.uniqueArray(
          fc.record({
            id: fc.constantFrom('T1', 'T2', 'T3', 'T4', 'T5', 'T6'),
            type: fc.constantFrom('blocks' as const, 'soft' as const),
            source: fc.constantFrom('explicit' as const, 'implicit' as const, 'phase' as const),
          }),
          { selector: (d) => d.id, maxLength: 4 },
        ),
      },
      { requiredKeys: ['status', 'title', 'blockers', 'dependsOn'] },
    );
    /** A different value for a scalar field (or its removal, for optional ones). */
    const changeArb = (field: (typeof SCALARS)[number], cur: unknown): fc.Arbitrary<unknown> => {
      const pool: Record<string, fc.Arbitrary<unknown>> = {
        status: fc.constantFrom(...TASK_STATUSES),
        title: word,
        priority: fc.option(fc.constantFrom(...PRIORITIES), { nil: undefined }),
        estimateHours: fc.option(fc.integer({ min: 1, max: 80 }), { nil: undefined }),
        agent: fc.option(word, { nil: undefined }),
        verify: fc.option(word, { nil: undefined }),
      };
      return pool[field].filter((v) => v !== cur && !(field === 'title' && v === undefined));
    };
    const apply = (f: TaskFields, field: MergedTaskField, v: unknown): TaskFields => {
      const o = clone(f) as unknown as Record<string, unknown>;
      if (v === undefined) delete o[field];
      else o[field] = v;
      return o as unknown as TaskFields;
    };

    it('scalars: markdown changes some fields, the database others; the merge has all of them and no conflict', () => {
      const scenario = fieldsArb.chain((b) =>
        fc.shuffledSubarray([...SCALARS]).chain((fields) => {
          const cut = Math.floor(fields.length / 2);
          const mdFields = fields.slice(0, cut);
          const dbFields = fields.slice(cut);
          const vals = (fs: readonly (typeof SCALARS)[number][]) => fc.tuple(...fs.map((f) => changeArb(f, b[f])));
          return fc.tuple(fc.constant(b), fc.constant(mdFields), vals(mdFields), fc.constant(dbFields), vals(dbFields));
        }),
      );
      fc.assert(
        fc.property(scenario, ([b, mdFields, mdVals, dbFields, dbVals]) => {
          let md = clone(b);
          mdFields.forEach((f, i) => (md = apply(md, f, mdVals[i])));
          let db = clone(b);
          dbFields.forEach((f, i) => (db = apply(db, f, dbVals[i])));
          const r = mergeTask('T', b, md, db);
          assert.deepEqual(r.conflicts, []);
          let expected = clone(b);
          mdFields.forEach((f, i) => (expected = apply(expected, f, mdVals[i])));
          dbFields.forEach((f, i) => (expected = apply(expected, f, dbVals[i])));
          assert.ok(sameTaskFields(r.fields, expected), `merged ${JSON.stringify(r.fields)} != expected ${JSON.stringify(expected)}`);
          for (const f of MERGED_TASK_FIELDS) assert.equal(f in r.fields, f in expected, `presence of ${f}`);
        }),
        { numRuns: 300 },
      );
    });

    it('lists: additions on both sides and removals on either side all survive, without conflicts', () => {
      const scenario = fieldsArb.chain((b) =>
        fc.tuple(
          fc.constant(b),
          fc.subarray(b.blockers), // removed by markdown
          fc.subarray(b.blockers), // removed by the database
          fc.uniqueArray(
            word.map((w) => `md:${w}`),
            { maxLength: 3 },
          ),
          fc.uniqueArray(
            word.map((w) => `db:${w}`),
            { maxLength: 3 },
          ),
          fc.subarray(b.dependsOn.map((d) => d.id)),
          fc.subarray(b.dependsOn.map((d) => d.id)),
          fc.uniqueArray(fc.constantFrom('N1', 'N2', 'N3'), { maxLength: 3 }),
          fc.uniqueArray(fc.constantFrom('N4', 'N5', 'N6'), { maxLength: 3 }),
        ),
      );
      fc.assert(
        fc.property(scenario, ([b, mdDrop, dbDrop, mdAdd, dbAdd, mdDropDeps, dbDropDeps, mdAddDeps, dbAddDeps]) => {
          const dep = (id: string): FieldDependency => ({ id, type: 'blocks', source: 'explicit' });
          const md = {
            ...clone(b),
            blockers: [...b.blockers.filter((x) => !mdDrop.includes(x)), ...mdAdd],
            dependsOn: [...b.dependsOn.filter((d) => !mdDropDeps.includes(d.id)), ...mdAddDeps.map(dep)],
          };
          const db = {
            ...clone(b),
            blockers: [...b.blockers.filter((x) => !dbDrop.includes(x)), ...dbAdd],
            dependsOn: [...b.dependsOn.filter((d) => !dbDropDeps.includes(d.id)), ...dbAddDeps.map(dep)],
          };
          const r = mergeTask('T', b, md, db);
          assert.deepEqual(r.conflicts, []);
          const expectBlockers = new Set([...b.blockers.filter((x) => !mdDrop.includes(x) && !dbDrop.includes(x)), ...mdAdd, ...dbAdd]);
          assert.deepEqual(new Set(r.fields.blockers), expectBlockers);
          assert.equal(r.fields.blockers.length, expectBlockers.size, 'no duplicates');
          const expectDeps = new Set([
            ...b.dependsOn.map((d) => d.id).filter((x) => !mdDropDeps.includes(x) && !dbDropDeps.includes(x)),
            ...mdAddDeps,
            ...dbAddDeps,
          ]);
          assert.deepEqual(new Set(r.fields.dependsOn.map((d) => d.id)), expectDeps);
        }),
        { numRuns: 300 },
      );
    });

    it('merging is idempotent: merging the result again against itself changes nothing', () => {
      fc.assert(
        fc.property(fieldsArb, fieldsArb, fieldsArb, (b, md, db) => {
          const r = mergeTask('T', b, md, db);
          const again = mergeTask('T', r.fields, r.fields, r.fields);
          assert.deepEqual(again.conflicts, []);
          assert.ok(sameTaskFields(again.fields, r.fields));
          // Whatever happened, a completed side is never lost.
          if (md.status === 'completed' || db.status === 'completed') {
            const changedBoth = md.status !== b.status && db.status !== b.status;
            if (changedBoth || md.status === db.status) assert.equal(r.fields.status, 'completed' as TaskStatus);
          }
        }),
        { numRuns: 300 },
      );
    });
  });
});
