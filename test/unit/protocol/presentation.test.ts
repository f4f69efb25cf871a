import * as assert from 'node:assert/strict';
import { addToProgress, countsAsDone, emptyProgress, isComplete, progressOf } from '../../../src/core/progress';
import {
  changedFilesText,
  countsText,
  displayState,
  formatDuration,
  formatSpan,
  formatEstimate,
  formatPercent,
  formatRate,
  formatWhen,
  kpiLine,
  kpiRows,
  lastRunHead,
  olderCopyText,
  outcomeLabel,
  progressText,
  remainingOf,
} from '../../../src/protocol/presentation';
import { emptyPlanCounts, type LastRunView } from '../../../src/protocol/views';
import { taskView } from '../extension/planFixture';

describe('one rule of done (src/core/progress.ts)', () => {
  it('counts completed and skipped tasks as done, nothing else', () => {
    for (const s of ['completed', 'skipped'] as const) assert.equal(countsAsDone({ status: s }), true, s);
    for (const s of ['pending', 'in_progress', 'blocked', 'failed', 'timeout', 'cancelled'] as const) assert.equal(countsAsDone({ status: s }), false, s);
  });

  it('adds and takes out a task, and says when a group is complete', () => {
    const p = progressOf([{ status: 'completed' }, { status: 'skipped' }, { status: 'failed' }]);
    assert.deepEqual(p, { done: 2, total: 3 });
    assert.equal(isComplete(p), false);
    addToProgress(p, { status: 'failed' }, -1);
    assert.deepEqual(p, { done: 2, total: 2 });
    assert.equal(isComplete(p), true);
    assert.equal(isComplete(emptyProgress()), false, 'an empty group has nothing done');
  });
});

describe('presentation (src/protocol/presentation.ts)', () => {
  it('rounds a percentage down, never reads 100% before all is done nor 0% once something is', () => {
    assert.equal(formatPercent(199, 200), '99%');
    assert.equal(formatPercent(200, 200), '100%');
    assert.equal(formatPercent(1, 500), '1%');
    assert.equal(formatPercent(0, 500), '0%');
    assert.equal(formatPercent(43, 100), '43%');
    assert.equal(formatPercent(3, 7), '42%', '42.86 is 42%, everywhere');
    assert.equal(formatPercent(0, 0), '0%');
    assert.equal(formatPercent(Number.NaN, 10), '0%');
  });

  it('writes progress as "3/16 · 18%" and an empty group as 0/0', () => {
    assert.equal(progressText({ done: 3, total: 16 }), '3/16 · 18%');
    assert.equal(progressText({ done: 0, total: 0 }), '0/0');
    assert.equal(progressText({ done: 122, total: 122 }), '122/122 · 100%');
  });

  it('has one duration format: 45s, 3m 05s, 1h 05m, 3d 4h; coarse drops the seconds', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(45_900), '45s');
    assert.equal(formatDuration(185_000), '3m 05s');
    assert.equal(formatDuration(3_900_000), '1h 05m');
    assert.equal(formatDuration((3 * 24 + 4) * 3_600_000), '3d 4h');
    assert.equal(formatDuration(-1), '—');
    assert.equal(formatDuration(Number.NaN), '—');
    assert.equal(formatDuration(45_000, true), '<1m');
    assert.equal(formatDuration(185_000, true), '3m');
    assert.equal(formatDuration(3_900_000, true), '1h 05m');
  });

  it('names a span in an engine message in the same form, with the milliseconds below a second (a timeout, a pause)', () => {
    assert.equal(formatSpan(120), '120ms');
    assert.equal(formatSpan(0), '0ms');
    assert.equal(formatSpan(999.6), '999ms', 'floored, like formatDuration');
    assert.equal(formatSpan(1000), formatDuration(1000));
    assert.equal(formatSpan(5_400_000), '1h 30m');
    assert.equal(formatSpan(-1), '—');
    assert.equal(formatSpan(Number.NaN), '—');
  });

  it('writes a moment as 14:05 on the same local day, and names the day otherwise (a reset past midnight)', () => {
    const at = new Date(2026, 11, 3, 0, 33, 0);
    assert.equal(formatWhen(at.toISOString(), new Date(2026, 11, 3, 18, 0, 0).getTime()), '00:33');
    assert.equal(formatWhen(at.getTime(), new Date(2026, 11, 2, 23, 33, 0).getTime()), 'Dec 3, 00:33');
    assert.equal(formatWhen('not a time'), 'not a time');
  });

  it('writes estimates in hours as people write them, and rates', () => {
    assert.equal(formatEstimate(16), '16h');
    assert.equal(formatEstimate(40), '40h');
    assert.equal(formatEstimate(0.5), '0.5h');
    assert.equal(formatRate(0), '0');
    assert.equal(formatRate(0.44), '0.4');
    assert.equal(formatRate(12.4), '12');
  });

  it('splits pending into ready, waiting and blocked, and maps in_progress to running', () => {
    assert.equal(displayState(taskView('T', { ready: true })), 'ready');
    assert.equal(displayState(taskView('T', { waitingOn: ['T0'] })), 'pending');
    assert.equal(
      displayState(
        taskView('T', { blockers: ['FDB operational'], blocked: { reason: 'external', root: 'T', cause: 'T is blocked by "x"', text: 'T is blocked by "x"' } }),
      ),
      'blocked',
    );
    // One definition: whatever the engine says is blocked (a failure upstream here) is shown blocked, nothing else.
    assert.equal(
      displayState(
        taskView('T', { waitingOn: ['T0'], blocked: { reason: 'failed-dependency', root: 'T0', cause: 'T0 failed', text: 'waits on T0: T0 failed' } }),
      ),
      'blocked',
    );
    assert.equal(displayState(taskView('T', { blockers: ['not held any more'] })), 'pending');
    assert.equal(displayState(taskView('T', { status: 'in_progress' })), 'running');
    assert.equal(displayState(taskView('T', { status: 'timeout' })), 'timeout');
  });

  it('says "simulated" for a dry-run success, never "completed"', () => {
    const run: LastRunView = {
      attempt: 1,
      agent: 'backend-development',
      outcome: 'completed',
      startedAt: 'a',
      endedAt: 'b',
      durationMs: 2100,
      simulated: true,
    };
    assert.equal(outcomeLabel(run), 'simulated');
    assert.equal(lastRunHead(run), '#1 simulated after 2s with backend-development (simulated: nothing was executed)');
    assert.equal(outcomeLabel({ ...run, simulated: false }), 'completed');
    assert.equal(outcomeLabel({ outcome: 'verify_failed' }), 'failed verification');
    assert.equal(outcomeLabel({ outcome: 'timeout' }), 'timed out');
  });

  it('reads the plan counts with ready as part of pending', () => {
    const c = { ...emptyPlanCounts(), total: 10, done: 4, completed: 3, skipped: 1, inProgress: 1, pending: 5, ready: 2 };
    assert.equal(countsText(c), '4 of 10 done · 1 running · 5 pending (2 ready) · 1 skipped');
    assert.equal(remainingOf(c), 6);
  });

  it('writes the KPIs in one line (the CLI) with the figures the dashboard shows: 99.6% is 99%, never 100%', () => {
    const k = {
      autonomyRate: 0.996,
      successRate: 0.5,
      tasksPerHour: 12.4,
      uptimeRatio: 0.9996,
      windowSeconds: 7 * 86_400,
      dispatchLatencyP50Seconds: 0.4,
      dispatchLatencyP95Seconds: 12,
      dispatchSamples: 9,
    };
    assert.equal(kpiLine(k), 'autonomy 99%, success 50%, 12 tasks/hour, uptime 99.9% over 7 days, dispatch latency p50 0.40 s / p95 12 s (9 starts)');
    const rows = kpiRows(k);
    for (const [key, shown] of [
      ['autonomyRate', '99%'],
      ['successRate', '50%'],
      ['tasksPerHour', '12'],
      ['uptimeRatio', '99.9%'],
    ] as const)
      assert.equal(rows.find((r) => r.key === key)?.value, shown, key);
    const none = {
      ...k,
      autonomyRate: null,
      successRate: null,
      tasksPerHour: null,
      uptimeRatio: null,
      dispatchLatencyP50Seconds: null,
      dispatchLatencyP95Seconds: null,
      dispatchSamples: 0,
    };
    assert.equal(kpiLine(none), 'autonomy –, success –, – tasks/hour, uptime – over 7 days, dispatch latency p50 – / p95 – (0 starts)');
  });

  it('says what happened and what to do when an older copy of the plan was kept (src/core/olderCopy.ts), a long list cut with its count', () => {
    assert.equal(
      olderCopyText('PLAN.md', ['T1', 'T2']),
      'another program wrote an older copy of PLAN.md: T1, T2 stay completed; untick a task on its own to run it again',
    );
    const many = Array.from({ length: 30 }, (_, i) => `T${i + 1}`);
    assert.match(olderCopyText('PLAN.md', many), /: T1, T2, .*, T20, … \(30 tasks\) stay completed;/);
    assert.equal(
      olderCopyText('PLAN.md', ['T1'], ['T2', 'T3']),
      'another program wrote an older copy of PLAN.md: T1 stays completed, T2, T3 stay failed; untick a task or remove its badge on its own to run it again',
    );
  });

  it('says what work changed: each path once, the first ten then how many more, or no file', () => {
    assert.equal(changedFilesText(['src/a.ts', 'docs/a.md', 'src/a.ts']), 'changed src/a.ts, docs/a.md');
    assert.equal(changedFilesText([]), 'changed no file');
    const many = Array.from({ length: 13 }, (_, i) => `f${i}.ts`);
    assert.equal(changedFilesText(many), `changed ${many.slice(0, 10).join(', ')} and 3 more`);
  });
});
