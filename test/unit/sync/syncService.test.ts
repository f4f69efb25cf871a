import * as assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { decodeTaskList } from '../../../src/core/decode';
import type { TaskStatus } from '../../../src/core/model';
import { parseTaskList } from '../../../src/core/parser';
import type { ApplyEditsParams, ApplyEditsResult } from '../../../src/protocol/engineProtocol';
import { EditorVersions } from '../../../src/protocol/editorVersions';
import { openDatabase, type DatabaseHandle } from '../../../src/engine/db/database';
import { PlanStore } from '../../../src/engine/db/planStore';
import { TaskStore } from '../../../src/engine/db/taskStore';
import { lineEditViews, SyncService, type SyncEvents, type SyncOutcome } from '../../../src/engine/sync/syncService';
import { makeTempDir, removeDir } from '../db/dbTestKit';

const PLAN = [
  '# Plan',
  '',
  'Prose that must survive, with a table:',
  '',
  '| a | b |',
  '|---|---|',
  '| - [ ] not a task | x |',
  '',
  '## E001: Core',
  '',
  '### F001.01: Messaging',
  '',
  '- [ ] **T001.001** Deploy bus (P0, 16h)',
  '  - Agent: devops-engineer',
  '  - Verify: test -f x',
  '  - Blocked by: "FDB up"',
  '- [x] **T001.002** Define schema (P1, 2h)',
  '- [ ] **T001.003** Publisher service (P1, 8h)',
  '  - Depends on: T001.001, T001.002',
  '',
  '### F001.02: Registry',
  '',
  '- [ ] **T001.004** Tenant API (P2)',
  '',
].join('\n');

const T0 = Date.parse('2026-03-01T10:00:00Z');

describe('SyncService: two-way sync on a real file and a real SQLite database', () => {
  let dir: string;
  let file: string;
  let h: DatabaseHandle;
  let store: TaskStore;
  let sync: SyncService;
  let plan: PlanStore;

  const rows = () => h.db.prepare(`SELECT COUNT(*) FROM v2_plan_sync`).pluck().get() as number;
  const dbStatus = (id: string) => h.db.prepare(`SELECT status FROM v2_tasks WHERE task_id = ?`).pluck().get(id) as TaskStatus;
  const lines = () => readFileSync(file, 'utf8').split('\n');
  const complete = (id: string, status: 'completed' | 'failed' = 'completed') => {
    assert.ok(store.claim(id, 'engine', 60_000, T0), `claim ${id}`);
    assert.ok(store.finish(id, 'engine', { status, now: T0 + 1 }), `finish ${id}`);
  };
  const open = (opts: { applyEdits?: (p: ApplyEditsParams) => Promise<ApplyEditsResult> } = {}) => {
    sync = new SyncService({ handle: h, tasklistPath: file, now: () => T0, ...opts });
  };

  beforeEach(() => {
    dir = makeTempDir('coditect-sync-');
    file = path.join(dir, 'PROJECT-TASKLIST.md');
    writeFileSync(file, PLAN);
    h = openDatabase(path.join(dir, '.coditect', 'context.db'));
    store = new TaskStore(h);
    plan = new PlanStore(h);
    open();
  });
  afterEach(async () => {
    await sync.close();
    h.close();
    removeDir(dir);
  });

  it('markdown → db: epics, features, tasks, dependencies, one audit row; the file is not touched', async () => {
    const before = readFileSync(file);
    const r = await sync.syncFromDisk();
    assert.equal(r.applied, true);
    assert.equal(r.direction, 'md_to_db');
    assert.equal(r.tasksAdded, 4);
    assert.deepEqual(readFileSync(file), before, 'nothing to write back: byte-identical');
    assert.equal(rows(), 1);
    const t1 = h.db.prepare(`SELECT * FROM v2_tasks WHERE task_id = 'T001.001'`).get() as Record<string, unknown>;
    assert.deepEqual(
      [t1.status, t1.synced_status, t1.priority, t1.estimated_hours, t1.agent, t1.verify, t1.blockers, t1.epic_id, t1.feature_id],
      ['pending', 'pending', 'P0', 16, 'devops-engineer', 'test -f x', '["FDB up"]', 'E001', 'F001.01'],
    );
    assert.equal(dbStatus('T001.002'), 'completed');
    const deps = h.db.prepare(`SELECT dependency_task_id, dependency_type, source FROM task_dependencies WHERE task_id = 'T001.003' ORDER BY position`).all();
    assert.deepEqual(deps, [
      { dependency_task_id: 'T001.001', dependency_type: 'blocks', source: 'explicit' },
      { dependency_task_id: 'T001.002', dependency_type: 'blocks', source: 'explicit' },
    ]);
    assert.deepEqual(h.db.prepare(`SELECT feature_id FROM v2_features ORDER BY position`).pluck().all(), ['F001.01', 'F001.02']);
    const rec = plan.syncRecords(1)[0];
    assert.deepEqual([rec.direction, rec.source, rec.tasksAdded, rec.conflicts.length], ['md_to_db', 'disk', 4, 0]);
    assert.equal(rec.mdChecksumBefore, rec.mdChecksumAfter);
    assert.equal(sync.current().tasks.length, 4);
  });

  it('skips when the checksums show nothing changed: no parse, no write, no audit row', async () => {
    await sync.syncFromDisk();
    const ino = statSync(file).ino;
    const r = await sync.syncFromDisk();
    assert.equal(r.skipped, true);
    assert.equal(r.applied, false);
    assert.equal(rows(), 1);
    assert.equal(statSync(file).ino, ino);
    // A prose-only edit is read (lines move) but changes nothing in the database: still no row.
    writeFileSync(file, PLAN.replace('Prose that must survive', 'Prose, edited,'));
    const r2 = await sync.syncFromDisk();
    assert.equal(r2.skipped, false);
    assert.equal(r2.applied, false);
    assert.equal(rows(), 1);
  });

  it('db → markdown: an engine completion changes only that task line, surgically', async () => {
    await sync.syncFromDisk();
    const old = lines();
    complete('T001.003');
    const r = await sync.writeBack();
    assert.equal(r.direction, 'db_to_md');
    assert.equal(r.statusesToMd, 1);
    const now = lines();
    assert.equal(now.length, old.length);
    const changed = now.map((l, i) => (l === old[i] ? -1 : i)).filter((i) => i >= 0);
    assert.deepEqual(changed, [old.indexOf('- [ ] **T001.003** Publisher service (P1, 8h)')]);
    assert.equal(now[changed[0]], '- [x] **T001.003** Publisher service (P1, 8h)');
    assert.equal(h.db.prepare(`SELECT synced_status FROM v2_tasks WHERE task_id = 'T001.003'`).pluck().get(), 'completed');
    assert.equal(rows(), 2);
    assert.equal((await sync.syncFromDisk()).skipped, true, 'our own write is recognised by checksum');
    assert.equal(sync.current().tasks.find((t) => t.id === 'T001.003')!.status, 'completed');
  });

  it('engine statuses other than done round-trip as badges', async () => {
    await sync.syncFromDisk();
    complete('T001.001', 'failed');
    await sync.writeBack();
    assert.ok(lines().includes('- [ ] **T001.001** Deploy bus (P0, 16h) `status:failed`'), lines().join('\n'));
    assert.equal(parseTaskList(readFileSync(file, 'utf8')).tasks[0].status, 'failed');
  });

  it('both sides changed different things at once: both survive, no conflict', async () => {
    await sync.syncFromDisk();
    complete('T001.003'); // the engine finishes T001.003 …
    // … while a person renames T001.001, ticks T001.004 and adds a task.
    writeFileSync(
      file,
      PLAN.replace('Deploy bus (P0, 16h)', 'Deploy the message bus (P0, 16h)').replace(
        '- [ ] **T001.004** Tenant API (P2)',
        '- [x] **T001.004** Tenant API (P2)\n- [ ] **T001.005** Tenant quotas (P3)',
      ),
    );
    const r = await sync.syncFromDisk();
    assert.equal(r.conflicts, 0);
    assert.equal(r.direction, 'both');
    assert.equal(h.db.prepare(`SELECT title FROM v2_tasks WHERE task_id = 'T001.001'`).pluck().get(), 'Deploy the message bus');
    assert.equal(dbStatus('T001.004'), 'completed');
    assert.equal(dbStatus('T001.003'), 'completed');
    assert.equal(dbStatus('T001.005'), 'pending');
    const text = readFileSync(file, 'utf8');
    assert.match(text, /- \[x\] \*\*T001\.003\*\* Publisher service/);
    assert.match(text, /- \[x\] \*\*T001\.004\*\* Tenant API/);
    assert.match(text, /Deploy the message bus/);
    assert.equal(rows(), 2);
  });

  it('a true conflict follows the rule, is recorded in v2_plan_sync, reported as a diagnostic and an event', async () => {
    await sync.syncFromDisk();
    const events: SyncEvents['sync:conflict'][] = [];
    sync.on('sync:conflict', (e) => events.push(e));
    complete('T001.001', 'failed'); // engine: failed
    writeFileSync(file, PLAN.replace('- [ ] **T001.001**', '- [x] **T001.001**')); // person: done by hand
    const r = await sync.syncFromDisk();
    assert.equal(r.conflicts, 1);
    assert.equal(dbStatus('T001.001'), 'completed', 'completed wins');
    const rec = plan.syncRecords(1)[0];
    assert.equal(rec.conflicts.length, 1);
    assert.deepEqual(
      {
        task: rec.conflicts[0].taskId,
        field: rec.conflicts[0].field,
        base: rec.conflicts[0].base,
        md: rec.conflicts[0].markdown,
        db: rec.conflicts[0].database,
        rule: rec.conflicts[0].rule,
      },
      { task: 'T001.001', field: 'status', base: 'pending', md: 'completed', db: 'failed', rule: 'completed-wins' },
    );
    const d = r.diagnostics.find((x) => x.code === 'sync-conflict')!;
    assert.ok(d, 'a sync-conflict diagnostic');
    assert.equal(
      d.line,
      PLAN.split('\n').findIndex((l) => l.includes('T001.001')),
    );
    assert.equal(d.severity, 'warning');
    assert.deepEqual(
      events.map((e) => [e.taskId, e.field]),
      [['T001.001', 'status']],
    );

    // The other way round: the engine completed it, the person marked it skipped: the completion stays and the
    // markdown is corrected.
    complete('T001.003');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('- [ ] **T001.003** Publisher service (P1, 8h)', '- [x] **T001.003** Publisher service (P1, 8h) `status:skipped`'),
    );
    const r2 = await sync.syncFromDisk();
    assert.equal(r2.conflicts, 1);
    assert.equal(dbStatus('T001.003'), 'completed');
    assert.ok(lines().includes('- [x] **T001.003** Publisher service (P1, 8h)'), 'the markdown shows the winner');
  });

  it('a status a person cannot set: an in_progress badge typed by hand is reverted and reported', async () => {
    await sync.syncFromDisk();
    writeFileSync(file, PLAN.replace('Tenant API (P2)', 'Tenant API (P2) `status:in_progress`'));
    const r = await sync.syncFromDisk();
    assert.equal(dbStatus('T001.004'), 'pending');
    assert.equal(r.conflictList[0].rule, 'engine-starts-tasks');
    assert.ok(lines().includes('- [ ] **T001.004** Tenant API (P2)'));
  });

  it('nor can it stop one: a text from before the running badge keeps the task with its agent, whose result then lands', async () => {
    await sync.syncFromDisk();
    const before = readFileSync(file, 'utf8');
    assert.ok(store.claim('T001.004', 'engine', 60_000, T0));
    await sync.writeBack();
    assert.ok(
      lines().some((l) => l.includes('**T001.004**') && l.includes('`status:in_progress`')),
      'the badge is written',
    );
    // The file goes back to the text from before the write-back (an editor saving its older buffer).
    writeFileSync(file, before);
    const r = await sync.syncFromDisk();
    assert.equal(dbStatus('T001.004'), 'in_progress', "still the agent's");
    assert.deepEqual(
      r.conflictList.map((c) => [c.taskId, c.rule, c.resolved]),
      [['T001.004', 'running-wins', 'in_progress']],
    );
    assert.ok(
      lines().some((l) => l.includes('**T001.004**') && l.includes('`status:in_progress`')),
      'the badge is back',
    );
    assert.ok(store.finish('T001.004', 'engine', { status: 'completed', now: T0 + 1 }), 'the lease held: the result lands');
    // A person's tick of a running task still completes it.
    assert.ok(store.claim('T001.003', 'engine', 60_000, T0));
    await sync.writeBack();
    writeFileSync(file, readFileSync(file, 'utf8').replace(/- \[ \] (\*\*T001\.003\*\*[^`\n]*)`status:in_progress`/, '- [x] $1'));
    await sync.syncFromDisk();
    assert.equal(dbStatus('T001.003'), 'completed');
  });

  it('nor undo how a run ended: a text from before the running badge, read after the run ended, keeps its outcome', async () => {
    await sync.syncFromDisk();
    const before = readFileSync(file, 'utf8');
    assert.ok(store.claim('T001.004', 'engine', 60_000, T0));
    await sync.writeBack();
    // The run ends (here failed; a branch waiting for review is blocked) before the next write-back, and the text the
    // sync reads next is the one from before the start (an editor's save that crossed the engine's write-back).
    assert.ok(store.finish('T001.004', 'engine', { status: 'failed', now: T0 + 1 }));
    writeFileSync(file, before);
    const r = await sync.syncFromDisk();
    assert.equal(dbStatus('T001.004'), 'failed', 'not reset to pending, to be run (and paid for) again');
    assert.deepEqual(
      r.conflictList.map((c) => [c.taskId, c.rule, c.markdown, c.resolved]),
      [['T001.004', 'engine-ends-tasks', 'pending', 'failed']],
    );
    assert.ok(
      lines().some((l) => l.includes('**T001.004**') && l.includes('`status:failed`')),
      'the outcome is written to the line',
    );
    // Once the line showed the outcome, a person deleting the badge still means "run it again".
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(\*\*T001\.004\*\*[^`\n]*) `status:failed`/, '$1'));
    const again = await sync.syncFromDisk();
    assert.equal(dbStatus('T001.004'), 'pending');
    assert.deepEqual(again.conflictList, []);
  });

  it('a task removed from the markdown is archived with its history; putting it back restores it', async () => {
    await sync.syncFromDisk();
    store.claim('T001.004', 'engine', 1000, T0);
    const a = store.recordAttemptStart({ taskId: 'T001.004', agent: 'dry-run', attempt: 1, startedAt: T0 });
    store.recordAttemptEnd(a, { outcome: 'failed', endedAt: T0 + 10, error: 'nope' });
    store.finish('T001.004', 'engine', { status: 'failed', retryCount: 1, now: T0 + 10 });
    await sync.writeBack();
    const withTask = readFileSync(file, 'utf8');
    writeFileSync(file, withTask.replace(/- \[ \] \*\*T001\.004\*\*.*\n/, ''));
    const r = await sync.syncFromDisk();
    assert.equal(r.tasksArchived, 1);
    assert.ok(h.db.prepare(`SELECT archived_at FROM v2_tasks WHERE task_id = 'T001.004'`).pluck().get());
    assert.equal(store.runtimes().has('T001.004'), false);
    assert.equal(store.attempts('T001.004').length, 1, 'history kept');
    assert.equal(
      h.db.prepare(`SELECT COUNT(*) FROM v2_features WHERE feature_id = 'F001.02' AND archived_at IS NULL`).pluck().get(),
      1,
      'its feature heading is still in the file',
    );
    writeFileSync(file, withTask);
    const r2 = await sync.syncFromDisk();
    assert.equal(r2.tasksRestored, 1);
    const rt = store.runtimes().get('T001.004')!;
    assert.deepEqual([rt.status, rt.retryCount], ['failed', 1]);
  });

  it('keeps CRLF line endings and a Latin-1 encoding when writing back', async () => {
    const latin = PLAN.replace('Deploy bus', 'Déployer le bus à café').split('\n').join('\r\n');
    writeFileSync(file, Buffer.from(latin, 'latin1'));
    await sync.syncFromDisk();
    assert.equal(sync.current().tasks[0].title, 'Déployer le bus à café');
    complete('T001.001');
    await sync.writeBack();
    const bytes = readFileSync(file);
    const dec = decodeTaskList(bytes);
    assert.equal(dec.encoding, 'latin1');
    assert.deepEqual(bytes, Buffer.from(latin.replace('- [ ] **T001.001**', '- [x] **T001.001**'), 'latin1'), 'only the checkbox byte changed');
  });

  it('gives id-less tasks the next free id, written into their line and used in the database', async () => {
    writeFileSync(file, PLAN.replace('- [ ] **T001.004** Tenant API (P2)', '- [ ] **T001.004** Tenant API (P2)\n- [ ] Tenant quotas after T001.004'));
    const r = await sync.syncFromDisk();
    assert.equal(r.idsAssigned, 1);
    const line = lines().find((l) => l.includes('Tenant quotas'))!;
    const id = /T\d{3}\.\d{3}/.exec(line)![0];
    assert.equal(id, 'T001.005');
    assert.equal(dbStatus(id), 'pending');
    assert.equal(h.db.prepare(`SELECT dependency_type FROM task_dependencies WHERE task_id = ? AND dependency_task_id = 'T001.004'`).pluck().get(id), 'blocks');
  });

  it('never overwrites a file someone saved between our read and our write: it starts over and keeps both', async () => {
    await sync.syncFromDisk();
    complete('T001.003');
    let first = true;
    await sync.close();
    // An attached editor that does not have the file open ('not-open'); while it answers, a person saves the file.
    open({
      applyEdits: async () => {
        if (first) {
          first = false;
          writeFileSync(file, PLAN.replace('Tenant API (P2)', 'Tenant API v2 (P2)'));
        }
        return { outcome: 'not-open' };
      },
    });
    const r = await sync.writeBack();
    const text = readFileSync(file, 'utf8');
    assert.match(text, /Tenant API v2/, "the person's edit survived");
    assert.match(text, /- \[x\] \*\*T001\.003\*\*/, "the engine's completion reached the file too");
    assert.equal(h.db.prepare(`SELECT title FROM v2_tasks WHERE task_id = 'T001.004'`).pluck().get(), 'Tenant API v2');
    assert.equal(r.pendingWriteBack, false);
  });

  describe('an open editor buffer (syncFromText + applyEdits)', () => {
    it('applied: edits carry the expected line text; the buffer becomes the markdown', async () => {
      const calls: ApplyEditsParams[] = [];
      await sync.close();
      open({ applyEdits: async (p) => (calls.push(p), { outcome: 'applied' }) });
      await sync.syncFromDisk();
      complete('T001.003');
      const buffer = PLAN.replace('Tenant API (P2)', 'Tenant API, unsaved (P2)');
      const r = await sync.syncFromText(buffer, 7);
      assert.equal(r.source, 'editor');
      assert.equal(r.statusesToMd, 1);
      assert.equal(calls.length, 1);
      assert.deepEqual(calls[0].edits, [
        { line: 17, text: '- [x] **T001.003** Publisher service (P1, 8h)', expected: '- [ ] **T001.003** Publisher service (P1, 8h)' },
      ]);
      assert.equal(calls[0].path, file);
      assert.equal(readFileSync(file, 'utf8'), PLAN, 'the file on disk is the editor’s to save');
      assert.equal(h.db.prepare(`SELECT title FROM v2_tasks WHERE task_id = 'T001.004'`).pluck().get(), 'Tenant API, unsaved');
      // The editor then reports its new text: nothing left to do.
      const applied = buffer.replace('- [ ] **T001.003**', '- [x] **T001.003**');
      assert.equal((await sync.syncFromText(applied, 8)).skipped, true);
      assert.equal((await sync.syncFromText(buffer, 6)).skipped, true, 'an older version is ignored');
    });

    it('stale: the markdown side still reaches the db; the write-back is retried later', async () => {
      let outcome: ApplyEditsResult['outcome'] = 'stale';
      const calls: ApplyEditsParams[] = [];
      await sync.close();
      open({ applyEdits: async (p) => (calls.push(p), { outcome }) });
      await sync.syncFromDisk();
      complete('T001.003');
      const buffer = PLAN.replace('- [ ] **T001.004**', '- [x] **T001.004**');
      const r = await sync.syncFromText(buffer, 1);
      assert.equal(r.pendingWriteBack, true);
      assert.equal(dbStatus('T001.004'), 'completed', "the person's tick reached the db");
      assert.equal(
        h.db.prepare(`SELECT synced_status FROM v2_tasks WHERE task_id = 'T001.003'`).pluck().get(),
        'pending',
        'snapshot still says the markdown shows pending',
      );
      outcome = 'applied';
      const r2 = await sync.writeBack();
      assert.equal(r2.statusesToMd, 1);
      assert.equal(calls.length, 2);
      assert.equal(h.db.prepare(`SELECT synced_status FROM v2_tasks WHERE task_id = 'T001.003'`).pluck().get(), 'completed');
    });

    it('not-open: falls back to the file', async () => {
      await sync.close();
      open({ applyEdits: async () => ({ outcome: 'not-open' }) });
      await sync.syncFromDisk();
      complete('T001.003');
      const r = await sync.syncFromText(PLAN, 3);
      assert.equal(r.source, 'disk');
      assert.match(readFileSync(file, 'utf8'), /- \[x\] \*\*T001\.003\*\*/);
    });

    /**
     * The editor's side as editSync.ts plays it, over the sync's calls: a buffer with its version, texts sent with
     * EditorVersions' numbers, edits checked line by line, applied as one version step, and the text sent again after
     * 'stale' or after edits computed on another text. `dueAtEdit`: a send already due (a keystroke's debounce, a
     * resend) goes out just as the engine's edit arrives, before the edit is handled (its timer ran first).
     */
    const editor = () => {
      const versions = new EditorVersions();
      const e = {
        buffer: PLAN,
        version: 1,
        dueAtEdit: false,
        /** Every sync a text sent started, with the store's status of `watch` once it ended. */
        sends: [] as Promise<TaskStatus>[],
        watch: 'T001.003',
        send(): void {
          e.sends.push(sync.syncFromText(e.buffer, versions.sending('plan', e.version)).then(() => dbStatus(e.watch)));
        },
        type(from: string, to: string): void {
          assert.ok(e.buffer.includes(from), from);
          e.buffer = e.buffer.replace(from, to);
          e.version++;
        },
        async apply(p: ApplyEditsParams): Promise<ApplyEditsResult> {
          if (e.dueAtEdit) {
            e.dueAtEdit = false;
            e.send();
          }
          const lines = e.buffer.split('\n');
          if (p.edits.some((x) => lines[x.line] !== x.expected)) {
            e.send();
            return { outcome: 'stale' };
          }
          for (const x of p.edits) lines[x.line] = x.text;
          e.buffer = lines.join('\n');
          const made = versions.applied('plan', e.version, p.version);
          e.version++;
          if (made.resend) e.send();
          return { outcome: 'applied', version: made.version };
        },
        /** Resolves once every text sent (those sent meanwhile too) is synced; the store's statuses of `watch` after each. */
        async settled(): Promise<TaskStatus[]> {
          for (let n = 0; n < e.sends.length; n = e.sends.length) await Promise.all(e.sends);
          return Promise.all(e.sends);
        },
      };
      return e;
    };
    /** Every task's box in the buffer is what the store says: ticked exactly when completed. */
    const agrees = (buffer: string): void => {
      for (const [id, status] of store.runtimes()) {
        const line = buffer.split('\n').find((l) => l.includes(`**${id}**`))!;
        assert.equal(/^- \[x\]/.test(line), status.status === 'completed', `${id}: the store says ${status.status}, the document shows ${line}`);
      }
    };

    it("a text the editor sent just before the engine's edit landed, read after it, undoes nothing: both sides' ticks stay", async () => {
      await sync.close();
      const ed = editor();
      open({ applyEdits: (p) => ed.apply(p) });
      await sync.syncFromDisk();
      ed.send(); // the plan opened in the editor
      await ed.settled();
      // The person ticks T001.004 (its send waits out the debounce); the engine completes T001.003 meanwhile, and
      // the person's send is due just as the engine's edit arrives.
      ed.type('- [ ] **T001.004**', '- [x] **T001.004**');
      ed.dueAtEdit = true;
      complete('T001.003');
      await sync.writeBack();
      const seen = await ed.settled();
      assert.deepEqual(
        seen.slice(1),
        seen.slice(1).map(() => 'completed'),
        "the person's text from before the engine's tick was not read as unticking it",
      );
      assert.equal(dbStatus('T001.003'), 'completed');
      assert.equal(dbStatus('T001.004'), 'completed', "the person's tick reached the store");
      assert.match(ed.buffer, /^- \[x\] \*\*T001\.003\*\*/m);
      assert.match(ed.buffer, /^- \[x\] \*\*T001\.004\*\*/m, "the person's tick is still in the document");
      agrees(ed.buffer);
    });

    it("a task reopened right after the engine's tick reached the document is unticked there too, whatever the editor sent meanwhile", async () => {
      await sync.close();
      const ed = editor();
      open({ applyEdits: (p) => ed.apply(p) });
      await sync.syncFromDisk();
      ed.send();
      const opened = (await ed.settled()).length;
      // A send of the same text is due as the engine's tick arrives (as after a 'stale', editorSync's integration run).
      ed.dueAtEdit = true;
      complete('T001.003');
      await sync.writeBack();
      const seen = (await ed.settled()).slice(opened);
      assert.match(ed.buffer, /^- \[x\] \*\*T001\.003\*\*/m, 'the tick reached the document');
      assert.deepEqual(
        seen,
        seen.map(() => 'completed'),
        'the text sent before the tick landed was not read as the person unticking it',
      );
      // The person reopens the task (coditect.reopenTask).
      store.setStatus('T001.003', 'pending', { now: T0 + 2 });
      await sync.writeBack();
      await ed.settled();
      assert.equal(dbStatus('T001.003'), 'pending');
      assert.match(ed.buffer, /^- \[ \] \*\*T001\.003\*\*/m, 'the untick reached the document');
      agrees(ed.buffer);
    });

    it('a person ticks a task while the engine claims it during the editor round trip: completed wins on the next sync', async () => {
      await sync.close();
      let claimNow = true;
      open({
        applyEdits: async () => {
          if (claimNow) {
            claimNow = false;
            assert.ok(store.claim('T001.004', 'engine', 60_000, T0), 'the engine claims it meanwhile');
          }
          return { outcome: 'applied' };
        },
      });
      await sync.syncFromDisk();
      complete('T001.003'); // so the sync has an edit to send to the editor
      const buffer = PLAN.replace('- [ ] **T001.004**', '- [x] **T001.004**');
      await sync.syncFromText(buffer, 1);
      assert.equal(dbStatus('T001.004'), 'in_progress', 'the compare-and-set did not overwrite the claim');
      const r = await sync.writeBack();
      assert.equal(dbStatus('T001.004'), 'completed', "the person's tick is not lost");
      assert.equal(r.conflictList.find((c) => c.taskId === 'T001.004')?.rule, 'completed-wins');
      assert.equal(store.finish('T001.004', 'engine', { status: 'completed', now: T0 + 5 }), false, 'the agent cannot complete it a second time');
    });
  });

  it('an empty file (a save in progress) archives nothing', async () => {
    await sync.syncFromDisk();
    writeFileSync(file, '');
    const r = await sync.syncFromDisk();
    assert.equal(r.applied, false);
    assert.ok(r.diagnostics.some((d) => d.code === 'tasklist-empty'));
    assert.equal(store.runtimes().size, 4);
  });

  it('syncs never overlap: concurrent calls run one after the other and agree', async () => {
    const results = await Promise.all([sync.syncFromDisk(), sync.syncFromDisk(), sync.writeBack(), sync.syncFromDisk({ force: true })]);
    assert.deepEqual(
      results.map((r: SyncOutcome) => r.applied),
      [true, false, false, false],
    );
    assert.deepEqual(
      results.map((r) => r.skipped),
      [false, true, true, false],
    );
    assert.equal(rows(), 1);
  });

  it('emits plan:synced with the list and diagnostics', async () => {
    const seen: SyncEvents['plan:synced'][] = [];
    sync.on('plan:synced', (e) => seen.push(e));
    writeFileSync(file, PLAN + '- [ ] **T001.004** Duplicate id\n');
    await sync.syncFromDisk();
    assert.equal(seen.length, 1);
    assert.equal(seen[0].list.tasks.length, 5);
    assert.ok(
      seen[0].diagnostics.some((d) => d.code === 'duplicate-id'),
      JSON.stringify(seen[0].diagnostics),
    );
    assert.equal(store.runtimes().size, 4, 'a duplicate id is stored once');
  });

  it('a plan:synced listener that throws is reported, and the listeners after it still run', async () => {
    // The runtime's listener re-plans the running engine: a failure of it used to vanish without a word.
    const reported: string[] = [];
    sync = new SyncService({ handle: h, tasklistPath: file, now: () => T0, onListenerError: (e, event) => reported.push(`${event}: ${String(e)}`) });
    let after = 0;
    sync.on('plan:synced', () => {
      throw new Error('listener broke');
    });
    sync.on('plan:synced', () => after++);
    const r = await sync.syncFromDisk();
    assert.equal(r.applied, true, 'the sync itself committed');
    assert.deepEqual(reported, ['plan:synced: Error: listener broke']);
    assert.equal(after, 1);
  });

  it('exports v2-work-items.json with every work item and its current status', async () => {
    await sync.syncFromDisk();
    complete('T001.001');
    const out = path.join(dir, 'v2-work-items.json');
    const r = sync.exportWorkItems(out);
    assert.deepEqual(r, { path: out, count: 4 });
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(doc.version, 1);
    assert.equal(doc.counts.total, 4);
    assert.equal(doc.counts.completed, 2);
    const t1 = doc.items.find((i: { id: string }) => i.id === 'T001.001');
    assert.deepEqual(t1, {
      id: 'T001.001',
      title: 'Deploy bus',
      epic: { id: 'E001', title: 'Core' },
      feature: { id: 'F001.01', title: 'Messaging' },
      status: 'completed',
      priority: 'P0',
      estimateHours: 16,
      dependsOn: [],
      agent: 'devops-engineer',
      verify: 'test -f x',
      blockers: ['FDB up'],
      tags: [],
      retryCount: 0,
      line: 13,
    });
    assert.deepEqual(doc.items.find((i: { id: string }) => i.id === 'T001.003').dependsOn, [
      { id: 'T001.001', type: 'blocks', source: 'explicit' },
      { id: 'T001.002', type: 'blocks', source: 'explicit' },
    ]);
  });

  it('survives a restart: a new service on the same db merges against the stored snapshot', async () => {
    await sync.syncFromDisk();
    complete('T001.003');
    await sync.close();
    h.close();
    h = openDatabase(path.join(dir, '.coditect', 'context.db'));
    store = new TaskStore(h);
    plan = new PlanStore(h);
    open();
    writeFileSync(file, PLAN.replace('- [ ] **T001.004**', '- [x] **T001.004**'));
    const r = await sync.syncFromDisk();
    assert.equal(r.conflicts, 0);
    assert.equal(dbStatus('T001.004'), 'completed');
    assert.match(readFileSync(file, 'utf8'), /- \[x\] \*\*T001\.003\*\*/);
  });

  it('lineEditViews lists changed lines with their expected text', () => {
    assert.deepEqual(lineEditViews('a\r\nb\nc', 'a\r\nB\nc'), [{ line: 1, text: 'B', expected: 'b' }]);
    assert.equal(lineEditViews('a\nb', 'a'), undefined);
  });

  it('rejects bad options by name', () => {
    assert.throws(() => new SyncService({ handle: h, tasklistPath: '' }), /tasklistPath must be a non-empty path/);
    assert.throws(() => new SyncService({ handle: h, tasklistPath: file, maxRetries: -2 }), /maxRetries must be a non-negative integer, got -2/);
  });
});
