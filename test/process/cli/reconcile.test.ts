// `coditect reconcile` with the real CLI on a real context.db: the reading mode reports markdown vs database task by
// task with checksums and writes nothing anywhere; choosing a side per task writes only that task's checkbox (the
// person's text stays byte for byte) and its row; refused while an engine runs.
import { strict as assert } from 'node:assert';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, removeWorkspace, runCli, startCli, tempWorkspace } from './cliHarness';

const PLAN = `# Plan

## E001: Core

### F001.01: Bus

- [ ] **T001.001** Provision the message bus (P0, 2h)
- [ ] **T001.002** Publisher service (P1, 4h)   
- [ ] **T001.003** Write the consumer guide (P3, 1h)
`;

const sha256 = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

interface Report {
  checksums: { markdown: string; lastSynced?: string; database: string };
  markdownChangedSinceSync: boolean;
  differences: {
    taskId: string;
    kind: string;
    line?: number;
    fields: string[];
    markdownStatus?: string;
    databaseStatus?: string;
    nextSync?: { status: string; from: string; rule: string };
    markdownChecksum?: string;
    databaseChecksum?: string;
  }[];
}

describe('coditect reconcile', function () {
  this.timeout(180_000);
  before(ensureBuilt);
  let dir: string | undefined;
  afterEach(() => {
    if (dir) removeWorkspace(dir);
    dir = undefined;
  });

  it('reports both sides with checksums without writing; --use-db / --use-markdown settle the chosen tasks only', async () => {
    dir = tempWorkspace({ 'PLAN.md': PLAN });
    const md = join(dir, 'PLAN.md');
    const db = join(dir, '.coditect/context.db');
    assert.equal((await runCli(['sync', 'PLAN.md'], dir)).code, 0);
    // The engine finished T001.001 (not yet written back); meanwhile the person ticked T001.002 and retitled T001.003.
    const raw = new Database(db);
    raw.prepare(`UPDATE v2_tasks SET status = 'completed' WHERE task_id = 'T001.001'`).run();
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    const edited = PLAN.replace('- [ ] **T001.002**', '- [x] **T001.002**').replace('Write the consumer guide', 'Write the consumer handbook');
    writeFileSync(md, edited);
    const mdStat = statSync(md).mtimeMs;
    const dbSum = sha256(db);

    const read = await runCli(['reconcile', 'PLAN.md', '--json'], dir);
    assert.equal(read.code, 0, read.stderr);
    const r = JSON.parse(read.stdout) as Report;
    assert.equal(r.markdownChangedSinceSync, true);
    assert.equal(r.checksums.markdown, createHash('sha256').update(edited).digest('hex'));
    const by = new Map(r.differences.map((d) => [d.taskId, d]));
    assert.deepEqual([...by.keys()], ['T001.001', 'T001.002', 'T001.003']);
    assert.deepEqual(by.get('T001.001')!.nextSync, { status: 'completed', from: 'database', rule: 'changed-in-database' });
    assert.equal(by.get('T001.001')!.line, 7);
    assert.deepEqual(by.get('T001.002')!.nextSync, { status: 'completed', from: 'markdown', rule: 'changed-in-markdown' });
    assert.deepEqual(by.get('T001.003')!.fields, ['title']);
    assert.match(by.get('T001.002')!.markdownChecksum!, /^[0-9a-f]{12}$/);
    assert.notEqual(by.get('T001.002')!.markdownChecksum, by.get('T001.002')!.databaseChecksum);
    const text = await runCli(['reconcile', 'PLAN.md'], dir);
    assert.match(
      text.stdout,
      /T001\.001 +line 7: status: markdown pending, database completed \(both were pending\) → the next sync keeps completed from the database/,
    );
    assert.match(text.stdout, /3 task\(s\) differ/);
    // A reading command: neither file changed, not a byte, not a timestamp.
    assert.equal(readFileSync(md, 'utf8'), edited);
    assert.equal(statSync(md).mtimeMs, mdStat);
    assert.equal(sha256(db), dbSum);

    // Refused while an engine runs for the list.
    const watcher = startCli(['sync', 'PLAN.md', '--watch'], dir);
    const exited = new Promise<number | null>((resolve) => watcher.once('exit', (c) => resolve(c)));
    try {
      await new Promise<void>((resolve, reject) => {
        let err = '';
        watcher.stderr!.on('data', (d: Buffer) => {
          err += d.toString();
          if (err.includes('watching ')) resolve();
        });
        watcher.once('exit', (c) => reject(new Error(`sync --watch exited ${String(c)}: ${err}`)));
      });
      const refused = await runCli(['reconcile', 'PLAN.md', '--use-markdown', 'T001.001'], dir);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, new RegExp(`not reconciled: database is in use by another process: .*held by pid ${watcher.pid}`));
    } finally {
      watcher.kill('SIGTERM');
      await exited;
    }
    // That engine synced meanwhile (by the merge rules): put the disagreement back, with another retitle.
    const edited2 = edited.replace('consumer handbook', 'consumer manual');
    writeFileSync(md, edited2);
    const again = new Database(db);
    again.prepare(`UPDATE v2_tasks SET status = 'completed', synced_status = 'pending' WHERE task_id = 'T001.001'`).run();
    again.prepare(`UPDATE v2_tasks SET status = 'pending', synced_status = 'pending' WHERE task_id = 'T001.002'`).run();
    again.close();

    // The person keeps the markdown's pending for T001.001 (run it again) and the database's pending for T001.002.
    const bad = await runCli(['reconcile', 'PLAN.md', '--use-db', 'T001.003'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /T001\.003: only markdown edits differ; only a status can be chosen/);
    const chose = await runCli(['reconcile', 'PLAN.md', '--use-markdown', 'T001.001', '--use-db', 'T001.002', '--json'], dir);
    assert.equal(chose.code, 0, chose.stderr + chose.stdout);
    const c = JSON.parse(chose.stdout) as { chosen: { taskId: string; status: string; settled: boolean }[]; backup: string; remaining: number };
    assert.deepEqual(
      c.chosen.map((x) => [x.taskId, x.status, x.settled]),
      [
        ['T001.002', 'pending', true],
        ['T001.001', 'pending', true],
      ],
    );
    assert.match(c.backup, /-before-reconcile\.db$/);
    assert.equal(c.remaining, 0, 'the sync also took the retitle');
    // Only T001.002's checkbox changed; the retitle, the trailing spaces, every other byte are the person's.
    assert.equal(readFileSync(md, 'utf8'), edited2.replace('- [x] **T001.002**', '- [ ] **T001.002**'));
    const rows = new Database(db, { readonly: true });
    try {
      assert.deepEqual(rows.prepare(`SELECT task_id, status, title FROM v2_tasks ORDER BY task_id`).all(), [
        { task_id: 'T001.001', status: 'pending', title: 'Provision the message bus' },
        { task_id: 'T001.002', status: 'pending', title: 'Publisher service' },
        { task_id: 'T001.003', status: 'pending', title: 'Write the consumer manual' },
      ]);
    } finally {
      rows.close();
    }
    const agree = await runCli(['reconcile', 'PLAN.md'], dir);
    assert.match(agree.stdout, /the markdown and the database agree on every task/);
  });
});
