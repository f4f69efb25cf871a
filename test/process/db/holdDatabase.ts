// Child process for the lock tests: opens the database given as argv[2] for writing, says so, then holds it until
// killed. Run with `node --require tsx/cjs holdDatabase.ts <db>` (startHolder in databaseLock.test.ts).
import { openDatabase } from '../../../src/engine/db/database';

const handle = openDatabase(process.argv[2]);
process.stdout.write(`locked ${process.pid} ${handle.schemaVersion}\n`);
setInterval(() => undefined, 1 << 30);
