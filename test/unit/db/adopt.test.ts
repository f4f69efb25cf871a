// Adopting a context.db that another tool made. The shapes are inferred (the plan shows no DDL for its "already
// operational" tables): what a Python sync script (`sync-project-plan.py --init`) plausibly created — text keys named
// after the plan (`epic_id`, `feature_id`, `task_id`), `name`/`description` for titles, free-form statuses,
// CURRENT_TIMESTAMP dates — plus the plan's own init-orchestrator-schema.sql (its DDL verbatim), and a variant keyed by
// integer ids with integer priorities. Each starts with data, a table we do not know, a trigger, an index and a view.
import * as assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { describeOpen, latestSchemaVersion, openDatabase } from '../../../src/engine/db/database';
import { createLogger } from '../../../src/engine/logger';
import { enginePaths } from '../../../src/engine/paths';
import { EngineRuntime } from '../../../src/engine/runtime';
import { makeTempDir, removeDir } from './dbTestKit';

const PYTHON_SYNC_SCRIPT_SCHEMA = `
CREATE TABLE v2_epics (epic_id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT, status TEXT DEFAULT 'pending', priority TEXT,
  created_at TEXT DEFAULT CURRENT_TIMESTAMP, updated_at TEXT DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE v2_features (feature_id TEXT PRIMARY KEY, epic_id TEXT REFERENCES v2_epics(epic_id), name TEXT NOT NULL, status TEXT,
  created_at TEXT DEFAULT CURRENT_TIMESTAMP, updated_at TEXT DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE v2_tasks (task_id TEXT PRIMARY KEY, feature_id TEXT REFERENCES v2_features(feature_id), epic_id TEXT, description TEXT NOT NULL,
  status TEXT DEFAULT 'pending', priority TEXT, estimated_hours REAL, assigned_agent TEXT,
  created_at TEXT DEFAULT CURRENT_TIMESTAMP, updated_at TEXT DEFAULT CURRENT_TIMESTAMP, completed_at TEXT);
CREATE INDEX idx_v2_tasks_status ON v2_tasks(status);
CREATE TABLE v2_plan_sync (id INTEGER PRIMARY KEY AUTOINCREMENT, sync_time TEXT DEFAULT CURRENT_TIMESTAMP, source_file TEXT, checksum TEXT,
  tasks_synced INTEGER, status TEXT);
`;

const THEIR_OWN = `
-- Their report on their own column names (v2_epics.name is our title after adoption).
CREATE INDEX idx_epic_name ON v2_epics(name);
CREATE VIEW epic_report AS SELECT e.epic_id, e.name, COUNT(t.task_id) AS tasks FROM v2_epics e LEFT JOIN v2_tasks t ON t.epic_id = e.epic_id GROUP BY e.epic_id;
CREATE TABLE review_notes (note_id INTEGER PRIMARY KEY, task_id TEXT REFERENCES v2_tasks(task_id), note TEXT);
INSERT INTO review_notes VALUES (1, 'T001.001', 'looks good');
CREATE TRIGGER trg_task_touch AFTER UPDATE OF status ON v2_tasks BEGIN
  UPDATE review_notes SET note = note || ' (status changed)' WHERE task_id = NEW.task_id;
END;
CREATE VIEW open_tasks AS SELECT task_id FROM v2_tasks WHERE status = 'pending';
`;

const PLAN_MD = `# V2

## E001: Core Platform

### F001.01: Bus

- [ ] **T001.001** Deploy RabbitMQ message bus (P0, 8h)
- [ ] **T001.002** Publisher service (P1, 4h)
- [x] **T001.003** Consumer service (P1, 4h)
  - Depends on: T001.002

## E008: Identity

### F008.01: Auth

- [ ] **T008.001** Setup GCP Identity Platform (P0, 16h)
`;

const planDdl = () => readFileSync(path.join(__dirname, 'planDdl.sql'), 'utf8');

function quietLogger(lines: string[]) {
  return createLogger({
    stream: new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  });
}

describe('adopting an existing context.db', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(() => (dir = makeTempDir()));
  afterEach(() => removeDir(dir));

  function pythonScriptDb(file: string): void {
    const raw = new Database(file);
    raw.exec(PYTHON_SYNC_SCRIPT_SCHEMA + planDdl() + THEIR_OWN.replace(/INSERT INTO review_notes.*\n/, ''));
    raw.exec(`
      INSERT INTO v2_epics (epic_id, name, description, status, priority) VALUES ('E001', 'Core Platform', 'the core', 'active', 'P0');
      INSERT INTO v2_features (feature_id, epic_id, name) VALUES ('F001.01', 'E001', 'Bus');
      INSERT INTO v2_tasks (task_id, feature_id, epic_id, description, status, priority, estimated_hours, assigned_agent, created_at, updated_at)
        VALUES ('T001.001', 'F001.01', 'E001', 'Deploy RabbitMQ', 'done', 'P0', 8, 'devops-engineer', '2025-12-18 09:00:00', '2025-12-18 10:00:00');
      INSERT INTO v2_tasks (task_id, feature_id, epic_id, description, status, priority, estimated_hours)
        VALUES ('T001.002', 'F001.01', 'E001', 'Publisher', 'todo', 'p1', 4);
      INSERT INTO v2_tasks (task_id, feature_id, epic_id, description, status, priority) VALUES ('T001.003', 'F001.01', 'E001', 'Consumer', 'pending', 'P1');
      INSERT INTO v2_tasks (task_id, description, status, priority) VALUES ('T008.001', 'Identity Platform', 'in-progress', 'high');
      INSERT INTO task_dependencies (task_id, dependency_task_id) VALUES ('T001.003', 'T001.002');
      INSERT INTO v2_plan_sync (source_file, checksum, tasks_synced, status) VALUES ('V2-TASKLIST-WITH-CHECKBOXES.md', 'abc123', 4, 'success');
      INSERT INTO orchestrator_state (active_agents, pending_tasks, completed_tasks) VALUES (1, 3, 1);
      INSERT INTO agent_execution_log (task_id, agent_type, status, exit_code, stdout, execution_time_seconds)
        VALUES ('T001.001', 'devops-engineer', 'completed', 0, 'deployed', 3600.5);
      INSERT INTO review_notes VALUES (1, 'T001.001', 'looks good');
    `);
    raw.close();
  }

  it("takes over the plan's tables as a Python sync script made them: rows, their columns, their index, trigger and view kept; other tables untouched; a backup first", async () => {
    const file = path.join(dir, '.coditect', 'context.db');
    mkdirSync(path.dirname(file));
    pythonScriptDb(file);
    const before = new Database(file, { readonly: true });
    const notesSql = before.prepare(`SELECT sql FROM sqlite_master WHERE name = 'review_notes'`).pluck().get();
    before.close();

    const h = openDatabase(file);
    try {
      const db = h.db;
      assert.equal(h.schemaVersion, latestSchemaVersion());
      // The backup is the file as it was, private to the user.
      assert.ok(h.opened.backupPath && existsSync(h.opened.backupPath));
      assert.equal(statSync(h.opened.backupPath).mode & 0o777, 0o600);
      const copy = new Database(h.opened.backupPath, { readonly: true });
      assert.equal(copy.pragma('user_version', { simple: true }), 0);
      assert.equal(copy.prepare(`SELECT COUNT(*) FROM v2_tasks`).pluck().get(), 4);
      assert.match(copy.prepare(`SELECT sql FROM sqlite_master WHERE name = 'v2_tasks'`).pluck().get() as string, /assigned_agent TEXT/);
      copy.close();

      assert.deepEqual(h.opened.adopted?.rows, {
        v2_epics: 1,
        v2_features: 1,
        v2_tasks: 4,
        task_dependencies: 1,
        v2_plan_sync: 1,
        orchestrator_state: 1,
        agent_execution_log: 1,
      });
      assert.deepEqual(h.opened.adopted?.keptColumns, {
        v2_epics: ['description', 'status'],
        v2_features: ['status'],
        v2_tasks: ['assigned_agent'],
        v2_plan_sync: ['checksum', 'tasks_synced', 'status'],
      });
      const tasks = db
        .prepare(
          `SELECT task_id, epic_id, feature_id, title, description, status, synced_status, priority, estimated_hours, assigned_agent, completed_at FROM v2_tasks ORDER BY task_id`,
        )
        .all();
      assert.deepEqual(tasks, [
        {
          task_id: 'T001.001',
          epic_id: 'E001',
          feature_id: 'F001.01',
          title: 'Deploy RabbitMQ',
          description: 'Deploy RabbitMQ',
          status: 'completed',
          synced_status: 'pending',
          priority: 'P0',
          estimated_hours: 8,
          assigned_agent: 'devops-engineer',
          completed_at: '2025-12-18 10:00:00',
        },
        {
          task_id: 'T001.002',
          epic_id: 'E001',
          feature_id: 'F001.01',
          title: 'Publisher',
          description: 'Publisher',
          status: 'pending',
          synced_status: 'pending',
          priority: 'P1',
          estimated_hours: 4,
          assigned_agent: null,
          completed_at: null,
        },
        {
          task_id: 'T001.003',
          epic_id: 'E001',
          feature_id: 'F001.01',
          title: 'Consumer',
          description: 'Consumer',
          status: 'pending',
          synced_status: 'pending',
          priority: 'P1',
          estimated_hours: null,
          assigned_agent: null,
          completed_at: null,
        },
        {
          task_id: 'T008.001',
          epic_id: 'E008',
          feature_id: 'E008.00',
          title: 'Identity Platform',
          description: 'Identity Platform',
          status: 'in_progress',
          synced_status: 'pending',
          priority: 'P1',
          estimated_hours: null,
          assigned_agent: null,
          completed_at: null,
        },
      ]);
      assert.deepEqual(h.opened.adopted?.placeholders, ['E008', 'E008.00']);
      assert.deepEqual(db.prepare(`SELECT epic_id, title, description, status FROM v2_epics WHERE epic_id = 'E001'`).get(), {
        epic_id: 'E001',
        title: 'Core Platform',
        description: 'the core',
        status: 'active',
      });
      assert.deepEqual(db.prepare(`SELECT sync_id, tasklist_path, checksum, tasks_synced, status, direction FROM v2_plan_sync`).get(), {
        sync_id: 1,
        tasklist_path: 'V2-TASKLIST-WITH-CHECKBOXES.md',
        checksum: 'abc123',
        tasks_synced: 4,
        status: 'success',
        direction: null,
      });
      assert.deepEqual(db.prepare(`SELECT agent_type, status, stdout, execution_time_seconds, attempt FROM agent_execution_log`).get(), {
        agent_type: 'devops-engineer',
        status: 'completed',
        stdout: 'deployed',
        execution_time_seconds: 3600.5,
        attempt: 1,
      });
      assert.deepEqual(db.prepare(`SELECT task_id, dependency_task_id, dependency_type FROM task_dependencies`).all(), [
        { task_id: 'T001.003', dependency_task_id: 'T001.002', dependency_type: 'blocks' },
      ]);
      // Theirs: the table we do not know is byte for byte the same definition; their index, trigger and view work.
      assert.equal(db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'review_notes'`).pluck().get(), notesSql);
      assert.deepEqual(db.prepare(`SELECT * FROM review_notes`).all(), [{ note_id: 1, task_id: 'T001.001', note: 'looks good' }]);
      assert.deepEqual(indexCols(db, 'idx_v2_tasks_status'), ['status']);
      db.prepare(`UPDATE v2_tasks SET status = 'failed' WHERE task_id = 'T001.001'`).run();
      assert.equal(db.prepare(`SELECT note FROM review_notes`).pluck().get(), 'looks good (status changed)');
      assert.deepEqual(db.prepare(`SELECT task_id FROM open_tasks ORDER BY task_id`).pluck().all(), ['T001.002', 'T001.003']);
      db.prepare(`UPDATE v2_tasks SET status = 'completed' WHERE task_id = 'T001.001'`).run();
      assert.deepEqual(db.pragma('foreign_key_check'), []);
      // Their names of columns that are ours now still read (their view and index on v2_epics.name work).
      assert.deepEqual(h.opened.adopted?.aliasColumns, {
        v2_epics: { name: 'title' },
        v2_features: { name: 'title' },
        v2_plan_sync: { id: 'sync_id', sync_time: 'synced_at', source_file: 'tasklist_path' },
      });
      assert.deepEqual(db.prepare(`SELECT epic_id, name, tasks FROM epic_report`).all(), [
        { epic_id: 'E001', name: 'Core Platform', tasks: 3 },
        { epic_id: 'E008', name: 'E008', tasks: 1 }, // the placeholder for their task without an epic row
      ]);
      assert.deepEqual(indexCols(db, 'idx_epic_name'), ['name']);
      assert.deepEqual(db.prepare(`SELECT id, source_file FROM v2_plan_sync`).get(), { id: 1, source_file: 'V2-TASKLIST-WITH-CHECKBOXES.md' });
      assert.match(describeOpen(h).join('\n'), /adopted v2_epics \(1 rows; kept columns description, status; readable as before: name \(now title\)\)/);
    } finally {
      h.close();
    }
    // Opening again changes nothing and takes no second backup.
    openDatabase(file).close();
    assert.equal(readdirSync(path.join(dir, '.coditect', 'backups')).length, 1);
  });

  it('the next sync matches adopted rows to the markdown by task id: progress on either side is kept, titles and places come from the markdown', async () => {
    const file = path.join(dir, '.coditect', 'context.db');
    mkdirSync(path.dirname(file));
    pythonScriptDb(file);
    writeFileSync(path.join(dir, 'PLAN.md'), PLAN_MD);
    const lines: string[] = [];
    const rt = await EngineRuntime.open({
      paths: enginePaths(path.join(dir, 'PLAN.md')),
      watch: false,
      env: {},
      logger: quietLogger(lines),
      engineVersion: 'test',
      agentOverride: 'dry-run',
    });
    try {
      const snap = rt.snapshot();
      const status = new Map(snap.tasks.map((t) => [t.id, t.status]));
      // T001.001 completed in the database, [ ] in the markdown: the database's progress is kept.
      assert.equal(status.get('T001.001'), 'completed');
      // T001.003 ticked in the markdown, pending in the database: the markdown's progress is kept.
      assert.equal(status.get('T001.003'), 'completed');
      assert.equal(status.get('T001.002'), 'pending');
      assert.match(lines.join(''), /adopted v2_epics/);
    } finally {
      await rt.close();
    }
    const md = readFileSync(path.join(dir, 'PLAN.md'), 'utf8');
    assert.match(md, /- \[x\] \*\*T001\.001\*\* Deploy RabbitMQ message bus \(P0, 8h\)/);
    const db = new Database(file, { readonly: true });
    try {
      assert.deepEqual(db.prepare(`SELECT task_id, title, feature_id FROM v2_tasks WHERE task_id IN ('T001.001', 'T008.001') ORDER BY task_id`).all(), [
        { task_id: 'T001.001', title: 'Deploy RabbitMQ message bus', feature_id: 'F001.01' },
        { task_id: 'T008.001', title: 'Setup GCP Identity Platform', feature_id: 'F008.01' },
      ]);
      assert.equal(db.prepare(`SELECT title FROM v2_epics WHERE epic_id = 'E008'`).pluck().get(), 'Identity');
      assert.ok(db.prepare(`SELECT archived_at FROM v2_features WHERE feature_id = 'E008.00'`).pluck().get(), 'the placeholder feature is archived');
      assert.equal(
        db.prepare(`SELECT assigned_agent FROM v2_tasks WHERE task_id = 'T001.001'`).pluck().get(),
        'devops-engineer',
        'their column kept its value',
      );
    } finally {
      db.close();
    }
  });

  it('integer keys and integer priorities: the integer id is kept beside task_id, priorities become P0–P3', () => {
    const file = path.join(dir, 'context.db');
    const raw = new Database(file);
    raw.exec(`
      CREATE TABLE v2_tasks (id INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT UNIQUE NOT NULL, title TEXT, status TEXT, priority INTEGER, hours REAL);
      INSERT INTO v2_tasks (task_id, title, status, priority, hours) VALUES ('T002.001', 'Gateway', 'completed', 0, 2.5), ('T002.002', NULL, 'blocked', 3, NULL);
    `);
    raw.close();
    const h = openDatabase(file);
    try {
      assert.deepEqual(h.db.prepare(`SELECT id, task_id, title, status, priority, estimated_hours, epic_id, feature_id FROM v2_tasks ORDER BY id`).all(), [
        { id: 1, task_id: 'T002.001', title: 'Gateway', status: 'completed', priority: 'P0', estimated_hours: 2.5, epic_id: 'E002', feature_id: 'E002.00' },
        { id: 2, task_id: 'T002.002', title: 'T002.002', status: 'blocked', priority: 'P3', estimated_hours: null, epic_id: 'E002', feature_id: 'E002.00' },
      ]);
      assert.deepEqual(h.opened.adopted?.keptColumns, { v2_tasks: ['id'] });
    } finally {
      h.close();
    }
  });

  it('refuses a status it cannot place, naming table, value and count, and leaves the file byte for byte as it was', () => {
    const file = path.join(dir, 'context.db');
    const raw = new Database(file);
    raw.exec(`CREATE TABLE v2_tasks (task_id TEXT PRIMARY KEY, description TEXT, status TEXT);
      INSERT INTO v2_tasks VALUES ('T1', 'a', 'wip'), ('T2', 'b', 'wip'), ('T3', 'c', 'done');`);
    raw.close();
    const original = readFileSync(file);
    assert.throws(
      () => openDatabase(file),
      /cannot adopt v2_tasks: status 'wip' is not one of pending, .* \(2 rows\)\. Change those rows \(the database was left unchanged\)/,
    );
    assert.deepEqual(readFileSync(file), original);
    assert.equal(existsSync(`${file}.lock`), false);
  });
});

function indexCols(db: Database.Database, name: string): string[] {
  return (db.prepare(`PRAGMA index_info(${name})`).all() as { name: string }[]).map((r) => r.name);
}
