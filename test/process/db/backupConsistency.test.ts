// A backup taken while another real process commits (src/engine/db/backup.ts): every copy is whole — each of the
// writer's transactions is in it entirely or not at all — and later copies follow the writes.
import { strict as assert } from 'node:assert';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { backupFile, backupPath } from '../../../src/engine/db/backup';
import { openDatabase } from '../../../src/engine/db/database';
import { makeTempDir, removeDir } from '../../unit/db/dbTestKit';

/** Starts writeDatabase.ts (beside this file) on `dbPath`; resolves once it commits, with a stop function. */
function startWriter(dbPath: string): Promise<{ stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(__dirname, 'writeDatabase.ts'), dbPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.once('data', () =>
      resolve({
        stop: async () => {
          child.kill('SIGKILL');
          await exited;
        },
      }),
    );
    child.once('exit', (code) => reject(new Error(`writer exited (${code}): ${err}`)));
  });
}

describe('a backup while another process writes', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = makeTempDir('coditect-backup-')));
  afterEach(() => removeDir(dir));

  it('every copy holds whole transactions only, and later copies hold more', async () => {
    const db = path.join(dir, 'context.db');
    openDatabase(db).close();
    const writer = await startWriter(db);
    const seen: number[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const copy = backupFile(db, backupPath(db, 'manual'));
        const c = new Database(copy, { readonly: true });
        try {
          assert.equal(c.pragma('quick_check', { simple: true }), 'ok');
          const hasProbe = c.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'probe'`).get() !== undefined;
          const { rows, pairs } = hasProbe
            ? (c.prepare('SELECT COUNT(*) AS rows, COUNT(DISTINCT n) AS pairs FROM probe').get() as { rows: number; pairs: number })
            : { rows: 0, pairs: 0 };
          assert.equal(rows, 2 * pairs, `copy ${i}: ${rows} rows for ${pairs} pairs: a transaction was torn`);
          seen.push(pairs);
        } finally {
          c.close();
        }
      }
    } finally {
      await writer.stop();
    }
    assert.ok(seen[seen.length - 1] > seen[0], `copies did not follow the writes: ${seen.join(', ')}`);
  });
});
