// From outside, as a team following the plan would check it: `coditect sync --watch` runs with the plan's own
// orchestrator-config.json (watch_interval: 5), another program runs `UPDATE v2_tasks SET status='completed'`, and
// the markdown shows the task ticked without anyone touching the file.
import { strict as assert } from 'node:assert';
import Database from 'better-sqlite3';
import { copyFileSync, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, removeWorkspace, ROOT, startCli, tempWorkspace } from '../cli/cliHarness';

const PLAN = `# Plan

## E001: Core

### F001.01: Bus

- [ ] **T001.001** Provision the message bus (P0, 2h)
- [ ] **T001.002** Publisher service (P1, 4h)
  - Depends on: T001.001
`;

/** Resolves with the file's text once `pred` holds for it (checked now and on every change in its folder). */
function fileWhere(dir: string, name: string, pred: (text: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      const text = readFileSync(join(dir, name), 'utf8');
      if (!pred(text)) return false;
      w.close();
      resolve(text);
      return true;
    };
    const w = watch(dir, () => void check());
    check();
  });
}

describe('outside writes to context.db reach the markdown (coditect sync --watch, the plan config)', function () {
  this.timeout(180_000);
  before(ensureBuilt);

  it("another program's UPDATE of a status ticks the task in the file", async () => {
    const dir = tempWorkspace({ 'PLAN-TASKLIST.md': PLAN });
    copyFileSync(join(ROOT, 'resources/config/orchestrator-config.json'), join(dir, 'orchestrator-config.json'));
    const child = startCli(['sync', 'PLAN-TASKLIST.md', '--watch', '--config', 'orchestrator-config.json'], dir);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let stderr = '';
      await new Promise<void>((resolve, reject) => {
        child.stderr!.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes('watching ')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`sync --watch exited ${String(code)}: ${stderr}`)));
      });
      assert.doesNotMatch(stderr, /watch_interval/, 'the interval acts: no "read, but" warning');
      // The plan's sync_daemon.db_path names the database, relative to the workspace root.
      const db = new Database(join(dir, 'submodules/core/coditect-core/context.db'));
      try {
        db.prepare(`UPDATE v2_tasks SET status = 'completed' WHERE task_id = 'T001.001'`).run();
      } finally {
        db.close();
      }
      const text = await fileWhere(dir, 'PLAN-TASKLIST.md', (t) => t.includes('- [x] **T001.001**'));
      assert.equal(text, PLAN.replace('- [ ] **T001.001**', '- [x] **T001.001**'), 'only that checkbox changed');
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0, 'stopped cleanly');
      removeWorkspace(dir);
    }
  });
});
