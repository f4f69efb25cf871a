// Helpers for the database and sync tests: temp dirs and a tiny plan seeder.
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TaskFields } from '../../../src/core/merge';
import type { DatabaseHandle } from '../../../src/engine/db/database';
import type { TaskWrite } from '../../../src/core/syncPlan';
import { PlanStore, type SyncRecord } from '../../../src/engine/db/planStore';

/** A fresh real temp directory; remove it with `removeDir`. */
export function makeTempDir(prefix = 'coditect-db-'): string {
  return realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
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
    record: seedRecord(writes.length, 'seed.md'),
  });
}

/** The sync record of a seed that adds `tasksAdded` tasks under one new epic and feature, and changes nothing else. */
export function seedRecord(tasksAdded: number, tasklistPath: string, checksums = { mdBefore: '', mdAfter: '', db: '' }): SyncRecord {
  return {
    direction: 'md_to_db',
    source: 'disk',
    tasklistPath,
    mdChecksumBefore: checksums.mdBefore,
    mdChecksumAfter: checksums.mdAfter,
    dbChecksum: checksums.db,
    epicsChanged: 1,
    featuresChanged: 1,
    tasksAdded,
    tasksUpdated: 0,
    tasksArchived: 0,
    tasksRestored: 0,
    statusesToDb: 0,
    statusesToMd: 0,
    idsAssigned: 0,
    conflicts: [],
    durationMs: 0,
  };
}
