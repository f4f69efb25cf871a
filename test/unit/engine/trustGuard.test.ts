// The Verify-line rules of the trust guard, in the orders a loaded machine produces: a plan read DURING an
// uncontained attempt (before the agent wrote) must not make the read after it look quiet.
import * as assert from 'node:assert/strict';
import { parseTaskList } from '../../../src/core/parser';
import { TrustGuard } from '../../../src/engine/trustGuard';

const plan = (verify2: string, verify3 = 'npm test'): ReturnType<typeof parseTaskList> =>
  parseTaskList(
    [
      '## E001: Core',
      '',
      '- [ ] **T001.001** Write the module',
      '- [ ] **T001.002** Check the module',
      `  - Verify: ${verify2}`,
      '- [ ] **T001.003** Test it',
      `  - Verify: ${verify3}`,
      '',
    ].join('\n'),
  );

describe('TrustGuard: Verify lines', () => {
  const guard = (): TrustGuard => new TrustGuard({ dbPath: '/nonexistent/context.db', gitDirs: [] }, () => false);

  it('holds a line an agent changed even when a read during the attempt came before the write', () => {
    const g = guard();
    g.trustPlan(plan('npm run check'));
    const ended = g.attemptStarted(false);
    assert.deepEqual(g.observePlan(plan('npm run check')), []); // a write-back while the agent runs, before it writes
    ended(); // the agent wrote the plan and exited
    assert.deepEqual(g.observePlan(plan('touch pwned')), ['T001.002']);
    assert.ok('refused' in g.verifyFor('T001.002', 'touch pwned'));
  });

  it('keeps holding it at later quiet reads: a quiet window says nothing about text written before it', () => {
    const g = guard();
    g.trustPlan(plan('npm run check'));
    g.attemptStarted(false)();
    assert.deepEqual(g.observePlan(plan('touch pwned')), ['T001.002']);
    assert.deepEqual(g.observePlan(plan('touch pwned')), ['T001.002']);
    assert.ok('refused' in g.verifyFor('T001.002', 'touch pwned'));
  });

  it("trusts a person's edit made in a quiet window, and everything after trustPlan", () => {
    const g = guard();
    g.trustPlan(plan('npm run check'));
    g.attemptStarted(false)();
    assert.deepEqual(g.observePlan(plan('touch pwned')), ['T001.002']);
    // The person edits another task's Verify line while no agent runs: theirs.
    assert.deepEqual(g.observePlan(plan('touch pwned', 'npm run e2e')), ['T001.002']);
    assert.deepEqual(g.verifyFor('T001.003', 'npm run e2e'), { command: 'npm run e2e' });
    // `coditect sync`: the person says the plan as it is is theirs.
    g.trustPlan(plan('touch pwned', 'npm run e2e'));
    assert.deepEqual(g.verifyFor('T001.002', 'touch pwned'), { command: 'touch pwned' });
  });

  it('a read while an attempt runs holds a changed line, and so does the next read after it ends', () => {
    const g = guard();
    g.trustPlan(plan('npm run check'));
    const ended = g.attemptStarted(false);
    assert.deepEqual(g.observePlan(plan('touch pwned')), ['T001.002']);
    ended();
    assert.deepEqual(g.observePlan(plan('touch pwned')), ['T001.002']);
  });

  it('contained (sandboxed) or simulated attempts open no window', () => {
    const g = new TrustGuard({ dbPath: '/nonexistent/context.db', gitDirs: [] }, () => true);
    g.trustPlan(plan('npm run check'));
    g.attemptStarted(false)();
    assert.deepEqual(g.observePlan(plan('npm run lint')), []);
    assert.deepEqual(g.verifyFor('T001.002', 'npm run lint'), { command: 'npm run lint' });
  });
});
