import * as assert from 'node:assert/strict';
import { escapeMarkdown } from '../../../src/extension/taskState';
import {
  groupDescription,
  groupIcon,
  groupTooltip,
  tallyTasks,
  groupContextValue,
  taskContextValue,
  taskDescription,
  taskIcon,
  taskLabel,
  taskTooltip,
  taskTreeDescription,
} from '../../../src/extension/treeText';
import { taskView } from './planFixture';

describe('editor tree text', () => {
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

  it('writes group progress with the shared formatter, "3/16 · 18%", and what runs in it', () => {
    assert.equal(groupDescription({ done: 3, total: 16 }, { running: 2 }), '3/16 · 18% · 2 running');
    assert.equal(groupDescription({ done: 199, total: 200 }), '199/200 · 99%');
  });

  it('shows a group as done, running, failing or open', () => {
    assert.equal(groupIcon({ total: 2, done: 2, running: 0, failed: 0 }, 'epic').id, 'pass-filled');
    assert.equal(groupIcon({ total: 2, done: 0, running: 1, failed: 1 }, 'epic').id, 'loading~spin');
    assert.equal(groupIcon({ total: 2, done: 0, running: 0, failed: 1 }, 'feature').id, 'warning');
    assert.equal(groupIcon({ total: 0, done: 0, running: 0, failed: 0 }, 'epic').id, 'milestone');
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

  it('leads a tree row with priority and state; the agent is left to the tooltip', () => {
    const t = taskView('T001.003', { priority: 'P0', ready: true, route: { agent: 'backend-development', rule: 'keyword', reason: 'publish' } });
    assert.equal(taskTreeDescription(t), 'P0 · ready');
    assert.equal(taskTreeDescription(taskView('T', { status: 'in_progress' })), 'running');
    assert.equal(taskTreeDescription(taskView('T', { priority: 'P2', waitingOn: ['X'] })), 'P2 · waiting');
    // A gate waiting for a person says so; a task held behind it, or blocked for another reason, does not.
    const gate = { reason: 'gate' as const, root: 'T1', cause: "T1 waits for a person's approval", text: "T1 waits for a person's approval" };
    assert.equal(taskTreeDescription(taskView('T1', { priority: 'P0', status: 'blocked', gate: 'review', blocked: gate })), 'P0 · awaiting approval');
    assert.equal(taskTreeDescription(taskView('T2', { status: 'pending', blocked: { ...gate, via: 'T1', text: 'waits on T1: …' } })), 'blocked');
    const marked = { reason: 'marked' as const, root: 'T3', cause: 'T3 is blocked', text: 'T3 is blocked' };
    assert.equal(taskTreeDescription(taskView('T3', { status: 'blocked', blocked: marked })), 'blocked');
    assert.match(
      taskTooltip(t, () => undefined),
      /Agent: `backend-development`/,
    );
  });

  it("tells in a group's tooltip how many of its tasks are ready, running, blocked and failed", () => {
    const tasks = [
      taskView('A', { ready: true }),
      taskView('B', { ready: true }),
      taskView('C', { status: 'in_progress' }),
      taskView('D', { status: 'failed' }),
      taskView('E', { status: 'timeout' }),
      taskView('F', { blockers: ['x'], blocked: { reason: 'external', root: 'F', cause: 'F is blocked by "x"', text: 'F is blocked by "x"' } }),
      taskView('G', { status: 'completed' }),
      taskView('H', { waitingOn: ['A'] }),
    ];
    const tally = { total: 8, done: 1, ...tallyTasks(tasks) };
    assert.deepEqual(tallyTasks(tasks), { ready: 2, running: 1, blocked: 1, failed: 2 });
    assert.equal(
      groupTooltip({ id: 'F001.01', title: 'Messaging' }, tally),
      'F001.01: Messaging\n1/8 · 12%\n2 ready · 1 running · 1 blocked · 2 failed or timed out',
    );
    assert.equal(groupTooltip({ id: 'E002', title: '' }, { total: 2, done: 2, ready: 0, running: 0, blocked: 0, failed: 0 }), 'E002\n2/2 · 100%');
    // What the group's attempts cost (the engine's grouped sum), when anything.
    assert.equal(
      groupTooltip({ id: 'F001.01', title: 'Messaging', costUsd: 1.5 }, { total: 2, done: 2, ready: 0, running: 0, blocked: 0, failed: 0 }),
      'F001.01: Messaging\n2/2 · 100%\nSpent: $1.50',
    );
    // A gated feature says where its gate stands.
    assert.equal(
      groupTooltip({ id: 'F001.01', title: 'Invoices', gate: 'waiting' }, { total: 2, done: 2, ready: 0, running: 0, blocked: 1, failed: 0 }),
      "F001.01: Invoices\n2/2 · 100%\n1 blocked\nGate: review — awaiting approval: Approve Gate (the heading's lens, the palette) frees what depends on it",
    );
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
    assert.match(tip, /16h estimate/);
    assert.match(tip, /Last run: \\#2 failed after 3m 00s with dry\\-run: exit code 1/);
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

  it("says in the tooltip that a simulated run executed nothing, with the agent's summary", () => {
    const t = taskView('T1', {
      status: 'completed',
      lastRun: {
        attempt: 1,
        agent: 'backend-development',
        outcome: 'completed',
        startedAt: 'a',
        endedAt: 'b',
        durationMs: 2000,
        simulated: true,
        summary: '[dry-run] simulated: task T1 — nothing was executed',
      },
    });
    const tip = taskTooltip(t, () => undefined);
    assert.match(tip, /completed · simulated \\\(dry\\-run\\\)/);
    assert.match(tip, /Last run: \\#1 simulated after 2s with backend\\-development \\\(simulated: nothing was executed\\\): \\\[dry\\-run\\\] simulated/);
  });

  it('says in the tooltip which task in progress a ready task waits for, and the files it names', () => {
    const t = taskView('T2', { ready: true, files: ['src/models/user.py'], fileHold: 'waits for T1 (in progress): both name src/models/user.py' });
    const tip = taskTooltip(t, () => undefined);
    assert.match(tip, /Not started: waits for T1 \\\(in progress\\\): both name src\/models\/user\\\.py/);
    assert.match(tip, /Files: `src\/models\/user\.py`/);
    assert.doesNotMatch(
      taskTooltip(taskView('T3', { ready: true }), () => undefined),
      /Not started|Files:/,
    );
  });

  it('shows a branch waiting for review beside its task and offers the review actions', () => {
    const t = taskView('T3', { status: 'blocked', priority: 'P1' });
    const review = { state: 'needs_review' as const, stat: { text: '2 files, +5 −1' }, worktree: '/wt/T3' };
    assert.equal(taskTreeDescription(t, review), 'P1 · needs review · 2 files, +5 −1');
    assert.match(taskContextValue(t, review), /\bcanReview\b.*\bhasWorktree\b/);
    assert.doesNotMatch(taskContextValue(t), /\bcanReview\b|\bhasWorktree\b/);
    assert.doesNotMatch(taskContextValue(t, { ...review, worktree: undefined }), /\bhasWorktree\b/);
    assert.doesNotMatch(taskContextValue(t, review), /\bhasConflict\b/);
    // A feature whose gate waits gets the gated task's Approve/Reject menu; open or approved ones do not.
    assert.match(groupContextValue('feature', 'waiting'), /^feature\b.*\bcanApprove\b/);
    for (const gate of [undefined, 'open', 'approved'] as const) assert.equal(groupContextValue('feature', gate), 'feature');
    assert.equal(groupContextValue('epic'), 'epic');
    assert.match(
      taskContextValue(t, { ...review, conflict: true }),
      /\bcanReview\b.*\bhasConflict\b/,
      'a conflicted branch offers "Resolve Conflicts with Agent"',
    );
  });

  it('escapes markdown', () => {
    assert.equal(escapeMarkdown('[x](javascript:alert) <b>'), '\\[x\\]\\(javascript:alert\\) \\<b\\>');
  });
});
