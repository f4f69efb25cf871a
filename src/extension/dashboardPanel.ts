// The progress dashboard webview panel: one per window, strict CSP with a nonce, snapshot then increments.
// The conversation logic (handshake, replay, metrics refresh) lives in webview-ui/host/dashboardSession.ts so it is
// testable without VS Code; this file only binds it to a real WebviewPanel.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { DashboardEvent, DashboardRequest } from '../protocol/webviewProtocol';
import type { PlanSnapshot } from '../protocol/views';
import { dashboardHtml, nonceFromBytes } from '../../webview-ui/host/dashboardHtml';
import { DashboardSession } from '../../webview-ui/host/dashboardSession';

/**
 * The engine as the dashboard sees it. The extension adapts its engine client to this:
 * `onEvent` maps `coditect/tasksChanged` → `tasks:changed`, `coditect/planChanged` → `plan:changed`,
 * `coditect/stateChanged` → `state:changed`, `coditect/activity` → `activity:appended`;
 * `request` maps `control` to Start/Pause/Resume/StopOrchestration and `taskAction` to RunTask/RetryTask/CancelTask.
 */
export interface DashboardEngine {
  /** The whole plan (`coditect/snapshot`). */
  snapshot(): Promise<PlanSnapshot>;
  /** Subscribes to engine events until the returned disposable is disposed. */
  onEvent(listener: (e: DashboardEvent) => void): vscode.Disposable;
  /** Carries out a dashboard button; reject with an Error whose message the person may read. */
  request(req: DashboardRequest): Promise<unknown>;
}

/** The dashboard panel; at most one exists, `show` reveals it. */
export class DashboardPanel implements vscode.Disposable {
  /** Webview type id, also used by a panel serializer if one is registered. */
  static readonly viewType = 'coditect.dashboard';
  private static current: DashboardPanel | undefined;

  private session: DashboardSession;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  /** Opens the dashboard (or reveals the open one) for this engine; `reveal` shows a task's line in the editor. */
  static show(context: vscode.ExtensionContext, engine: DashboardEngine, reveal: (taskId: string) => void): DashboardPanel {
    const open = DashboardPanel.current;
    if (open) {
      open.rebind(engine, reveal);
      open.panel.reveal(undefined, false);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(
      DashboardPanel.viewType,
      'CODITECT Progress',
      // Beside the editor, so revealing a task shows the markdown next to the dashboard rather than over it.
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      { ...DashboardPanel.webviewOptions(context), retainContextWhenHidden: false },
    );
    return DashboardPanel.adopt(context, panel, engine, reveal);
  }

  /** Takes over a dashboard VS Code restored after a window reload (registered as the panel serializer). */
  static revive(context: vscode.ExtensionContext, panel: vscode.WebviewPanel, engine: DashboardEngine, reveal: (taskId: string) => void): DashboardPanel {
    DashboardPanel.current?.dispose();
    panel.webview.options = DashboardPanel.webviewOptions(context);
    return DashboardPanel.adopt(context, panel, engine, reveal);
  }

  private static webviewOptions(context: vscode.ExtensionContext): vscode.WebviewOptions {
    return {
      enableScripts: true,
      // Only the bundle and the style sheet: the page can load nothing else from disk.
      // (No retained context: the page rebuilds itself from a snapshot on `ready`.)
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(context.extensionUri, 'media')],
    };
  }

  private static adopt(
    context: vscode.ExtensionContext,
    panel: vscode.WebviewPanel,
    engine: DashboardEngine,
    reveal: (taskId: string) => void,
  ): DashboardPanel {
    const created = new DashboardPanel(panel, context.extensionUri, engine, reveal);
    DashboardPanel.current = created;
    context.subscriptions.push(created);
    return created;
  }

  /** The open dashboard, if any. */
  static get currentPanel(): DashboardPanel | undefined {
    return DashboardPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    engine: DashboardEngine,
    reveal: (taskId: string) => void,
  ) {
    this.session = this.makeSession(engine, reveal);
    const webview = panel.webview;
    webview.html = dashboardHtml({
      cspSource: webview.cspSource,
      nonce: nonceFromBytes(randomBytes(18)),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'main.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'dashboard.css')).toString(),
    });
    this.disposables.push(
      webview.onDidReceiveMessage((m: unknown) => void this.session.receive(m)),
      // A hidden page is destroyed (no retained context); it says `ready` again when shown.
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) this.session.detach();
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** Disposes the session and the panel; idempotent (VS Code calls it again through onDidDispose). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    // Every step runs even if one throws: a failed unsubscribe must not keep the panel open.
    const steps: (() => void)[] = [() => this.session.dispose(), ...this.disposables.map((d) => () => d.dispose()), () => this.panel.dispose()];
    for (const step of steps) {
      try {
        step();
      } catch (err) {
        console.error('coditect: dashboard dispose step failed', err);
      }
    }
    this.disposables.length = 0;
  }

  /** A restarted engine gets a new session; a page that already said `ready` gets a fresh snapshot from it. */
  private rebind(engine: DashboardEngine, reveal: (taskId: string) => void): void {
    const pageUp = this.session.hasPage;
    this.session.dispose();
    this.session = this.makeSession(engine, reveal);
    if (pageUp) void this.session.start();
  }

  private makeSession(engine: DashboardEngine, reveal: (taskId: string) => void): DashboardSession {
    return new DashboardSession({
      source: engine,
      post: (msg) => this.panel.webview.postMessage(msg),
      reveal,
      onError: (message) => console.warn(`coditect: ${message}`),
    });
  }
}
