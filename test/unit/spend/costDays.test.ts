// The day grouping of the cost ledger sums UTC hours (or minutes) and folds them into local days (costReport.ts
// dayRows). It must agree with SQLite's own date(completed_at, 'localtime') — the definition — in every kind of zone:
// whole-hour offsets, :30 and :45 offsets, DST with its one-hour and half-hour (Lord Howe) shifts. Attempts every
// 7 minutes across two DST changes, each zone set through TZ (which Node and SQLite both follow).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { openDatabase, type DatabaseHandle } from '../../../src/engine/db/database';
import { TaskStore } from '../../../src/engine/db/taskStore';
import { attemptSpendOf } from '../../../src/engine/spend/attemptSpend';
import { spendRows } from '../../../src/engine/spend/costReport';
import { makeTempDir, removeDir } from '../db/dbTestKit';

describe('cost ledger: spend per local day', () => {
  let dir: string;
  let h: DatabaseHandle;
  const tz = process.env.TZ;
  before(() => {
    dir = makeTempDir();
    h = openDatabase(path.join(dir, 'context.db'));
    h.db.exec(`INSERT INTO v2_epics (epic_id, title) VALUES ('E1', 'Core');
      INSERT INTO v2_features (feature_id, epic_id, title) VALUES ('F1', 'E1', 'Bus');
      INSERT INTO v2_tasks (task_id, epic_id, feature_id, title) VALUES ('T1', 'E1', 'F1', 'Deploy');`);
    const store = new TaskStore(h, { runId: 'run-a' });
    // 2026-03-27 → 2026-04-07 UTC: Europe and Lord Howe change their clocks in it; about 2,500 attempts.
    const from = Date.UTC(2026, 2, 27);
    h.db.transaction(() => {
      for (let t = from, i = 0; t < from + 11 * 86_400_000; t += 7 * 60_000, i++) {
        const id = store.recordAttemptStart({ taskId: 'T1', agent: 'devops', attempt: 1, startedAt: t - 1000 });
        store.recordAttemptEnd(id, {
          outcome: 'completed',
          endedAt: t,
          ...attemptSpendOf({ model: 'm', tokensIn: 10 + (i % 5), tokensOut: 1, costUsd: 0.001 * (1 + (i % 3)) }),
        });
      }
    })();
  });
  after(() => {
    process.env.TZ = tz;
    h.close();
    removeDir(dir);
  });

  for (const zone of ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham']) {
    it(`agrees with date(completed_at, 'localtime') in ${zone}`, () => {
      process.env.TZ = zone;
      const sqlite = h.db
        .prepare(
          `SELECT date(completed_at, 'localtime') AS key, COUNT(*) AS attempts, ROUND(SUM(cost_usd), 6) AS costUsd, SUM(tokens_in) AS tokensIn
           FROM agent_execution_log WHERE completed_at IS NOT NULL GROUP BY 1 ORDER BY 1`,
        )
        .all();
      const ours = spendRows(h.db, 'day')
        .map((r) => ({ key: r.key, attempts: r.attempts, costUsd: r.costUsd, tokensIn: r.tokensIn }))
        .sort((a, b) => (a.key < b.key ? -1 : 1));
      assert.ok(sqlite.length >= 11);
      assert.deepEqual(ours, sqlite);
    });
  }
});
