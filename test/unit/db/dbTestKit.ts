// Helpers for the database and sync tests: temp dirs, a child process holding a database, a tiny plan seeder.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TaskFields } from '../../../src/core/merge';
import type { DatabaseHandle } from '../../../src/engine/db/database';
import { PlanStore, type TaskWrite } from '../../../src/engine/db/planStore';

/** A fresh real temp directory; remove it with `removeDir`. */
export function makeTempDir(prefix = 'coditect-db-'): string {
  return realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A real child process that opened `dbPath` for writing and holds it until killed. */
export interface Holder {
  child: ChildProcess;
  pid: number;
  /** Kills it with SIGKILL and resolves once it has exited (and been reaped). */
  kill(): Promise<void>;
}

/** Starts test/unit/db/holdDatabase.ts on `dbPath`; resolves once it reports holding the lock. */
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

/** Inserts a plan of tasks straight through PlanStore (no parser): epic E1, feature F1, the given tasks. */
export function seedTasks(handle: DatabaseHandle, tasks: { id: string; status?: TaskFields['status']; deps?: string[] }[]): void {
  const now = new Date().toISOString();
  const writes: TaskWrite[] = tasks.map((t) => ({
    id: t.id,
    fields: {
      status: t.status ?? 'pending',
      title: `Task ${t.id}`,
      blockers: [],
      dependsOn: (t.deps ?? []).map((id) => ({ id, type: 'blocks', source: 'explicit' })),
    },
    extras: { epicId: 'E1', featureId: 'F1', idExplicit: true, tags: [], parallel: false },
  }));
  new PlanStore(handle).apply({
    now,
    upsertEpics: [{ id: 'E1', title: 'Epic', idExplicit: true, position: 0, archived: false }],
    archiveEpics: [],
    upsertFeatures: [{ id: 'F1', epicId: 'E1', title: 'Feature', idExplicit: true, position: 0, archived: false }],
    archiveFeatures: [],
    insertTasks: writes,
    updateTasks: [],
    archiveTasks: [],
    record: {
      direction: 'md_to_db',
      source: 'disk',
      tasklistPath: 'seed.md',
      mdChecksumBefore: '',
      mdChecksumAfter: '',
      dbChecksum: '',
      epicsChanged: 1,
      featuresChanged: 1,
      tasksAdded: writes.length,
      tasksUpdated: 0,
      tasksArchived: 0,
      tasksRestored: 0,
      statusesToDb: 0,
      statusesToMd: 0,
      idsAssigned: 0,
      conflicts: [],
      durationMs: 0,
    },
  });
}
