// Sync is a fixed point (issue #8): for every file F, sync(sync(F)) == sync(F) byte for byte, and the database agrees
// with the file. Random files in every dialect, each synced three times on a real file and a real SQLite database:
// the first sync changes no line (but ids written into new tasks of the CODITECT dialect), every task reaches the
// database (with or without an id), and the second and third syncs change nothing, in the file or in the database.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { TERMINAL_STATUSES } from '../../../src/core/model';
import { parseTaskList } from '../../../src/core/parser';
import { splitLines } from '../../../src/core/textLines';
import { openDatabase } from '../../../src/engine/db/database';
import { PlanStore } from '../../../src/engine/db/planStore';
import { SyncService } from '../../../src/engine/sync/syncService';
import { DIALECTS, DIALECT_FILES } from '../core/dialectArbitraries';
import { makeTempDir, removeDir } from '../db/dbTestKit';

/** Live tasks in the database, as `title | status`, sorted. */
function dbTasks(plan: PlanStore): string[] {
  const out: string[] = [];
  for (const t of plan.loadTasks().values()) if (!t.archived) out.push(`${t.fields.title} | ${t.status}`);
  return out.sort();
}

/** What the file says, as the database should hold it: every task (the first of a written id), as `title | status`, sorted. */
function fileTasks(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const t of parseTaskList(text).tasks) {
    if (t.idExplicit && seen.has(t.id)) continue;
    seen.add(t.id);
    out.push(`${t.title} | ${t.status}`);
  }
  return out.sort();
}

/**
 * The first sync changes no line — except, in the CODITECT dialect only, writing its id into a task without one that
 * is not done (the dialect's own habit).
 */
function assertFirstSyncKeepsLines(before: string, after: string): void {
  const a = splitLines(before);
  const b = splitLines(after);
  assert.deepEqual(b.ends, a.ends, 'line endings kept');
  const parsed = parseTaskList(before);
  const again = parseTaskList(after);
  for (let i = 0; i < a.lines.length; i++) {
    if (a.lines[i] === b.lines[i]) continue;
    const t = parsed.tasks.find((x) => x.line === i);
    const u = again.tasks.find((x) => x.line === i);
    const what = `line ${i + 1} changed: ${JSON.stringify(a.lines[i])} → ${JSON.stringify(b.lines[i])}`;
    assert.equal(parsed.dialect, 'coditect', what);
    assert.ok(t && u && !t.idExplicit && u.idExplicit && !TERMINAL_STATUSES.has(t.status), what);
    assert.deepEqual([u.title, u.status], [t.title, t.status], what);
  }
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
    assertFirstSyncKeepsLines(text, after1.toString('utf8'));
    const db1 = dbTasks(plan);
    assert.deepEqual(db1, fileTasks(after1.toString('utf8')), 'after the first sync the database holds every task the file has');
    const ids1 = [...plan.loadTasks().keys()].sort();
    for (const n of [2, 3]) {
      const r = await sync.syncFromDisk({ force: true });
      assert.equal(r.applied, false, `sync ${n} applied changes: ${JSON.stringify({ ...r, diagnostics: undefined, conflictList: undefined })}`);
      assert.deepEqual(readFileSync(file), after1, `sync ${n} changed the file`);
      assert.deepEqual(dbTasks(plan), db1, `sync ${n} changed the database`);
      assert.deepEqual([...plan.loadTasks().keys()].sort(), ids1, `sync ${n} changed a task's id`);
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
