// The person's gates of a run (docs/costs-and-gates.md#gates): which wait for approval, saying so, and a person's
// decision on one. Three kinds wait: a checkpoint whose dependencies are done (no agent ever runs it), a `Gate: review`
// task's result (blocked until approved), and a gated feature whose tasks are all done (what depends on it from
// outside waits). The orchestrator owns the statuses; this decides them and hands each change back through the host.
//
// Invariants:
//   - a checkpoint is never in the agents' lanes: once ready it is due here, then blocked in the store, then waiting;
//   - a due checkpoint the database could not take is due again at the next dispatch (after the database's retry);
//   - a rejection note reaches the task's next prompt once, then is forgotten;
//   - every status this decides goes to the store first; a refused write re-reads the task, nothing is decided.
import { TERMINAL_STATUSES, type TaskStatus } from '../core/model';
import type { ActivityEntry } from '../protocol/views';
import type { GateDecision, GateDecisionResult, GateKind } from '../protocol/gates';
import { changedFilesText } from '../protocol/presentation';
import type { PlanState } from './planState';
import type { TaskStorePort, WriteGate } from './ports';
import { rejectionNote } from './spend/gates';

/** A gate waiting for a person (the orchestrator's `gate:waiting`). */
export interface GateWaiting {
  taskId: string;
  kind: GateKind;
  title: string;
  files?: string[];
}

/** What the gates need of the orchestrator. */
export interface GateHost {
  /** The live plan; undefined before the first. */
  plan(): PlanState | undefined;
  closed(): boolean;
  /** Orchestration is running (a checkpoint opens only then). */
  running(): boolean;
  readonly store: Pick<TaskStorePort, 'setStatus'>;
  now(): number;
  /** The database's write gate: a failed write it recognises waits for its retry (awaitDb). */
  readonly db: WriteGate;
  /** Dispatch waits until the database takes writes again. */
  awaitDb(): void;
  /** Re-reads a task the store refused to change. */
  refreshFromStore(taskId: string): void;
  /** Applies a status the store took, in memory (graph, lanes, events). */
  applyStatus(taskId: string, status: TaskStatus): void;
  /** Queues a task that became ready. */
  enqueue(taskId: string): void;
  dispatch(): void;
  /** A rejected task's next Verify failure is not "the same twice". */
  forgetVerify(taskId: string): void;
  /** Isolation's note for a task's next prompt (a conflict, a failing check), which wins over a rejection. */
  noteFor?(taskId: string): string | undefined;
  waiting(gate: GateWaiting): void;
  log(kind: ActivityEntry['kind'], message: string, taskId?: string): void;
}

/** The gates of one orchestrator: due checkpoints, waiting announcements, decisions and rejection notes. */
export class GateDecisions {
  /** Checkpoints whose dependencies are done: they wait for a person, never in the agents' lanes (openDue). */
  private readonly checkpointsDue = new Set<string>();
  /** A person's rejection note for a `Gate: review` task's next prompt, once. */
  private readonly rejectNotes = new Map<string, string>();

  constructor(private readonly host: GateHost) {}

  /** A ready checkpoint is due here instead of a lane. */
  due(taskId: string): void {
    this.checkpointsDue.add(taskId);
  }

  /** The lanes are rebuilt: ready checkpoints are due again as they are queued. */
  clearDue(): void {
    this.checkpointsDue.clear();
  }

  /** Checkpoints whose dependencies are done wait for a person's approval: blocked, no agent runs them. */
  openDue(): void {
    const h = this.host;
    const plan = h.plan();
    if (!plan) throw new Error('Orchestrator: no plan loaded; call setPlan(list) first');
    for (const id of [...this.checkpointsDue]) {
      if (!h.running()) return;
      this.checkpointsDue.delete(id);
      if (!plan.has(id) || !plan.graph.isReady(id)) continue;
      let changed: boolean;
      try {
        changed = h.store.setStatus(id, 'blocked', { now: h.now() });
      } catch (e) {
        if (!h.db.failed(e)) throw e;
        this.checkpointsDue.add(id);
        h.awaitDb(); // opened at the dispatch after the database takes writes again
        return;
      }
      if (!changed) {
        h.refreshFromStore(id);
        continue;
      }
      h.applyStatus(id, 'blocked');
      this.waiting(id, 'checkpoint');
    }
  }

  /** A gated feature's tasks are all done: it waits for a person before what depends on it from outside starts. */
  featureWaiting(featureId: string, title: string): void {
    const h = this.host;
    h.waiting({ taskId: featureId, kind: 'review', title });
    const holds = h.plan()?.graph.featureGateHolds(featureId) ?? [];
    h.log(
      'info',
      `feature ${featureId} is done and waits for a person's approval (Gate: review) before ${holds.join(', ') || 'what depends on it'} may start`,
      featureId,
    );
  }

  /** A task gate waits: a checkpoint opened, or a `Gate: review` task's result (with the files it changed). */
  waiting(taskId: string, kind: GateKind, files?: string[]): void {
    const h = this.host;
    const title = h.plan()?.byId.get(taskId)?.title ?? taskId;
    h.waiting({ taskId, kind, title, ...(files ? { files } : {}) });
    h.log(
      'info',
      kind === 'checkpoint'
        ? `${taskId} waits for a person's approval (checkpoint "${title}")`
        : `${taskId} is done and waits for a person's approval (Gate: review) before what depends on it starts${files ? `; ${changedFilesText(files)}` : ''}`,
      taskId,
    );
  }

  /**
   * A person's decision on a waiting gate. Approving ticks the task and frees what depends on it; rejecting a
   * `Gate: review` task sends it back to pending with the note for its next prompt; a rejected checkpoint stays
   * waiting. Recording who decided is the caller's (the runtime's audit trail).
   */
  decide(taskId: string, decision: GateDecision, note?: string): GateDecisionResult & { kind?: GateKind } {
    const h = this.host;
    const plan = h.plan();
    if (h.closed() || !plan) return { done: false, message: 'no plan loaded' };
    if (plan.features.has(taskId)) return this.decideFeature(plan, taskId, decision);
    const task = plan.byId.get(taskId);
    if (!task) return { done: false, message: `unknown task ${taskId}` };
    const kind = task.gate;
    if (!kind) return { done: false, message: `${taskId} is not a gate (write "Gate: review" under it, or start its title with "Review:" or "Checkpoint:")` };
    const s = plan.status(taskId);
    const waiting = s === 'blocked' || (kind === 'checkpoint' && s === 'pending' && plan.graph.isReady(taskId));
    if (!waiting) {
      const on = s === 'pending' ? plan.graph.waitingOn(taskId) : [];
      return { done: false, message: `${taskId} is not waiting for approval: it is ${s.replace('_', ' ')}${on.length ? `, waiting on ${on.join(', ')}` : ''}` };
    }
    if (decision === 'rejected' && kind === 'checkpoint') return { done: true, kind, message: `${taskId} was rejected and still waits for approval` };
    const status: TaskStatus = decision === 'approved' ? 'completed' : 'pending';
    if (!h.store.setStatus(taskId, status, { now: h.now() })) {
      h.refreshFromStore(taskId);
      return { done: false, message: `${taskId} changed meanwhile (it is ${plan.status(taskId).replace('_', ' ')}); nothing was decided` };
    }
    this.checkpointsDue.delete(taskId);
    if (decision === 'rejected') {
      h.forgetVerify(taskId);
      this.rejectNotes.set(taskId, rejectionNote(note));
    }
    h.applyStatus(taskId, status);
    h.dispatch();
    return {
      done: true,
      kind,
      message: decision === 'approved' ? `${taskId} approved: what depends on it may start` : `${taskId} rejected: it runs again with the note`,
    };
  }

  /**
   * A decision on a gated feature (`Gate: review` under its heading): approving frees what depends on the feature
   * from outside it; a rejection leaves it waiting (the note is the audit trail's). The approval itself is recorded by
   * the caller: later plans read it back through the orchestrator's `approvedGates`.
   */
  private decideFeature(plan: PlanState, featureId: string, decision: GateDecision): GateDecisionResult & { kind?: GateKind } {
    const graph = plan.graph;
    if (!graph.gatedFeatureIds().includes(featureId))
      return { done: false, message: `${featureId} is not a gate (write "Gate: review" on a line under the feature's heading)` };
    if (!graph.featureGateWaiting(featureId)) {
      if (graph.featureGateApproved(featureId)) return { done: false, message: `${featureId} is not waiting for approval: it was approved` };
      const open = [...plan.byId.values()].filter((t) => t.featureId === featureId && !TERMINAL_STATUSES.has(plan.status(t.id)) && !t.criterion && !t.optional);
      return { done: false, message: `${featureId} is not waiting for approval: its tasks are not done (${open.map((t) => t.id).join(', ')})` };
    }
    if (decision === 'rejected') return { done: true, kind: 'review', message: `${featureId} was rejected and still waits for approval` };
    for (const id of graph.approveFeatureGate(featureId)) this.host.enqueue(id);
    this.host.dispatch();
    return { done: true, kind: 'review', message: `${featureId} approved: what depends on it may start` };
  }

  /** A rejection taken by an earlier engine that no attempt has answered: its note goes into the next prompt, once. */
  restoreRejection(taskId: string, note: string | undefined): void {
    if (!this.rejectNotes.has(taskId)) this.rejectNotes.set(taskId, rejectionNote(note));
  }

  /** The note for a task's next prompt (isolation's, else a person's rejection), taken once. */
  takeNote(taskId: string): string | undefined {
    const rejected = this.rejectNotes.get(taskId);
    this.rejectNotes.delete(taskId);
    return this.host.noteFor?.(taskId) ?? rejected;
  }
}
