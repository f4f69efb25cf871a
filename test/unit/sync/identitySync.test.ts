// A file's own numbering is its ids, and a file without ids is never rewritten to add them (issue #8): tasks written
// without an id reach the database anyway and keep their identity — and their history — when lines move or titles
// are edited. Ids are written only in the CODITECT dialect (or when the person asks), never into a finished task.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { openDatabase, type DatabaseHandle } from '../../../src/engine/db/database';
import { PlanStore } from '../../../src/engine/db/planStore';
import { TaskStore } from '../../../src/engine/db/taskStore';
import { SyncService, type SyncServiceOptions } from '../../../src/engine/sync/syncService';
import { makeTempDir, removeDir } from '../db/dbTestKit';

const T0 = Date.parse('2026-03-01T10:00:00Z');

describe('sync keeps a file’s own numbering, and the identity of tasks without ids', () => {
  let dir: string;
  let file: string;
  let h: DatabaseHandle;
  let sync: SyncService;
  const open = (text: string, opts: Partial<SyncServiceOptions> = {}) => {
    writeFileSync(file, text);
    sync = new SyncService({ handle: h, tasklistPath: file, now: () => T0, ...opts });
  };
  const rows = () => [...new PlanStore(h).loadTasks().values()].filter((t) => !t.archived);
  const rowOf = (title: string) => rows().find((t) => t.fields.title === title)!;

  beforeEach(() => {
    dir = makeTempDir('coditect-identity-');
    file = path.join(dir, 'TODO.md');
    h = openDatabase(path.join(dir, '.coditect', 'context.db'));
  });
  afterEach(async () => {
    await sync.close();
    h.close();
    removeDir(dir);
  });

  it('a checklist without ids: not a byte written; every task in the database; history follows a task when lines move and titles change', async () => {
    const text = '# TODO\n\n## Home\n\n- [ ] Paint the fence\n- [X] Fix the tap\n\n## Work\n\n- [ ] File the report\n';
    open(text);
    await sync.syncFromDisk();
    assert.equal(readFileSync(file, 'utf8'), text, 'the first sync writes nothing');
    assert.deepEqual(
      rows()
        .map((t) => [t.fields.title, t.status, t.extras.idExplicit])
        .sort(),
      [
        ['File the report', 'pending', false],
        ['Fix the tap', 'completed', false],
        ['Paint the fence', 'pending', false],
      ],
    );
    // An agent completes "File the report": the tick is written in the file's own case.
    const report = rowOf('File the report').id;
    const store = new TaskStore(h);
    const claimed = store.claim(report, 'engine', 60_000, T0)!;
    assert.ok(claimed);
    store.recordAttemptStart({ taskId: report, agent: 'dry-run', attempt: claimed.attempt, startedAt: T0 });
    assert.ok(store.finish(report, 'engine', { status: 'completed', now: T0 + 1 }));
    await sync.writeBack();
    const ticked = readFileSync(file, 'utf8');
    assert.equal(ticked, text.replace('- [ ] File the report', '- [X] File the report'));
    // A person inserts a task above everything and edits a title: ids, statuses and attempts stay with their tasks.
    const paint = rowOf('Paint the fence').id;
    writeFileSync(file, ticked.replace('## Home\n\n', '## Home\n\n- [ ] Mow the lawn\n').replace('Paint the fence', 'Paint the garden fence'));
    const r = await sync.syncFromDisk();
    assert.equal(r.tasksAdded, 1);
    assert.equal(r.tasksArchived, 0);
    assert.equal(rowOf('Paint the garden fence').id, paint);
    assert.equal(rowOf('File the report').id, report);
    assert.equal(rowOf('File the report').status, 'completed');
    assert.equal(store.attempts(report).length, 1, 'the attempt history is still the task’s');
    assert.equal(new Set(rows().map((t) => t.id)).size, 4);
    assert.equal((await sync.syncFromDisk({ force: true })).applied, false, 'and the next sync changes nothing');
  });

  it('CODITECT dialect: a new unfinished task gets its id written; a finished one is never rewritten', async () => {
    const text = '# Plan\n\n## E001: Core\n\n### F001.01: Bus\n\n- [ ] **T001.001** Deploy\n- [ ] Publish\n- [x] Designed by hand\n';
    open(text);
    const r = await sync.syncFromDisk();
    assert.equal(r.idsAssigned, 1);
    assert.equal(readFileSync(file, 'utf8'), text.replace('- [ ] Publish', '- [ ] **T001.002** Publish'));
    assert.equal(rowOf('Designed by hand').status, 'completed');
    assert.equal(rowOf('Publish').id, 'T001.002');
  });

  it('CODITECT dialect: a line whose id was deleted, in a plan whose every id was written, gets an id written', async () => {
    // Every task has its id, so a sync reads the idExplicit of no task but those of edited lines (everyIdWritten):
    // the edited line must still be seen as one without an id. (A task's written id is its identity: without it,
    // the line is a new task, and the row of T001.002 is archived.)
    const text = '# Plan\n\n## E001: Core\n\n### F001.01: Bus\n\n- [ ] **T001.001** Deploy\n- [ ] **T001.002** Publish\n- [ ] **T001.003** Consume\n';
    open(text);
    await sync.syncFromDisk();
    assert.equal(readFileSync(file, 'utf8'), text);
    writeFileSync(file, text.replace('**T001.002** Publish', 'Publish'));
    const r = await sync.syncFromDisk();
    assert.equal(r.idsAssigned, 1);
    assert.equal(readFileSync(file, 'utf8'), text.replace('**T001.002** Publish', '**T001.004** Publish'));
    assert.deepEqual(
      rows()
        .map((t) => t.id)
        .sort(),
      ['T001.001', 'T001.003', 'T001.004'],
    );
  });

  it('Spec Kit, Kiro and tracker-key files keep their own numbering: a new task gets no id written', async () => {
    for (const text of [
      '## Phase 1: Setup\n\n- [ ] T001 Create the repo\n- [ ] Added without an id\n',
      '# Implementation Plan\n\n- [ ] 1. Set up\n- [ ] 2. Build\n  - [ ] 2.1 Models\n- [ ] Added without a number\n',
      '# Criteria\n\n- [x] SC-001: First criterion\n- [ ] Second criterion\n',
    ]) {
      open(text);
      await sync.syncFromDisk();
      assert.equal(readFileSync(file, 'utf8'), text);
      assert.ok(rows().some((t) => t.fields.title.startsWith('Added without') || t.fields.title === 'Second criterion'));
      assert.equal((await sync.syncFromDisk({ force: true })).applied, false);
      await sync.close();
    }
  });

  it('write_ids: always writes ids into any file (never into a finished task); never writes none, even in CODITECT files', async () => {
    const text = '# TODO\n\n- [ ] Paint the fence\n- [x] Fix the tap\n';
    open(text, { writeIds: 'always' });
    await sync.syncFromDisk();
    const written = readFileSync(file, 'utf8');
    assert.match(written, /^- \[ \] \*\*T\d{3}\.\d{3}\*\* Paint the fence$/m);
    assert.match(written, /^- \[x\] Fix the tap$/m);
    await sync.close();
    const coditect = '## E001: Core\n\n- [ ] **T001.001** A\n- [ ] B\n';
    open(coditect, { writeIds: 'never' });
    await sync.syncFromDisk();
    assert.equal(readFileSync(file, 'utf8'), coditect);
    assert.throws(
      () => new SyncService({ handle: h, tasklistPath: file, writeIds: 'sometimes' as never }),
      /sync.write_ids must be dialect, always or never, got "sometimes"/,
    );
  });
  it('criteriaHeadings (sync.criteria_headings): checkboxes under those headings are criteria in every parse, full or incremental', async () => {
    const text = '# Plan\n\n## Build\n\n- [ ] Write it\n\n## Exit Checks\n\n- [ ] Loads 10k rows\n\n## Success Criteria\n\n- [ ] Notes out\n';
    open(text, { criteriaHeadings: ['Exit Checks'] });
    await sync.syncFromDisk();
    const criteria = () =>
      sync
        .current()
        .tasks.filter((t) => t.criterion)
        .map((t) => t.title);
    assert.deepEqual(criteria(), ['Loads 10k rows']);
    // A retitle is patched incrementally; a line added is parsed whole: both keep the configured headings.
    writeFileSync(file, text.replace('Loads 10k rows', 'Loads 20k rows'));
    await sync.syncFromDisk();
    assert.deepEqual(criteria(), ['Loads 20k rows']);
    writeFileSync(file, text.replace('- [ ] Loads 10k rows', '- [ ] Loads 10k rows\n- [ ] Logs stay quiet'));
    await sync.syncFromDisk();
    assert.deepEqual(criteria(), ['Loads 10k rows', 'Logs stay quiet']);
    assert.throws(
      () => new SyncService({ handle: h, tasklistPath: file, criteriaHeadings: 'Exit Checks' as never }),
      /sync.criteria_headings must be an array of strings, got "Exit Checks"/,
    );
  });
});
