// The Verify-line rules of the trust guard, in the orders a loaded machine produces: a plan read DURING an
// uncontained attempt (before the agent wrote) must not make the read after it look quiet.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('TrustGuard: the guard of one attempt', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coditect-attempt-guard-'));
    writeFileSync(join(dir, 'context.db'), `SQLite format 3\u0000${'x'.repeat(200)}`);
    writeFileSync(join(dir, 'config.json'), '{}');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const guard = (): TrustGuard => new TrustGuard({ dbPath: join(dir, 'context.db'), configPath: join(dir, 'config.json'), gitDirs: [] }, () => false);

  it('names what the agent changed at the audit; end audits only when nothing did, and closes the window', () => {
    const g = guard();
    const damage: string[] = [];
    const mark = g.mark();
    const a = g.guardAttempt(false, (m) => damage.push(m));
    assert.equal(g.couldWriteSince(mark), true, 'an uncontained attempt runs');
    writeFileSync(join(dir, 'config.json'), '{"agents":{}}');
    assert.match(a.audit() ?? '', /the config .*config\.json changed during the attempt/);
    rmSync(join(dir, 'context.db'));
    a.end();
    assert.deepEqual(damage, [], 'audited already: the end does not look again');
    const after = g.mark();
    assert.equal(g.couldWriteSince(after), false, 'the window is closed');
  });

  it('a destroyed database found at the end is handed over, once', () => {
    const g = guard();
    const damage: string[] = [];
    const a = g.guardAttempt(true, (m) => damage.push(m));
    writeFileSync(join(dir, 'context.db'), 'gone');
    a.end();
    a.end();
    assert.equal(damage.length, 1);
    assert.match(damage[0], /context\.db was truncated to 4 bytes/);
  });
});
