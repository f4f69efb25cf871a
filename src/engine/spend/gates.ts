// Gates at the engine's front door (docs/costs-and-gates.md#gates): a person's approve/reject, checked, taken by the
// orchestrator (which owns task statuses) and recorded in the audit trail (who, when, note); and the gates view of
// the snapshot (what waits for approval, the latest decisions).
import { userInfo } from 'node:os';
import type { DependencyGraph } from '../../core/graph';
import { TERMINAL_STATUSES, type TaskList, type TaskStatus } from '../../core/model';
import { GATE_NOTE_MAX, type GateDecision, type GateDecisionParams, type GateDecisionResult, type GatesView, type GateWaitingView } from '../../protocol/gates';
import type { Orchestrator } from '../orchestrator';
import type { GateLog } from './gateLog';

/** Who decides when the client names nobody: the engine's OS user. */
function defaultDecider(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown'; // no passwd entry for this uid (a container)
  }
}

/** Checks a decision's params; the message names the bad field. */
export function checkGateParams(p: unknown): string | undefined {
  if (!p || typeof p !== 'object') return 'the gate decision needs { gateId, note?, by? }';
  const { gateId, note, by } = p as Record<string, unknown>;
  if (typeof gateId !== 'string' || gateId.trim() === '') return `gateId must be a task id, got ${JSON.stringify(gateId)}`;
  if (note !== undefined && typeof note !== 'string') return `note must be text, got ${typeof note}`;
  if (typeof note === 'string' && note.length > GATE_NOTE_MAX) return `note is ${note.length} characters; at most ${GATE_NOTE_MAX}`;
  if (by !== undefined && (typeof by !== 'string' || by.trim() === '' || by.length > 200))
    return `by must be a name of 1..200 characters, got ${JSON.stringify(by)}`;
  return undefined;
}

/** Takes a person's decision on a gate and records it; `redact` scrubs secrets from the note before it is kept. */
export function decideGate(
  orch: Orchestrator,
  log: GateLog,
  decision: GateDecision,
  params: GateDecisionParams,
  redact: (text: string) => string,
  now: () => number = Date.now,
): GateDecisionResult & { by?: string; note?: string } {
  const bad = checkGateParams(params);
  if (bad) return { done: false, message: bad };
  const gateId = params.gateId.trim();
  const note = params.note?.trim() ? redact(params.note.trim()) : undefined;
  const r = orch.decideGate(gateId, decision, note);
  if (!r.done || !r.kind) return { done: false, message: r.message };
  const by = params.by?.trim() || defaultDecider();
  log.record({ gateId, kind: r.kind, decision, by, at: new Date(now()).toISOString(), ...(note !== undefined ? { note } : {}) });
  return { done: true, message: r.message, by, ...(note !== undefined ? { note } : {}) };
}

/** The words a rejection's note reaches the next prompt in (the decision, or a restart that finds it unanswered). */
export function rejectionNote(note: string | undefined): string {
  return `A person rejected the previous result${note ? `: ${note}` : ' (no note)'}`;
}

/**
 * `Gate: review` tasks whose latest decision is a rejection no attempt has answered yet (none started after it), with
 * that decision's note: a restarted engine hands them to the next prompt as the engine that took the decision would.
 */
export function unansweredRejections(
  list: TaskList,
  statusOf: (id: string) => TaskStatus,
  log: GateLog,
  lastStartedAt: (id: string) => string | undefined,
): { taskId: string; note?: string }[] {
  const out: { taskId: string; note?: string }[] = [];
  for (const t of list.tasks) {
    if (t.gate !== 'review' || statusOf(t.id) !== 'pending') continue;
    const latest = log.of(t.id)[0];
    if (latest?.decision !== 'rejected') continue;
    const started = lastStartedAt(t.id);
    // Both are ISO-8601 UTC from this engine's clock; an unparsable start counts as before the decision.
    if (started !== undefined && Date.parse(started) >= Date.parse(latest.at)) continue;
    out.push({ taskId: t.id, ...(latest.note !== undefined ? { note: latest.note } : {}) });
  }
  return out;
}

/** What waits for approval (document order, with how many tasks wait behind each) and the latest decisions. */
export function gatesView(
  list: TaskList,
  graph: DependencyGraph,
  statusOf: (id: string) => TaskStatus,
  log: GateLog,
  filesOf: (taskId: string) => string[] | undefined = () => undefined,
): GatesView | undefined {
  const waiting: GateWaitingView[] = [];
  for (const t of list.tasks) {
    if (!t.gate) continue;
    const s = statusOf(t.id);
    if (s !== 'blocked' && !(t.gate === 'checkpoint' && s === 'pending' && graph.isReady(t.id))) continue;
    const files = t.gate === 'review' ? filesOf(t.id) : undefined;
    waiting.push({ id: t.id, kind: t.gate, title: t.title, line: t.line, holds: holdsBehind(graph, t.id, statusOf), ...(files ? { files } : {}) });
  }
  const approvedFeatures: string[] = [];
  for (const f of list.features) {
    if (!f.gate) continue;
    if (graph.featureGateApproved(f.id)) approvedFeatures.push(f.id);
    if (!graph.featureGateWaiting(f.id)) continue;
    const held = graph.featureGateHolds(f.id).filter((id) => !TERMINAL_STATUSES.has(statusOf(id)));
    const seen = new Set(held);
    let holds = held.length;
    for (const id of held) holds += holdsBehind(graph, id, statusOf, seen);
    let files: string[] | undefined;
    for (const t of list.tasks) {
      const tf = t.featureId === f.id ? filesOf(t.id) : undefined;
      if (tf) files = [...new Set([...(files ?? []), ...tf])];
    }
    waiting.push({ id: f.id, kind: 'review', feature: true, title: f.title, line: f.line, holds, ...(files ? { files } : {}) });
  }
  waiting.sort((a, b) => a.line - b.line);
  const decisions = log.recent(20);
  if (waiting.length === 0 && decisions.length === 0 && approvedFeatures.length === 0) return undefined;
  return approvedFeatures.length > 0 ? { waiting, decisions, approvedFeatures } : { waiting, decisions };
}

/** Tasks not done that (transitively, blocking edges) depend on `id`. */
function holdsBehind(graph: DependencyGraph, id: string, statusOf: (id: string) => TaskStatus, seen = new Set<string>()): number {
  seen.add(id);
  const work = [id];
  let n = 0;
  while (work.length > 0) {
    for (const e of graph.dependentsOf(work.pop()!)) {
      if (e.type !== 'blocks' || seen.has(e.from)) continue;
      seen.add(e.from);
      const s = statusOf(e.from);
      if (s !== 'completed' && s !== 'skipped') n++;
      work.push(e.from);
    }
  }
  return n;
}
