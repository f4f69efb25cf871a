// Adapts the EngineClient to what the dashboard session needs (DashboardSource). One adapter lives for the whole
// window: after an engine restart it feeds the panel the new engine's snapshot as a `plan:changed`. The page's
// buttons run the registered commands, so there is no second path to the engine (and no second read-only check).
import * as vscode from 'vscode';
import { GetMetrics, GetSnapshot, type PlanMetrics } from '../../protocol/engineProtocol';
import type { PlanSnapshot } from '../../protocol/views';
import { DASHBOARD_EVENTS, type DashboardEvent, type DashboardEventName } from '../../protocol/webviewProtocol';
import type { EngineClient } from '../engineClient';
import type { PlanStore } from '../planStore';
import type { ReviewStore } from '../reviewStore';
import type { DashboardSource } from './dashboardSession';

/** Builds the dashboard's view of the engine client, its plan store (and of the editor's list of branches waiting for review). */
export function dashboardSource(client: EngineClient, store: PlanStore, reviews?: ReviewStore): DashboardSource {
  return {
    // The plan the tree and lenses draw, kept current by the same events the session forwards (the store applies
    // each before the client re-emits it).
    held: (): PlanSnapshot | undefined => store.snapshot,
    snapshot: (): Promise<PlanSnapshot> => client.request(GetSnapshot.type),
    metrics: (): Promise<PlanMetrics> => client.request(GetMetrics.type),
    onEvent(listener: (e: DashboardEvent) => void): vscode.Disposable {
      // The client's events carry the engine's names and payloads: forwarded as they are.
      const forward = <K extends DashboardEventName>(type: K): (() => void) =>
        client.events.on(type, (params) => listener({ type, params } as Extract<DashboardEvent, { type: K }>));
      const offs = [
        ...DASHBOARD_EVENTS.map((type) => forward(type)),
        client.events.on('engine:initialized', (r) => listener({ type: 'plan:changed', params: { snapshot: r.snapshot } })),
      ];
      return new vscode.Disposable(() => {
        for (const off of offs) off();
      });
    },
    runCommand: (command, taskId) => Promise.resolve(vscode.commands.executeCommand(command, ...(taskId === undefined ? [] : [taskId]))),
    ...(reviews
      ? {
          reviews: () => reviews.all(),
          onReviews: (listener: () => void) => new vscode.Disposable(reviews.events.on('reviews:changed', () => listener())),
        }
      : {}),
  };
}
