-- 008: the audit trail of gates (docs/costs-and-gates.md#gates). Every decision a person takes on a gate — a task
-- with `Gate: review` or a `Review:`/`Checkpoint:` task — is one row, never updated or deleted: who, when, what, and
-- the note they wrote. The gate's own state is the task's status (blocked while it waits, completed once approved).
CREATE TABLE gate_decisions (
  decision_id INTEGER PRIMARY KEY AUTOINCREMENT,
  gate_id     TEXT NOT NULL,
  gate_kind   TEXT NOT NULL CHECK (gate_kind IN ('review', 'checkpoint')),
  decision    TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
  decided_by  TEXT NOT NULL,
  decided_at  TEXT NOT NULL,
  note        TEXT
);
CREATE INDEX idx_gate_decisions_gate ON gate_decisions (gate_id, decision_id);
