// The cost ledger on a real SQLite file: attempts recorded through the TaskStore (the one writer) are summed by task,
// epic, agent type, model, day and run by the report queries, and the live ledger agrees with them after each attempt.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { openDatabase, type DatabaseHandle } from '../../../src/engine/db/database';
import { TaskStore } from '../../../src/engine/db/taskStore';
import { attemptSpendOf, type AttemptSpend } from '../../../src/engine/spend/attemptSpend';
import { costReport, localDayStartIso, spendTotal } from '../../../src/engine/spend/costReport';
import { SpendLedger } from '../../../src/engine/spend/ledger';
import { makeTempDir, removeDir } from '../db/dbTestKit';

const DAY1 = new Date(2026, 10, 3, 9, 0, 0).getTime(); // local time
const DAY2 = new Date(2026, 10, 4, 0, 30, 0).getTime();

function seed(h: DatabaseHandle): void {
  h.db.exec(`INSERT INTO v2_epics (epic_id, title) VALUES ('E1', 'Core'), ('E2', 'Docs');
    INSERT INTO v2_features (feature_id, epic_id, title) VALUES ('F1', 'E1', 'Bus'), ('F2', 'E2', 'Guide');
    INSERT INTO v2_tasks (task_id, epic_id, feature_id, title) VALUES ('T1', 'E1', 'F1', 'Deploy'), ('T2', 'E1', 'F1', 'Wire'), ('T3', 'E2', 'F2', 'Write');`);
}

describe('cost ledger: sums of attempt spend', () => {
  let dir: string;
  let h: DatabaseHandle;
  let store: TaskStore;
  beforeEach(() => {
    dir = makeTempDir();
    h = openDatabase(path.join(dir, 'context.db'));
    seed(h);
    store = new TaskStore(h, { runId: 'run-a' });
  });
  afterEach(() => {
    h.close();
    removeDir(dir);
  });

  const attempt = (s: TaskStore, taskId: string, agent: string, at: number, spend: AttemptSpend): void => {
    const id = s.recordAttemptStart({ taskId, agent, attempt: 1, startedAt: at - 1000 });
    s.recordAttemptEnd(id, { outcome: 'completed', endedAt: at, ...spend });
  };

  it('groups by epic, agent type, model, day and run; estimated costs are counted apart; unpriced tokens are named', () => {
    attempt(store, 'T1', 'devops', DAY1, attemptSpendOf({ model: 'claude-opus-5', tokensIn: 1000, tokensOut: 100, costUsd: 0.5 }));
    // Codex-like: tokens only, priced from the table (gpt-5: 1.25 in, 0.125 cached, 10 out per MTok).
    attempt(store, 'T2', 'backend', DAY1, attemptSpendOf({ model: 'gpt-5', tokensIn: 200, cacheReadTokens: 50, tokensOut: 30 }));
    attempt(new TaskStore(h, { runId: 'run-b' }), 'T3', 'writer', DAY2, attemptSpendOf({ model: 'mystery-1', tokensIn: 10, tokensOut: 5 }));
    const gpt = (150 * 1.25 + 50 * 0.125 + 30 * 10) / 1e6;

    const byEpic = costReport(h.db, 'epic');
    assert.equal(byEpic.total.attempts, 3);
    assert.equal(byEpic.total.costUsd, Math.round((0.5 + gpt) * 1e6) / 1e6);
    assert.equal(byEpic.total.estimatedUsd, Math.round(gpt * 1e6) / 1e6);
    assert.equal(byEpic.total.unpriced, 1, 'mystery-1 has no price: its tokens are counted, its cost is missing, and it says so');
    assert.deepEqual(
      byEpic.rows.map((r) => [r.key, r.title, r.attempts]),
      [
        ['E1', 'Core', 2],
        ['E2', 'Docs', 1],
      ],
    );
    assert.deepEqual(
      costReport(h.db, 'model').rows.map((r) => [r.key, r.costUsd]),
      [
        ['claude-opus-5', 0.5],
        ['gpt-5', Math.round(gpt * 1e6) / 1e6],
        ['mystery-1', 0],
      ],
    );
    assert.deepEqual(
      costReport(h.db, 'day').rows.map((r) => [r.key, r.attempts]),
      [
        ['2026-11-03', 2],
        ['2026-11-04', 1],
      ],
    );
    assert.deepEqual(
      costReport(h.db, 'run')
        .rows.map((r) => r.key)
        .sort(),
      ['run-a', 'run-b'],
    );
    assert.equal(costReport(h.db, 'agent').rows[0].key, 'devops');
    assert.equal(costReport(h.db, 'task').rows[0].title, 'Deploy');
    assert.equal(spendTotal(h.db, { sinceIso: localDayStartIso(DAY2) }).attempts, 1, 'today (local) starts at local midnight');
    const cache = costReport(h.db, 'model').rows.find((r) => r.key === 'gpt-5')!;
    assert.equal(cache.cacheReadTokens, 50);
  });

  it('the live ledger loads what the database holds and adds each attempt as it ends; today starts over at local midnight', () => {
    attempt(store, 'T1', 'devops', DAY1, attemptSpendOf({ model: 'claude-opus-5', costUsd: 1.25 }));
    let now = DAY1 + 60_000;
    const ledger = new SpendLedger(h.db, () => now);
    assert.equal(ledger.taskUsd('T1'), 1.25);
    assert.equal(ledger.epicUsd('E1'), 1.25);
    assert.equal(ledger.todayUsd(), 1.25);
    assert.equal(ledger.runUsd(), 0, 'a new run has spent nothing');
    const s = attemptSpendOf({ model: 'claude-opus-5', costUsd: 0.75 });
    attempt(store, 'T2', 'devops', now, s);
    ledger.record({ taskId: 'T2', epicId: 'E1', agentType: 'devops', spend: s, at: now });
    assert.equal(ledger.epicUsd('E1'), 2);
    assert.equal(ledger.runUsd(), 0.75);
    const v = ledger.view();
    assert.equal(v.total.costUsd, 2);
    assert.deepEqual(
      v.byAgentType.map((r) => [r.key, r.costUsd, r.attempts]),
      [['devops', 2, 2]],
    );
    // The ledger and a fresh load of the database agree.
    assert.deepEqual(new SpendLedger(h.db, () => now).view().byEpic, v.byEpic);
    now = DAY2;
    assert.equal(ledger.todayUsd(), 0, 'a new day');
    assert.ok(ledger.dayEndsAt() > DAY2);
  });

  it('on a plan with several epics, sums by epic and by feature equal the attempts summed one by one, in one grouped statement each', () => {
    h.db.exec(`INSERT INTO v2_epics (epic_id, title) VALUES ('E3', 'Ops');
      INSERT INTO v2_features (feature_id, epic_id, title) VALUES ('F3', 'E1', 'Queue'), ('F4', 'E3', 'Deploy'), ('F5', 'E3', 'Alerts');
      INSERT INTO v2_tasks (task_id, epic_id, feature_id, title) VALUES ('T4', 'E1', 'F3', 'Retry'), ('T5', 'E3', 'F4', 'Helm'), ('T6', 'E3', 'F5', 'Rules'), ('T7', 'E3', 'F5', 'Pager');`);
    const featureOf: Record<string, [string, string]> = {
      T1: ['E1', 'F1'],
      T2: ['E1', 'F1'],
      T3: ['E2', 'F2'],
      T4: ['E1', 'F3'],
      T5: ['E3', 'F4'],
      T6: ['E3', 'F5'],
      T7: ['E3', 'F5'],
    };
    const ids = Object.keys(featureOf);
    const expectEpic = new Map<string, { usd: number; n: number }>();
    const expectFeature = new Map<string, { usd: number; n: number }>();
    const ledger = new SpendLedger(h.db, () => DAY1);
    // 140 attempts, several per task, costs in whole micro-dollars so the sums are exact.
    for (let k = 0; k < 140; k++) {
      const taskId = ids[(k * 5) % ids.length];
      const usd = ((k % 13) + 1) * 0.001;
      const spend = attemptSpendOf({ model: 'claude-opus-5', tokensIn: 100 + k, tokensOut: 10, costUsd: usd });
      attempt(store, taskId, 'devops', DAY1 + k, spend);
      const [epicId, featureId] = featureOf[taskId];
      ledger.record({ taskId, epicId, featureId, agentType: 'devops', spend, at: DAY1 + k });
      for (const [m, key] of [
        [expectEpic, epicId],
        [expectFeature, featureId],
      ] as const) {
        const e = m.get(key) ?? { usd: 0, n: 0 };
        m.set(key, { usd: e.usd + usd, n: e.n + 1 });
      }
    }
    const rounded = (m: Map<string, { usd: number; n: number }>) =>
      [...m].map(([k, v]) => [k, Math.round(v.usd * 1e6) / 1e6, v.n]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));

    // Count the statements a report runs: a loop over attempts or tasks would run one per row.
    let runs = 0;
    const prepare = h.db.prepare.bind(h.db);
    h.db.prepare = ((sql: string) => {
      const st = prepare(sql);
      for (const m of ['all', 'get', 'iterate', 'run'] as const) {
        const f = (st[m] as (...a: unknown[]) => unknown).bind(st);
        (st as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => {
          runs++;
          return f(...a);
        };
      }
      return st;
    }) as typeof h.db.prepare;
    try {
      for (const [by, expected] of [
        ['epic', expectEpic],
        ['feature', expectFeature],
      ] as const) {
        runs = 0;
        const report = costReport(h.db, by);
        assert.equal(runs, 3, `${by}: the total, the grouped rows and the titles`);
        assert.deepEqual(
          report.rows.map((r) => [r.key, r.costUsd, r.attempts]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
          rounded(expected),
        );
        assert.equal(report.total.attempts, 140);
        assert.ok(report.rows.every((r) => r.title !== undefined));
      }
    } finally {
      h.db.prepare = prepare;
    }
    // The live ledger (what the tree's tooltips show) agrees with the report and with a fresh load.
    for (const [f, usd] of rounded(expectFeature)) assert.equal(Math.round(ledger.featureUsd(String(f)) * 1e6) / 1e6, usd, String(f));
    for (const [e, usd] of rounded(expectEpic)) assert.equal(Math.round(ledger.epicUsd(String(e)) * 1e6) / 1e6, usd, String(e));
    const fresh = new SpendLedger(h.db, () => DAY1);
    for (const f of expectFeature.keys()) assert.equal(Math.round(fresh.featureUsd(f) * 1e6), Math.round(ledger.featureUsd(f) * 1e6), f);
  });
});
