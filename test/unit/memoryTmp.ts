// Loaded first by `npm run test:unit` (--require): the unit tests' temp dirs go to a memory file system when the
// machine has one (/dev/shm), unless TMPDIR is set. They open hundreds of real SQLite files, and on a disk each
// new file costs ~30 ms of fsyncs (journal, WAL set-up, checkpoint at close) that no unit test is about: a third of
// the suite's CPU time. The files stay real files (same SQLite, same locks, permissions and renames); the process
// suites keep the disk, where the fault tests (a full disk, a crash mid-write) belong.
import { accessSync, constants, statSync } from 'node:fs';

const SHM = '/dev/shm';

function usable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

if (!process.env.TMPDIR && usable(SHM)) process.env.TMPDIR = SHM;
