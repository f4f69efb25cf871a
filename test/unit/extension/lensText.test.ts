import * as assert from 'node:assert/strict';
import { featureGateLenses, HOVER_COMMANDS, LENS_COMMANDS, taskHover, taskLenses, textLens } from '../../../src/extension/lensText';
import { taskView } from './planFixture';

const now = Date.parse('2026-01-01T10:02:30Z');
const titles = (specs: { title: string }[]): string[] => specs.map((s) => s.title);

describe('editor CodeLens and hover text', () => {
  it('offers "▶ Run with agent (x)" on a ready task, passing the task id', () => {
    const lenses = taskLenses(taskView('T001.009', { ready: true, route: { agent: 'devops-engineer', rule: 'keyword', reason: 'helm' } }), {
      readOnly: false,
      now,
    });
    assert.deepEqual(titles(lenses), ['▶ Run with agent (devops-engineer)']);
    assert.equal(lenses[0].command, LENS_COMMANDS.run);
    assert.deepEqual(lenses[0].args, ['T001.009']);
  });

  it('shows running time and agent with a Cancel while running', () => {
    const t = taskView('T1', { status: 'in_progress', startedAt: '2026-01-01T10:00:00Z', route: { agent: 'backend-development', rule: 'k', reason: 'r' } });
    const lenses = taskLenses(t, { readOnly: false, now });
    assert.deepEqual(titles(lenses), ['⏳ Running 2m · backend-development', '■ Cancel']);
    const fresh = taskLenses({ ...t, startedAt: '2026-01-01T10:02:00Z' }, { readOnly: false, now });
    assert.equal(fresh[0].title, '⏳ Running <1m · backend-development');
    assert.equal(lenses[1].command, LENS_COMMANDS.cancel);
  });

  it('offers Review changes with its counts, Accept and Reject on a task whose branch waits for review', () => {
    const t = taskView('T3', { status: 'blocked', blocked: { reason: 'marked', root: 'T3', cause: 'T3 is marked blocked', text: 'T3 is marked blocked' } });
    const review = {
      state: 'awaiting_review' as const,
      reason: 'awaiting review (3 files, +120 −8)',
      stat: { files: 3, added: 120, deleted: 8, text: '3 files, +120 −8' },
    };
    const lenses = taskLenses(t, { readOnly: false, now, review });
    assert.deepEqual(titles(lenses), ['🔍 Review changes (3 files, +120 −8)', '✓ Accept', '✗ Reject…']);
    assert.deepEqual(
      lenses.map((l) => [l.command, l.args]),
      [
        [LENS_COMMANDS.review, ['T3']],
        [LENS_COMMANDS.accept, ['T3']],
        [LENS_COMMANDS.reject, ['T3']],
      ],
    );
    assert.deepEqual(titles(taskLenses(t, { readOnly: true, now, review })), ['🔍 Review changes (3 files, +120 −8)'], 'no verdict in Restricted Mode');
    assert.deepEqual(titles(taskLenses(t, { readOnly: false, now })), ['⛔ T3 is marked blocked'], 'without a review: the blockage');
  });

  it('offers Retry and Log after a failure or a timeout', () => {
    assert.deepEqual(titles(taskLenses(taskView('T1', { status: 'failed' }), { readOnly: false, now })), ['✖ Failed', '↻ Retry', '📄 Log']);
    const timeout = taskLenses(taskView('T1', { status: 'timeout' }), { readOnly: false, now });
    assert.deepEqual(titles(timeout), ['⌛ Timed out', '↻ Retry', '📄 Log']);
    assert.equal(timeout[1].command, LENS_COMMANDS.retry);
    assert.equal(timeout[2].command, LENS_COMMANDS.log);
  });

  it('says a simulated run was simulated and executed nothing; a real one is done', () => {
    const lastRun = { attempt: 1, agent: 'backend-development', outcome: 'completed' as const, startedAt: 'a', endedAt: 'b', durationMs: 2100 };
    const sim = taskLenses(taskView('T1', { status: 'completed', lastRun: { ...lastRun, simulated: true, summary: '[dry-run] simulated' } }), {
      readOnly: false,
      now,
    });
    assert.deepEqual(titles(sim), ['✓ Simulated in 2s · backend-development (dry-run: nothing was executed)']);
    assert.equal(sim[0].tooltip, '[dry-run] simulated');
    assert.equal(sim[0].command, LENS_COMMANDS.log);
    assert.deepEqual(titles(taskLenses(taskView('T1', { status: 'completed', lastRun }), { readOnly: false, now })), ['✓ Done in 2s · backend-development']);
  });

  it('gives every task line a row: done and skipped ones a quiet label with no action', () => {
    const ticked = taskLenses(taskView('T1', { status: 'completed' }), { readOnly: false, now });
    assert.deepEqual(titles(ticked), ['✓ Done']);
    assert.equal(ticked[0].command, '');
    const skipped = taskLenses(taskView('T1', { status: 'skipped' }), { readOnly: false, now });
    assert.deepEqual(titles(skipped), ['⤼ Skipped']);
    assert.equal(skipped[0].command, '');
    for (const status of ['completed', 'skipped', 'failed', 'in_progress', 'pending'] as const)
      assert.ok(taskLenses(taskView('T1', { status }), { readOnly: true, now }).length > 0, `a ${status} task has a lens in Restricted Mode too`);
  });

  it('says what a waiting task waits for, and reveals it on click', () => {
    const lenses = taskLenses(taskView('T2', { waitingOn: ['T001.009', 'T001.010'] }), { readOnly: false, now });
    assert.deepEqual(titles(lenses), ['⛔ Waiting for T001.009 +1']);
    assert.equal(lenses[0].command, LENS_COMMANDS.reveal);
    assert.deepEqual(lenses[0].args, ['T001.009']);
    const text = 'T2 is blocked by "Infrastructure FDB operational"';
    const held = taskView('T2', { blockers: ['Infrastructure FDB operational'], blocked: { reason: 'external', root: 'T2', cause: text, text } });
    assert.deepEqual(titles(taskLenses(held, { readOnly: false, now })), [`⛔ ${text}`]);
    // Held by something upstream: the lens says what, and reveals the task it waits on.
    const downstream = taskView('T3', {
      waitingOn: ['T2'],
      blocked: { reason: 'failed-dependency', root: 'T1', via: 'T2', cause: 'T1 failed', text: 'waits on T2: T1 failed' },
    });
    const lens = taskLenses(downstream, { readOnly: false, now });
    assert.deepEqual(titles(lens), ['⛔ waits on T2: T1 failed']);
    assert.equal(lens[0].command, LENS_COMMANDS.reveal);
    assert.deepEqual(lens[0].args, ['T2']);
  });

  it('runs, retries and cancels nothing in a read-only (untrusted) workspace', () => {
    const cmds = [taskView('T', { ready: true }), taskView('T', { status: 'in_progress' }), taskView('T', { status: 'failed' })].flatMap((t) =>
      taskLenses(t, { readOnly: true, now }).map((l) => l.command),
    );
    for (const c of [LENS_COMMANDS.run, LENS_COMMANDS.cancel, LENS_COMMANDS.retry]) assert.ok(!cmds.includes(c), `${c} offered in read-only mode`);
  });

  it('hover lists dependencies and dependents with their states and the last result', () => {
    const deps = new Map([
      ['T0', taskView('T0', { status: 'completed', title: 'Schema' })],
      ['T9', taskView('T9', { waitingOn: ['T1'], title: 'Consumer' })],
    ]);
    const t = taskView('T1', { dependsOn: [{ id: 'T0', type: 'blocks', source: 'explicit' }], dependents: ['T9'] });
    const md = taskHover(t, (id) => deps.get(id));
    assert.match(md, /Depends on:\n- \*\*T0\*\* Schema — completed/);
    assert.match(md, /Dependents:\n- \*\*T9\*\* Consumer — waiting/);
    assert.match(md, /Last result: never run/);
  });

  it('hover links do what the state allows: Run a ready task, Retry a failed one, Cancel a running one, its log, the tree', () => {
    const link = (cmd: string, id: string): string => `command:${cmd}?${encodeURIComponent(JSON.stringify([id]))}`;
    const none = (): undefined => undefined;
    const ready = taskHover(taskView('T1', { ready: true }), none);
    assert.ok(ready.includes(`[▶ Run](${link('coditect.runTaskWithAgent', 'T1')}`), ready);
    assert.ok(ready.includes(link('coditect.revealInTree', 'T1')));
    assert.ok(!ready.includes('coditect.showTaskLog'), 'no log before a run');
    const failed = taskView('T2', {
      status: 'failed',
      lastRun: { attempt: 1, agent: 'a', outcome: 'failed' as const, startedAt: 'a', endedAt: 'b', durationMs: 1000 },
    });
    const f = taskHover(failed, none);
    assert.ok(f.includes(link('coditect.retryTask', 'T2')) && f.includes(link('coditect.showTaskLog', 'T2')) && !f.includes('runTaskWithAgent'), f);
    const running = taskHover(taskView('T3', { status: 'in_progress' }), none);
    assert.ok(running.includes(link('coditect.cancelTask', 'T3')) && running.includes(link('coditect.showTaskLog', 'T3')), running);
    // Restricted Mode: nothing that starts or changes a task.
    const ro = taskHover(taskView('T1', { ready: true }), none, { readOnly: true });
    assert.ok(!ro.includes('runTaskWithAgent') && ro.includes('coditect.revealInTree'), ro);
    // Every link runs a command the hover trusts.
    for (const m of [ready, f, running].join('\n').matchAll(/\(command:([\w.]+)\?/g)) assert.ok(HOVER_COMMANDS.includes(m[1]), m[1]);
  });

  it('a gated feature that waits: its heading says so and offers Approve and Reject with the feature id (none read-only)', () => {
    const w = { id: 'F001.01', title: 'Invoices', holds: 2 };
    const lenses = featureGateLenses(w, { readOnly: false });
    assert.deepEqual(titles(lenses), ["⏸ Feature F001.01 is done and waits for a person's approval · holds 2 tasks", '✓ Approve', '✗ Reject…']);
    assert.deepEqual(
      lenses.slice(1).map((l) => [l.command, l.args]),
      [
        [LENS_COMMANDS.approveGate, ['F001.01']],
        [LENS_COMMANDS.rejectGate, ['F001.01']],
      ],
    );
    assert.deepEqual(titles(featureGateLenses({ ...w, holds: 1 }, { readOnly: true })), [
      "⏸ Feature F001.01 is done and waits for a person's approval · holds 1 task",
    ]);
  });

  it("before the engine's plan arrives, a task line's lens says what its checkbox says and offers nothing to run", () => {
    assert.deepEqual(
      (['x', 'X', '-', '/', ' '] as const).map((m) => [textLens(m).title, textLens(m).command]),
      [
        ['✓ Done', ''],
        ['✓ Done', ''],
        ['⤼ Skipped', ''],
        ['◐ In progress (marked by hand) · loading…', ''],
        ['○ Loading the plan…', ''],
      ],
    );
    assert.match(textLens(' ').tooltip ?? '', /still reading the plan/);
  });
});
