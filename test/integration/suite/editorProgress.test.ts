import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { GetSnapshot } from '../../../src/protocol/engineProtocol';
import { progressText } from '../../../src/protocol/presentation';
import { coditect, documentUntil, lineOfTask, readyTask, storeUntil } from '../editorHelpers';

describe('editor: one rule of done in every view', function () {
  this.timeout(60_000);

  it('a skipped task counts as done in the tree exactly as the engine counts it (feature, epic, plan)', async () => {
    const api = await coditect();
    const t = readyTask(api);
    assert.ok(t, 'the plan has a ready task');
    const before = api.store.feature(t.featureId)!.done;
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(api.store.snapshot!.tasklistPath));
    const unticked = (d: vscode.TextDocument): boolean => /^\s*[-*+]\s+\[ \]/.test(d.lineAt(lineOfTask(d, t.id)).text);
    await vscode.commands.executeCommand('coditect.skipTask', t.id);
    try {
      await storeUntil(api, () => api.store.task(t.id)?.status === 'skipped', `${t.id} is skipped`);
      // The skip's tick reaches the document before the reopen below: else the wait for the untick could pass before
      // the tick even arrived, and the next suite found the skip's [x] on a task the store called ready (seen under
      // load, and among the symptoms blamed on the one-live-plan change in f7f5f01).
      await documentUntil(doc, (d) => !unticked(d), `${t.id}'s skip ticked in the document`);
      await storeUntil(api, () => api.store.feature(t.featureId)!.done === before + 1, `${t.featureId} counts the skipped task`);
      // What the engine says now, asked directly, and what the tree shows: the same figures, the same text.
      const engine = await api.engine.request(GetSnapshot.type);
      for (const [kind, id] of [
        ['feature', t.featureId],
        ['epic', t.epicId],
      ] as const) {
        const g = (kind === 'epic' ? engine.epics : engine.features).find((x) => x.id === id)!;
        const shown = String(api.tree.getTreeItem(api.tree.node(kind, id)).description);
        assert.ok(shown.startsWith(progressText(g)), `${kind} ${id}: the tree shows "${shown}", the engine counts ${g.done}/${g.total}`);
      }
      assert.equal(api.store.snapshot!.counts.done, engine.counts.done, 'the plan total agrees too');
    } finally {
      await vscode.commands.executeCommand('coditect.reopenTask', t.id);
      await storeUntil(api, () => api.store.task(t.id)?.status === 'pending', `${t.id} is pending again`);
      // And unticked in the file again: the write-back trails the store, and the next suite reads the checkbox
      // (on a loaded machine it still saw the skip's [x] on a task the store already called ready).
      await documentUntil(doc, unticked, `${t.id} unticked again`);
    }
  });
});
