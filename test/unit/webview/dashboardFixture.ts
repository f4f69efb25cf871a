// A small, realistic plan snapshot for the dashboard tests (unit and browser): two epics, eight tasks in every
// interesting state, one agent running, a little activity and a throughput series.
import type { TaskStatus } from '../../../src/core/model';
import { countsAsDone, progressOf } from '../../../src/core/progress';
import type { ReviewView } from '../../../src/protocol/engineProtocol';
import { emptySpendTotal, type SpendTotal } from '../../../src/protocol/spend';
import { emptyPlanCounts, type GroupProgressView, type PlanCounts, type PlanSnapshot, type TaskView } from '../../../src/protocol/views';

export const T0 = Date.parse('2025-03-01T09:00:00.000Z');
export const iso = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

/** A task branch waiting for review (what coditect/reviewList answers), one file changed; `over` wins. */
export function reviewView(taskId: string, over: Partial<ReviewView> = {}): ReviewView {
  return {
    taskId,
    title: `Task ${taskId}`,
    state: 'awaiting_review',
    reason: 'awaiting review (1 file, +2 −0)',
    repository: '/repo',
    baseBranch: 'main',
    branch: `coditect/${taskId}-x`,
    base: 'a'.repeat(40),
    head: 'b'.repeat(40),
    changes: [{ path: 'a.txt', added: 2, deleted: 0 }],
    stat: { files: 1, added: 2, deleted: 0, text: '1 file, +2 −0' },
    since: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

/** A task view with sensible defaults; `over` wins. */
export function task(id: string, over: Partial<TaskView> = {}): TaskView {
  const epicId = id.slice(0, 4).replace('T', 'E');
  return {
    id,
    title: `Task ${id}`,
    status: 'pending',
    ready: false,
    epicId,
    featureId: `F${id.slice(1, 4)}.01`,
    line: 10,
    priority: 'P1',
    estimateHours: 4,
    route: { agent: 'backend-development', rule: 'keyword', reason: 'title mentions "API"' },
    dependsOn: [],
    waitingOn: [],
    dependents: [],
    blockers: [],
    retryCount: 0,
    ...over,
  };
}

/** Counts computed the way the engine does (planCounts). */
export function countsOf(tasks: readonly TaskView[]): PlanCounts {
  const c = emptyPlanCounts();
  const key: Record<TaskStatus, keyof PlanCounts> = {
    completed: 'completed',
    in_progress: 'inProgress',
    pending: 'pending',
    blocked: 'blocked',
    failed: 'failed',
    timeout: 'timeout',
    cancelled: 'cancelled',
    skipped: 'skipped',
  };
  for (const t of tasks) {
    c.total++;
    if (countsAsDone(t)) c.done++;
    c[key[t.status]]++;
    if (t.status === 'pending' && t.ready) c.ready++;
  }
  return c;
}

/** The engine's group progress for the epics and features of `touched` tasks, counted over `all` (groupProgress). */
export function groupsOf(all: readonly TaskView[], touched: readonly TaskView[]): GroupProgressView[] {
  const out = new Map<string, GroupProgressView>();
  for (const t of touched) {
    out.set(`feature:${t.featureId}`, { kind: 'feature', id: t.featureId, ...progressOf(all.filter((x) => x.featureId === t.featureId)) });
    out.set(`epic:${t.epicId}`, { kind: 'epic', id: t.epicId, ...progressOf(all.filter((x) => x.epicId === t.epicId)) });
  }
  return [...out.values()];
}

export function fixtureTasks(): TaskView[] {
  return [
    task('T001.001', {
      title: 'Provision RabbitMQ cluster with Helm chart',
      status: 'completed',
      route: { agent: 'devops-engineer', rule: 'keyword', reason: 'helm' },
      priority: 'P0',
    }),
    task('T001.002', { title: 'Define message envelope schema and versioning rules', status: 'completed', priority: 'P0' }),
    task('T001.003', {
      title: 'Implement publisher service with retries and dead-letter queue',
      status: 'in_progress',
      startedAt: iso(50),
      dependsOn: [{ id: 'T001.001', type: 'blocks', source: 'explicit' }],
      priority: 'P0',
    }),
    task('T001.004', {
      title: 'Consumer worker pool with <backpressure> & retries',
      ready: false,
      waitingOn: ['T001.003'],
      dependsOn: [{ id: 'T001.003', type: 'blocks', source: 'implicit' }],
    }),
    task('T002.001', { title: 'Tenant CRUD API endpoints', ready: true, priority: 'P0' }),
    task('T002.002', {
      title: 'Tenant provisioning workflow with quota defaults',
      status: 'failed',
      retryCount: 1,
      lastRun: { attempt: 1, agent: 'backend-development', outcome: 'failed', startedAt: iso(20), endedAt: iso(31), durationMs: 660_000, error: 'exit code 1' },
    }),
    task('T002.003', {
      title: 'Soft-delete and tenant data export',
      status: 'blocked',
      blockers: ['Legal review of export format'],
      blocked: {
        reason: 'external',
        root: 'T002.003',
        cause: 'T002.003 is blocked by "Legal review of export format"',
        text: 'T002.003 is blocked by "Legal review of export format"',
      },
      priority: 'P2',
    }),
    task('T002.004', { title: 'Tenant audit log', status: 'skipped', priority: 'P3' }),
  ];
}

/** The fixture snapshot; pass `over` to change top-level fields. */
export function fixtureSnapshot(over: Partial<PlanSnapshot> = {}): PlanSnapshot {
  const tasks = fixtureTasks();
  const counts = countsOf(tasks);
  return {
    tasklistPath: '/work/demo/PROJECT-TASKLIST.md',
    state: 'running',
    simulated: true,
    readOnly: false,
    epics: [
      { id: 'E001', title: 'Core Platform', line: 14, total: 4, done: 2, features: ['F001.01'] },
      { id: 'E002', title: 'Tenant <Registry> & Quotas', line: 40, total: 4, done: 1, features: ['F002.01'] },
    ],
    features: [
      { id: 'F001.01', epicId: 'E001', title: 'Messaging', line: 18, total: 4, done: 2 },
      { id: 'F002.01', epicId: 'E002', title: 'Registry', line: 42, total: 4, done: 1 },
    ],
    tasks,
    counts,
    active: [{ taskId: 'T001.003', title: tasks[2].title, agent: 'backend-development', startedAt: iso(50), attempt: 1 }],
    breakers: { 'backend-development': 'closed' },
    metrics: {
      tasksPerHour: 2.4,
      avgCompletionMs: 754_000,
      successRate: 0.75,
      uptimeSeconds: 3300,
      throughput: [
        { at: iso(0), completed: 0, remaining: 8 },
        { at: iso(15), completed: 1, remaining: 7 },
        { at: iso(30), completed: 2, remaining: 6 },
        { at: iso(45), completed: 3, remaining: 5 },
      ],
    },
    activity: [
      { at: iso(10), kind: 'completed', taskId: 'T001.001', message: 'Completed by devops-engineer in 9m 12s' },
      { at: iso(31), kind: 'failed', taskId: 'T002.002', message: 'exit code 1 <script>alert(1)</script>' },
      { at: iso(50), kind: 'started', taskId: 'T001.003', message: 'Started with backend-development' },
    ],
    diagnostics: [],
    kpis: {
      autonomyRate: 0.9666,
      successRate: 0.75,
      tasksPerHour: 2.4,
      uptimeRatio: 0.9995,
      windowSeconds: 7 * 86_400,
      dispatchLatencyP50Seconds: 0.4,
      dispatchLatencyP95Seconds: 1.2,
      dispatchSamples: 40,
    },
    spend: {
      run: spendTotal(0.42, 3),
      today: spendTotal(1.37, 9, 0.12),
      total: spendTotal(12.5, 80, 0.12),
      byEpic: [{ key: 'E001', title: 'Core Platform', ...spendTotal(8, 50) }],
      byAgentType: [
        { key: 'backend-development', ...spendTotal(9.1, 60) },
        { key: 'devops-engineer', ...spendTotal(3.4, 20) },
      ],
      byModel: [],
      budgets: [
        { scope: 'day', budgetUsd: 10, spentUsd: 1.37 },
        { scope: 'epic', id: 'E002', budgetUsd: 2, spentUsd: 2.05 },
      ],
      holds: [{ scope: 'epic', id: 'E002', budgetUsd: 2, spentUsd: 2.05, reason: 'epic budget $2.00 of E002 reached ($2.05 spent)' }],
    },
    providerPauses: [],
    ...over,
  };
}

/** A spend total of `usd` over `attempts` attempts, `estimated` of it from tokens × prices. */
export function spendTotal(usd: number, attempts: number, estimated = 0): SpendTotal {
  return { ...emptySpendTotal(), costUsd: usd, estimatedUsd: estimated, attempts };
}
