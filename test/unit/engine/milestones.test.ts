// RunMilestones: the heartbeat and checkpoint rows of orchestrator_state, with an injected clock and store.
import * as assert from 'node:assert/strict';
import { emptyPlanCounts, type MetricsView } from '../../../src/protocol/views';
import type { OrchestratorSnapshot } from '../../../src/engine/ports';
import { HEARTBEAT_RETENTION_DAYS, RunMilestones, type MilestonesConfig, type RunMilestonesOptions } from '../../../src/engine/milestones';

const metrics: MetricsView = { tasksPerHour: 6, avgCompletionMs: 1000, successRate: 1, uptimeSeconds: 12.7, throughput: [] };

function kit(over: Partial<RunMilestonesOptions> = {}, config: Partial<MilestonesConfig['checkpoint']> = {}) {
  const rows: OrchestratorSnapshot[] = [];
  const pruned: [string, number][] = [];
  const said: string[] = [];
  const plan = { completed: 0 };
  const m = new RunMilestones({
    store: {
      recordSnapshot: (s) => rows.push(s),
      pruneSnapshots: (kind, before) => (pruned.push([kind, before]), 0),
    },
    now: () => Date.UTC(2026, 0, 8),
    counts: () => ({ ...emptyPlanCounts(), total: 20, completed: plan.completed, done: plan.completed, pending: 20 - plan.completed }),
    metrics: () => metrics,
    activeAgents: () => 2,
    config: () => ({ checkpoint: { enabled: true, gitTag: false, intervalTasks: 5, ...config }, healthCheckIntervalMs: 0 }),
    readOnly: false,
    gitTag: async () => undefined,
    info: (msg) => void said.push(`info ${msg}`),
    warn: (msg) => void said.push(`warn ${msg}`),
    ...over,
  });
  return { m, rows, pruned, said, plan };
}

describe('RunMilestones: heartbeat and checkpoint rows', () => {
  it('a heartbeat row carries the counts, agents, throughput and whole seconds of uptime; old heartbeats are pruned', () => {
    const k = kit();
    k.plan.completed = 3;
    k.m.heartbeat();
    assert.equal(k.rows.length, 1);
    const r = k.rows[0];
    assert.deepEqual(
      {
        kind: r.kind,
        at: r.at,
        activeAgents: r.activeAgents,
        completed: r.completedTasks,
        pending: r.pendingTasks,
        perHour: r.tasksPerHour,
        up: r.uptimeSeconds,
      },
      { kind: 'heartbeat', at: Date.UTC(2026, 0, 8), activeAgents: 2, completed: 3, pending: 17, perHour: 6, up: 12 },
    );
    assert.deepEqual(k.pruned, [['heartbeat', Date.UTC(2026, 0, 8) - HEARTBEAT_RETENTION_DAYS * 86_400_000]]);
  });

  it('a heartbeat the database refuses is a warning, not an error of the run', () => {
    const k = kit({
      store: {
        recordSnapshot: () => {
          throw new Error('SQLITE_FULL');
        },
        pruneSnapshots: () => 0,
      },
    });
    k.m.heartbeat();
    assert.deepEqual(k.said, ['warn heartbeat row not written: SQLITE_FULL']);
  });

  it('an interval checkpoint at each new multiple of completed tasks, counted from the plan as it was at open', () => {
    const k = kit();
    k.m.baseline(7); // tasks-5 was an earlier run's
    for (const completed of [7, 8, 9, 10, 10, 11, 14, 15]) {
      k.plan.completed = completed;
      k.m.taskCompleted();
    }
    assert.deepEqual(
      k.rows.map((r) => [r.kind, r.milestoneId]),
      [
        ['checkpoint', 'tasks-10'],
        ['checkpoint', 'tasks-15'],
      ],
    );
  });

  it('no interval checkpoints with interval 0 or on a read-only engine; none at all with checkpoints off', () => {
    const zero = kit({}, { intervalTasks: 0 });
    const ro = kit({ readOnly: true });
    const off = kit({}, { enabled: false });
    for (const k of [zero, ro, off]) {
      k.plan.completed = 5;
      k.m.taskCompleted();
    }
    off.m.reached({ kind: 'feature', id: 'F1', title: 'Bus' });
    assert.deepEqual([zero.rows.length, ro.rows.length, off.rows.length], [0, 0, 0]);
  });

  it('a feature checkpoint is tagged in git when asked; settled() waits for the tag, a failed tag is a warning', async () => {
    const tagged: string[] = [];
    const k = kit(
      {
        gitTag: async (id, message) => {
          tagged.push(message);
          if (id === 'E1') throw new Error('not a git repository');
          return `checkpoint/${id}`;
        },
        tagBranch: 'coditect/integration',
      },
      { gitTag: true },
    );
    k.m.reached({ kind: 'feature', id: 'F1', title: 'Bus' });
    k.m.reached({ kind: 'epic', id: 'E1', title: 'Transport' });
    await k.m.settled();
    assert.deepEqual(tagged, ['feature F1 Bus completed', 'epic E1 Transport completed']);
    assert.deepEqual(k.said, ['info checkpoint tag checkpoint/F1 on coditect/integration', 'warn checkpoint tag for E1 not created: not a git repository']);
    const facts = k.rows[0].metrics as { kind: string; id: string; at: string };
    assert.deepEqual([facts.kind, facts.id, facts.at], ['feature', 'F1', '2026-01-08T00:00:00.000Z']);
    k.m.close();
    k.m.close();
  });
});
