// Events the EngineClient emits, `noun:verb`: the engine's notifications (already applied to the PlanStore) and
// the client's own lifecycle. Kept apart so plain-Node modules can name them without importing vscode.
import type { Diagnostic } from '../core/model';
import type { InitializeResult, TasksChangedParams } from '../protocol/engineProtocol';
import type { ActivityEntry, BreakerState, OrchestrationState, PlanSnapshot } from '../protocol/views';

/** Lifecycle of the engine as the editor sees it. */
export type EngineLifecycle = 'stopped' | 'starting' | 'running' | 'restarting' | 'failed' | 'no-tasklist';

export interface EngineEventsForClient {
  'tasks:changed': TasksChangedParams;
  'plan:changed': { snapshot: PlanSnapshot };
  'state:changed': { state: OrchestrationState; breakers: Record<string, BreakerState> };
  'activity:appended': { entries: ActivityEntry[] };
  'diagnostics:published': { path: string; diagnostics: Diagnostic[] };
  /** The engine (re)started and initialized; its snapshot is in the store. */
  'engine:initialized': InitializeResult;
  /** The engine process died unexpectedly (a restart may follow). */
  'engine:exited': { code: number | null; signal: NodeJS.Signals | null };
  'lifecycle:changed': { lifecycle: EngineLifecycle; failure?: string };
}
