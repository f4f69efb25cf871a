// Adapts the EngineClient to what the dashboard panel needs (DashboardEngine). One adapter lives for the whole
// window: after an engine restart it feeds the panel the new engine's snapshot as a `plan:changed`.
import * as vscode from 'vscode';
import {
  CancelTask,
  GetSnapshot,
  PauseOrchestration,
  ResumeOrchestration,
  RetryTask,
  RunTask,
  StartOrchestration,
  StopOrchestration,
} from '../protocol/engineProtocol';
import type { PlanSnapshot } from '../protocol/views';
import type { DashboardEvent, DashboardRequest } from '../protocol/webviewProtocol';
import type { DashboardEngine } from './dashboardPanel';
import type { EngineClient } from './engineClient';

/** Builds the dashboard's view of the engine. `readOnly` refuses every action in an untrusted workspace. */
export function dashboardEngine(client: EngineClient, readOnly: () => boolean): DashboardEngine {
  return {
    snapshot: (): Promise<PlanSnapshot> => client.request(GetSnapshot.type),
    onEvent(listener: (e: DashboardEvent) => void): vscode.Disposable {
      const ev = client.events;
      const offs = [
        ev.on('tasks:changed', (p) => listener({ type: 'tasks:changed', tasks: p.tasks, counts: p.counts, groups: p.groups, removed: p.removed })),
        ev.on('plan:changed', (p) => listener({ type: 'plan:changed', snapshot: p.snapshot })),
        ev.on('state:changed', (p) => listener({ type: 'state:changed', state: p.state, breakers: p.breakers })),
        ev.on('activity:appended', (p) => listener({ type: 'activity:appended', entries: p.entries })),
        ev.on('engine:initialized', (r) => listener({ type: 'plan:changed', snapshot: r.snapshot })),
      ];
      return new vscode.Disposable(() => {
        for (const off of offs) off();
      });
    },
    async request(req: DashboardRequest): Promise<unknown> {
      if (readOnly()) throw new Error('this workspace is in Restricted Mode: the plan is read-only and no agent runs');
      if (req.type === 'control') {
        switch (req.action) {
          case 'start':
            return client.request(StartOrchestration.type);
          case 'pause':
            return client.request(PauseOrchestration.type);
          case 'resume':
            return client.request(ResumeOrchestration.type);
          case 'stop':
            return client.request(StopOrchestration.type);
        }
      }
      switch (req.action) {
        case 'run': {
          const r = await client.request(RunTask.type, { taskId: req.taskId });
          if (!r.started) throw new Error(`${req.taskId} did not start: ${r.reason ?? 'not ready'}`);
          return r;
        }
        case 'retry':
          return client.request(RetryTask.type, { taskId: req.taskId });
        case 'cancel':
          return client.request(CancelTask.type, { taskId: req.taskId });
      }
      throw new Error(`unknown dashboard request ${JSON.stringify(req)}`);
    },
  };
}
