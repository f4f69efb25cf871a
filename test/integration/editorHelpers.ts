// Helpers for the editor-layer integration suites: reach the extension's API, wait on its events (never sleep),
// and read the fixture task list. Bundled into each suite that imports it.
import * as vscode from 'vscode';
import type { CoditectApi } from '../../src/extension/extension';
import type { TaskView } from '../../src/protocol/views';
import { errorMessage } from '../../src/core/describe';

export const EXTENSION_ID = 'coditect.coditect-orchestrator';

/** Activates the extension and waits until its engine is initialized. */
export async function coditect(): Promise<CoditectApi> {
  const ext = vscode.extensions.getExtension<CoditectApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not installed`);
  const api = await ext.activate();
  await api.ready();
  return api;
}

/** How long a wait may take before it fails naming what it waited for (under the suites' 120 s test timeouts). */
export const WAIT_MS = 90_000;

/** Resolves once `check()` is true, re-checking on every plan store event; rejects naming `what` after `ms`. */
export function storeUntil(api: CoditectApi, check: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const ev = api.store.events;
    const offs: (() => void)[] = [];
    const timer = setTimeout(() => {
      offs.forEach((o) => o());
      reject(new Error(`${what}: not within ${ms} ms`));
    }, ms);
    offs.push(() => clearTimeout(timer));
    const test = (): void => {
      let ok: boolean;
      try {
        ok = check();
      } catch (e) {
        offs.forEach((o) => o());
        reject(new Error(`${what}: ${errorMessage(e)}`));
        return;
      }
      if (ok) {
        offs.forEach((o) => o());
        resolve();
      }
    };
    offs.push(ev.on('plan:replaced', test), ev.on('tasks:updated', test), ev.on('state:changed', test));
    test();
  });
}

/**
 * Resolves once `check(doc)` is true, re-checking on every change of the document; rejects after `ms` with `what`
 * and what `describe(doc)` says then (e.g. the line it waits on).
 */
export function documentUntil(
  doc: vscode.TextDocument,
  check: (doc: vscode.TextDocument) => boolean,
  what = 'the document condition',
  describe: (doc: vscode.TextDocument) => string = (d) => `version ${d.version}, ${d.isDirty ? 'dirty' : 'saved'}`,
  ms = WAIT_MS,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (check(doc)) return resolve();
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`${what}: not within ${ms} ms (${describe(doc)})`));
    }, ms);
    const sub = vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document === doc && check(doc)) {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      }
    });
  });
}

/** Resolves once `doc` has no unsaved changes, re-checking on every save. */
export function savedUntil(doc: vscode.TextDocument, ms = WAIT_MS): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (!doc.isDirty) return resolve();
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`${doc.uri.fsPath} not saved within ${ms} ms (version ${doc.version})`));
    }, ms);
    const sub = vscode.workspace.onDidSaveTextDocument((d) => {
      if (d === doc && !doc.isDirty) {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      }
    });
  });
}

/** Resolves with the diagnostics of `uri` once `check` accepts them. */
export function diagnosticsUntil(uri: vscode.Uri, check: (d: readonly vscode.Diagnostic[]) => boolean): Promise<readonly vscode.Diagnostic[]> {
  return new Promise((resolve) => {
    const now = vscode.languages.getDiagnostics(uri);
    if (check(now)) return resolve(now);
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (!e.uris.some((u) => u.toString() === uri.toString())) return;
      const d = vscode.languages.getDiagnostics(uri);
      if (check(d)) {
        sub.dispose();
        resolve(d);
      }
    });
  });
}

/** Opens the engine's task list in an editor. */
export async function openTasklist(api: CoditectApi): Promise<vscode.TextEditor> {
  const path = api.store.snapshot?.tasklistPath;
  if (!path) throw new Error('the engine has no task list');
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path));
  return vscode.window.showTextDocument(doc, { preview: false });
}

/** The 0-based line of a task's checkbox in `doc`, found by its id. */
export function lineOfTask(doc: vscode.TextDocument, id: string): number {
  for (let i = 0; i < doc.lineCount; i++) {
    const text = doc.lineAt(i).text;
    if (/^\s*[-*+]\s+\[[ xX]\]/.test(text) && text.includes(`**${id}**`)) return i;
  }
  throw new Error(`${id} has no checkbox line in ${doc.uri.fsPath}`);
}

/** A task that can be run now (ready, pending), in document order. */
export function readyTask(api: CoditectApi, except: string[] = []): TaskView | undefined {
  return [...api.store.tasks()].sort((a, b) => a.line - b.line).find((t) => t.ready && t.status === 'pending' && !except.includes(t.id));
}

/**
 * Sets a `coditect.` setting and resolves once the extension host has been told of it (the extension's own listener, which
 * restarts a running engine for this one, registered before this one and has run by then).
 */
export async function setSetting(key: string, value: unknown): Promise<void> {
  // The same value again changes nothing, and no event would come.
  if (vscode.workspace.getConfiguration('coditect').inspect(key)?.globalValue === value) return;
  const told = new Promise<void>((resolve) => {
    const sub = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(`coditect.${key}`)) return;
      sub.dispose();
      resolve();
    });
  });
  await vscode.workspace.getConfiguration('coditect').update(key, value, vscode.ConfigurationTarget.Global);
  await told;
}
