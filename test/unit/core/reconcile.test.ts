// The reconciliation report (src/core/reconcile.ts): which tasks differ between the markdown and the database rows,
// and what the next sync would do with each, by the merge rules of src/core/merge.ts.
import { strict as assert } from 'node:assert';
import { taskFields } from '../../../src/core/merge';
import type { TaskStatus } from '../../../src/core/model';
import { parseTaskList } from '../../../src/core/parser';
import { canonicalFields, reconcilePlan, type DbTaskState } from '../../../src/core/reconcile';

const SYNCED = `# Plan

## E001: Core

### F001.01: Bus

- [ ] **T001.001** Provision the bus (P0, 2h)
- [ ] **T001.002** Publisher (P1, 4h)
- [ ] **T001.003** Consumer guide (P3, 1h)
- [ ] **T001.004** Load test (P2, 1h)
`;

/** The rows a sync of `text` leaves, with some statuses then changed by the engine. */
function rowsOf(text: string, engine: Record<string, TaskStatus> = {}, archived: string[] = []): Map<string, DbTaskState> {
  const rows = new Map<string, DbTaskState>();
  for (const t of parseTaskList(text).tasks) {
    rows.set(t.id, { id: t.id, base: taskFields(t), status: engine[t.id] ?? t.status, archived: archived.includes(t.id) });
  }
  return rows;
}

describe('reconcilePlan', () => {
  it('finds nothing when both sides agree', () => {
    assert.deepEqual(reconcilePlan(parseTaskList(SYNCED), rowsOf(SYNCED)), []);
  });

  it('reports each side of a status change and what the next sync keeps', () => {
    const edited = SYNCED.replace('- [ ] **T001.002**', '- [x] **T001.002**').replace('Consumer guide', 'Consumer handbook');
    const rows = rowsOf(SYNCED, { 'T001.001': 'completed', 'T001.004': 'failed' });
    const diffs = reconcilePlan(parseTaskList(edited.replace('- [ ] **T001.004**', '- [x] **T001.004**')), rows);
    const byId = new Map(diffs.map((d) => [d.taskId, d]));
    assert.deepEqual([...byId.keys()], ['T001.001', 'T001.002', 'T001.003', 'T001.004']);
    // Only the engine changed T001.001: its completed is kept and goes to the markdown.
    assert.deepEqual(byId.get('T001.001')!.nextSync, { status: 'completed', from: 'database', rule: 'changed-in-database' });
    assert.deepEqual(byId.get('T001.001')!.fields, ['status']);
    // Only the person ticked T001.002.
    assert.deepEqual(byId.get('T001.002')!.nextSync, { status: 'completed', from: 'markdown', rule: 'changed-in-markdown' });
    // A text edit is the person's: no status outcome, the field named.
    assert.deepEqual(byId.get('T001.003')!.fields, ['title']);
    assert.equal(byId.get('T001.003')!.nextSync, undefined);
    // Both changed T001.004: the person's [x] against the engine's failed; completed wins.
    assert.deepEqual(byId.get('T001.004')!.nextSync, { status: 'completed', from: 'markdown', rule: 'completed-wins' });
    assert.equal(byId.get('T001.004')!.baseStatus, 'pending');
    assert.notEqual(byId.get('T001.004')!.markdownFields, byId.get('T001.004')!.databaseFields);
  });

  it('a task only one side has: added, restored or archived by the next sync', () => {
    const withNew = SYNCED.replace('- [ ] **T001.004** Load test (P2, 1h)\n', '- [ ] **T001.005** Chaos test (P2, 1h)\n');
    const rows = rowsOf(SYNCED);
    const diffs = reconcilePlan(parseTaskList(withNew), rows);
    assert.deepEqual(
      diffs.map((d) => [d.taskId, d.kind]),
      [
        ['T001.005', 'only-markdown'],
        ['T001.004', 'only-database'],
      ],
    );
    // Archived in the database but back in the markdown: the sync restores it.
    const back = reconcilePlan(parseTaskList(SYNCED), rowsOf(SYNCED, {}, ['T001.003']));
    assert.deepEqual(
      back.map((d) => [d.taskId, d.kind]),
      [['T001.003', 'only-markdown']],
    );
  });

  it('an in_progress typed into the markdown is not taken: the engine starts tasks', () => {
    const typed = SYNCED.replace('- [ ] **T001.001** Provision the bus (P0, 2h)', '- [ ] **T001.001** Provision the bus (P0, 2h) `status:in_progress`');
    const list = parseTaskList(typed);
    assert.equal(list.tasks[0].status, 'in_progress');
    const [d] = reconcilePlan(list, rowsOf(SYNCED));
    assert.deepEqual(d.nextSync, { status: 'pending', from: 'database', rule: 'engine-starts-tasks' });
  });

  it('canonical fields are equal exactly when the fields are', () => {
    const [a, b] = parseTaskList(SYNCED).tasks.map(taskFields);
    assert.equal(canonicalFields(a), canonicalFields({ ...a }));
    assert.notEqual(canonicalFields(a), canonicalFields(b));
  });
});
