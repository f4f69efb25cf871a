// Events the EngineClient emits, `noun:verb`: the engine's notifications under their protocol names (already applied
// to the PlanStore) and the client's own lifecycle. Kept apart so plain-Node modules can name them without vscode.
import type { EngineNotifications, InitializeResult } from '../protocol/engineProtocol';
import type { KeyChange } from './statusText';

/** Lifecycle of the engine as the editor sees it. */
export type EngineLifecycle = 'stopped' | 'starting' | 'running' | 'restarting' | 'failed' | 'no-tasklist';

export interface EngineEventsForClient extends EngineNotifications {
  /** The engine (re)started and initialized; its snapshot is in the store. */
  'engine:initialized': InitializeResult;
  /** The engine process died unexpectedly (a restart may follow). */
  'engine:exited': { code: number | null; signal: NodeJS.Signals | null };
  'lifecycle:changed': { lifecycle: EngineLifecycle; failure?: string };
  /** The task list the engine is being started on is known (before the engine has read it: lenses can use its text). */
  'tasklist:located': { path: string };
  /** The stored API key changed and the running engine has not picked it up yet (undefined: it has). */
  'key:changed': { pending: KeyChange | undefined };
}
