// The audit trail of gates (table gate_decisions, migration 008): one row per decision a person took, never updated.
// The runtime writes through it on the engine's own connection (the single writer); views read the latest rows.
import type Database from 'better-sqlite3';
import type { GateDecision, GateDecisionView, GateKind } from '../../protocol/gates';

interface Row {
  gate_id: string;
  gate_kind: GateKind;
  decision: GateDecision;
  decided_by: string;
  decided_at: string;
  note: string | null;
}

function viewOf(r: Row): GateDecisionView {
  const v: GateDecisionView = { gateId: r.gate_id, kind: r.gate_kind, decision: r.decision, by: r.decided_by, at: r.decided_at };
  if (r.note !== null) v.note = r.note;
  return v;
}

/** Reads and appends gate decisions (see the file comment). */
export class GateLog {
  private readonly st: {
    insert: Database.Statement<[string, GateKind, GateDecision, string, string, string | null]>;
    recent: Database.Statement<[number], Row>;
    ofGate: Database.Statement<[string], Row>;
    approved: Database.Statement<[], { gate_id: string }>;
  };

  constructor(db: Database.Database) {
    this.st = {
      insert: db.prepare(`INSERT INTO gate_decisions (gate_id, gate_kind, decision, decided_by, decided_at, note) VALUES (?, ?, ?, ?, ?, ?)`),
      recent: db.prepare(`SELECT gate_id, gate_kind, decision, decided_by, decided_at, note FROM gate_decisions ORDER BY decision_id DESC LIMIT ?`),
      ofGate: db.prepare(`SELECT gate_id, gate_kind, decision, decided_by, decided_at, note FROM gate_decisions WHERE gate_id = ? ORDER BY decision_id DESC`),
      // The latest decision of each gate (idx_gate_decisions_gate), kept when it is an approval.
      approved: db.prepare(
        `SELECT d.gate_id FROM gate_decisions d JOIN (SELECT gate_id, MAX(decision_id) AS last FROM gate_decisions GROUP BY gate_id) l ON d.decision_id = l.last WHERE d.decision = 'approved'`,
      ),
    };
  }

  /** Appends one decision. */
  record(d: GateDecisionView): void {
    this.st.insert.run(d.gateId, d.kind, d.decision, d.by, d.at, d.note ?? null);
  }

  /** The latest `limit` decisions, newest first. */
  recent(limit = 20): GateDecisionView[] {
    return this.st.recent.all(limit).map(viewOf);
  }

  /**
   * Gates whose latest decision is an approval: what a gated feature's approval rests on (a task gate's approval is
   * its ticked checkbox), handed to every graph built of the plan (GraphOptions.approvedGates).
   */
  approvedGates(): Set<string> {
    return new Set(this.st.approved.all().map((r) => r.gate_id));
  }

  /** Every decision on one gate, newest first. */
  of(gateId: string): GateDecisionView[] {
    return this.st.ofGate.all(gateId).map(viewOf);
  }
}
