// Where the engine keeps its files for one task list: the workspace root, context.db, the control socket, the pid file
// and the logs. Every front door (extension, CLI, daemon) resolves them here so they always agree.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** Longest unix socket path we use directly (sun_path is 108 bytes on Linux, 104 on macOS). */
const MAX_SOCKET_PATH = 100;

/** Files of one engine instance. */
export interface EnginePaths {
  tasklistPath: string;
  workspaceRoot: string;
  /** `.coditect` folder at the workspace root. */
  stateDir: string;
  dbPath: string;
  pidFile: string;
  socketPath: string;
  logFile: string;
  /** Default orchestrator config files, first existing one wins when no --config is given. */
  defaultConfigPaths: string[];
}

/** The nearest ancestor of the task list's folder holding `.coditect` or `.git`; else the task list's own folder. */
export function findWorkspaceRoot(tasklistPath: string): string {
  const start = dirname(resolve(tasklistPath));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.coditect')) || existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return start;
  }
}

/** Resolves every engine path for a task list; `dbPath` overrides the default `<root>/.coditect/context.db`. */
export function enginePaths(tasklistPath: string, dbPath?: string): EnginePaths {
  const abs = resolve(tasklistPath);
  const workspaceRoot = findWorkspaceRoot(abs);
  const stateDir = join(workspaceRoot, '.coditect');
  const db = dbPath ? resolve(dbPath) : join(stateDir, 'context.db');
  let socketPath = join(dirname(db), 'engine.sock');
  if (socketPath.length > MAX_SOCKET_PATH) {
    // Deep workspaces overflow sun_path: fall back to a per-database name in the temp dir.
    const h = createHash('sha256').update(db).digest('hex').slice(0, 16);
    socketPath = join(tmpdir(), `coditect-${h}.sock`);
  }
  return {
    tasklistPath: abs,
    workspaceRoot,
    stateDir,
    dbPath: db,
    pidFile: join(dirname(db), 'engine.pid'),
    socketPath,
    logFile: join(dirname(db), 'logs', 'engine.log'),
    // The plan's own file name is read too, so a plan-style orchestrator-config.json works where people put it (the
    // plan keeps it in config/ at the repository root).
    defaultConfigPaths: [join(stateDir, 'config.json'), join(stateDir, 'orchestrator-config.json'), join(workspaceRoot, 'config', 'orchestrator-config.json')],
  };
}

/**
 * Where an in-place write of the plan keeps its crash record (sync/atomicWrite.ts, writeFileInPlace): beside the
 * database, in the folder sandboxed agents cannot see, because a restart copies the record into the plan.
 */
export function planWritePendingPath(dbPath: string): string {
  return `${dbPath}.plan-write`;
}
