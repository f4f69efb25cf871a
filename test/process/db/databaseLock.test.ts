// The single-writer lock against another real process: a live holder refuses us by its pid; once it is killed, its
// stale lock is taken over. (The in-process lock cases are in test/unit/db/database.test.ts.)
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { latestSchemaVersion, openDatabase } from '../../../src/engine/db/database';
import { DatabaseLockedError } from '../../../src/engine/db/lockFile';
import { makeTempDir, removeDir } from '../../unit/db/dbTestKit';

/** A real child process that opened `dbPath` for writing and holds it until killed. */
export interface Holder {
  child: ChildProcess;
  pid: number;
  /** Kills it with SIGKILL and resolves once it has exited (and been reaped). */
  kill(): Promise<void>;
}

/** Starts holdDatabase.ts (beside this file) on `dbPath`; resolves once it reports holding the lock. */
export function startHolder(dbPath: string): Promise<Holder> {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(__dirname, 'holdDatabase.ts'), dbPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /locked (\d+)/.exec(out);
      if (m) {
        resolve({
          child,
          pid: Number(m[1]),
          kill: async () => {
            child.kill('SIGKILL');
            await exited;
          },
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`holder exited (${code}) before locking: ${err}`)));
  });
}

describe('database lock held by another process', () => {
  let dir: string;
  beforeEach(() => (dir = makeTempDir()));
  afterEach(() => removeDir(dir));

  it('a live child process holding the lock refuses us by its pid; once it is SIGKILLed the stale lock is taken over', async () => {
    const file = path.join(dir, 'context.db');
    const holder = await startHolder(file);
    try {
      assert.throws(
        () => openDatabase(file),
        (e: unknown) => e instanceof DatabaseLockedError && e.holder.pid === holder.pid && e.message.includes(`pid ${holder.pid}`),
      );
    } finally {
      await holder.kill();
    }
    const lock = JSON.parse(readFileSync(`${file}.lock`, 'utf8')) as { pid: number };
    assert.equal(lock.pid, holder.pid, 'the killed holder left its lock behind');
    const h = openDatabase(file);
    try {
      assert.equal(JSON.parse(readFileSync(`${file}.lock`, 'utf8')).pid, process.pid);
      assert.equal(h.schemaVersion, latestSchemaVersion());
    } finally {
      h.close();
    }
  });
});
