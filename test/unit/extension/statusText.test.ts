import * as assert from 'node:assert/strict';
import { formatTaskLog, keyNote, statusSpec } from '../../../src/extension/statusText';
import { TASK_LOG_ATTEMPTS } from '../../../src/protocol/engineProtocol';
import { zeroCounts } from './planFixture';

describe('editor status bar and log text', () => {
  it('reads "⚙ 3 running · 29/122", spinning while orchestration runs', () => {
    const counts = { ...zeroCounts(), total: 122, done: 29, completed: 27, skipped: 2, inProgress: 3 };
    assert.equal(statusSpec({ lifecycle: 'running', counts, state: 'running' }).text, '$(gear~spin) 3 running · 29/122');
    assert.equal(statusSpec({ lifecycle: 'running', counts, state: 'idle' }).text, '$(gear) 3 running · 29/122');
    assert.match(
      statusSpec({ lifecycle: 'running', counts, state: 'idle' }).tooltip,
      /29 of 122 done · 3 running/,
      'done counts skipped tasks, as every view does',
    );
  });

  it('says plainly when agents are simulated or the workspace is read-only', () => {
    const s = statusSpec({ lifecycle: 'running', counts: zeroCounts(), state: 'idle', simulated: true, readOnly: true });
    assert.match(s.text, /dry-run · read-only$/);
    assert.match(s.tooltip, /Simulation: agents are dry-run \(nothing is executed\): no Anthropic API key is in use and no other default agent is chosen/);
    assert.match(s.tooltip, /Restricted Mode/);
  });

  it('after "Set API key → Later" says the key is saved and waits for a restart, never that no key is set', () => {
    const saved = statusSpec({ lifecycle: 'running', counts: zeroCounts(), state: 'idle', simulated: true, keyChange: 'saved' });
    assert.doesNotMatch(saved.tooltip, /no Anthropic API key/);
    assert.match(saved.tooltip, /Anthropic API key saved — restart the engine to use it \("CODITECT: Restart Engine"\); until then agents are simulated/);
    assert.equal(keyNote(false, 'saved'), 'Anthropic API key saved — restart the engine to use it ("CODITECT: Restart Engine").');
    assert.match(keyNote(false, 'removed')!, /^Anthropic API key removed from secret storage — the running engine keeps using it until it restarts/);
    assert.equal(keyNote(false, undefined), undefined);
  });

  it('says "stalled" as a warning, with what holds the plan, instead of spinning forever', () => {
    const counts = { ...zeroCounts(), total: 122, done: 112, completed: 112, blocked: 8, failed: 2 };
    const stalls = [
      { reason: 'external' as const, root: 'T002.004', text: 'T002.004 is blocked by "FDB cluster"', holds: ['T002.004', 'T002.011'] },
      { reason: 'failed-dependency' as const, root: 'T005.001', text: 'T005.001 failed', holds: ['T005.002'] },
    ];
    const s = statusSpec({ lifecycle: 'running', counts, state: 'stalled', stalls });
    assert.equal(s.text, '$(warning) stalled · 112/122');
    assert.equal(s.warning, true);
    assert.match(s.tooltip, /\*\*Stalled\*\*: nothing runs and nothing can start until a person acts/);
    // Markdown-escaped (`T002\.004`) so a title written by a person renders as text.
    assert.match(s.tooltip, /- T002\\\.004 is blocked by "FDB cluster" \(holds 2\)\n- T005\\\.001 failed \(holds 1\)/);
    assert.match(s.tooltip, /112 of 122 done · 8 blocked · 2 failed/);
  });

  it('names the engine this window is attached to, the daemon or another window, and what that means', () => {
    const counts = { ...zeroCounts(), total: 12, done: 1, completed: 1, inProgress: 1 };
    const daemon = statusSpec({ lifecycle: 'running', counts, state: 'running', simulated: true, attachedTo: { pid: 4242, kind: 'daemon' } });
    assert.equal(daemon.text, '$(gear~spin) 1 running · 1/12 · dry-run · attached to daemon pid 4242');
    assert.match(daemon.tooltip, /Attached to the daemon, pid 4242, which owns this plan: .* If it stops, this window takes the plan over\./);
    const window = statusSpec({ lifecycle: 'running', counts, state: 'idle', attachedTo: { pid: 77, kind: 'engine' } });
    assert.equal(window.text, '$(gear) 1 running · 1/12 · attached to engine pid 77');
    assert.match(window.tooltip, /Attached to another window's \(or `coditect run`'s\) engine, pid 77/);
    // The owner itself says nothing of the kind.
    assert.doesNotMatch(statusSpec({ lifecycle: 'running', counts, state: 'idle' }).text, /attached/);
  });

  it('shows a failed engine as a warning with the reason', () => {
    const s = statusSpec({ lifecycle: 'failed', failure: 'exit code 78' });
    assert.equal(s.warning, true);
    assert.match(s.tooltip, /exit code 78/);
  });

  it('formats a task log newest attempt first with outcome, usage, error and output', () => {
    const text = formatTaskLog('T1', 'Build', [
      {
        attempt: 2,
        agent: 'anthropic',
        outcome: 'completed',
        startedAt: 'a',
        endedAt: 'b',
        durationMs: 65_000,
        tokensIn: 10,
        tokensOut: 5,
        costUsd: 0.0123,
        stdout: 'done\n',
      },
      { attempt: 1, agent: 'anthropic', outcome: 'failed', startedAt: 'c', exitCode: 1, error: 'rate limited' },
    ]);
    const lines = text.split('\n');
    assert.equal(lines[0], 'T1 Build');
    assert.ok(text.indexOf('attempt 2') < text.indexOf('attempt 1'));
    assert.match(text, /=== run 2 of 2 · attempt 2 · anthropic · completed after 1m 05s ===/);
    assert.match(text, /=== run 1 of 2 · attempt 1 · anthropic · failed ===/);
    assert.match(text, /10 tokens in · 5 tokens out · \$0\.0123/);
    assert.match(text, /exit code 1/);
    assert.match(text, /error: rate limited/);
    assert.match(text, /--- stdout ---\ndone/);
    assert.match(formatTaskLog('T2', undefined, []), /No attempt recorded yet/);
  });

  it('numbers the runs, so two runs that are both attempt 1 (a person retried in between) read apart', () => {
    const text = formatTaskLog('T1', 'Build', [
      { attempt: 1, agent: 'breaks', outcome: 'completed', startedAt: 'later' },
      { attempt: 1, agent: 'breaks', outcome: 'failed', startedAt: 'first', exitCode: 1 },
    ]);
    assert.ok(text.indexOf('=== run 2 of 2 · attempt 1 · breaks · completed ===') < text.indexOf('=== run 1 of 2 · attempt 1 · breaks · failed ==='), text);
    // One run: no numbering to read.
    assert.match(formatTaskLog('T1', 'Build', [{ attempt: 1, agent: 'a', outcome: 'completed', startedAt: 's' }]), /^=== attempt 1 · a · completed ===$/m);
    // The engine's answer holds the newest TASK_LOG_ATTEMPTS only: the runs are counted from the oldest shown, and said so.
    const many = Array.from({ length: TASK_LOG_ATTEMPTS }, (_, i) => ({ attempt: 1, agent: 'a', outcome: 'failed', startedAt: `s${i}` }));
    const cut = formatTaskLog('T1', undefined, many);
    assert.match(cut, new RegExp(`^The newest ${TASK_LOG_ATTEMPTS} runs, counted from the oldest shown; older ones are kept in context\\.db`, 'm'));
    assert.match(cut, new RegExp(`^=== run ${TASK_LOG_ATTEMPTS} · attempt 1 · a · failed ===$`, 'm'));
    assert.doesNotMatch(cut, / of \d+ · attempt/);
  });

  it("marks a simulated attempt in the log and shows the agent's summary", () => {
    const text = formatTaskLog('T1', 'Build', [
      {
        attempt: 1,
        agent: 'backend-development',
        outcome: 'completed',
        startedAt: 'a',
        endedAt: 'b',
        durationMs: 2000,
        tokensIn: 0,
        tokensOut: 0,
        simulated: true,
        summary: '[dry-run] simulated: task T1 "Build" — nothing was executed',
      },
    ]);
    assert.match(text, /=== attempt 1 · backend-development · simulated after 2s ===/);
    assert.match(text, /SIMULATED: the dry-run agent ran this attempt; nothing was executed/);
    assert.match(text, /--- summary ---\n\[dry-run\] simulated: task T1 "Build" — nothing was executed/);
  });

  it("shows the agent's four-point report as its own words, lists one item a line", () => {
    const text = formatTaskLog('T1', 'Build', [
      {
        attempt: 1,
        agent: 'backend-development',
        outcome: 'completed',
        startedAt: 'a',
        summary: 'Added the queue.',
        filesChanged: ['src/queue.ts', 'test/queue.test.ts'],
        testsRun: [],
        completionStatus: 'complete: all checks pass',
      },
    ]);
    assert.match(
      text,
      /--- summary ---\nAdded the queue\.\n\n--- the agent's report \(its own words, not checked\) ---\nFiles changed:\n {2}- src\/queue\.ts\n {2}- test\/queue\.test\.ts\nTests run: none\nCompletion status: complete: all checks pass\n/,
    );
    assert.doesNotMatch(formatTaskLog('T2', undefined, [{ attempt: 1, agent: 'a', outcome: 'failed', startedAt: 'a' }]), /report/);
  });
});
