// The plan's config keys doing what the plan says in a running engine (in-process, real file and database):
// health_check_interval → heartbeat rows in orchestrator_state, sync_daemon.json_path → the work items after every
// applied sync, and the plan's deployment variables for the CLI.
import { strict as assert } from 'node:assert';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { deploymentEnv } from '../../../src/engine/cli/cli';
import { createLogger } from '../../../src/engine/logger';
import { enginePaths } from '../../../src/engine/paths';
import { EngineRuntime } from '../../../src/engine/runtime';
import { HEARTBEAT_RETENTION_DAYS } from '../../../src/engine/milestones';

const PLAN = `# Plan

## E001: Core

### F001.01: Bus

- [ ] **T001.001** Provision the message bus (P0, 2h)
- [ ] **T001.002** Publisher service (P1, 4h)
  - Depends on: T001.001
`;

/** A fixed clock, far from the real one. */
const CLOCK = Date.parse('2031-05-06T07:08:09.000Z');

describe("the plan's config keys in a running engine", function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coditect-planconfig-'));
    writeFileSync(join(dir, 'TASKLIST.md'), PLAN);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a heartbeat row at start and sync_daemon.json_path after every applied sync', async () => {
    const config = join(dir, 'orchestrator-config.json');
    writeFileSync(
      config,
      JSON.stringify({ orchestrator: { health_check_interval: 3600 }, sync_daemon: { json_path: 'out/v2-work-items.json', watch_interval: 5 } }),
    );
    const lines: string[] = [];
    const rt = await EngineRuntime.open({
      paths: enginePaths(join(dir, 'TASKLIST.md')),
      configPath: config,
      watch: false,
      env: {},
      logger: createLogger({ stream: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) }),
      engineVersion: 'test',
      agentOverride: 'dry-run',
      // The runtime's clock, injected: the heartbeat row and the work items carry its time.
      now: () => CLOCK,
    });
    const json = join(dir, 'out', 'v2-work-items.json');
    try {
      assert.ok(existsSync(json), 'the first sync wrote the work items');
      assert.match(readFileSync(json, 'utf8'), /T001\.001/);
      assert.equal((JSON.parse(readFileSync(json, 'utf8')) as { generatedAt: string }).generatedAt, new Date(CLOCK).toISOString());
      writeFileSync(join(dir, 'TASKLIST.md'), PLAN.replace('- [ ] **T001.001**', '- [x] **T001.001**'));
      const r = await rt.syncNow();
      assert.equal(r.applied, true);
      assert.match(readFileSync(json, 'utf8'), /"completed"/, 'rewritten after the sync that ticked T001.001');
      assert.ok(!lines.some((l) => l.includes('sync_daemon.watch_interval')), 'watch_interval acts (the database is polled): no warning');
    } finally {
      await rt.close();
    }
    const db = new Database(join(dir, '.coditect', 'context.db'), { readonly: true });
    try {
      const beat = db
        .prepare(`SELECT kind, timestamp, active_agents, pending_tasks, completed_tasks, uptime_seconds, metrics_json FROM orchestrator_state`)
        .all() as {
        kind: string;
        timestamp: string;
        pending_tasks: number;
        metrics_json: string;
      }[];
      assert.equal(beat.length, 1, 'one heartbeat at start; the next is an hour away');
      assert.equal(beat[0].kind, 'heartbeat');
      assert.equal(Date.parse(beat[0].timestamp), CLOCK, "the heartbeat's time is the injected clock's");
      assert.equal(beat[0].pending_tasks, 2);
      assert.equal((JSON.parse(beat[0].metrics_json) as { counts: { total: number } }).counts.total, 2);
    } finally {
      db.close();
    }
  });

  it('writes sync_daemon.json_path when it is missing even if the database was already in sync', async () => {
    const config = join(dir, 'orchestrator-config.json');
    writeFileSync(config, JSON.stringify({ sync_daemon: { json_path: 'out/v2-work-items.json' } }));
    const open = () =>
      EngineRuntime.open({
        paths: enginePaths(join(dir, 'TASKLIST.md')),
        configPath: config,
        watch: false,
        env: {},
        logger: createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) }),
        engineVersion: 'test',
        agentOverride: 'dry-run',
      });
    const json = join(dir, 'out', 'v2-work-items.json');
    await (await open()).close();
    assert.ok(existsSync(json));
    rmSync(json);
    const rt = await open();
    try {
      assert.equal(rt.openSync?.applied, false, 'nothing to sync the second time');
      assert.ok(existsSync(json), 'the missing work items were written anyway');
      assert.match(readFileSync(json, 'utf8'), /T001\.002/);
    } finally {
      await rt.close();
    }
  });

  it('prunes heartbeat rows older than HEARTBEAT_RETENTION_DAYS (either timestamp format); other rows stay', async () => {
    const open = () =>
      EngineRuntime.open({
        paths: enginePaths(join(dir, 'TASKLIST.md')),
        watch: false,
        env: {},
        logger: createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) }),
        engineVersion: 'test',
        agentOverride: 'dry-run',
      });
    await (await open()).close();
    const file = join(dir, '.coditect', 'context.db');
    const old = new Date(Date.now() - (HEARTBEAT_RETENTION_DAYS + 1) * 86_400_000);
    const recent = new Date(Date.now() - (HEARTBEAT_RETENTION_DAYS - 1) * 86_400_000);
    const sqliteStamp = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' '); // the plan's datetime('now') form
    const db = new Database(file);
    try {
      const ins = db.prepare(`INSERT INTO orchestrator_state (timestamp, kind, milestone_id) VALUES (?, ?, ?)`);
      ins.run(old.toISOString(), 'heartbeat', null);
      ins.run(sqliteStamp(old), 'heartbeat', null);
      ins.run(recent.toISOString(), 'heartbeat', null);
      ins.run(old.toISOString(), 'checkpoint', 'F001.01');
    } finally {
      db.close();
    }
    await (await open()).close();
    const after = new Database(file, { readonly: true });
    try {
      const rows = after.prepare(`SELECT kind, timestamp FROM orchestrator_state ORDER BY state_id`).all() as { kind: string; timestamp: string }[];
      const beats = rows.filter((r) => r.kind === 'heartbeat');
      assert.equal(beats.filter((r) => r.timestamp.startsWith(old.toISOString().slice(0, 10))).length, 0, 'both old heartbeats pruned');
      assert.ok(
        beats.some((r) => r.timestamp === recent.toISOString()),
        'a heartbeat within the retention stays',
      );
      assert.ok(
        rows.some((r) => r.kind === 'checkpoint'),
        'checkpoints are kept for good',
      );
    } finally {
      after.close();
    }
  });

  it("reads the plan's DB_PATH and PROMETHEUS_PORT; a flag wins; a bad port is named", () => {
    assert.deepEqual(deploymentEnv({}, { DB_PATH: '/data/context.db', PROMETHEUS_PORT: '9090' }), { db: '/data/context.db', metricsPort: 9090 });
    assert.deepEqual(deploymentEnv({ db: 'x.db', metricsPort: 1 }, { DB_PATH: '/data/context.db', PROMETHEUS_PORT: '9090' }), { db: 'x.db', metricsPort: 1 });
    assert.deepEqual(deploymentEnv({}, {}), { db: undefined, metricsPort: undefined });
    assert.throws(() => deploymentEnv({}, { PROMETHEUS_PORT: 'ninety' }), /PROMETHEUS_PORT must be a port number 0\.\.65535, got "ninety"/);
  });
});
