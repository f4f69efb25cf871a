import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { GetMetrics } from '../../../src/protocol/engineProtocol';
import { coditect, documentUntil, lineOfTask, openTasklist, readyTask, savedUntil, setSetting, storeUntil } from '../editorHelpers';

const ticked = (doc: vscode.TextDocument, id: string): boolean => /^\s*[-*+]\s+\[[xX]\]/.test(doc.lineAt(lineOfTask(doc, id)).text);

describe('editor: running tasks from the editor', function () {
  this.timeout(120_000);

  it('Run with agent (dry-run) completes the task and ticks its checkbox in the open document, undoably', async () => {
    const api = await coditect();
    assert.equal(api.store.snapshot!.simulated, true, 'without an API key the agents are dry-run');
    const editor = await openTasklist(api);
    const doc = editor.document;
    const t = readyTask(api);
    assert.ok(t, 'the plan has a ready task');
    assert.equal(ticked(doc, t.id), false);
    if (doc.isDirty) await doc.save();

    const r = await vscode.commands.executeCommand<{ started: boolean; reason?: string }>('coditect.runTaskWithAgent', t.id);
    assert.ok(r?.started, `did not start: ${r?.reason}`);
    await storeUntil(api, () => api.store.task(t.id)?.status === 'completed', `${t.id} completes`);
    await documentUntil(doc, (d) => ticked(d, t.id));
    // A clean document stays clean: the engine's edit is saved with it (the file and the engine agree).
    await savedUntil(doc);

    // The tick came as an edit of the open document: undo takes it back, redo restores it.
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('undo');
    assert.equal(ticked(doc, t.id), false, 'undo unticks');
    await vscode.commands.executeCommand('redo');
    assert.equal(ticked(doc, t.id), true, 'redo ticks again');
    await doc.save();
    await storeUntil(api, () => api.store.task(t.id)?.status === 'completed', `${t.id} stays completed`);
  });

  it("keeps a person's unsaved edit made while an agent finishes", async () => {
    const api = await coditect();
    const editor = await openTasklist(api);
    const doc = editor.document;
    const t = readyTask(api);
    assert.ok(t, 'the plan has a ready task');
    const note = 'A note typed by a person while an agent works.';
    // Typed above the task, not saved: the engine's line numbers are now off by two until it re-reads the text.
    assert.ok(await editor.edit((b) => b.insert(new vscode.Position(1, 0), `${note}\n\n`)));
    const r = await vscode.commands.executeCommand<{ started: boolean; reason?: string }>('coditect.runTaskWithAgent', t.id);
    assert.ok(r?.started, `did not start: ${r?.reason}`);
    await storeUntil(api, () => api.store.task(t.id)?.status === 'completed', `${t.id} completes`);
    await documentUntil(
      doc,
      (d) => ticked(d, t.id),
      `${t.id} ticked in the person's unsaved document`,
      (d) => `its line reads '${d.lineAt(lineOfTask(d, t.id)).text}', ${d.isDirty ? 'dirty' : 'saved'}`,
    );
    assert.ok(doc.getText().includes(note), "the person's text survived");
    assert.equal(doc.isDirty, true, "the person's unsaved work is left for them to save");
    await doc.save();
  });

  it("the Tasks view badge counts the running task and goes once it is cancelled (a cancel is a person's choice, not a failure)", async () => {
    const api = await coditect();
    const t = readyTask(api);
    assert.ok(t, 'the plan has a ready task');
    // A simulation that lasts (10 min) so the task is still running while the badge is read; cancelled below.
    await setSetting('simulation.durationMs', 600_000);
    try {
      // A request after it on the same pipe: the setting reached the engine before the run is asked for.
      await api.engine.request(GetMetrics.type);
      const r = await vscode.commands.executeCommand<{ started: boolean; reason?: string }>('coditect.runTaskWithAgent', t.id);
      assert.ok(r?.started, `did not start: ${r?.reason}`);
      // The view redraws on the same store events, registered first: by the time these checks run it has.
      await storeUntil(api, () => api.store.task(t.id)?.status === 'in_progress' && api.treeView.badge?.value === 1, `the badge counts ${t.id} running`);
      assert.equal(api.treeView.badge!.tooltip, '1 running');
      await vscode.commands.executeCommand('coditect.cancelTask', t.id);
      await storeUntil(api, () => api.store.task(t.id)?.status === 'cancelled' && api.treeView.badge === undefined, `no badge once ${t.id} is cancelled`);
    } finally {
      await setSetting('simulation.durationMs', undefined);
      // Back to pending for the suites after this one.
      if (api.store.task(t.id)?.status === 'cancelled') await vscode.commands.executeCommand('coditect.retryTask', t.id);
      await storeUntil(api, () => api.store.task(t.id)?.status === 'pending', `${t.id} pending again`);
    }
  });

  it('starts a dependent task by itself once its prerequisite completes', async () => {
    const api = await coditect();
    const tasks = api.store.tasks();
    // A waiting task whose every dependency is ready or done: orchestration must run it after them, unasked.
    const dependent = tasks.find(
      (t) => t.status === 'pending' && !t.ready && t.blockers.length === 0 && t.waitingOn.length > 0 && t.waitingOn.every((w) => api.store.task(w)?.ready),
    );
    assert.ok(dependent, 'the plan has a task waiting only on ready tasks');
    const prereqs = dependent.waitingOn;
    await vscode.commands.executeCommand('coditect.start');
    try {
      await storeUntil(api, () => api.store.task(dependent.id)?.status === 'completed', `${dependent.id} completes by itself`);
      const d = api.store.task(dependent.id)!;
      for (const p of prereqs) {
        const pre = api.store.task(p)!;
        assert.equal(pre.status, 'completed');
        assert.ok(d.lastRun && pre.lastRun, 'both ran');
        assert.ok(Date.parse(d.lastRun.startedAt) >= Date.parse(pre.lastRun.endedAt), `${dependent.id} started after ${p} ended`);
      }
    } finally {
      await vscode.commands.executeCommand('coditect.pause');
    }
  });
});
