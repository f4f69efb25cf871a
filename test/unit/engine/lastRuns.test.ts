// LastRunCache: each task's last finished attempt as its view shows it, on a real database (TaskStore).
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTaskList } from '../../../src/core/parser';
import { openDatabase, type DatabaseHandle } from '../../../src/engine/db/database';
import { TaskStore } from '../../../src/engine/db/taskStore';
import { LAST_RUN_SUMMARY_CHARS, LastRunCache } from '../../../src/engine/lastRuns';
import { insertPlan } from './orchestratorKit';

describe('LastRunCache: the last finished attempt of each task', () => {
  let dir: string;
  let handle: DatabaseHandle;
  let store: TaskStore;
  let reads: string[];
  let cache: LastRunCache;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coditect-last-runs-'));
    handle = openDatabase(join(dir, 'context.db'));
    insertPlan(handle, parseTaskList(['# Plan', '- [ ] T1 One', '- [ ] T2 Two', '- [ ] T3 Three'].join('\n')));
    store = new TaskStore(handle);
    reads = [];
    // The real store, with the queries it is asked counted.
    cache = new LastRunCache({
      attemptedTasks: () => (reads.push('attempted'), store.attemptedTasks()),
      attempts: (id, limit) => (reads.push(id), store.attempts(id, limit)),
    });
  });
  afterEach(() => {
    handle.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function attempt(taskId: string, n: number, end?: { summary?: string; error?: string }): void {
    const id = store.recordAttemptStart({ taskId, agent: 'dry-run', attempt: n, startedAt: 1_000_000 + n * 10_000 });
    if (end) store.recordAttemptEnd(id, { outcome: end.error ? 'failed' : 'completed', endedAt: 1_000_000 + n * 10_000 + 2_500, ...end });
  }

  it('shows the newest finished attempt, its summary cut to a line of the view; a task never run asks no attempt query', () => {
    attempt('T1', 1, { error: 'boom' });
    attempt('T1', 2, { summary: 'x'.repeat(LAST_RUN_SUMMARY_CHARS + 50) });
    const v = cache.get('T1')!;
    assert.deepEqual([v.attempt, v.outcome, v.durationMs, v.agent], [2, 'completed', 2500, 'dry-run']);
    assert.ok(v.summary!.length <= LAST_RUN_SUMMARY_CHARS, `summary of ${v.summary!.length} characters`);
    assert.equal(cache.get('T2'), undefined);
    assert.equal(cache.get('T2'), undefined);
    assert.deepEqual(reads, ['attempted', 'T1'], 'one query for which tasks ran, one for T1, none for T2');
  });

  it('an attempt still running is no last run; its end is read once it finished, and only for that task', () => {
    attempt('T1', 1);
    assert.equal(cache.get('T1'), undefined);
    assert.equal(cache.get('T1'), undefined, 'kept');
    attempt('T2', 1, { summary: 'done' });
    cache.finished('T2');
    assert.equal(cache.get('T2')?.summary, 'done', 'a task that had no attempt when the cache filled is read after its first');
    assert.deepEqual(reads, ['attempted', 'T1', 'T2']);
  });

  it('clear reads everything again, the tasks that ran included', () => {
    assert.equal(cache.get('T3'), undefined);
    attempt('T3', 1, { error: 'lost' });
    assert.equal(cache.get('T3'), undefined, 'not told: the cached answer holds');
    cache.clear();
    assert.equal(cache.get('T3')?.error, 'lost');
    assert.deepEqual(reads, ['attempted', 'attempted', 'T3']);
  });
});
