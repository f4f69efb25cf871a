// A gate on a feature (`Gate: review` under its heading) through the built CLI (dry-run agents, real SQLite): the
// feature's own tasks run; what depends on the feature from outside waits until every task of it is done and a
// person approved it. `run` ends stalled naming the feature, `status`/`next` show it, `approve <file> F…` records
// the decision in gate_decisions, and that approval holds for the engines that come after (read back at start).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cliEnv, ensureBuilt, removeWorkspace, runCli, tempWorkspace } from '../cli/cliHarness';

const PLAN = `# Plan

## E001: Billing

### F001.01: Invoices

Gate: review

- [ ] **T001.001** Invoice model (P0, 1h)
- [ ] **T001.002** Invoice API (P1, 1h)
  - Depends on: T001.001

### F001.02: Reports

- [ ] **T001.003** Monthly report (P1, 1h)
  - Depends on: T001.001
- [ ] **T001.004** Unrelated chore (P2, 1h)
`;

describe('a gate on a feature (built bundle, dry-run agents)', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => ensureBuilt());
  afterEach(() => dir && removeWorkspace(dir));

  it('holds what depends on the feature until it is approved; approve names the feature; the approval is kept', async () => {
    dir = tempWorkspace({ 'TASKLIST.md': PLAN });
    const env = cliEnv({});
    const run = async () => {
      const r = await runCli(['run', 'TASKLIST.md', '--agent', 'dry-run', '--json'], dir, env);
      return { code: r.code, out: JSON.parse(r.stdout) as { outcome: string; gates?: { id: string; line: number }[] }, stderr: r.stderr };
    };

    const first = await run();
    assert.equal(first.code, 1, first.stderr.slice(-2000));
    assert.equal(first.out.outcome, 'stalled');
    assert.deepEqual(
      first.out.gates?.map((g) => [g.id, g.line]),
      [['F001.01', 5]],
    );
    const md = readFileSync(join(dir, 'TASKLIST.md'), 'utf8');
    // The feature's tasks and the unrelated one ran; the one behind the feature did not.
    assert.match(md, /- \[x\] \*\*T001\.001\*\*/);
    assert.match(md, /- \[x\] \*\*T001\.002\*\*/);
    assert.match(md, /- \[x\] \*\*T001\.004\*\*/);
    assert.match(md, /- \[ \] \*\*T001\.003\*\* Monthly report \(P1, 1h\)\n/);

    const status = JSON.parse((await runCli(['status', 'TASKLIST.md', '--json'], dir, env)).stdout);
    assert.deepEqual(status.gates.waiting, [{ id: 'F001.01', kind: 'review', feature: true, title: 'Invoices', line: 5, holds: 1 }]);
    assert.deepEqual(status.stalls[0], {
      reason: 'gate',
      root: 'T001.003',
      text: "T001.003 waits for a person's approval of feature F001.01 (Gate: review)",
      holds: ['T001.003'],
    });
    const text = (await runCli(['status', 'TASKLIST.md'], dir, env)).stdout;
    assert.match(text, /waiting for approval: F001\.01 "Invoices"[^\n]*coditect approve \S*TASKLIST\.md F001\.01/);
    const next = JSON.parse((await runCli(['next', 'TASKLIST.md', '--json'], dir, env)).stdout);
    assert.deepEqual(next.ready, []);
    assert.deepEqual(
      next.gates.map((g: { id: string }) => g.id),
      ['F001.01'],
    );

    // A task of the feature is not the gate; the feature is.
    const notGate = await runCli(['approve', 'TASKLIST.md', 'T001.002', '--json'], dir, env);
    assert.equal(notGate.code, 1);
    const rejected = await runCli(['reject', 'TASKLIST.md', 'F001.01', '--note', 'the totals round wrong'], dir, env);
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.match(rejected.stdout, /F001\.01 was rejected and still waits for approval/);
    assert.equal((await run()).out.outcome, 'stalled', 'a rejection frees nothing');

    const approved = await runCli(['approve', 'TASKLIST.md', 'F001.01', '--note', 'totals fixed', '--json'], dir, env);
    assert.equal(approved.code, 0, approved.stderr);
    assert.deepEqual(JSON.parse(approved.stdout), {
      gateId: 'F001.01',
      decision: 'approved',
      done: true,
      message: 'F001.01 approved: what depends on it may start',
    });
    const again = await runCli(['approve', 'TASKLIST.md', 'F001.01', '--json'], dir, env);
    assert.equal(again.code, 1);
    assert.match(JSON.parse(again.stdout).message, /F001\.01 is not waiting for approval: it was approved/);

    // A new engine reads the approval back from the audit trail: the held task runs and the plan completes.
    const last = await run();
    assert.equal(last.code, 0, last.stderr.slice(-2000));
    assert.equal(last.out.outcome, 'completed');
    assert.match(readFileSync(join(dir, 'TASKLIST.md'), 'utf8'), /- \[x\] \*\*T001\.003\*\* Monthly report/);

    const db = new Database(join(dir, '.coditect', 'context.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT gate_id, gate_kind, decision, note FROM gate_decisions ORDER BY decision_id').all();
      assert.deepEqual(rows, [
        { gate_id: 'F001.01', gate_kind: 'review', decision: 'rejected', note: 'the totals round wrong' },
        { gate_id: 'F001.01', gate_kind: 'review', decision: 'approved', note: 'totals fixed' },
      ]);
    } finally {
      db.close();
    }
  });
});
