// Finds the task list the engine works on: the person's choice (workspace state), else the `coditect.tasklist`
// setting (a glob, or a path relative to a workspace folder), preferring `*TASKLIST*.md` over Spec Kit `tasks.md`.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { rankTasklistCandidates } from './tasklistRank';

/** Default of `coditect.tasklist` (kept equal to the manifest's default). */
export const DEFAULT_TASKLIST_GLOB = '**/{*TASKLIST*.md,tasks.md}';
const CHOSEN_KEY = 'coditect.chosenTasklist';
const EXCLUDE = '{**/node_modules/**,**/.git/**,**/.coditect/**,**/.vscode-test/**}';

/** The task list and the workspace folder it belongs to. */
export interface TasklistTarget {
  uri: vscode.Uri;
  /** Root the engine resolves relative paths against (the file's workspace folder, else its directory). */
  workspaceRoot: string;
}

/** Every candidate task list in the workspace, best first. */
export async function findTasklistCandidates(): Promise<vscode.Uri[]> {
  const setting = vscode.workspace.getConfiguration('coditect').get<string>('tasklist')?.trim() || DEFAULT_TASKLIST_GLOB;
  const found: vscode.Uri[] = [];
  if (!/[*?{[]/.test(setting)) {
    // A plain path: absolute, or relative to each workspace folder.
    const tries = path.isAbsolute(setting)
      ? [vscode.Uri.file(setting)]
      : (vscode.workspace.workspaceFolders ?? []).map((f) => vscode.Uri.joinPath(f.uri, setting));
    for (const uri of tries) {
      if (await exists(uri)) found.push(uri);
    }
    return found;
  }
  const uris = await vscode.workspace.findFiles(setting, EXCLUDE, 200);
  const rel = (u: vscode.Uri): string => vscode.workspace.asRelativePath(u, false);
  const byRel = new Map(uris.map((u) => [rel(u), u]));
  return rankTasklistCandidates([...byRel.keys()]).map((r) => byRel.get(r)!);
}

/** The task list to use now, or undefined when the workspace has none. */
export async function locateTasklist(state: vscode.Memento): Promise<TasklistTarget | undefined> {
  const chosen = state.get<string>(CHOSEN_KEY);
  if (chosen) {
    const uri = vscode.Uri.file(chosen);
    if (await exists(uri)) return target(uri);
  }
  const [best] = await findTasklistCandidates();
  return best ? target(best) : undefined;
}

/** Remembers the person's choice for this workspace (the `Select task list…` command). */
export async function rememberTasklist(state: vscode.Memento, uri: vscode.Uri | undefined): Promise<void> {
  await state.update(CHOSEN_KEY, uri?.fsPath);
}

function target(uri: vscode.Uri): TasklistTarget {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  return { uri, workspaceRoot: folder ? folder.uri.fsPath : path.dirname(uri.fsPath) };
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    const st = await vscode.workspace.fs.stat(uri);
    return (st.type & vscode.FileType.File) !== 0;
  } catch {
    return false;
  }
}
