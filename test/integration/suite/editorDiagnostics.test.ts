import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { coditect, diagnosticsUntil, lineOfTask, openTasklist } from '../editorHelpers';

const isCycle = (d: vscode.Diagnostic): boolean => d.source === 'CODITECT' && d.code === 'dependency-cycle';

describe('editor: Problems panel and quick fixes', function () {
  this.timeout(60_000);

  it('shows a dependency cycle on the reference just written, offers to remove each edge, and the preferred fix removes the new one', async () => {
    const api = await coditect();
    const editor = await openTasklist(api);
    const doc = editor.document;
    // Close a cycle: the first task (done) depends on the task that depends on it.
    const tasks = [...api.store.tasks()].sort((a, b) => a.line - b.line);
    const first = tasks[0];
    const dependent = tasks.find((t) => t.dependsOn.some((d) => d.id === first.id));
    assert.ok(dependent, `some task depends on ${first.id}`);
    const at = lineOfTask(doc, first.id);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, new vscode.Position(at + 1, 0), `  - Depends on: ${dependent.id}\n`);
    assert.ok(await vscode.workspace.applyEdit(edit));
    await doc.save();

    const diags = await diagnosticsUntil(doc.uri, (d) => d.some(isCycle));
    const cycle = diags.find(isCycle)!;
    assert.equal(cycle.severity, vscode.DiagnosticSeverity.Error);
    assert.ok(cycle.message.includes(first.id) && cycle.message.includes(dependent.id), cycle.message);
    // The older reference (dependent → first) is written later in the file; the squiggle still goes on the new one.
    const cycleLine = cycle.range.start.line;
    assert.equal(cycleLine, at + 1, `diagnostic on line ${cycleLine}: ${doc.lineAt(cycleLine).text}`);

    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      doc.uri,
      cycle.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const removals = actions.filter((a) => a.title.startsWith('Remove the dependency of'));
    const titles = actions.map((a) => a.title).join(' | ');
    assert.ok(
      removals.some((a) => a.title.startsWith(`Remove the dependency of ${first.id} on ${dependent.id}`)),
      titles,
    );
    assert.ok(
      removals.some((a) => a.title.startsWith(`Remove the dependency of ${dependent.id} on ${first.id}`)),
      titles,
    );
    const fix = removals.find((a) => a.isPreferred);
    assert.ok(fix?.edit && fix.title.startsWith(`Remove the dependency of ${first.id} on ${dependent.id}`), `preferred: ${fix?.title}; all: ${titles}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    await doc.save();
    await diagnosticsUntil(doc.uri, (d) => !d.some(isCycle));
    assert.ok(!doc.getText().includes(`  - Depends on: ${dependent.id}\n  - Depends on`), 'the inserted edge is gone');
  });
});
