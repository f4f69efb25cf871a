// Real faults for the fault tests: a second process that holds context.db's write lock (BEGIN IMMEDIATE), a FIFO an
// agent blocks on until the test lets it finish, and a line reader of a child's output that resolves on a pattern.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, watch } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { ROOT } from '../cli/cliHarness';

/** A process holding the database's write lock. */
export interface LockHolder {
  pid: number;
  /** Resolves once it holds the lock. */
  locked: Promise<void>;
  /** Resolves with the time it released the lock (its hold ended, or release() was called). */
  released: Promise<Date>;
  /** Ends the hold now: the transaction is rolled back and the process exits. */
  release(): void;
  kill(signal?: NodeJS.Signals): void;
}

const HOLDER = `
const Database = require(${JSON.stringify(join(ROOT, 'node_modules/better-sqlite3'))});
const db = new Database(process.argv[1]);
db.pragma('busy_timeout = 60000');
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\\n');
const end = () => { db.exec('ROLLBACK'); db.close(); process.stdout.write('released ' + new Date().toISOString() + '\\n'); process.exit(0); };
const ms = Number(process.argv[2]);
if (ms > 0) setTimeout(end, ms);
process.stdin.on('data', end);
process.stdin.on('end', end);
`;

/** Starts a process that takes `dbPath`'s write lock and holds it for `holdMs` (0: until release()). */
export function holdWriteLock(dbPath: string, holdMs: number): LockHolder {
  const child = spawn(process.execPath, ['-e', HOLDER, dbPath, String(holdMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const locked = waitForLine(child, 'stdout', /^locked$/).then(() => undefined);
  const released = waitForLine(child, 'stdout', /^released (\S+)/).then((m) => new Date(m[1]));
  return {
    pid: child.pid!,
    locked,
    released,
    release: () => {
      if (child.exitCode === null) child.stdin!.write('x');
    },
    kill: (signal) => void child.kill(signal),
  };
}

/** Resolves with the first line of `stream` matching `re` (rejects when the child exits first). */
export function waitForLine(child: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = re.exec(line);
        if (m) {
          child[stream]!.off('data', onData);
          child.off('exit', onExit);
          resolve(m);
          return;
        }
      }
    };
    const onExit = (): void => reject(new Error(`process ${child.pid} exited before printing a line matching ${re}`));
    child[stream]!.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Makes a FIFO an agent of the test blocks on (`read x < file`) until open() + write. */
export function makeFifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path}: ${r.stderr.toString()}`);
}

/** Lets the agent blocked on the FIFO go on; resolves once it read it (a child writes, so this process never blocks). */
export function releaseFifo(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = spawn('sh', ['-c', 'echo go > "$1"', 'sh', path], { stdio: 'ignore' });
    w.on('error', reject);
    w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writing ${path} exited ${code}`))));
  });
}

/** Rows of a query against the workspace's database, read-only. */
export function dbRows<T>(dbPath: string, sql: string): T[] {
  const conn = new Database(dbPath, { readonly: true });
  try {
    return conn.prepare(sql).all() as T[];
  } finally {
    conn.close();
  }
}

/**
 * A command agent that blocks on `gate-<task id>.fifo` when the test made one (so the test decides when its attempt
 * ends), and otherwise finishes at once.
 */
export const GATED_AGENT = {
  kind: 'command',
  executable: 'sh',
  args: ['-c', 'f="gate-$1.fifo"; if [ -p "$f" ]; then read x < "$f"; fi; echo "done $1"', 'sh', '{id}'],
  stdin: 'none',
};

/**
 * Makes `dir` refuse new entries (so no file in it can be created or replaced) and returns the undo. A real
 * filesystem fault for this user: chmod 0555 does it for an ordinary user; root ignores modes, so for root the
 * directory is made immutable (chattr +i, which root cannot bypass). Throws when neither takes (the test fails, it is
 * never skipped).
 */
export function makeUnwritable(dir: string): () => void {
  const root = process.getuid?.() === 0;
  const [cmd, on, off] = root ? ['chattr', ['+i', dir], ['-i', dir]] : ['chmod', ['0555', dir], ['0755', dir]];
  const r = spawnSync(cmd, on, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${on.join(' ')}: ${r.stderr || r.error?.message}`);
  return () => {
    const u = spawnSync(cmd, off, { encoding: 'utf8' });
    if (u.status !== 0) throw new Error(`${cmd} ${off.join(' ')}: ${u.stderr || u.error?.message}`);
  };
}

/** Resolves once `file` exists (it is created by an atomic rename, so it is complete when it appears). */
export function fileAppears(file: string): Promise<void> {
  return new Promise((resolve) => {
    const w = watch(dirname(file), () => {
      if (existsSync(file)) {
        w.close();
        resolve();
      }
    });
    if (existsSync(file)) {
      w.close();
      resolve();
    }
  });
}

/** Two tasks, the second waiting for the first: a dependent must start only once its dependency's result landed. */
export const CHAIN_PLAN = `# Plan

## E001: Core

### F001.01: Work

- [ ] **T001.001** Build the module (P0, 1h)
- [ ] **T001.002** Check the module (P1, 1h)
  - Depends on: T001.001
`;

/** Two independent P0 tasks. */
export const PAIR_PLAN = `# Plan

## E001: Core

### F001.01: Work

- [ ] **T001.001** Build the module (P0, 1h)
- [ ] **T001.002** Build the other module (P0, 1h)
`;

/** Every task runs the gated agent (released through a fifo), unsandboxed so the test can reach the agent's files. */
export const GATED_CONFIG = JSON.stringify({ default_agent: 'gated', agents: { gated: GATED_AGENT }, sandbox: { mode: 'off' } });
