// Keeps the open task-list document and the engine in step, in both directions:
//  - engine → editor: `coditect/applyEdits` becomes one versioned WorkspaceEdit (undo works, no "file changed on
//    disk" dialog, and a person's keystroke in between makes it 'stale' instead of overwriting their text);
//  - editor → engine: the document's full text goes to the engine, debounced, while a person types.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ApplyEditsParams, ApplyEditsResult, DocumentChangedParams } from '../protocol/engineProtocol';
import { EditorVersions } from '../protocol/editorVersions';
import { errorMessage } from '../core/describe';

export interface EditSyncOptions {
  /** Whether this document is the engine's task list. */
  isTasklist(uri: vscode.Uri): boolean;
  /** Sends `coditect/documentChanged`. */
  send(p: DocumentChangedParams): void;
  /** Quiet time before the text goes to the engine; default 300 ms. */
  debounceMs?: number;
  log?: vscode.LogOutputChannel;
}

/** Compares two file paths the way the file system does (case-insensitive on Windows and macOS). */
export function samePath(a: string, b: string): boolean {
  const na = path.resolve(a);
  const nb = path.resolve(b);
  return process.platform === 'win32' || process.platform === 'darwin' ? na.toLowerCase() === nb.toLowerCase() : na === nb;
}

/** Applies engine edits to open documents and reports a person's edits to the engine. */
export class EditSync implements vscode.Disposable {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly disposables: vscode.Disposable[] = [];
  /**
   * Documents (by uri) with an engine edit in flight, and the version that edit makes: that one change event is the
   * engine's own. Any other change meanwhile is a person's and must reach the engine (ignoring every event during
   * the apply lost a keystroke that landed in it, and the engine's later edits were all stale from then on).
   */
  private readonly applying = new Map<string, number>();
  /**
   * Per document (by uri): the version numbers the engine knows its texts by (src/protocol/editorVersions.ts). The
   * engine drops a text older than one it has seen, and a document closed and opened again starts over at version 1:
   * without numbering on, the reopened document's edits were all dropped as old until its version passed the closed
   * one's, and the engine kept computing its edits against the closed buffer (every one 'stale').
   */
  private readonly versions = new EditorVersions();

  constructor(private readonly opts: EditSyncOptions) {
    const ms = opts.debounceMs ?? 300;
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`EditSync debounceMs must be a non-negative number, got ${opts.debounceMs}`);
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0 || !this.opts.isTasklist(e.document.uri)) return;
        if (this.applying.get(e.document.uri.toString()) === e.document.version) return;
        this.schedule(e.document, ms);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        const key = d.uri.toString();
        this.cancel(key);
        this.versions.closed(key);
      }),
      // Opened (again): the engine may still hold the text of the buffer closed before; this one replaces it.
      vscode.workspace.onDidOpenTextDocument((d) => {
        if (this.opts.isTasklist(d.uri) && this.versions.last(d.uri.toString()) !== undefined) this.schedule(d, 0);
      }),
    );
  }

  /** Handles `coditect/applyEdits`: 'applied', 'not-open' (the engine writes the file) or 'stale' (resend). */
  async applyEdits(p: ApplyEditsParams): Promise<ApplyEditsResult> {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && !d.isClosed && samePath(d.uri.fsPath, p.path));
    if (!doc) return { outcome: 'not-open' };
    const seen = new Set<number>();
    for (const e of p.edits) {
      if (!Number.isInteger(e.line) || e.line < 0 || e.line >= doc.lineCount || seen.has(e.line)) {
        this.schedule(doc, 0);
        return { outcome: 'stale' };
      }
      seen.add(e.line);
      // MUST compare with the line as it is now: the person may have typed since the engine read it. The engine
      // computed its edits on an older text: it gets the current one (a pending send goes now), else it would ask
      // with the same old lines at every write-back and the ticks would never reach the document.
      if (doc.lineAt(e.line).text !== e.expected) {
        this.schedule(doc, 0);
        return { outcome: 'stale' };
      }
    }
    if (p.edits.length === 0) return { outcome: 'applied' };
    const edit = new vscode.WorkspaceEdit();
    for (const e of p.edits) edit.replace(doc.uri, doc.lineAt(e.line).range, e.text);
    const wasDirty = doc.isDirty;
    const versionBefore = doc.version;
    const key = doc.uri.toString();
    this.applying.set(key, versionBefore + 1);
    let ok: boolean;
    try {
      // The edit carries the document version it was computed against; VS Code refuses it if a keystroke landed since.
      ok = await vscode.workspace.applyEdit(edit, { isRefactoring: false });
    } finally {
      this.applying.delete(key);
    }
    if (!ok) {
      // Refused because the document moved on: the text the engine has is old, whatever event we skipped.
      this.schedule(doc, 0);
      return { outcome: 'stale' };
    }
    // The answer says which version the edit made: a text sent before it (a keystroke's send, a resend after a
    // 'stale') may reach the engine after this answer, and must then be dropped as older than the edit, not read as a
    // person undoing it. An edit the engine computed on another text than the document had: it gets this text now.
    const made = this.versions.applied(key, versionBefore, p.version);
    if (made.resend) this.schedule(doc, 0);
    // A clean document stays clean (the file on disk and the engine agree); a dirty one is the person's to save.
    // Our edit is one version step: any other step means a person typed while it applied, and saving now would
    // save their unfinished text for them.
    if (!wasDirty && doc.version === versionBefore + 1) {
      try {
        await doc.save();
      } catch (e) {
        this.opts.log?.warn(`could not save ${doc.uri.fsPath} after an engine edit: ${errorMessage(e)}`);
      }
    }
    return { outcome: 'applied', version: made.version };
  }

  /** The highest version the engine may know this document by: its last text sent or edit applied (undefined: neither). */
  lastVersion(uri: vscode.Uri): number | undefined {
    return this.versions.last(uri.toString());
  }

  /** Sends the document's text now (e.g. when the engine starts while the document is dirty). */
  sendNow(doc: vscode.TextDocument): void {
    this.cancel(doc.uri.toString());
    this.send(doc);
  }

  private send(doc: vscode.TextDocument): void {
    const version = this.versions.sending(doc.uri.toString(), doc.version);
    this.opts.send({ path: doc.uri.fsPath, text: doc.getText(), version });
  }

  private schedule(doc: vscode.TextDocument, ms: number): void {
    const key = doc.uri.toString();
    this.cancel(key);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        if (!doc.isClosed) this.send(doc);
      }, ms),
    );
  }

  private cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
