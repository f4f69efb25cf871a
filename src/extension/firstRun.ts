// A person's first activation in a folder with a plan: the window they meet shows the plan and the Tasks view, not an
// empty editor area (code-server and `npm start` open with no editor), once per workspace. The walkthrough
// (contributes.walkthroughs, media/walkthrough/) takes it from there: choose who does the work, run one task, watch
// the dashboard.
import * as vscode from 'vscode';
import type { TasklistTarget } from './tasklistLocator';

/** workspaceState key: set once the first run has been handled here (shown or not), so it happens once. */
export const FIRST_RUN_KEY = 'coditect.firstRun.done';
/** The walkthrough's id as `workbench.action.openWalkthrough` takes it: `<publisher>.<name>#<walkthrough id>`. */
export const WALKTHROUGH_ID = 'coditect.coditect-orchestrator#coditect.gettingStarted';

/**
 * Opens the plan and reveals the Tasks view the first time the extension activates in this workspace with a plan.
 * Only into an empty editor area: a window where the person already has something open is left as they arranged it.
 * Returns whether it opened the plan.
 */
export async function showPlanOnFirstRun(state: vscode.Memento, locate: () => Promise<TasklistTarget | undefined>): Promise<boolean> {
  if (state.get<boolean>(FIRST_RUN_KEY)) return false;
  const target = await locate();
  if (!target) return false; // no plan yet: the first run is the one that finds one
  await state.update(FIRST_RUN_KEY, true);
  if (vscode.window.tabGroups.all.some((g) => g.tabs.length > 0)) return false;
  await vscode.window.showTextDocument(target.uri, { preview: false });
  // Opens the CODITECT container with the view focused: the epics beside the text they came from.
  await vscode.commands.executeCommand('coditect.tasks.focus');
  return true;
}
