// Read-only virtual documents `coditect-log:/<taskId>.log` showing a task's agent attempts (GetTaskLog).
// Virtual, so closing one never asks to save; refreshed when the task changes.
import * as vscode from 'vscode';
import { GetTaskLog } from '../protocol/engineProtocol';
import type { EngineClient } from './engineClient';
import type { PlanStore } from './planStore';
import { formatTaskLog } from './statusText';
import { errorMessage } from '../core/describe';

export const TASK_LOG_SCHEME = 'coditect-log';

/** The uri of a task's log document. */
export function taskLogUri(taskId: string): vscode.Uri {
  return vscode.Uri.from({ scheme: TASK_LOG_SCHEME, path: `/${taskId}.log` });
}

/** Serves and refreshes task log documents. */
export class TaskLogDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly client: EngineClient,
    private readonly store: PlanStore,
  ) {
    this.unsubscribe = store.events.on('tasks:updated', (u) => {
      const open = new Set(vscode.workspace.textDocuments.filter((d) => d.uri.scheme === TASK_LOG_SCHEME).map((d) => d.uri.toString()));
      for (const t of u.tasks) {
        const uri = taskLogUri(t.id);
        if (open.has(uri.toString())) this.changed.fire(uri);
      }
    });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const taskId = decodeURIComponent(uri.path.replace(/^\//, '').replace(/\.log$/, ''));
    try {
      const { attempts } = await this.client.request(GetTaskLog.type, { taskId });
      return formatTaskLog(taskId, this.store.task(taskId)?.title, attempts);
    } catch (e) {
      return `${taskId}\n\nThe log could not be read: ${errorMessage(e)}\n`;
    }
  }

  /** Opens the log of `taskId` beside the editor. */
  async show(taskId: string): Promise<vscode.TextEditor> {
    const doc = await vscode.workspace.openTextDocument(taskLogUri(taskId));
    return vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: false });
  }

  dispose(): void {
    this.unsubscribe();
    this.changed.dispose();
  }
}
