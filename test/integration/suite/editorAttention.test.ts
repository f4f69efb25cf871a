// A gate typed into the plan in the editor: the run waits for a person, the notification offers the answers, Approve
// completes the task. It also holds the editor's edit-and-save path: the edit must reach the engine whichever comes
// first, the save's file event or the editor's text. When the file watcher read the save first, a change no database
// column holds (this Gate: line) was never planned, and the editor's text, equal to the file, was then skipped as
// synced: no event reached the editor and the task would have run without its gate (3 runs in 4 after the activation
// suite; #15; the rule itself: test/unit/engine/runtime.test.ts).
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { coditect, documentUntil, lineOfTask, openTasklist, readyTask, storeUntil } from '../editorHelpers';

describe('editor: a gate calls for a person', function () {
  this.timeout(120_000);

  it('a Gate: review result waits; a notification offers Approve, Reject… and Reveal; Approve completes it', async () => {
    const api = await coditect();
    const editor = await openTasklist(api);
    const doc = editor.document;
    const t = readyTask(api);
    assert.ok(t, 'the plan has a ready task');
    const line = lineOfTask(doc, t.id);
    assert.ok(await editor.edit((b) => b.insert(new vscode.Position(line + 1, 0), '  - Gate: review\n')));
    await doc.save();
    await storeUntil(api, () => api.store.task(t.id)?.gate === 'review', `${t.id} is a gate`).catch((e: unknown) => {
      const what = { lifecycle: api.engine.lifecycle, task: api.store.task(t.id), dirty: doc.isDirty, line: doc.lineAt(line + 1).text };
      throw new Error(`${String(e)}: ${JSON.stringify(what)}`);
    });

    const r = await vscode.commands.executeCommand<{ started: boolean; reason?: string }>('coditect.runTaskWithAgent', t.id);
    assert.ok(r?.started, `did not start: ${r?.reason}`);
    await storeUntil(api, () => api.store.task(t.id)?.status === 'blocked', `${t.id}'s result waits for approval`);
    await storeUntil(api, () => api.attention.shown.some((n) => n.kind === 'gate_waiting' && n.text.includes(t.id)), 'the gate is announced');
    const shown = api.attention.shown.find((n) => n.kind === 'gate_waiting' && n.text.includes(t.id))!;
    assert.equal(shown.text, `CODITECT: ${t.id} waits for a person's approval: ${t.title}`);
    assert.deepEqual(shown.buttons, ['Approve', 'Reject…', 'Reveal']);

    const decided = await vscode.commands.executeCommand<{ done: boolean; message: string }>('coditect.approveGate', t.id, 'looks right');
    assert.equal(decided?.done, true, decided?.message);
    await storeUntil(api, () => api.store.task(t.id)?.status === 'completed', `${t.id} completes once approved`);
    const again = await vscode.commands.executeCommand<{ done: boolean; message: string }>('coditect.approveGate', t.id, 'twice');
    assert.equal(again?.done, false, 'a decided gate cannot be approved again');

    // The suites after this one run the plan as it was: the gate line goes (viewsLive reopens and reruns this task).
    // First the engine's tick reaches the document, so that its write-back and this edit do not cross.
    const ticked = (d: vscode.TextDocument): boolean => /^\s*- \[x\]/.test(d.lineAt(lineOfTask(d, t.id)).text);
    await documentUntil(doc, ticked, `${t.id} is ticked in the document`, (d) => d.lineAt(lineOfTask(d, t.id)).text);
    const gateLine = lineOfTask(doc, t.id) + 1;
    assert.match(doc.lineAt(gateLine).text, /^\s+- Gate: review$/);
    assert.ok(await editor.edit((b) => b.delete(doc.lineAt(gateLine).rangeIncludingLineBreak)));
    await doc.save();
    await storeUntil(api, () => api.store.task(t.id)?.gate === undefined, `${t.id} is no gate any more`);
  });
});
