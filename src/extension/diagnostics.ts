// The engine's diagnostics for the task list (parse problems, cycles, unknown and duplicate ids, sync conflicts)
// in the Problems panel, and the quick fixes where one is obvious.
import * as vscode from 'vscode';
import type { Diagnostic } from '../core/model';
import type { PlanStore } from './planStore';
import {
  assignId,
  findDependencyLine,
  findTaskLine,
  idStyleOf,
  removeDependency,
  replaceId,
  taskIdOnLine,
  type LineChange,
  type LineSource,
} from './taskLines';
import { nextFreeId } from '../core/ids';
import { samePath } from './editSync';

/** `source` of every diagnostic this extension publishes. */
export const DIAGNOSTIC_SOURCE = 'CODITECT';

const SEVERITY: Record<Diagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/** Codes whose quick fix writes an id on a task line that has none. */
const MISSING_ID_CODES = new Set(['missing-id', 'missing-task-id', 'no-id']);

function keyOf(line: number, code: string, message: string): string {
  return `${line}\u0000${code}\u0000${message}`;
}

/** Publishes engine diagnostics to a DiagnosticCollection, keeping each one's `data` for the quick fixes. */
export class TasklistDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('coditect');
  // vscode.Diagnostic has no `data`, and the diagnostics handed to a CodeActionProvider are copies: look data up by content.
  private readonly data = new Map<string, Map<string, Record<string, unknown>>>();

  /** Replaces the diagnostics of `fsPath` with `diags`. */
  publish(fsPath: string, diags: Diagnostic[]): void {
    const uri = vscode.Uri.file(fsPath);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && samePath(d.uri.fsPath, fsPath));
    const byKey = new Map<string, Record<string, unknown>>();
    const out = diags.map((d) => {
      const line = Math.max(0, doc ? Math.min(d.line, doc.lineCount - 1) : d.line);
      const endLine = Math.max(line, d.endLine ?? line);
      const lineLength = doc && endLine < doc.lineCount ? doc.lineAt(endLine).text.length : undefined;
      const endColumn = d.endColumn ?? lineLength ?? Math.max(d.column + 1, 1000);
      const vd = new vscode.Diagnostic(
        new vscode.Range(line, Math.max(0, d.column), endLine, endColumn),
        d.message,
        SEVERITY[d.severity] ?? vscode.DiagnosticSeverity.Error,
      );
      vd.source = DIAGNOSTIC_SOURCE;
      vd.code = d.code;
      if (d.data) byKey.set(keyOf(line, d.code, d.message), d.data);
      return vd;
    });
    this.data.set(uri.toString(), byKey);
    this.collection.set(uri, out);
  }

  /** Forgets every diagnostic (the engine went away or the task list changed). */
  clear(): void {
    this.collection.clear();
    this.data.clear();
  }

  /** The engine's `data` of a diagnostic shown in `uri`. */
  dataOf(uri: vscode.Uri, d: vscode.Diagnostic): Record<string, unknown> | undefined {
    const code = typeof d.code === 'object' ? String(d.code.value) : String(d.code ?? '');
    return this.data.get(uri.toString())?.get(keyOf(d.range.start.line, code, d.message));
  }

  dispose(): void {
    this.collection.dispose();
    this.data.clear();
  }
}

/** Quick fixes: remove any edge of a cycle, remove an unknown dependency, assign a missing or duplicate id. */
export class TasklistQuickFixes implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(
    private readonly diagnostics: TasklistDiagnostics,
    private readonly store: PlanStore,
  ) {}

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    const lines: LineSource = { lineCount: doc.lineCount, lineAt: (i) => doc.lineAt(i).text };
    for (const d of context.diagnostics) {
      if (d.source !== DIAGNOSTIC_SOURCE) continue;
      const code = typeof d.code === 'object' ? String(d.code.value) : String(d.code ?? '');
      const data = this.diagnostics.dataOf(doc.uri, d) ?? {};
      const line = d.range.start.line;
      const fix = (title: string, at: number, change: LineChange | undefined, preferred = true): void => {
        if (!change) return;
        const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
        action.edit = new vscode.WorkspaceEdit();
        if (change.kind === 'delete') action.edit.delete(doc.uri, doc.lineAt(at).rangeIncludingLineBreak);
        else action.edit.replace(doc.uri, doc.lineAt(at).range, change.text);
        action.diagnostics = [d];
        action.isPreferred = preferred;
        actions.push(action);
      };
      if (code === 'dependency-cycle') {
        // One fix per edge of the cycle (any of them breaks it); the reported edge — the reference written last — first.
        const edges = cycleEdges(data);
        edges.forEach((e, k) => {
          const at = findDependencyLine(lines, e.line, e.to);
          const where = e.source === 'implicit' ? ' (edits its title)' : '';
          if (at !== undefined) fix(`Remove the dependency of ${e.from} on ${e.to}${where}`, at, removeDependency(lines.lineAt(at), e.to), k === 0);
        });
      } else if (code === 'unknown-dependency') {
        const id = data.id;
        if (typeof id !== 'string') continue;
        const at = findDependencyLine(lines, line, id);
        if (at !== undefined) fix(`Remove the unknown dependency ${id}`, at, removeDependency(lines.lineAt(at), id));
      } else if (MISSING_ID_CODES.has(code)) {
        const taskLine = findTaskLine(lines, line);
        if (taskLine === undefined) continue;
        const id = pickString(data, ['suggestedId', 'newId', 'id']) ?? this.freeId(lines, taskLine);
        fix(`Assign the id ${id}`, taskLine, assignId(lines.lineAt(taskLine), id, idStyleOf(lines)));
      } else if (code === 'duplicate-id') {
        const taskLine = findTaskLine(lines, line);
        if (taskLine === undefined) continue;
        const dup = pickString(data, ['id', 'duplicateId']) ?? taskIdOnLine(lines.lineAt(taskLine));
        if (!dup) continue;
        const id = pickString(data, ['suggestedId', 'newId']) ?? this.freeId(lines, taskLine, dup);
        fix(`Renumber this ${dup} to ${id}`, taskLine, replaceId(lines.lineAt(taskLine), dup, id));
      }
    }
    return actions;
  }

  /** A free id in the series of the nearest id above `line` (or `near`), unused in the store and the document. */
  private freeId(lines: LineSource, line: number, near?: string): string {
    const taken = new Set(this.store.tasks().map((t) => t.id));
    let nearest = near;
    for (let i = 0; i < lines.lineCount; i++) {
      const id = taskIdOnLine(lines.lineAt(i));
      if (!id) continue;
      taken.add(id);
      if (!near && i < line) nearest = id;
    }
    return nextFreeId(taken, nearest);
  }
}

/** The edges of a cycle diagnostic (`data.edges`, the reported one first; older engines sent only `data.edge`). */
function cycleEdges(data: Record<string, unknown>): { from: string; to: string; line: number; source?: string }[] {
  const out: { from: string; to: string; line: number; source?: string }[] = [];
  const edges = Array.isArray(data.edges) ? (data.edges as unknown[]) : [];
  for (const e of edges) {
    const x = e as { from?: unknown; to?: unknown; line?: unknown; source?: unknown };
    if (typeof x?.from === 'string' && typeof x.to === 'string' && typeof x.line === 'number')
      out.push({ from: x.from, to: x.to, line: x.line, source: typeof x.source === 'string' ? x.source : undefined });
  }
  return out;
}

function pickString(data: Record<string, unknown>, keys: string[]): string | undefined {
  for (const k of keys) {
    const v = data[k];
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
  }
  return undefined;
}
