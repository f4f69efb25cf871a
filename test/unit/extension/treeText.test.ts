import * as assert from 'node:assert/strict';
import { displayState, escapeMarkdown, formatDuration, progressText } from '../../../src/extension/taskState';
import { groupDescription, groupIcon, taskContextValue, taskDescription, taskIcon, taskLabel, taskTooltip, formatHours } from '../../../src/extension/treeText';
import { taskView } from './planFixture';

describe('editor tree text', () => {
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

  it('gives each state its codicon, running spins', () => {
    assert.equal(taskIcon(taskView('T', { status: 'in_progress' })).id, 'loading~spin');
    assert.equal(taskIcon(taskView('T', { ready: true })).id, 'play-circle');
    assert.equal(taskIcon(taskView('T', { status: 'completed' })).id, 'pass-filled');
    assert.equal(taskIcon(taskView('T', { status: 'failed' })).id, 'error');
    assert.equal(taskIcon(taskView('T', { status: 'timeout' })).id, 'watch');
    assert.equal(
      taskIcon(taskView('T', { blockers: ['x'], blocked: { reason: 'external', root: 'T', cause: 'T is blocked by "x"', text: 'T is blocked by "x"' } })).id,
      'lock',
    );
    assert.equal(taskIcon(taskView('T')).id, 'circle-large-outline');
  });

  it('writes progress as "3/16 · 19%"', () => {
    assert.equal(progressText(3, 16), '3/16 · 19%');
    assert.equal(progressText(0, 0), '0/0');
    assert.equal(progressText(122, 122), '122/122 · 100%');
    assert.equal(groupDescription({ completed: 3, total: 16 }, { running: 2 }), '3/16 · 19% · 2 running');
  });

  it('shows a group as done, running, failing or open', () => {
    assert.equal(groupIcon({ total: 2, completed: 2, running: 0, failed: 0 }, 'epic').id, 'pass-filled');
    assert.equal(groupIcon({ total: 2, completed: 0, running: 1, failed: 1 }, 'epic').id, 'loading~spin');
    assert.equal(groupIcon({ total: 2, completed: 0, running: 0, failed: 1 }, 'feature').id, 'warning');
    assert.equal(groupIcon({ total: 0, completed: 0, running: 0, failed: 0 }, 'epic').id, 'milestone');
  });

  it('labels a task with its id and describes it with agent and priority', () => {
    const t = taskView('T001.003', {
      title: 'Implement publisher',
      priority: 'P0',
      route: { agent: 'backend-development', rule: 'keyword', reason: 'publish' },
    });
    assert.equal(taskLabel(t), 'T001.003 Implement publisher');
    assert.equal(taskDescription(t), 'backend-development · P0');
    assert.equal(taskDescription(taskView('T', { route: { agent: 'dry-run', rule: 'd', reason: '' } })), 'dry-run');
  });

  it('puts dependencies with their states, blocker, estimate and last run in the tooltip', () => {
    const dep = taskView('T001.001', { status: 'completed' });
    const t = taskView('T001.003', {
      title: 'Publisher *with* retries',
      priority: 'P1',
      estimateHours: 16,
      dependsOn: [
        { id: 'T001.001', type: 'blocks', source: 'explicit' },
        { id: 'T001.002', type: 'soft', source: 'implicit' },
      ],
      waitingOn: [],
      blockers: ['Infrastructure FDB operational'],
      lastRun: {
        attempt: 2,
        agent: 'dry-run',
        outcome: 'failed',
        startedAt: '2026-01-01T00:00:00Z',
        endedAt: '2026-01-01T00:03:00Z',
        durationMs: 180_000,
        error: 'exit code 1',
      },
    });
    const tip = taskTooltip(t, (id) => (id === 'T001.001' ? dep : undefined));
    assert.match(tip, /Publisher \\\*with\\\* retries/, 'titles are escaped');
    assert.match(tip, /T001\\\.001 \(completed\)/);
    assert.match(tip, /T001\\\.002 \(unknown, soft\)/);
    assert.match(tip, /Blocked by: "Infrastructure FDB operational"/);
    assert.match(tip, /2d estimate/);
    assert.match(tip, /Last run: #2 failed after 3m with `dry-run`: exit code 1/);
  });

  it('offers in the context menu only what applies to the state', () => {
    assert.match(taskContextValue(taskView('T', { ready: true })), /\bcanRun\b/);
    assert.doesNotMatch(taskContextValue(taskView('T', { waitingOn: ['X'] })), /\bcanRun\b/);
    const running = taskContextValue(taskView('T', { status: 'in_progress' }));
    assert.match(running, /\bcanCancel\b/);
    assert.doesNotMatch(running, /\bcanMarkDone\b/);
    assert.match(taskContextValue(taskView('T', { status: 'failed' })), /\bcanRetry\b.*\bcanMarkDone\b.*\bcanSkip\b/);
    assert.match(taskContextValue(taskView('T', { status: 'completed' })), /\bcanReopen\b/);
  });

  it('formats durations, hours and markdown escapes', () => {
    assert.equal(formatDuration(45_000), '45s');
    assert.equal(formatDuration(125_000), '2m');
    assert.equal(formatDuration(3_900_000), '1h 05m');
    assert.equal(formatDuration(-5), '0s');
    assert.equal(formatHours(6), '6h');
    assert.equal(formatHours(40), '5d');
    assert.equal(escapeMarkdown('[x](javascript:alert) <b>'), '\\[x\\]\\(javascript:alert\\) \\<b\\>');
  });
});
