// Dashboard entry point (bundled to dist/webview/main.js as an iife). Says `webview:ready`, then applies each message
// from the extension to the view model and lets the view patch what changed. Its buttons run the editor's commands.
import { isToWebview, type FromWebview } from '../src/protocol/webviewProtocol';
import type { DashboardActions } from './panels/panel';
import { parseUiState } from './panels/selection';
import { applyMessage, dismissNotice, emptyModel, noChange, type ModelChange } from './state';
import { DashboardView } from './view';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const NOTICE_ONLY: ModelChange = { ...noChange(), notice: true };

// Marks of the page's first moments (the workbench bench reads them, test/e2e/bigPlanBench.ts): the script runs, says
// ready, gets its first plan, has drawn it, and the frame after that was painted. A mark is a few bytes in the page.
performance.mark('coditect:script');
let firstPlan = true;

const vscode = acquireVsCodeApi();
const post = (m: FromWebview): void => vscode.postMessage(m);
const ready = (): void => post({ type: 'webview:ready', params: {} });

const root = document.getElementById('app');
if (!root) throw new Error('dashboard: the page has no #app element');

let model = emptyModel();

const actions: DashboardActions = {
  run: (command) => post({ type: 'command:run', params: { command } }),
  runOnTask: (command, taskId) => post({ type: 'command:run', params: { command, taskId } }),
  retryLoad: () => {
    model = dismissNotice(model);
    view.render(model, NOTICE_ONLY);
    ready();
  },
  dismissNotice: () => {
    model = dismissNotice(model);
    view.render(model, NOTICE_ONLY);
  },
};

// The filter survives the panel being hidden and shown again (VS Code keeps this state for the page).
const view = new DashboardView(root, actions, parseUiState(vscode.getState()), (ui) => vscode.setState(ui));

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  // Anything that is not one of our messages (other frames, stale shapes) is ignored rather than half-applied.
  if (!isToWebview(event.data)) return;
  const first = firstPlan && event.data.type === 'plan:changed';
  if (first) performance.mark('coditect:plan-received');
  const next = applyMessage(model, event.data, Date.now());
  model = next.model;
  // A patch for a plan this page does not have: the extension (or the event stream) starts again with a snapshot.
  if (next.change.resync) ready();
  view.render(model, next.change);
  if (first) {
    firstPlan = false;
    performance.mark('coditect:plan-drawn');
    requestAnimationFrame(() => setTimeout(() => performance.mark('coditect:plan-painted')));
  }
});

// Elapsed times and uptime tick here; the engine is not asked for anything to move a clock.
setInterval(() => view.tick(Date.now()), 1000);

ready();
performance.mark('coditect:ready-posted');
