// Shows a task's (or an epic's / feature's) line in the task list, wherever it is now.
import * as vscode from 'vscode';
import type { PlanStore } from './planStore';
import { idWordPattern } from '../core/taskLine';
import { locateTaskLines } from './taskLines';

/** Opens the task list and selects the line of `id`; false when the id or the file is unknown. */
export async function revealInTasklist(store: PlanStore, tasklist: vscode.Uri | undefined, id: string): Promise<boolean> {
  const path = store.snapshot?.tasklistPath;
  const uri = path ? vscode.Uri.file(path) : tasklist;
  if (!uri) return false;
  const doc = await vscode.workspace.openTextDocument(uri);
  const lineSource = { lineCount: doc.lineCount, lineAt: (i: number) => doc.lineAt(i).text };
  let line: number | undefined;
  const task = store.task(id);
  if (task) {
    line = locateTaskLines(lineSource, [task]).get(id) ?? task.line;
  } else {
    const group = store.epic(id) ?? store.feature(id);
    if (!group) return false;
    line = group.line;
    // Headings move too while a person types: prefer the heading that still names the id.
    if (line >= doc.lineCount || !idWordPattern(id).test(doc.lineAt(line).text)) {
      const re = idWordPattern(id);
      for (let i = 0; i < doc.lineCount; i++) {
        const text = doc.lineAt(i).text;
        if (/^\s*#/.test(text) && re.test(text)) {
          line = i;
          break;
        }
      }
    }
  }
  line = Math.max(0, Math.min(line, doc.lineCount - 1));
  const range = doc.lineAt(line).range;
  const editor = await vscode.window.showTextDocument(doc, {
    selection: new vscode.Range(range.start, range.start),
    preserveFocus: false,
    preview: false,
    viewColumn: openColumn(doc.uri),
  });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return true;
}

/**
 * The editor group already showing `uri` (a visible editor first, else any tab), so a reveal moves the cursor there
 * instead of opening a second copy in the active group (the dashboard's, when it was clicked last).
 */
function openColumn(uri: vscode.Uri): vscode.ViewColumn | undefined {
  const key = uri.toString();
  const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === key && e.viewColumn !== undefined);
  if (visible) return visible.viewColumn;
  for (const group of vscode.window.tabGroups.all) {
    if (group.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === key)) return group.viewColumn;
  }
  return undefined;
}
