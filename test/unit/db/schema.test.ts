// context.db is the plan's schema, column for column (checked against the plan's DDL, verbatim in planDdl.sql), and
// migration 002 moves a database of migration 001 to it without losing a row or a value.
import * as assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { latestSchemaVersion, loadMigrations, openDatabase, openDatabaseReadOnly } from '../../../src/engine/db/database';
import { PlanStore } from '../../../src/engine/db/planStore';
import { TaskStore } from '../../../src/engine/db/taskStore';
import { makeTempDir, removeDir } from './dbTestKit';

interface ColumnInfo {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

const columns = (db: Database.Database, table: string): ColumnInfo[] =>
  (db.prepare(`PRAGMA table_xinfo(${table})`).all() as ColumnInfo[]).map(({ name, type, notnull, dflt_value, pk }) => ({
    name,
    type,
    notnull,
    dflt_value,
    pk,
  }));
const indexColumns = (db: Database.Database, index: string): string[] =>
  (db.prepare(`PRAGMA index_info(${index})`).all() as { name: string }[]).map((r) => r.name);
/** Column lists of the table's UNIQUE constraints and primary key (as SQLite keeps them: automatic indexes). */
const uniques = (db: Database.Database, table: string): string[] =>
  (db.prepare(`PRAGMA index_list(${table})`).all() as { name: string; unique: number; origin: string }[])
    .filter((i) => i.unique === 1 && i.origin !== 'c')
    .map((i) => indexColumns(db, i.name).join(','))
    .sort();
const foreignKeys = (db: Database.Database, table: string): string[] =>
  (db.prepare(`PRAGMA foreign_key_list(${table})`).all() as { from: string; table: string; to: string }[]).map((f) => `${f.from}->${f.table}.${f.to}`).sort();

describe("context.db: the plan's schema", () => {
  let dir: string;
  beforeEach(() => (dir = makeTempDir()));
  afterEach(() => removeDir(dir));

  it("has every column of the plan's DDL with its type, NOT NULL, default and key; its UNIQUEs, CHECKs, indexes and task_id references", () => {
    const plan = new Database(':memory:');
    plan.exec('CREATE TABLE v2_tasks (task_id TEXT PRIMARY KEY)');
    plan.exec(readFileSync(path.join(__dirname, 'planDdl.sql'), 'utf8'));
    const h = openDatabase(path.join(dir, 'context.db'));
    try {
      const ours = h.db;
      for (const table of ['task_dependencies', 'orchestrator_state', 'agent_execution_log']) {
        const mine = new Map(columns(ours, table).map((c) => [c.name, c]));
        for (const c of columns(plan, table)) assert.deepEqual(mine.get(c.name), c, `${table}.${c.name}`);
        for (const u of uniques(plan, table)) assert.ok(uniques(ours, table).includes(u), `${table}: UNIQUE(${u})`);
      }
      const planIndexes = plan.prepare(`SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`).all() as { name: string }[];
      assert.equal(planIndexes.length, 6);
      for (const { name } of planIndexes) assert.deepEqual(indexColumns(ours, name), indexColumns(plan, name), `index ${name}`);
      // The plan's CHECKs hold.
      assert.throws(() => ours.prepare(`INSERT INTO orchestrator_state (active_agents) VALUES (-1)`).run(), /CHECK constraint failed/);
      assert.throws(() => ours.prepare(`INSERT INTO orchestrator_state (pending_tasks) VALUES (-1)`).run(), /CHECK constraint failed/);
      // References to v2_tasks(task_id); dependency_task_id deliberately is not one (an unknown id in the markdown is kept).
      assert.deepEqual(foreignKeys(ours, 'task_dependencies'), ['task_id->v2_tasks.task_id']);
      assert.deepEqual(foreignKeys(ours, 'agent_execution_log'), ['task_id->v2_tasks.task_id']);
      // v2_tasks is keyed by task_id; a row written with the plan's columns only gets the plan's defaults.
      assert.equal(columns(ours, 'v2_tasks').find((c) => c.pk === 1)?.name, 'task_id');
      ours.exec(`INSERT INTO v2_epics (epic_id, title) VALUES ('E001', 'Core'); INSERT INTO v2_features (feature_id, epic_id, title) VALUES ('F001.01', 'E001', 'Bus');
        INSERT INTO v2_tasks (task_id, epic_id, feature_id, title, priority) VALUES ('T001.001', 'E001', 'F001.01', 'Deploy RabbitMQ', 'P0');
        INSERT INTO task_dependencies (task_id, dependency_task_id) VALUES ('T001.001', 'T000.000');
        INSERT INTO agent_execution_log (task_id, agent_type) VALUES ('T001.001', 'devops-engineer');
        INSERT INTO orchestrator_state (active_agents) VALUES (2);`);
      const task = ours.prepare(`SELECT status, description, created_at FROM v2_tasks`).get() as Record<string, string>;
      assert.equal(task.status, 'pending');
      assert.equal(task.description, 'Deploy RabbitMQ');
      assert.match(task.created_at, /^\d{4}-\d\d-\d\dT/);
      assert.equal(ours.prepare(`SELECT dependency_type FROM task_dependencies`).pluck().get(), 'blocks');
      assert.deepEqual(ours.prepare(`SELECT status, retry_count FROM agent_execution_log`).get(), { status: 'running', retry_count: 0 });
      assert.equal(ours.prepare(`SELECT kind FROM orchestrator_state`).pluck().get(), 'snapshot');
    } finally {
      h.close();
      plan.close();
    }
  });

  it('migration 002 moves a database of migration 001, data in every table, without losing a row or a value', () => {
    const only001 = path.join(dir, 'migrations-001');
    mkdirSync(only001);
    writeFileSync(path.join(only001, '001_initial.sql'), loadMigrations()[0].sql);
    const file = path.join(dir, 'context.db');
    const v1 = openDatabase(file, { migrationsDir: only001 });
    assert.equal(v1.schemaVersion, 1);
    v1.db.exec(`
      INSERT INTO v2_epics VALUES ('E001', 'Core', 'P0', 0, 1, 0, NULL, '2025-12-18T00:00:00.000Z', '2025-12-18T00:00:01.000Z');
      INSERT INTO v2_epics VALUES ('P1', 'Setup', NULL, 1, 0, 1, '2025-12-19T00:00:00.000Z', '2025-12-18T00:00:00.000Z', '2025-12-19T00:00:00.000Z');
      INSERT INTO v2_features VALUES ('F001.01', 'E001', 'Bus', 'P1', 1, 0, NULL, '2025-12-18T00:00:00.000Z', '2025-12-18T00:00:02.000Z');
      INSERT INTO v2_features VALUES ('P1.00', 'P1', 'Setup', NULL, 0, 1, '2025-12-19T00:00:00.000Z', '2025-12-18T00:00:00.000Z', '2025-12-19T00:00:00.000Z');
      INSERT INTO v2_tasks VALUES ('T001.001', 'E001', 'F001.01', 'Deploy RabbitMQ', 'completed', 'pending', 'P0', 2.5, 'devops-engineer',
        'npm test', '["FDB cluster"]', '["US1"]', 1, 30, 0, 2, NULL, NULL, '2025-12-18T01:00:00.000Z', '2025-12-18T02:00:00.000Z',
        'bus deployed', NULL, '2025-12-18T00:00:00.000Z', '2025-12-18T02:00:00.000Z');
      INSERT INTO v2_tasks VALUES ('T001.002', 'E001', 'F001.01', 'Publisher after T001.001', 'in_progress', 'pending', NULL, NULL, NULL,
        NULL, '[]', '[]', 0, NULL, 1, 0, 'engine-1', 1766000000000, '2025-12-18T03:00:00.000Z', NULL,
        NULL, NULL, '2025-12-18T00:00:00.000Z', '2025-12-18T03:00:00.000Z');
      INSERT INTO v2_tasks (id, epic_id, feature_id, title, archived_at, created_at, updated_at)
        VALUES ('T000.001', 'P1', 'P1.00', 'Old task', '2025-12-19T00:00:00.000Z', '2025-12-18T00:00:00.000Z', '2025-12-19T00:00:00.000Z');
      INSERT INTO task_dependencies VALUES ('T001.002', 'T001.001', 'blocks', 'implicit', 0, '2025-12-18T00:00:00.000Z');
      INSERT INTO task_dependencies VALUES ('T001.002', 'T009.999', 'soft', 'explicit', 1, '2025-12-18T00:00:00.000Z');
      INSERT INTO task_dependencies VALUES ('T001.001', 'T000.001', 'blocks', 'phase', 0, '2025-12-18T00:00:00.000Z');
      INSERT INTO v2_plan_sync (synced_at, direction, source, tasklist_path, md_checksum_before, md_checksum_after, db_checksum,
        epics_changed, features_changed, tasks_added, tasks_updated, tasks_archived, tasks_restored, statuses_to_db, statuses_to_md,
        ids_assigned, conflict_count, conflicts, duration_ms)
        VALUES ('2025-12-18T00:00:00.000Z', 'both', 'editor', '/p/PLAN.md', 'aa', 'bb', 'cc', 1, 2, 3, 4, 5, 6, 7, 8, 9, 1,
        '[{"taskId":"T001.001","field":"status"}]', 42);
      INSERT INTO orchestrator_state VALUES ('checkpoint:F001.01',
        '{"kind":"feature","id":"F001.01","title":"Bus","at":"2025-12-18T02:00:00.000Z","counts":{"pending":4,"completed":3,"failed":1},"tasksPerHour":1.5,"metrics":{"uptimeSeconds":7200.7}}',
        '2025-12-18T02:00:00.500Z');
      INSERT INTO orchestrator_state VALUES ('breakers', '{"anthropic":"open"}', '2025-12-18T02:00:00.000Z');
      INSERT INTO orchestrator_state VALUES ('checkpoint:odd', 'not json', '2025-12-18T02:00:00.000Z');
      INSERT INTO agent_execution_log VALUES (1, 'T001.001', 'devops-engineer', 1, 'keyword:deploy', '2025-12-18T01:00:00.000Z', 1766019600000,
        '2025-12-18T01:30:00.000Z', 1800250, 'completed', 0, 'out', 'err', NULL, NULL, 0, 100, 200, 0.5, 'sess', 'done', 'ok');
      INSERT INTO agent_execution_log VALUES (2, 'T001.002', 'backend-development', 1, NULL, '2025-12-18T03:00:00.000Z', 1766026800000,
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL);
    `);
    // task_dependencies of 001 has no rowid: its rows are ordered by their key, before and after.
    const order = (table: string) => (table === 'task_dependencies' ? 'task_id, position' : 'rowid');
    const before = (table: string) => v1.db.prepare(`SELECT * FROM ${table} ORDER BY ${order(table)}`).all() as Record<string, unknown>[];
    const old = Object.fromEntries(
      ['v2_epics', 'v2_features', 'v2_tasks', 'task_dependencies', 'v2_plan_sync', 'agent_execution_log'].map((t) => [t, before(t)]),
    ) as Record<string, Record<string, unknown>[]>;
    v1.close();
    // Read-only cannot migrate: refused with the way out, and the file is not touched.
    assert.throws(() => openDatabaseReadOnly(file), /schema version 1 is older than this build's \(\d+\); open it for writing once \(coditect sync\)/);

    const h = openDatabase(file);
    try {
      assert.equal(h.schemaVersion, latestSchemaVersion());
      // A copy of the version-1 file was taken before migrating it.
      const copy = new Database(h.opened.backupPath!, { readonly: true });
      assert.equal(copy.pragma('user_version', { simple: true }), 1);
      assert.equal(copy.prepare('SELECT COUNT(*) FROM agent_execution_log').pluck().get(), 2);
      copy.close();
      const db = h.db;
      const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all();
      assert.deepEqual(tables, [
        'agent_execution_log',
        'engine_state',
        'gate_decisions',
        'orchestrator_state',
        'task_dependencies',
        'v2_epics',
        'v2_features',
        'v2_plan_sync',
        'v2_tasks',
      ]);
      // Every old column's value is found under its new name (renames listed; every other column kept its name).
      const renamed: Record<string, Record<string, string>> = {
        v2_epics: { id: 'epic_id' },
        v2_features: { id: 'feature_id' },
        v2_tasks: { id: 'task_id', estimate_hours: 'estimated_hours' },
        task_dependencies: { depends_on_id: 'dependency_task_id' },
        v2_plan_sync: { id: 'sync_id' },
        agent_execution_log: { id: 'log_id', agent: 'agent_type', ended_at: 'completed_at', outcome: 'status', duration_ms: 'execution_time_seconds' },
      };
      const converted: Record<string, (v: unknown) => unknown> = {
        'task_dependencies.dependency_type': (v) => (v === 'soft' ? 'soft_dependency' : v),
        'agent_execution_log.outcome': (v) => v ?? 'running',
        'agent_execution_log.duration_ms': (v) => (v === null ? null : (v as number) / 1000),
      };
      for (const [table, rows] of Object.entries(old)) {
        const now = db.prepare(`SELECT * FROM ${table} ORDER BY ${order(table)}`).all() as Record<string, unknown>[];
        assert.equal(now.length, rows.length, `${table}: row count`);
        rows.forEach((row, i) => {
          for (const [col, value] of Object.entries(row)) {
            const to = renamed[table]?.[col] ?? col;
            const convert = converted[`${table}.${col}`];
            const expect = convert ? convert(value) : value;
            assert.deepEqual(now[i][to], expect, `${table}[${i}].${col} → ${to}`);
          }
        });
      }
      // orchestrator_state: the checkpoint became a snapshot row (its JSON whole in metrics_json), the rest moved to engine_state.
      assert.deepEqual(db.prepare(`SELECT * FROM orchestrator_state`).all(), [
        {
          state_id: 1,
          timestamp: '2025-12-18T02:00:00.000Z',
          active_agents: 0,
          pending_tasks: 4,
          completed_tasks: 3,
          failed_tasks: 1,
          tasks_per_hour: 1.5,
          uptime_seconds: 7200,
          metrics_json:
            '{"kind":"feature","id":"F001.01","title":"Bus","at":"2025-12-18T02:00:00.000Z","counts":{"pending":4,"completed":3,"failed":1},"tasksPerHour":1.5,"metrics":{"uptimeSeconds":7200.7}}',
          kind: 'checkpoint',
          milestone_id: 'F001.01',
        },
      ]);
      assert.deepEqual(db.prepare(`SELECT key, value, updated_at FROM engine_state ORDER BY key`).all(), [
        { key: 'breakers', value: '{"anthropic":"open"}', updated_at: '2025-12-18T02:00:00.000Z' },
        { key: 'checkpoint:odd', value: 'not json', updated_at: '2025-12-18T02:00:00.000Z' },
      ]);
      assert.deepEqual(db.pragma('foreign_key_check'), []);
      assert.equal(db.pragma('foreign_keys', { simple: true }), 1);

      // The stores read the migrated rows as they read their own.
      const store = new TaskStore(h);
      assert.deepEqual(store.getState('breakers'), { anthropic: 'open' });
      const [done] = store.attempts('T001.001');
      assert.equal(done.durationMs, 1_800_250);
      assert.equal(done.outcome, 'completed');
      assert.equal(store.attempts('T001.002')[0].outcome, 'running');
      assert.deepEqual(store.recoverLeases('engine-2', 1766026800000 + 5000), ['T001.002']);
      assert.deepEqual(db.prepare(`SELECT status, execution_time_seconds FROM agent_execution_log WHERE log_id = 2`).get(), {
        status: 'released',
        execution_time_seconds: 5,
      });
      const t2 = new PlanStore(h).loadTasks().get('T001.002')!;
      assert.deepEqual(t2.fields.dependsOn, [
        { id: 'T001.001', type: 'blocks', source: 'implicit' },
        { id: 'T009.999', type: 'soft', source: 'explicit' },
      ]);
    } finally {
      h.close();
    }
  });
});
