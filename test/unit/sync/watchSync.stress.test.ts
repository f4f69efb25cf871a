import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseTaskList } from '../../../src/core/parser';
import { openDatabase, type DatabaseHandle } from '../../../src/engine/db/database';
import { TaskStore } from '../../../src/engine/db/taskStore';
import { sha256 } from '../../../src/engine/sync/atomicWrite';
import { SyncService } from '../../../src/engine/sync/syncService';
import { TaskListWatcher } from '../../../src/engine/sync/watcher';
import { deferred } from '../../fakes/agentTestKit';
import { makeTempDir, removeDir } from '../db/dbTestKit';

/** Version `i` of a plan: statuses, titles and the set of tasks all move with `i`. */
function version(i: number): string {
  const out = ['# Plan', '', '## E001: Core', '', '### F001.01: Things', ''];
  const count = 20 - (i % 5);
  for (let k = 1; k <= count; k++) {
    const id = `T001.${String(k).padStart(3, '0')}`;
    const done = (i + k) % 3 === 0 ? 'x' : ' ';
    const title = k === (i % 20) + 1 ? `Task ${k} rev ${i}` : `Task ${k}`;
    out.push(`- [${done}] **${id}** ${title} (P${k % 4}, ${k}h)`);
    if (k > 1 && (i + k) % 4 === 0) out.push(`  - Depends on: T001.${String(k - 1).padStart(3, '0')}`);
  }
  return out.join('\n') + '\n';
}

describe('watcher + sync: a burst of edits to the file', () => {
  let dir: string;
  let file: string;
  let h: DatabaseHandle;
  let sync: SyncService;
  let watcher: TaskListWatcher;

  beforeEach(() => {
    dir = makeTempDir('coditect-watchsync-');
    file = path.join(dir, 'TASKLIST.md');
    writeFileSync(file, version(0));
    h = openDatabase(path.join(dir, 'context.db'));
    sync = new SyncService({ handle: h, tasklistPath: file });
  });
  afterEach(async () => {
    await watcher?.close();
    await sync.close();
    h.close();
    removeDir(dir);
  });

  it('1,000 rapid writes end with the database equal to the final file, no error, no overlap', async () => {
    await sync.syncFromDisk();
    const errors: Error[] = [];
    let running = 0;
    let overlapped = false;
    let syncs = 0;
    watcher = new TaskListWatcher({
      path: file,
      debounceMs: 20,
      expectedChecksum: () => sync.lastFileChecksum(),
      onChange: async () => {
        if (++running > 1) overlapped = true;
        try {
          syncs++;
          await sync.syncFromDisk();
        } finally {
          running--;
        }
      },
      onError: (e) => errors.push(e),
    });
    await watcher.ready();

    const N = 1000;
    for (let i = 1; i <= N; i++) {
      await writeFile(file, version(i));
      // Let the watcher and the sync interleave with the writes now and then, as a real editor session would.
      if (i % 25 === 0) await new Promise((r) => setImmediate(r));
    }
    const finalSum = sha256(readFileSync(file));
    const done = deferred();
    const check = (): void => {
      if (sync.lastFileChecksum() === finalSum) done.resolve();
    };
    watcher.on('watch:synced', check);
    watcher.on('watch:ignored', check);
    check();
    await done.promise;
    await watcher.idle();

    assert.deepEqual(
      errors.map((e) => e.message),
      [],
    );
    assert.equal(overlapped, false);
    assert.ok(syncs < N, `bursts are coalesced (${syncs} syncs for ${N} writes)`);
    assert.equal(readFileSync(file, 'utf8'), version(N), 'the sync never rewrote the file under the writer');
    const expected = parseTaskList(version(N)).tasks;
    const live = new TaskStore(h).runtimes();
    assert.equal(live.size, expected.length);
    for (const t of expected) {
      const row = h.db.prepare(`SELECT title, status, priority, estimated_hours AS estimate_hours FROM v2_tasks WHERE task_id = ?`).get(t.id) as Record<
        string,
        unknown
      >;
      assert.deepEqual(row, { title: t.title, status: t.status, priority: t.priority, estimate_hours: t.estimateHours }, t.id);
      const deps = h.db.prepare(`SELECT dependency_task_id FROM task_dependencies WHERE task_id = ?`).pluck().all(t.id);
      assert.deepEqual(
        deps,
        t.dependsOn.map((d) => d.id),
        `${t.id} dependencies`,
      );
    }
    const archived = h.db.prepare(`SELECT COUNT(*) FROM v2_tasks WHERE archived_at IS NOT NULL`).pluck().get();
    assert.equal(archived, 20 - expected.length);
  });
});
