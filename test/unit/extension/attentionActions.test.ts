// The editor's notifications of the engine's calls for a person: the buttons each kind offers run commands the
// manifest declares, the default kinds are package.json's default, and the setting offers exactly the engine's kinds.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { attentionActions, DEFAULT_SHOWN_KINDS } from '../../../src/extension/attentionActions';
import { ATTENTION_KINDS } from '../../../src/protocol/engineProtocol';

const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
const contributed = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
const setting = pkg.contributes.configuration.properties['coditect.notifications.show'] as { default: string[]; items: { enum: string[] } };

describe('attention notifications in the editor', () => {
  it('answers a waiting gate with Approve, Reject… and Reveal on that gate; a limit pause with Resume', () => {
    assert.deepEqual(
      attentionActions({ kind: 'gate_waiting', taskId: 'T001.003', message: 'x' }).map((a) => [a.title, a.command, a.args]),
      [
        ['Approve', 'coditect.approveGate', ['T001.003']],
        ['Reject…', 'coditect.rejectGate', ['T001.003']],
        ['Reveal', 'coditect.revealTask', ['T001.003']],
      ],
    );
    assert.equal(attentionActions({ kind: 'paused', message: 'x' })[0].command, 'coditect.resume');
    assert.deepEqual(
      attentionActions({ kind: 'review_waiting', taskId: 'T002.001', message: 'x' }).map((a) => [a.command, a.args]),
      [
        ['coditect.reviewChanges', ['T002.001']],
        ['coditect.showTaskLog', ['T002.001']],
        ['coditect.revealTask', ['T002.001']],
      ],
    );
  });

  it('offers only commands the manifest declares, for every kind', () => {
    for (const kind of ATTENTION_KINDS) {
      const actions = attentionActions({ kind, taskId: 'T1', message: 'x' });
      assert.ok(actions.length > 0, `${kind} offers no button`);
      for (const a of actions) assert.ok(contributed.has(a.command), `${kind}: ${a.command} is not contributed`);
    }
  });

  it('coditect.notifications.show offers the engine kinds and defaults to the needs-a-person ones', () => {
    assert.deepEqual(setting.items.enum, [...ATTENTION_KINDS]);
    assert.deepEqual(setting.default, [...DEFAULT_SHOWN_KINDS]);
  });
});
