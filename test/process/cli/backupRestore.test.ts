// Backups and restore with the real CLI and daemon on a real context.db: the daemon's periodic backups (backup.*),
// `coditect backup` while the daemon writes, `coditect restore` refused while it runs and done once it stopped,
// without touching a byte of the task list.
import { strict as assert } from 'node:assert';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, removeWorkspace, runCli, tempWorkspace } from './cliHarness';

const PLAN = `# Plan

## E001: Core

### F001.01: Bus

- [ ] **T001.001** Provision the message bus (P0, 2h)
- [ ] **T001.002** Publisher service (P1, 4h) — depends on T001.001
- [ ] **T001.003** Write the consumer guide (P3, 1h)
`;

const CONFIG = {
  default_agent: 'sim',
  agents: { sim: { kind: 'dry-run', durationMs: { minMs: 50, maxMs: 100 } } },
  // 1.8 s: several periodic backups within the test; keep 2 of them.
  backup: { interval_hours: 0.0005, keep: 2 },
};

const mode = (p: string): number => statSync(p).mode & 0o777;
const sha256 = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

/** Resolves once `pred` holds, checking after each of the daemon's backups could have landed (bounded by the test timeout). */
async function until(pred: () => boolean, what: string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('coditect backup / restore with a running daemon', function () {
  this.timeout(300_000);
  before(ensureBuilt);
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) {
      await runCli(['daemon', 'stop', 'PLAN.md'], dir);
      removeWorkspace(dir);
    }
    dir = undefined;
  });

  it('the daemon backs up every interval keeping `keep`; backup works while it runs, restore waits until it stopped', async () => {
    dir = tempWorkspace({ 'PLAN.md': PLAN, 'config.json': JSON.stringify(CONFIG) });
    const db = join(dir, '.coditect/context.db');
    const backups = join(dir, '.coditect/backups');
    // The plan synced, nothing done yet: the state to come back to.
    assert.equal((await runCli(['sync', 'PLAN.md', '--config', 'config.json'], dir)).code, 0);
    const before = await runCli(['backup', 'PLAN.md', '--json'], dir);
    assert.equal(before.code, 0, before.stderr);
    const early = JSON.parse(before.stdout) as { backup: string; sha256: string; tasks: number; schemaVersion: number };
    assert.equal(early.tasks, 3);
    assert.equal(early.sha256, sha256(early.backup));
    assert.match(early.backup, /backups\/context-\d{8}T\d{9}Z-manual\.db$/);

    const start = await runCli(['daemon', 'start', 'PLAN.md', '--config', 'config.json', '--metrics-port', '0', '--json'], dir);
    assert.equal(start.code, 0, start.stderr);
    const periodic = (): string[] => (existsSync(backups) ? readdirSync(backups).filter((f) => f.endsWith('-periodic.db')) : []);
    // The first at once (none existed), then every 1.8 s; only the newest 2 stay.
    const seen = new Set<string>();
    await until(() => {
      for (const f of periodic()) seen.add(f);
      return seen.size >= 4;
    }, 'four periodic backups');
    await until(() => /- \[x\] \*\*T001\.002\*\*/.test(readFileSync(join(dir!, 'PLAN.md'), 'utf8')), 'the plan to run');

    // A copy while the daemon holds the database: read-only, consistent, the daemon's results in it.
    const live = await runCli(['backup', 'PLAN.md', '--out', 'live.db', '--json'], dir);
    assert.equal(live.code, 0, live.stderr);
    const copy = new Database(join(dir, 'live.db'), { readonly: true });
    try {
      assert.equal(copy.pragma('quick_check', { simple: true }), 'ok');
      assert.equal(copy.prepare(`SELECT COUNT(*) FROM v2_tasks WHERE status = 'completed'`).pluck().get(), 3);
    } finally {
      copy.close();
    }

    // Never replaced under a running engine.
    const dbSum = sha256(db);
    const refused = await runCli(['restore', 'PLAN.md', '--from', early.backup], dir);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /an engine runs for .*PLAN\.md: a database in use is never replaced; stop it first/);
    assert.equal(sha256(db), dbSum, 'the database is untouched');

    assert.equal((await runCli(['daemon', 'stop', 'PLAN.md'], dir)).code, 0);
    // Stopped: no backup is being written or pruned now. The newest `keep` periodic ones stay, all private.
    assert.equal(periodic().length, 2, `kept ${periodic().join(', ')}`);
    assert.equal(mode(backups), 0o700);
    for (const f of readdirSync(backups)) assert.equal(mode(join(backups, f)), 0o600, f);
    const markdown = readFileSync(join(dir, 'PLAN.md'));
    const stopped = sha256(db);
    const listed = await runCli(['restore', 'PLAN.md', '--json'], dir);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok((JSON.parse(listed.stdout) as { backups: { path: string }[] }).backups.some((b) => b.path === early.backup));
    assert.equal(sha256(db), stopped, 'listing changes nothing');

    const restored = await runCli(['restore', 'PLAN.md', '--from', early.backup, '--json'], dir);
    assert.equal(restored.code, 0, restored.stderr);
    const r = JSON.parse(restored.stdout) as { previous: string; tasks: number };
    assert.equal(r.tasks, 3);
    assert.ok(existsSync(r.previous), 'the replaced database is kept');
    assert.equal(mode(db), 0o600);
    assert.deepEqual(readFileSync(join(dir, 'PLAN.md')), markdown, 'restore never touches the task list');
    const raw = new Database(db, { readonly: true });
    try {
      assert.equal(raw.prepare(`SELECT COUNT(*) FROM v2_tasks WHERE status = 'completed'`).pluck().get(), 0, 'the backup’s state is back');
    } finally {
      raw.close();
    }
    // The next sync merges the older database with the newer markdown: the person's [x] are kept and reach the db.
    const st = await runCli(['status', 'PLAN.md', '--json'], dir);
    assert.equal(st.code, 0, st.stderr);
    assert.equal((JSON.parse(st.stdout) as { counts: { completed: number } }).counts.completed, 3);
    assert.deepEqual(readFileSync(join(dir, 'PLAN.md')), markdown);
  });
});
