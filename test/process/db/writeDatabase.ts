// Child process for the backup tests: opens the database given as argv[2] for writing (the engine's way) and commits
// transactions without pause, each inserting a PAIR of rows into `probe`, until killed. A torn copy would hold half a
// pair. Run with `node --require tsx/cjs writeDatabase.ts <db>` (backupConsistency.test.ts).
import { openDatabase } from '../../../src/engine/db/database';

const handle = openDatabase(process.argv[2]);
handle.db.exec('CREATE TABLE IF NOT EXISTS probe (n INTEGER NOT NULL, side TEXT NOT NULL, pad TEXT NOT NULL)');
const insert = handle.db.prepare('INSERT INTO probe (n, side, pad) VALUES (?, ?, ?)');
const pad = 'x'.repeat(200);
let n = 0;
const pair = handle.db.transaction(() => {
  n++;
  insert.run(n, 'a', pad);
  insert.run(n, 'b', pad);
});
process.stdout.write(`writing ${process.pid}\n`);
const loop = (): void => {
  for (let i = 0; i < 20; i++) pair();
  setImmediate(loop);
};
loop();
