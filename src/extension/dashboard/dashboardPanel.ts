// The progress dashboard webview panel: one per window, strict CSP with a nonce, snapshot then increments.
// The conversation logic (handshake, replay, metrics refresh, commands) lives in dashboardSession.ts so it is testable
// without VS Code; this file only binds it to a real WebviewPanel.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { errorMessage } from '../../core/describe';
import { dashboardHtml, nonceFromBytes, type DashboardHtmlOptions } from '../../protocol/dashboardHtml';
import { DashboardSession, type DashboardSource } from './dashboardSession';
import { stamp } from '../perfTrace';

/** The dashboard panel; at most one exists, `show` reveals it. */
export class DashboardPanel implements vscode.Disposable {
  /** Webview type id, also used by a panel serializer if one is registered. */
  static readonly viewType = 'coditect.dashboard';
  private static current: DashboardPanel | undefined;

  private session: DashboardSession;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  /** Opens the dashboard (or reveals the open one) for this engine. */
  static show(context: vscode.ExtensionContext, engine: DashboardSource): DashboardPanel {
    const open = DashboardPanel.current;
    if (open) {
      open.rebind(engine);
      open.panel.reveal(undefined, false);
      return open;
    }
    stamp('dashboard:show');
    const panel = vscode.window.createWebviewPanel(
      DashboardPanel.viewType,
      'CODITECT Progress',
      // Beside the editor, so revealing a task shows the markdown next to the dashboard rather than over it.
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      { ...DashboardPanel.webviewOptions(context), retainContextWhenHidden: false },
    );
    return DashboardPanel.adopt(context, panel, engine);
  }

  /** Takes over a dashboard VS Code restored after a window reload (registered as the panel serializer). */
  static revive(context: vscode.ExtensionContext, panel: vscode.WebviewPanel, engine: DashboardSource): DashboardPanel {
    DashboardPanel.current?.dispose();
    panel.webview.options = DashboardPanel.webviewOptions(context);
    return DashboardPanel.adopt(context, panel, engine);
  }

  private static webviewOptions(context: vscode.ExtensionContext): vscode.WebviewOptions {
    return {
      enableScripts: true,
      // Only the bundle and the style sheet: the page can load nothing else from disk.
      // (No retained context: the page rebuilds itself from a snapshot on `ready`.)
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(context.extensionUri, 'media')],
    };
  }

  private static adopt(context: vscode.ExtensionContext, panel: vscode.WebviewPanel, engine: DashboardSource): DashboardPanel {
    const created = new DashboardPanel(panel, context.extensionUri, engine);
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
    engine: DashboardSource,
  ) {
    this.session = this.makeSession(engine);
    const webview = panel.webview;
    webview.html = DashboardPanel.html(webview, extensionUri);
    stamp('dashboard:html-set');
    this.disposables.push(
      webview.onDidReceiveMessage((m: unknown) => {
        stamp('dashboard:received', { type: (m as { type?: unknown } | undefined)?.type });
        void this.session.receive(m);
      }),
      // A hidden page is destroyed (no retained context); it says `ready` again when shown.
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) this.session.detach();
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /**
   * The page, its script and style sheet carried in it: loaded from their URIs, each went through the webview's service
   * worker and the workbench's main thread (busy then, splitting the editor for the panel) before the script could run
   * (page frame → script 150–200 ms against 80–95 ms for an inline script, #15). Files that cannot be read or carried
   * inline are loaded from their URIs as before.
   */
  private static html(webview: vscode.Webview, extensionUri: vscode.Uri): string {
    const script = vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'main.js');
    const style = vscode.Uri.joinPath(extensionUri, 'media', 'dashboard.css');
    const page: DashboardHtmlOptions = {
      cspSource: webview.cspSource,
      nonce: nonceFromBytes(randomBytes(18)),
      scriptUri: webview.asWebviewUri(script).toString(),
      styleUri: webview.asWebviewUri(style).toString(),
    };
    try {
      return dashboardHtml({ ...page, inline: { script: readFileSync(script.fsPath, 'utf8'), style: readFileSync(style.fsPath, 'utf8') } });
    } catch (e) {
      console.warn(`coditect: the dashboard loads its script and style sheet from files: ${errorMessage(e)}`);
      return dashboardHtml(page);
    }
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
  private rebind(engine: DashboardSource): void {
    const pageUp = this.session.hasPage;
    this.session.dispose();
    this.session = this.makeSession(engine);
    if (pageUp) void this.session.start();
  }

  private makeSession(engine: DashboardSource): DashboardSession {
    return new DashboardSession({
      source: engine,
      post: (msg) => this.panel.webview.postMessage(msg),
      onError: (message) => console.warn(`coditect: ${message}`),
    });
  }
}
