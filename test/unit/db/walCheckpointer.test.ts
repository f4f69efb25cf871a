// The WAL checkpointer on its own thread (src/engine/db/walCheckpointer.ts), against a real context.db and a real
// worker thread: the WAL stays bounded while the writer's own auto-checkpoint is off, and the writer gets it back
// whenever the thread is gone.
import * as assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { openDatabase, type DatabaseHandle } from '../../../src/engine/db/database';
import { WalCheckpointer, type CheckpointResult } from '../../../src/engine/db/walCheckpointer';
import { makeTempDir, removeDir } from './dbTestKit';

describe('WalCheckpointer', () => {
  let dir: string;
  let handle: DatabaseHandle;
  beforeEach(() => {
    dir = makeTempDir();
    handle = openDatabase(path.join(dir, 'context.db'));
    handle.db.exec('CREATE TABLE scratch (b BLOB)');
  });
  afterEach(() => {
    handle.close();
    removeDir(dir);
  });

  /** A checkpointer whose `next()` resolves with the checkpoint after the call. */
  function started(opts: { intervalMs?: number; driver?: string } = {}) {
    const warnings: string[] = [];
    let waiter: ((r: CheckpointResult) => void) | undefined;
    let warned: (() => void) | undefined;
    const c = WalCheckpointer.start({
      db: handle.db,
      path: handle.path,
      intervalMs: opts.intervalMs ?? 5,
      driver: opts.driver,
      warn: (m) => (warnings.push(m), warned?.()),
      onCheckpoint: (r) => waiter?.(r),
    });
    const next = () => new Promise<CheckpointResult>((resolve) => (waiter = resolve));
    const nextWarning = () => new Promise<void>((resolve) => (warned = resolve));
    return { c, warnings, next, nextWarning };
  }

  const autoCheckpoint = (): number => handle.db.pragma('wal_autocheckpoint', { simple: true }) as number;
  const walBytes = (): number => statSync(`${handle.path}-wal`).size;

  it('keeps the WAL as large as what is written between two checkpoints, the writer checkpointing nothing itself', async () => {
    const { c, next, warnings } = started();
    await next();
    assert.equal(autoCheckpoint(), 0, "the writer's own auto-checkpoint is off while the thread runs");
    const insert = handle.db.prepare('INSERT INTO scratch VALUES (randomblob(3000))');
    const sizes: number[] = [];
    for (let round = 0; round < 5; round++) {
      // 600 commits of about a page each: past SQLite's 1,000-page auto-checkpoint over the rounds.
      for (let i = 0; i < 600; i++) insert.run();
      // Until a checkpoint has copied every frame: the next commit starts the WAL again from its beginning.
      for (let r = await next(); r.busy || r.checkpointedFrames < r.logFrames; r = await next());
      sizes.push(walBytes());
    }
    await c.close();
    assert.deepEqual(warnings, []);
    // Without the thread (auto-checkpoint off and nothing else) the WAL would hold all 3,000 commits: 5× the first round.
    assert.ok(Math.max(...sizes) <= sizes[0] * 1.2, `WAL bytes after each round: ${sizes.join(', ')}`);
    assert.equal(handle.db.prepare('SELECT COUNT(*) FROM scratch').pluck().get(), 3000);
    assert.equal(autoCheckpoint(), 1000, 'close() gives the writer its auto-checkpoint back');
    handle.close();
    assert.equal(existsSync(`${handle.path}-wal`), false, "the writer's close checkpoints and removes the WAL, as before");
  });

  it('gives the writer its auto-checkpoint back when the thread dies, and says so', async () => {
    const { c, next, nextWarning, warnings } = started();
    await next();
    assert.equal(autoCheckpoint(), 0);
    const warning = nextWarning();
    // The thread ends as a crash would end it (the class never ends it itself but in close()).
    await (c as unknown as { thread: Worker }).thread.terminate();
    await warning;
    assert.equal(autoCheckpoint(), 1000);
    assert.match(warnings[0], /database checkpoints on their own thread stopped \(its thread exited \(code 1\)\)/);
    await c.close();
  });

  it('a thread that cannot load the driver leaves the writer checkpointing by itself, and says so', async () => {
    const { c, nextWarning, warnings } = started({ driver: path.join(dir, 'no-such-driver') });
    await nextWarning();
    assert.equal(autoCheckpoint(), 1000);
    assert.match(warnings[0], /database checkpoints on their own thread stopped \(.*no-such-driver/);
    await c.close();
    await c.close();
  });

  it('refuses an interval that is not a positive integer, naming it', () => {
    assert.throws(
      () => WalCheckpointer.start({ db: handle.db, path: handle.path, intervalMs: 0, warn: () => undefined }),
      /intervalMs must be a positive integer, got 0/,
    );
  });
});
