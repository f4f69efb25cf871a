// Whether a run is idle (nothing runs and nothing more can start) or stalled (running, idle, and some task is not
// done), and the waiters of `idle()`. The orchestrator owns the facts; this only reads them, through getters asked
// on every check (dispatch ends with one), so a check allocates nothing.
//
// Invariants:
//   - an attempt being settled keeps a running engine busy: its task is in no set meanwhile (no longer running, not yet
//     back in a lane), and dependents start only once its result has landed;
//   - once stopped, an attempt whose result only waits for the database no longer does (the result writer journals it
//     for the next start), so a stop ends promptly even on a full disk;
//   - tasks held back on purpose (their type's limit is 0, a budget holds them) never keep a run busy;
//   - a `stalled` change is announced once per change (onStalledChange), never on every check.
import type { ReadyLanes } from './dispatcher';
import type { OrchestrationState } from '../protocol/views';

/** What idleness is decided from: the orchestrator's live counts, read on every check. */
export interface IdleFacts {
  closed(): boolean;
  /** The control state (never `stalled`: that is what this decides). */
  control(): OrchestrationState;
  /** Attempts running now. */
  running(): number;
  /** A stop is under way (its grace, its releases). */
  stopping(): boolean;
  /** Attempts being settled now. */
  settling(): number;
  /** Settled attempts whose result waits for the database (resultWriter.ts). */
  resultsPending(): number;
  /** Tasks waiting out a retry backoff. */
  delayed(): number;
  /** Dispatch waits for the database to take writes again. */
  waitingForDb(): boolean;
  /** Ready tasks waiting for a slot. */
  readonly lanes: ReadyLanes;
  /** The per-type limits (`agentLimits.maxPerType`; 0: never started). */
  maxPerType(): Record<string, number>;
  /** Why a budget holds `taskId` back, when the engine has budgets at all (DispatchLimits.taskHold). */
  readonly taskHold?: (taskId: string) => string | undefined;
  /** Tasks of the plan not done yet; undefined before a plan is loaded. */
  openCount(): number | undefined;
}

/** Idle and stall detection of one orchestrator, with the promises waiting for idle. */
export class IdleWatch {
  private waiters: (() => void)[] = [];
  private stalledNow = false;

  /** `onStalledChange(stalled)` runs when a check finds the run entering or leaving `stalled`. */
  constructor(
    private readonly facts: IdleFacts,
    private readonly onStalledChange: (stalled: boolean) => void,
  ) {}

  /** Stalled as of the last check or resync (the state the orchestrator reports). */
  get stalled(): boolean {
    return this.stalledNow;
  }

  /** Nothing runs and nothing more can start (all done, all blocked, paused, or stopped). */
  isIdle(): boolean {
    const f = this.facts;
    if (f.closed()) return true;
    if (f.running() > 0 || f.stopping()) return false;
    const control = f.control();
    if (f.settling() > (control === 'idle' ? f.resultsPending() : 0)) return false;
    if (control !== 'running') return true;
    if (f.delayed() > 0 || f.waitingForDb()) return false;
    const lanes = f.lanes;
    if (lanes.size === 0) return true;
    const maxPerType = f.maxPerType();
    const taskHold = f.taskHold;
    // Tasks of a type whose limit is 0 are held back on purpose: they never start, so they do not keep us busy.
    for (const [type] of lanes.depthByType()) if (maxPerType[type] !== 0 && !taskHold) return false;
    if (!taskHold) return true;
    // So are tasks a budget holds back (until it is raised or a person resumes).
    return lanes.ordered().every((id) => maxPerType[lanes.typeOf(id)!] === 0 || taskHold(id) !== undefined);
  }

  /** Running, and nothing runs, can start or waits for a retry, while some task is not done. Cheap unless idle. */
  isStalled(): boolean {
    const f = this.facts;
    if (f.control() !== 'running' || f.closed()) return false;
    const open = f.openCount();
    return open !== undefined && this.isIdle() && open > 0;
  }

  /** Resolves when the run is idle (at once when it is now). */
  wait(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** After anything that may have changed idleness: announces a stall change, then releases the waiters if idle. */
  check(): void {
    const now = this.isStalled();
    if (now !== this.stalledNow) {
      this.stalledNow = now;
      this.onStalledChange(now);
    }
    if (this.waiters.length === 0 || !this.isIdle()) return;
    for (const w of this.waiters.splice(0)) w();
  }

  /** The control state changed: take the stall flag as it is now, unannounced (the state event says it). */
  resync(): void {
    this.stalledNow = this.isStalled();
  }

  /** Releases every waiter (close). */
  releaseAll(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
