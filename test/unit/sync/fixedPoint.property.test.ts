// Sync is a fixed point (issue #8): for every file F, sync(sync(F)) == sync(F) byte for byte, and the database agrees
// with the file. Random files in every dialect, each synced three times on a real file and a real SQLite database:
// the second and third syncs change nothing, in the file or in the database.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { parseTaskList } from '../../../src/core/parser';
import { openDatabase } from '../../../src/engine/db/database';
import { PlanStore } from '../../../src/engine/db/planStore';
import { SyncService } from '../../../src/engine/sync/syncService';
import { DIALECTS, DIALECT_FILES } from '../core/dialectArbitraries';
import { makeTempDir, removeDir } from '../db/dbTestKit';

/** Live task ids and statuses in the database. */
function dbTasks(plan: PlanStore): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, t] of plan.loadTasks()) if (!t.archived) out.set(id, t.status);
  return out;
}

/** What the file says, as the database should hold it: the first task of each id. */
function fileTasks(text: string): Map<string, string> {
  const out = new Map<string, string>();
  // A status typed by hand as in progress is the engine's to set: sync reverts it (rule engine-starts-tasks).
  for (const t of parseTaskList(text).tasks) if (t.idExplicit && !out.has(t.id)) out.set(t.id, t.status);
  return out;
}

async function threeSyncs(text: string): Promise<void> {
  const dir = makeTempDir('coditect-fixed-');
  const file = path.join(dir, 'tasks.md');
  writeFileSync(file, text);
  const h = openDatabase(path.join(dir, '.coditect', 'context.db'));
  const sync = new SyncService({ handle: h, tasklistPath: file, now: () => Date.parse('2026-03-01T10:00:00Z') });
  const plan = new PlanStore(h);
  try {
    await sync.syncFromDisk();
    const after1 = readFileSync(file);
    const db1 = dbTasks(plan);
    assert.deepEqual(db1, fileTasks(after1.toString('utf8')), 'after the first sync the database holds what the file says');
    for (const n of [2, 3]) {
      const r = await sync.syncFromDisk({ force: true });
      assert.equal(r.applied, false, `sync ${n} applied changes: ${JSON.stringify({ ...r, diagnostics: undefined, conflictList: undefined })}`);
      assert.deepEqual(readFileSync(file), after1, `sync ${n} changed the file`);
      assert.deepEqual(dbTasks(plan), db1, `sync ${n} changed the database`);
    }
    // A fresh engine (nothing cached) on the same file and database agrees too.
    const again = new SyncService({ handle: h, tasklistPath: file });
    try {
      const r = await again.syncFromDisk({ force: true });
      assert.equal(r.applied, false, 'a fresh sync service applied changes');
      assert.deepEqual(readFileSync(file), after1);
    } finally {
      await again.close();
    }
  } finally {
    await sync.close();
    h.close();
    removeDir(dir);
  }
}

describe('sync is a fixed point: three syncs of random files in every dialect', () => {
  for (const dialect of DIALECTS) {
    it(`${dialect}: the second and third syncs change nothing, in the file or in the database`, async () => {
      await fc.assert(
        fc.asyncProperty(DIALECT_FILES[dialect], (text) => threeSyncs(text)),
        { numRuns: dialect === 'longlist' ? 3 : 15 },
      );
    });
  }
});
