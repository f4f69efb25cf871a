// A lifelike snapshot for the dashboard screenshots: the example plan's epics and tasks (read with a small regex,
// not the product parser, so the screenshot test does not depend on it) in a run that is a few hours in.
import { readFileSync } from 'node:fs';
import type { Priority, TaskStatus } from '../../src/core/model';
import { progressOf } from '../../src/core/progress';
import type { ActivityEntry, EpicView, FeatureView, PlanSnapshot, TaskView } from '../../src/protocol/views';
import { countsOf, spendTotal } from '../unit/webview/dashboardFixture';

const AGENTS = ['backend-development', 'devops-engineer', 'frontend-development', 'security-specialist', 'database-architect'];

/** The example plan as a snapshot `now` ms into a run: ~30% done, three agents busy, one failure, one blocker. */
export function demoSnapshot(planPath: string, now: number): PlanSnapshot {
  const text = readFileSync(planPath, 'utf8').split('\n');
  const epics: EpicView[] = [];
  const features: FeatureView[] = [];
  const tasks: TaskView[] = [];
  let epic: EpicView | undefined;
  let feature: FeatureView | undefined;
  text.forEach((line, i) => {
    let m: RegExpExecArray | null;
    if ((m = /^## (E\d+): (.+)$/.exec(line))) {
      epic = { id: m[1], title: m[2].trim(), line: i, total: 0, done: 0, features: [] };
      epics.push(epic);
    } else if ((m = /^### (F[\d.]+): (.+)$/.exec(line)) && epic) {
      feature = { id: m[1], epicId: epic.id, title: m[2].trim(), line: i, total: 0, done: 0 };
      features.push(feature);
      epic.features.push(feature.id);
    } else if ((m = /^- \[( |x)\] \*\*(T[\d.]+)\*\* (.+?)(?: \((P\d)(?:, ([\d.]+)([hd]))?\))?$/.exec(line)) && epic && feature) {
      const n = tasks.length;
      const agent = AGENTS[n % AGENTS.length];
      tasks.push({
        id: m[2],
        title: m[3],
        status: m[1] === 'x' ? 'completed' : 'pending',
        ready: false,
        epicId: epic.id,
        featureId: feature.id,
        line: i,
        priority: m[4] as Priority | undefined,
        estimateHours: m[5] ? Number(m[5]) * (m[6] === 'd' ? 8 : 1) : undefined,
        route: { agent, rule: 'keyword', reason: 'matched the routing map' },
        dependsOn: [],
        waitingOn: [],
        dependents: [],
        blockers: [],
        retryCount: 0,
      });
    }
  });

  // A run a few hours in: the first third done, a few running, a failure, a blocker, the next ones ready.
  const minutesAgo = (m: number): string => new Date(now - m * 60_000).toISOString();
  const set = (i: number, status: TaskStatus, extra: Partial<TaskView> = {}): void => {
    if (tasks[i]) Object.assign(tasks[i], { status }, extra);
  };
  for (let i = 0; i < Math.floor(tasks.length * 0.3); i++) set(i, 'completed');
  const firstOpen = Math.floor(tasks.length * 0.3);
  set(firstOpen, 'in_progress', { startedAt: minutesAgo(7.4) });
  set(firstOpen + 1, 'in_progress', { startedAt: minutesAgo(2.1), retryCount: 1 });
  set(firstOpen + 2, 'in_progress', { startedAt: minutesAgo(0.6) });
  set(firstOpen + 3, 'failed', {
    retryCount: 2,
    lastRun: {
      attempt: 2,
      agent: 'backend-development',
      outcome: 'failed',
      startedAt: minutesAgo(30),
      endedAt: minutesAgo(21),
      durationMs: 540_000,
      error: 'verify failed: npm test exited 1',
    },
  });
  set(firstOpen + 4, 'blocked', { blockers: ['Infrastructure FDB operational'] });
  set(firstOpen + 5, 'skipped');
  for (let i = firstOpen + 6; i < firstOpen + 12; i++) set(i, 'pending', { ready: true });
  for (let i = firstOpen + 12; i < tasks.length; i++) {
    const prev = tasks[i - 1].id;
    set(i, 'pending', { ready: false, waitingOn: [prev], dependsOn: [{ id: prev, type: 'blocks', source: 'explicit' }] });
  }

  for (const g of [...epics, ...features]) Object.assign(g, progressOf(tasks.filter((t) => t.epicId === g.id || t.featureId === g.id)));
  const counts = countsOf(tasks);

  const running = tasks.filter((t) => t.status === 'in_progress');
  const done = tasks.filter((t) => t.status === 'completed');
  const activity: ActivityEntry[] = [];
  done.slice(-8).forEach((t, i) => {
    activity.push({ at: minutesAgo(95 - i * 9), kind: 'completed', taskId: t.id, message: `Completed by ${t.route.agent} in ${6 + (i % 5)}m ${10 + i * 7}s` });
  });
  activity.push({ at: minutesAgo(30), kind: 'started', taskId: tasks[firstOpen + 3].id, message: 'Started with backend-development (attempt 2)' });
  activity.push({ at: minutesAgo(21), kind: 'failed', taskId: tasks[firstOpen + 3].id, message: 'Verify failed: npm test exited 1' });
  activity.push({ at: minutesAgo(12), kind: 'sync', message: 'Task list synced: 3 checkboxes ticked' });
  for (const t of running) activity.push({ at: t.startedAt!, kind: 'started', taskId: t.id, message: `Started with ${t.route.agent}` });
  activity.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));

  // Throughput every 12 minutes over three hours, ending at the current counts.
  const throughput: PlanSnapshot['metrics']['throughput'] = [];
  const samples = 16;
  for (let k = 0; k < samples; k++) {
    const f = k / (samples - 1);
    const completed = Math.round(counts.completed * (f * f * 0.5 + f * 0.5));
    throughput.push({ at: minutesAgo((samples - 1 - k) * 12), completed, remaining: counts.total - completed - (k === samples - 1 ? counts.skipped : 0) });
  }

  return {
    tasklistPath: planPath,
    state: 'running',
    simulated: true,
    readOnly: false,
    epics,
    features,
    tasks,
    counts,
    active: running.map((t) => ({ taskId: t.id, title: t.title, agent: t.route.agent, startedAt: t.startedAt!, attempt: t.retryCount + 1 })),
    breakers: Object.fromEntries(AGENTS.map((a) => [a, 'closed' as const])),
    metrics: { tasksPerHour: counts.completed / 3, avgCompletionMs: 8.6 * 60_000, successRate: 0.92, uptimeSeconds: 3 * 3600 + 14 * 60, throughput },
    activity,
    diagnostics: [],
    kpis: {
      autonomyRate: 0.97,
      successRate: 0.92,
      tasksPerHour: counts.completed / 3,
      uptimeRatio: 0.9993,
      windowSeconds: 7 * 86_400,
      dispatchLatencyP50Seconds: 0.4,
      dispatchLatencyP95Seconds: 1.2,
      dispatchSamples: 40,
    },
    spend: {
      run: spendTotal(3.84, 41),
      today: spendTotal(5.12, 55, 0.31),
      total: spendTotal(27.6, 310, 0.31),
      byEpic: [],
      byAgentType: AGENTS.slice(0, 3).map((key, i) => ({ key, ...spendTotal([2.1, 1.2, 0.54][i], [22, 12, 7][i]) })),
      byModel: [],
      budgets: [{ scope: 'day', budgetUsd: 20, spentUsd: 5.12 }],
      holds: [],
    },
    providerPauses: [],
  };
}
