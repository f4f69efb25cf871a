// Gates as every view shows them (docs/costs-and-gates.md#gates): what waits for a person's approval, and the
// decisions people made (the audit trail, table gate_decisions). Plain data, declared once for the engine, the CLI,
// the editor and the daemon's HTTP API.

/** `review`: a task with `Gate: review` whose result waits for approval; `checkpoint`: a `Review:`/`Checkpoint:` task. */
export type GateKind = 'review' | 'checkpoint';

/** A gate waiting for a person: approve it (or reject it with a note) to go on. */
export interface GateWaitingView {
  /** The task id, or the feature id of a gated feature: what `coditect approve <file> <id>` names. */
  id: string;
  kind: GateKind;
  /** A gated feature (`Gate: review` under its heading, kind `review`): every task of it is done. */
  feature?: true;
  title: string;
  /** 0-based line of the task (of the feature's heading) in the task list. */
  line: number;
  /** How many tasks wait behind it (its dependents, transitively, not done). */
  holds: number;
  /**
   * What the work to approve changed: a `Gate: review` task's last attempt (its branch's diff when isolated, else its
   * agent's report), a feature's tasks' together. Absent when nothing says (a checkpoint, an agent that did not report).
   */
  files?: string[];
}

export type GateDecision = 'approved' | 'rejected';

/** One decision on a gate, as recorded (who, when, the note). */
export interface GateDecisionView {
  gateId: string;
  kind: GateKind;
  decision: GateDecision;
  /** Who decided: the name the editor or the CLI gave (the OS user by default). */
  by: string;
  /** ISO-8601 UTC. */
  at: string;
  note?: string;
}

/** The gates of a plan: waiting ones in document order, the latest decisions first. */
export interface GatesView {
  waiting: GateWaitingView[];
  decisions: GateDecisionView[];
  /** Gated features a person approved (what they hold goes on); absent when none. */
  approvedFeatures?: string[];
}

/** Approve or reject a gate. */
export interface GateDecisionParams {
  gateId: string;
  /** Why (kept with the decision; a rejection's note goes into the task's next prompt). At most 4,000 characters. */
  note?: string;
  /** Who decides; default the engine's OS user. */
  by?: string;
}

export interface GateDecisionResult {
  /** True when the decision was taken and recorded. */
  done: boolean;
  /** What happened, or why nothing did (not a gate, not waiting, read-only…). */
  message: string;
}

/** Longest note kept with a decision. */
export const GATE_NOTE_MAX = 4000;
