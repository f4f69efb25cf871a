import * as assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { sha256, writeFileAtomic } from '../../../src/engine/sync/atomicWrite';
import { TaskListWatcher } from '../../../src/engine/sync/watcher';
import { deferred } from '../../fakes/agentTestKit';
import { makeTempDir, removeDir } from '../db/dbTestKit';

describe('TaskListWatcher', () => {
  let dir: string;
  let file: string;
  let watcher: TaskListWatcher | undefined;
  beforeEach(() => {
    dir = makeTempDir('coditect-watch-');
    file = path.join(dir, 'TASKLIST.md');
    writeFileSync(file, 'v0');
  });
  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
    removeDir(dir);
  });

  it('a burst of writes ends with a run that saw the final content; runs never overlap', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const sawFinal = deferred();
    const FINAL = 'v-final';
    watcher = new TaskListWatcher({
      path: file,
      debounceMs: 5,
      onChange: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs++;
        const content = readFileSync(file, 'utf8');
        await new Promise((r) => setImmediate(r)); // a sync takes a moment: more events arrive meanwhile
        active--;
        if (content === FINAL) sawFinal.resolve();
      },
    });
    await watcher.ready();
    for (let i = 1; i <= 300; i++) {
      await writeFile(file, `v${i}`);
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await writeFile(file, FINAL);
    await sawFinal.promise;
    await watcher.idle();
    assert.equal(maxActive, 1, 'two runs overlapped');
    assert.ok(runs >= 1 && runs < 301, `debounce should coalesce 301 writes, ran ${runs} times`);
  });

  it('ignores its own writes by checksum, and sees a replacement by rename', async () => {
    let runs = 0;
    let expected: string | undefined;
    const ignored = deferred();
    const ran = deferred();
    watcher = new TaskListWatcher({
      path: file,
      debounceMs: 5,
      expectedChecksum: () => expected,
      onChange: () => {
        runs++;
        ran.resolve();
      },
    });
    watcher.on('watch:ignored', () => ignored.resolve());
    await watcher.ready();
    const ours = new TextEncoder().encode('written by the engine');
    expected = sha256(ours);
    writeFileAtomic(file, ours);
    await ignored.promise;
    assert.equal(runs, 0);
    // Someone else replaces the file the way editors do: write a temp file, rename it over.
    const tmp = path.join(dir, '.tmp-save');
    writeFileSync(tmp, 'saved by an editor');
    renameSync(tmp, file);
    await ran.promise;
    assert.equal(runs, 1);
  });

  it('reports errors of the sync and keeps watching; close() is idempotent and stops runs', async () => {
    const errors: string[] = [];
    const failed = deferred();
    const recovered = deferred();
    let n = 0;
    watcher = new TaskListWatcher({
      path: file,
      debounceMs: 1,
      onChange: () => {
        n++;
        if (n === 1) throw new Error('sync failed');
        recovered.resolve();
      },
      onError: (e) => {
        errors.push(e.message);
        failed.resolve();
      },
    });
    await watcher.ready();
    writeFileSync(file, 'a');
    await failed.promise;
    writeFileSync(file, 'b');
    await recovered.promise;
    assert.deepEqual(errors, ['sync failed']);
    await Promise.all([watcher.close(), watcher.close()]);
    const before = n;
    writeFileSync(file, 'after close');
    await watcher.idle();
    assert.equal(n, before);
  });

  it('rejects bad options by name', () => {
    assert.throws(() => new TaskListWatcher({ path: file, onChange: () => 0, debounceMs: -1 }), /debounceMs must be a non-negative number of ms, got -1/);
    assert.throws(() => new TaskListWatcher({ path: '', onChange: () => 0 }), /path must be a non-empty path/);
  });
});
