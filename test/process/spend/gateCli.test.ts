// Gates through the built CLI (dry-run agents): a Gate: review task's result and a Review: checkpoint hold what
// depends on them; `run` ends stalled naming them, `status`/`next` show the waiting gates, `approve` (no engine
// running: opened here) ticks the gate in the markdown and records who and the note, `reject` needs a note, and the
// next `run` finishes the plan. The audit trail is read from context.db.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cliEnv, ensureBuilt, removeWorkspace, runCli, tempWorkspace } from '../cli/cliHarness';

const PLAN = `# Plan

## E001: Core

### F001.01: Parser

- [ ] **T001.001** Build the parser (P0, 2h)
  - Gate: review
- [ ] **T001.002** Wire the parser in (P1, 1h)
  - Depends on: T001.001
- [ ] **T001.003** Review: the parser's error messages read well
  - Depends on: T001.002
- [ ] **T001.004** Release (P2, 1h)
  - Depends on: T001.003
`;

describe('gates (built bundle, dry-run agents)', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => ensureBuilt());
  afterEach(() => dir && removeWorkspace(dir));

  it('run stops at each gate; status and next show it; approve and reject record who, when and the note', async () => {
    dir = tempWorkspace({ 'TASKLIST.md': PLAN });
    const env = cliEnv({});
    const run = async () => {
      const r = await runCli(['run', 'TASKLIST.md', '--agent', 'dry-run', '--json'], dir, env);
      return {
        code: r.code,
        out: JSON.parse(r.stdout) as Record<string, unknown> & { outcome: string; gates?: { id: string; line: number }[] },
        stderr: r.stderr,
      };
    };

    const first = await run();
    assert.equal(first.code, 1, first.stderr.slice(-2000));
    assert.equal(first.out.outcome, 'stalled');
    assert.deepEqual(
      first.out.gates?.map((g) => [g.id, g.line]),
      [['T001.001', 7]],
    );
    assert.match(readFileSync(join(dir, 'TASKLIST.md'), 'utf8'), /- \[ \] \*\*T001\.001\*\* Build the parser \(P0, 2h\) `status:blocked`\n {2}- Gate: review/);

    const status = JSON.parse((await runCli(['status', 'TASKLIST.md', '--json'], dir, env)).stdout);
    assert.deepEqual(status.gates.waiting, [{ id: 'T001.001', kind: 'review', title: 'Build the parser', line: 7, holds: 3 }]);
    assert.deepEqual(status.stalls[0], {
      reason: 'gate',
      root: 'T001.001',
      text: "T001.001 waits for a person's approval",
      holds: ['T001.001', 'T001.002', 'T001.003', 'T001.004'],
    });
    const text = (await runCli(['status', 'TASKLIST.md'], dir, env)).stdout;
    assert.match(text, /waiting for approval: T001\.001 "Build the parser" \(Gate: review, holds 3 tasks\): coditect approve \S*TASKLIST\.md T001\.001/);
    const next = JSON.parse((await runCli(['next', 'TASKLIST.md', '--json'], dir, env)).stdout);
    assert.deepEqual(next.ready, []);
    assert.deepEqual(
      next.gates.map((g: { id: string }) => g.id),
      ['T001.001'],
    );

    // reject needs a note; approve records who and the note.
    const noNote = await runCli(['reject', 'TASKLIST.md', 'T001.001'], dir, env);
    assert.equal(noNote.code, 2);
    assert.match(noNote.stderr, /reject needs --note TEXT/);
    const notGate = await runCli(['approve', 'TASKLIST.md', 'T001.002', '--json'], dir, env);
    assert.equal(notGate.code, 1);
    assert.match(JSON.parse(notGate.stdout).message, /T001\.002 is not a gate/);
    const approved = await runCli(['approve', 'TASKLIST.md', 'T001.001', '--note', 'reviewed the diff', '--json'], dir, env);
    assert.equal(approved.code, 0, approved.stderr);
    assert.deepEqual(JSON.parse(approved.stdout), {
      gateId: 'T001.001',
      decision: 'approved',
      done: true,
      message: 'T001.001 approved: what depends on it may start',
    });
    assert.match(readFileSync(join(dir, 'TASKLIST.md'), 'utf8'), /- \[x\] \*\*T001\.001\*\* Build the parser \(P0, 2h\)\n/);

    // The next run stops at the checkpoint (no agent runs it).
    const second = await run();
    assert.equal(second.out.outcome, 'stalled');
    assert.deepEqual(
      second.out.gates?.map((g) => g.id),
      ['T001.003'],
    );
    const rejected = await runCli(['reject', 'TASKLIST.md', 'T001.003', '--note', 'the messages lack line numbers'], dir, env);
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.match(rejected.stdout, /T001\.003 was rejected and still waits for approval/);
    assert.equal((await runCli(['approve', 'TASKLIST.md', 'T001.003'], dir, env)).code, 0);

    const third = await run();
    assert.equal(third.code, 0, third.stderr.slice(-2000));
    assert.equal(third.out.outcome, 'completed');
    assert.match(readFileSync(join(dir, 'TASKLIST.md'), 'utf8'), /- \[x\] \*\*T001\.003\*\* Review: the parser's error messages read well\n/);

    // The audit trail: every decision, who, when, the note.
    const db = new Database(join(dir, '.coditect', 'context.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT gate_id, gate_kind, decision, decided_by, decided_at, note FROM gate_decisions ORDER BY decision_id').all() as {
        gate_id: string;
        gate_kind: string;
        decision: string;
        decided_by: string;
        decided_at: string;
        note: string | null;
      }[];
      assert.deepEqual(
        rows.map((r) => [r.gate_id, r.gate_kind, r.decision, r.note]),
        [
          ['T001.001', 'review', 'approved', 'reviewed the diff'],
          ['T001.003', 'checkpoint', 'rejected', 'the messages lack line numbers'],
          ['T001.003', 'checkpoint', 'approved', null],
        ],
      );
      for (const r of rows) {
        assert.ok(r.decided_by.length > 0);
        assert.ok(Date.now() - Date.parse(r.decided_at) < 600_000, r.decided_at);
      }
    } finally {
      db.close();
    }
    const last = JSON.parse((await runCli(['status', 'TASKLIST.md', '--json'], dir, env)).stdout);
    assert.deepEqual(last.gates.waiting, []);
    assert.equal(last.gates.decisions[0].gateId, 'T001.003');
  });

  it("a rejection taken with no engine running reaches the next run's prompt (the note is not lost with the engine that took it)", async () => {
    // A command agent that logs each attempt and the previous result's note its prompt carries.
    const agent = [
      "const fs = require('fs');",
      'const t = JSON.parse(process.env.CODITECT_TASK_JSON);',
      "fs.appendFileSync(process.env.AGENT_LOG, process.env.CODITECT_TASK_ID + ' note ' + (t.previousError || '-') + '\\n');",
    ].join('\n');
    dir = tempWorkspace({ 'TASKLIST.md': PLAN, 'agent.js': agent });
    const log = join(dir, 'agent.log');
    const config = {
      default_agent: 'logger',
      agents: { logger: { kind: 'command', executable: process.execPath, args: [join(dir, 'agent.js')], stdin: 'none', env: { AGENT_LOG: log } } },
      sandbox: { mode: 'auto', writable_paths: [dir] },
      isolation: 'none',
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const env = cliEnv({});
    const cli = (...args: string[]) => runCli([...args, '--config', 'config.json'], dir, env);

    const first = await cli('run', 'TASKLIST.md');
    assert.equal(first.code, 1, first.stderr.slice(-2000));
    assert.ok(existsSync(log), first.stderr.slice(-3000));
    assert.equal(readFileSync(log, 'utf8'), 'T001.001 note -\n');

    const rejected = await cli('reject', 'TASKLIST.md', 'T001.001', '--note', 'keep the old error codes');
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.equal(readFileSync(log, 'utf8'), 'T001.001 note -\n', 'the engine the reject opened ran nothing');

    const second = await cli('run', 'TASKLIST.md');
    assert.equal(second.code, 1, 'the new result waits for approval again');
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    assert.deepEqual(lines, ['T001.001 note -', 'T001.001 note A person rejected the previous result: keep the old error codes']);

    // Answered by that attempt: a later rejection brings its own note, never the old one again.
    const third = await cli('reject', 'TASKLIST.md', 'T001.001', '--note', 'still not right');
    assert.equal(third.code, 0, third.stderr);
    await cli('run', 'TASKLIST.md');
    assert.equal(readFileSync(log, 'utf8').trim().split('\n').at(-1), 'T001.001 note A person rejected the previous result: still not right');
    assert.equal(readFileSync(log, 'utf8').trim().split('\n').length, 3);
  });
});
