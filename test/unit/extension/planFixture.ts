// Builders of TaskView / PlanSnapshot values for the editor layer's unit tests.
import { emptyPlanCounts, type PlanCounts, type PlanSnapshot, type TaskView } from '../../../src/protocol/views';

/** A TaskView with sensible defaults; `over` wins. */
export function taskView(id: string, over: Partial<TaskView> = {}): TaskView {
  return {
    id,
    title: `Task ${id}`,
    status: 'pending',
    ready: false,
    epicId: 'E001',
    featureId: 'F001.01',
    line: 0,
    route: { agent: 'general-purpose', rule: 'default', reason: 'no keyword matched' },
    dependsOn: [],
    waitingOn: [],
    dependents: [],
    blockers: [],
    retryCount: 0,
    ...over,
  };
}

export const zeroCounts = (): PlanCounts => emptyPlanCounts();

/** A snapshot of two epics: E001 (F001.01: T1 done, T2 ready; F001.02: T3 waiting on T2) and E002 (F002.01: T4). */
export function smallPlan(): PlanSnapshot {
  const tasks = [
    taskView('T1', { status: 'completed', line: 4 }),
    taskView('T2', { ready: true, line: 5, dependents: ['T3'] }),
    taskView('T3', { featureId: 'F001.02', line: 8, dependsOn: [{ id: 'T2', type: 'blocks', source: 'explicit' }], waitingOn: ['T2'] }),
    taskView('T4', { epicId: 'E002', featureId: 'F002.01', line: 12, ready: true }),
  ];
  return {
    tasklistPath: '/ws/PROJECT-TASKLIST.md',
    state: 'idle',
    simulated: true,
    readOnly: false,
    epics: [
      { id: 'E001', title: 'Core', line: 2, total: 3, done: 1, features: ['F001.01', 'F001.02'] },
      { id: 'E002', title: 'Runtime', line: 10, total: 1, done: 0, features: ['F002.01'] },
    ],
    features: [
      { id: 'F001.01', epicId: 'E001', title: 'Messaging', line: 3, total: 2, done: 1 },
      { id: 'F001.02', epicId: 'E001', title: 'Tenants', line: 7, total: 1, done: 0 },
      { id: 'F002.01', epicId: 'E002', title: 'Registry', line: 11, total: 1, done: 0 },
    ],
    tasks,
    counts: { ...zeroCounts(), total: 4, done: 1, completed: 1, pending: 3, ready: 2 },
    active: [],
    breakers: {},
    metrics: { tasksPerHour: 0, avgCompletionMs: 0, successRate: null, uptimeSeconds: 0, throughput: [] },
    activity: [],
    diagnostics: [],
  };
}
