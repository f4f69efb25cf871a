// #9's "Done means", from outside, as a team following the plan would: a repository laid out as the plan's, its own
// config/orchestrator-config.json as written, a context.db that already holds the plan's v2_* tables with rows (the
// shape a Python `sync-project-plan.py --init` plausibly made, plus the plan's DDL verbatim and a table of their
// own), and the daemon started with no arguments. The database must be adopted (backup first, rows and their
// columns kept, their table untouched), the plan's get_next_task SQL must run on it unchanged, a markdown save must
// reach the database no sooner than sync_debounce (2 s) and soon after (the plan: within 5 s), and another
// program's `UPDATE v2_tasks SET status='completed'` must reach the markdown while the daemon watches (the plan: 5 s).
// Both times are printed; the bounds asserted are wider than the plan's 5 s (see below).
import { strict as assert } from 'node:assert';
import Database from 'better-sqlite3';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureBuilt, removeWorkspace, ROOT, runCli, tempWorkspace } from './cliHarness';
import { PLAN_GET_NEXT_TASK } from '../db/planQueries';

const MD = 'docs/project-management/V2-TASKLIST-WITH-CHECKBOXES.md';
const DB = 'submodules/core/coditect-core/context.db';

// Nothing here can start by itself: T001.001 is completed in their database (progress the markdown does not show
// yet), the others wait on an outside blocker. So every change below is the test's own.
const PLAN = `# V2 Task List

## E001: Core Platform

### F001.01: Communication

- [ ] **T001.001** Write platform overview (P2, 2h)
- [ ] **T001.009** Deploy RabbitMQ message bus (P0, 8h)
  - Blocked by: RabbitMQ licence approved

## E008: Identity

### F008.01: Auth

- [ ] **T008.001** Setup GCP Identity Platform (P0, 24h)
  - Blocked by: GCP project created
`;

const THEIR_SCHEMA = `
CREATE TABLE v2_epics (epic_id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT DEFAULT 'pending',
  created_at TEXT DEFAULT CURRENT_TIMESTAMP, updated_at TEXT DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE v2_features (feature_id TEXT PRIMARY KEY, epic_id TEXT, name TEXT NOT NULL, status TEXT DEFAULT 'pending',
  created_at TEXT DEFAULT CURRENT_TIMESTAMP, updated_at TEXT DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE v2_tasks (task_id TEXT PRIMARY KEY, feature_id TEXT, description TEXT NOT NULL, status TEXT DEFAULT 'pending',
  priority TEXT, estimated_hours REAL, assigned_agent TEXT, notes TEXT,
  created_at TEXT DEFAULT CURRENT_TIMESTAMP, updated_at TEXT DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE v2_plan_sync (id INTEGER PRIMARY KEY AUTOINCREMENT, sync_time TEXT DEFAULT CURRENT_TIMESTAMP, source_file TEXT,
  checksum TEXT, tasks_synced INTEGER);
CREATE TABLE session_memory (id INTEGER PRIMARY KEY, content TEXT NOT NULL);
`;

const THEIR_ROWS = `
INSERT INTO session_memory VALUES (1, 'keep me'), (2, 'me too');
INSERT INTO v2_epics (epic_id, name, status) VALUES ('E001', 'Core Platform', 'in_progress'), ('E008', 'Identity', 'pending');
INSERT INTO v2_features (feature_id, epic_id, name) VALUES ('F001.01', 'E001', 'Communication'), ('F008.01', 'E008', 'Auth');
INSERT INTO v2_tasks (task_id, feature_id, description, status, priority, estimated_hours, assigned_agent, notes) VALUES
  ('T001.001', 'F001.01', 'Write platform overview', 'completed', 'P2', 2, 'codi-documentation-writer', 'done by hand'),
  ('T001.009', 'F001.01', 'Deploy RabbitMQ message bus', 'pending', 'P0', 8, NULL, 'team note'),
  ('T008.001', 'F008.01', 'Setup GCP Identity Platform', 'pending', 'P0', 24, NULL, NULL);
INSERT INTO v2_plan_sync (source_file, checksum, tasks_synced) VALUES ('V2-TASKLIST-WITH-CHECKBOXES.md', 'abc', 3);
INSERT INTO task_dependencies (task_id, dependency_task_id) VALUES ('T008.001', 'T001.001');
`;

/** Resolves once `pred` holds, checked now, on every change in `dir` and every 100 ms (see below why). */
function when<T>(dir: string, pred: () => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const stop = (): void => {
      w.close();
      clearInterval(again);
    };
    const check = (): void => {
      try {
        const v = pred();
        if (v === undefined) return;
        stop();
        resolve(v);
      } catch (e) {
        stop();
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    };
    const w = watch(dir, check);
    // Not events alone: SQLite makes a commit visible by updating the WAL index in the mapped -shm file, which raises
    // no file event. A check run on the -wal write's event, before that update, saw no row, and nothing woke it until
    // the daemon's next write (its heartbeat, 30 s later): the 29,981 ms "syncs" of earlier runs. So: also every 100 ms.
    const again = setInterval(check, 100);
    check();
  });
}

describe("#9 from outside: the plan's config, a pre-existing context.db and a watching daemon", function () {
  this.timeout(180_000);
  let dir: string;
  before(ensureBuilt);
  beforeEach(() => {
    dir = tempWorkspace();
    mkdirSync(join(dir, '.git'));
    mkdirSync(join(dir, 'config'));
    mkdirSync(dirname(join(dir, MD)), { recursive: true });
    mkdirSync(dirname(join(dir, DB)), { recursive: true });
    // The plan's file as written (resources/config/orchestrator-config.json is it verbatim; configExample.test.ts).
    copyFileSync(join(ROOT, 'resources/config/orchestrator-config.json'), join(dir, 'config/orchestrator-config.json'));
    writeFileSync(join(dir, MD), PLAN);
    const theirs = new Database(join(dir, DB));
    theirs.exec(THEIR_SCHEMA + readFileSync(join(ROOT, 'test/unit/db/planDdl.sql'), 'utf8') + THEIR_ROWS);
    theirs.close();
  });
  afterEach(async () => {
    await runCli(['daemon', 'stop'], dir);
    removeWorkspace(dir);
  });

  /** What a slow sync leaves to diagnose it (29,981 ms was seen once, not reproduced): the syncs and the daemon's log. */
  function diagnostics(db: Database.Database): string {
    const syncs = db.prepare(`SELECT synced_at, direction, source, tasks_added, statuses_to_db, statuses_to_md FROM v2_plan_sync ORDER BY sync_id`).all();
    const log = join(dir, 'logs/orchestrator.log');
    return `syncs: ${JSON.stringify(syncs)}\ndaemon log:\n${existsSync(log) ? readFileSync(log, 'utf8').slice(-6000) : '(none)'}`;
  }

  it('adopts the database, runs the plan SQL, honours sync_debounce and sees an outside UPDATE within 5 s', async () => {
    const mdDir = dirname(join(dir, MD));
    const dbDir = dirname(join(dir, DB));
    // No arguments: config/orchestrator-config.json names the task list and the database. Only the metrics port is
    // given on the command line (the flag wins over the file's 9090, which another test may hold).
    const start = await runCli(['daemon', 'start', '--metrics-port', '0'], dir);
    assert.equal(start.code, 0, start.stderr);

    // Their progress reaches the markdown: T001.001 was completed in their database.
    await when(mdDir, () => (readFileSync(join(dir, MD), 'utf8').includes('- [x] **T001.001**') ? true : undefined));

    // A backup of their database, as it was, before the first migration.
    const backups = readdirSync(join(dbDir, 'backups')).filter((f) => f.endsWith('.db'));
    assert.equal(backups.length >= 1, true, `backups: ${backups.join(', ')}`);
    const before = new Database(join(dbDir, 'backups', backups.sort()[0]), { readonly: true });
    try {
      assert.deepEqual(before.prepare(`SELECT task_id, status, notes FROM v2_tasks ORDER BY task_id`).all(), [
        { task_id: 'T001.001', status: 'completed', notes: 'done by hand' },
        { task_id: 'T001.009', status: 'pending', notes: 'team note' },
        { task_id: 'T008.001', status: 'pending', notes: null },
      ]);
      assert.equal(before.prepare(`SELECT COUNT(*) FROM pragma_table_info('v2_tasks') WHERE name = 'title'`).pluck().get(), 0, 'not yet migrated');
    } finally {
      before.close();
    }

    const db = new Database(join(dir, DB), { readonly: true });
    try {
      // Rows and their own columns kept, matched to the markdown by task id; their table untouched.
      assert.deepEqual(db.prepare(`SELECT task_id, status, assigned_agent, notes FROM v2_tasks ORDER BY task_id`).all(), [
        { task_id: 'T001.001', status: 'completed', assigned_agent: 'codi-documentation-writer', notes: 'done by hand' },
        { task_id: 'T001.009', status: 'pending', assigned_agent: null, notes: 'team note' },
        { task_id: 'T008.001', status: 'pending', assigned_agent: null, notes: null },
      ]);
      assert.deepEqual(db.prepare(`SELECT * FROM session_memory ORDER BY id`).all(), [
        { id: 1, content: 'keep me' },
        { id: 2, content: 'me too' },
      ]);
      assert.equal(
        db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'session_memory'`).pluck().get(),
        'CREATE TABLE session_memory (id INTEGER PRIMARY KEY, content TEXT NOT NULL)',
      );
      assert.equal(db.prepare(`SELECT COUNT(*) FROM v2_plan_sync WHERE checksum = 'abc'`).pluck().get(), 1, 'their audit row kept');
      // Their column names still read (v2_epics.name is our title now).
      assert.deepEqual(db.prepare(`SELECT epic_id, name FROM v2_epics ORDER BY epic_id`).all(), [
        { epic_id: 'E001', name: 'Core Platform' },
        { epic_id: 'E008', name: 'Identity' },
      ]);

      // The plan's get_next_task, unchanged: a P0 pending task (it does not read the markdown's blockers; the
      // engine holds both, docs/schema.md).
      const next = db.prepare(PLAN_GET_NEXT_TASK).get() as { task_id: string; priority: string; description: string };
      assert.ok(['T001.009', 'T008.001'].includes(next.task_id), next.task_id);
      assert.equal(next.priority, 'P0');

      // A markdown save reaches the database after the plan's sync_debounce (2 s), within its 5 s.
      const saved = performance.now();
      appendFileSync(join(dir, MD), '- [ ] **T008.002** Configure OAuth2/OIDC (P1, 8h)\n  - Blocked by: identity vendor chosen\n');
      const row = db.prepare(`SELECT status FROM v2_tasks WHERE task_id = 'T008.002'`);
      await when(dbDir, () => (row.get() ? true : undefined));
      const toDb = performance.now() - saved;
      assert.ok(toDb >= 1950, `synced after ${Math.round(toDb)} ms, before sync_debounce (2 s) had passed`);
      // The plan's target is 5 s (2.0 s measured at load 4-13); the bound is 10 s so a starved machine does not fail it,
      // and a failure prints the syncs and the daemon's log.
      assert.ok(toDb < 10_000, `markdown → database took ${Math.round(toDb)} ms (the plan: within 5 s)\n${diagnostics(db)}`);

      // Another program completes a task in the database (updated_at untouched); the daemon ticks it in the file.
      const other = new Database(join(dir, DB));
      const updated = performance.now();
      try {
        assert.equal(other.prepare(`UPDATE v2_tasks SET status='completed' WHERE task_id='T001.009'`).run().changes, 1);
      } finally {
        other.close();
      }
      await when(mdDir, () => (readFileSync(join(dir, MD), 'utf8').includes('- [x] **T001.009**') ? true : undefined));
      const toMd = performance.now() - updated;
      assert.ok(toMd < 10_000, `database → markdown took ${Math.round(toMd)} ms (the plan: within 5 s; wider bound as above)\n${diagnostics(db)}`);
      console.log(`      markdown → database ${Math.round(toDb)} ms (sync_debounce 2 s); outside UPDATE → markdown ${Math.round(toMd)} ms`);
    } finally {
      db.close();
    }

    // The plan's work items JSON, written after the syncs.
    assert.ok(existsSync(join(dir, 'docs/project-management/v2-work-items.json')));
    assert.match(readFileSync(join(dir, 'docs/project-management/v2-work-items.json'), 'utf8'), /T008\.002/);
    const stop = await runCli(['daemon', 'stop'], dir);
    assert.equal(stop.code, 0, stop.stderr);
  });
});
