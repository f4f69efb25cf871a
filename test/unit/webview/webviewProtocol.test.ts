import * as assert from 'node:assert/strict';
import { ENGINE_NOTIFICATION_NAMES } from '../../../src/protocol/engineProtocol';
import { DASHBOARD_COMMANDS, DASHBOARD_EVENTS, isFromWebview, isToWebview } from '../../../src/protocol/webviewProtocol';
import { fixtureSnapshot, reviewView } from './dashboardFixture';

describe('webview protocol guards', () => {
  it('accepts every well-formed message from the webview: ready, and each allowed command with what it takes', () => {
    const ok: unknown[] = [{ type: 'webview:ready', params: {} }];
    for (const [command, takes] of Object.entries(DASHBOARD_COMMANDS)) {
      ok.push({ type: 'command:run', params: takes === 'task' ? { command, taskId: 'T001.003' } : { command } });
    }
    for (const m of ok) assert.equal(isFromWebview(m), true, JSON.stringify(m));
  });

  it('rejects malformed or unknown messages from the webview (untrusted input)', () => {
    for (const m of [
      null,
      'ready',
      [],
      {},
      { type: 'webview:ready' },
      { type: 'eval', params: { code: '1' } },
      { type: 'command:run', params: { command: 'workbench.action.terminal.new' } },
      { type: 'command:run', params: { command: 'toString' } },
      { type: 'command:run', params: { command: 'coditect.revealTask' } },
      { type: 'command:run', params: { command: 'coditect.revealTask', taskId: '' } },
      { type: 'command:run', params: { command: 'coditect.revealTask', taskId: 'x'.repeat(200) } },
      { type: 'command:run', params: { command: 'coditect.revealTask', taskId: 42 } },
      { type: 'command:run', params: { command: 'coditect.start', taskId: 'T1' } },
    ]) {
      assert.equal(isFromWebview(m), false, JSON.stringify(m));
    }
  });

  it('accepts well-formed messages to the webview and rejects others', () => {
    const snapshot = fixtureSnapshot();
    for (const m of [
      { type: 'plan:changed', params: { snapshot } },
      { type: 'plan:changed', params: { snapshot, rest: 5 } },
      { type: 'plan:continued', params: { revision: 3, tasks: snapshot.tasks, rest: 0 } },
      { type: 'tasks:changed', params: { tasks: [], counts: snapshot.counts, groups: [], removed: [] } },
      { type: 'activity:appended', params: { entries: [] } },
      { type: 'state:changed', params: { state: 'idle', breakers: {} } },
      { type: 'metrics:changed', params: { metrics: snapshot.metrics } },
      { type: 'notice:shown', params: { level: 'error', message: 'x' } },
      { type: 'reviews:changed', params: { reviews: [reviewView('T001.004')] } },
      { type: 'reviews:changed', params: { reviews: [] } },
    ]) {
      assert.equal(isToWebview(m), true, JSON.stringify(m).slice(0, 80));
    }
    for (const m of [
      { type: 'plan:changed', params: {} },
      { type: 'plan:changed', params: { snapshot: { tasks: 'no' } } },
      { type: 'plan:changed', params: { snapshot, rest: -1 } },
      { type: 'plan:continued', params: { tasks: [] } },
      { type: 'plan:continued', params: { tasks: [], rest: 0, revision: '3' } },
      { type: 'tasks:changed', params: { tasks: [] } },
      { type: 'notice:shown', params: { level: 'panic', message: 'x' } },
      { type: 'reviews:changed', params: {} },
      { type: 'reviews:changed', params: { reviews: [{ taskId: 'T1' }] } },
      { type: 'webview:ready', params: {} },
      { type: 'snapshot', snapshot },
      undefined,
    ]) {
      assert.equal(isToWebview(m), false, JSON.stringify(m)?.slice(0, 80));
    }
  });

  it('forwards engine events under their protocol names: every dashboard event is an engine notification', () => {
    for (const e of DASHBOARD_EVENTS) assert.ok((ENGINE_NOTIFICATION_NAMES as readonly string[]).includes(e), `${e} is an engine notification`);
  });
});
