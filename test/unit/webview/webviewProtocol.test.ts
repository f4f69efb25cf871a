import * as assert from 'node:assert/strict';
import { isFromWebview, isToWebview, toWebviewMessage, type DashboardEvent } from '../../../src/protocol/webviewProtocol';
import { fixtureSnapshot } from './dashboardFixture';

describe('webview protocol guards', () => {
  it('accepts every well-formed message from the webview', () => {
    for (const m of [
      { type: 'ready' },
      { type: 'revealTask', taskId: 'T001.003' },
      { type: 'control', action: 'pause' },
      { type: 'taskAction', action: 'retry', taskId: 'T002.002' },
    ]) {
      assert.equal(isFromWebview(m), true, JSON.stringify(m));
    }
  });

  it('rejects malformed or unknown messages from the webview (untrusted input)', () => {
    for (const m of [
      null,
      'ready',
      [],
      {},
      { type: 'eval', code: '1' },
      { type: 'revealTask' },
      { type: 'revealTask', taskId: '' },
      { type: 'revealTask', taskId: 'x'.repeat(200) },
      { type: 'revealTask', taskId: 42 },
      { type: 'control', action: 'format-disk' },
      { type: 'taskAction', action: 'run' },
      { type: 'taskAction', action: 'delete', taskId: 'T1' },
    ]) {
      assert.equal(isFromWebview(m), false, JSON.stringify(m));
    }
  });

  it('accepts well-formed messages to the webview and rejects others', () => {
    const snapshot = fixtureSnapshot();
    assert.equal(isToWebview({ type: 'snapshot', snapshot }), true);
    assert.equal(isToWebview({ type: 'tasks', tasks: [], counts: snapshot.counts, groups: [], removed: [] }), true);
    assert.equal(isToWebview({ type: 'activity', entries: [] }), true);
    assert.equal(isToWebview({ type: 'state', state: 'idle', breakers: {} }), true);
    assert.equal(isToWebview({ type: 'metrics', metrics: snapshot.metrics }), true);
    assert.equal(isToWebview({ type: 'notice', level: 'error', message: 'x' }), true);

    assert.equal(isToWebview({ type: 'snapshot' }), false);
    assert.equal(isToWebview({ type: 'snapshot', snapshot: { tasks: 'no' } }), false);
    assert.equal(isToWebview({ type: 'tasks', tasks: [] }), false);
    assert.equal(isToWebview({ type: 'notice', level: 'panic', message: 'x' }), false);
    assert.equal(isToWebview({ type: 'ready' }), false);
    assert.equal(isToWebview(undefined), false);
  });

  it('maps each engine event to the webview message that carries it; a plan change is a new snapshot', () => {
    const snapshot = fixtureSnapshot();
    const cases: [DashboardEvent, unknown][] = [
      [
        { type: 'tasks:changed', tasks: [], counts: snapshot.counts, groups: [], removed: ['T9'] },
        { type: 'tasks', tasks: [], counts: snapshot.counts, groups: [], removed: ['T9'] },
      ],
      [
        { type: 'plan:changed', snapshot },
        { type: 'snapshot', snapshot },
      ],
      [
        { type: 'state:changed', state: 'paused', breakers: {} },
        { type: 'state', state: 'paused', breakers: {} },
      ],
      [
        { type: 'activity:appended', entries: [] },
        { type: 'activity', entries: [] },
      ],
      [
        { type: 'metrics:changed', metrics: snapshot.metrics },
        { type: 'metrics', metrics: snapshot.metrics },
      ],
    ];
    for (const [event, expected] of cases) {
      const msg = toWebviewMessage(event);
      assert.deepEqual(msg, expected);
      assert.equal(isToWebview(msg), true, `${event.type} must produce a message the webview accepts`);
    }
  });
});
