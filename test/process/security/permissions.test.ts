// The engine's files are private to the user whatever the umask: the real daemon, started under umask 000.
import { strict as assert } from 'node:assert';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, removeWorkspace, runCli, tempWorkspace } from '../cli/cliHarness';
import { recordFigure } from '../faults/figures';

const PLAN = `# Plan

## E001: Core

### F001.01: Work

- [ ] **T001.001** Build the module (P0, 1h)
`;

function mode(p: string): string {
  return (statSync(p).mode & 0o777).toString(8).padStart(4, '0');
}

describe('file permissions under umask 000 (real daemon)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => ensureBuilt());
  beforeEach(() => (dir = tempWorkspace({ 'PLAN.md': PLAN })));
  afterEach(() => removeWorkspace(dir));

  it('.coditect/ and logs/ are 0700; context.db, -wal, -shm, the lock, the pid file, the log and the control socket 0600', async () => {
    const old = process.umask(0);
    let start;
    try {
      // The CLI and the daemon it starts inherit the umask; restored as soon as the child is spawned.
      const run = runCli(['daemon', 'start', 'PLAN.md', '--metrics-port', '0', '--json'], dir);
      process.umask(old);
      start = await run;
    } finally {
      process.umask(old);
    }
    assert.equal(start.code, 0, start.stderr);
    try {
      const state = join(dir, '.coditect');
      const modes = Object.fromEntries(
        ['', 'logs', 'context.db', 'context.db-wal', 'context.db-shm', 'context.db.lock', 'engine.pid', 'logs/engine.log', 'engine.sock'].map((f) => [
          f || '.coditect',
          mode(join(state, f)),
        ]),
      );
      const expected: Record<string, string> = {
        '.coditect': '0700',
        logs: '0700',
        'context.db': '0600',
        'context.db-wal': '0600',
        'context.db-shm': '0600',
        'context.db.lock': '0600',
        'engine.pid': '0600',
        'logs/engine.log': '0600',
        'engine.sock': '0600',
      };
      // Leaked: a path another user could read or write (any group/other bit), named in the note.
      const open = Object.keys(expected).filter((f) => (parseInt(modes[f], 8) & 0o077) !== 0);
      recordFigure({
        scenario: 'engine files under umask 000 (daemon): another user can read or write',
        trials: Object.keys(expected).length,
        survived: Object.keys(expected).filter((f) => modes[f] === expected[f]).length,
        lost: 0,
        duplicated: 0,
        leaked: open.length,
        note: open.length ? open.map((f) => `${f} ${modes[f]}`).join(', ') : 'files 0600, folders 0700',
      });
      assert.deepEqual(modes, expected);
    } finally {
      const stop = await runCli(['daemon', 'stop', 'PLAN.md'], dir);
      assert.equal(stop.code, 0, stop.stderr);
    }
  });
});
