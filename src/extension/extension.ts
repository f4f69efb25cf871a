// Composition root of the editor layer: builds each part, wires them together, and hands every disposable to
// context.subscriptions. Activation does no heavy work: the engine starts asynchronously after activate() returns.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DocumentChanged, ListReviews } from '../protocol/engineProtocol';
import { AttentionNotifications } from './attention';
import { stallsOf } from '../protocol/views';
import { planProgress, progressText } from '../protocol/presentation';
import { dashboardSource } from './dashboard/dashboardAdapter';
import { DashboardPanel } from './dashboard/dashboardPanel';
import { TasklistDiagnostics, TasklistQuickFixes } from './diagnostics';
import { showPlanOnFirstRun } from './firstRun';
import { registerCommands } from './commands';
import { EditSync, samePath } from './editSync';
import { EngineClient, RESTART_SETTINGS } from './engineClient';
import { diagnosticLines } from './engineLog';
import { PlanStore } from './planStore';
import { CoditectStatusBar } from './statusBar';
import { keyNote } from './statusText';
import { TaskLensProvider } from './taskLens';
import { REVIEW_SCHEME, ReviewDocuments } from './reviewDiff';
import { ReviewStore } from './reviewStore';
import { DEFAULT_TASKLIST_GLOB, locateTasklist } from './tasklistLocator';
import { TASK_LOG_SCHEME, TaskLogDocuments } from './taskLogView';
import { TaskTreeProvider, type TaskFilter, type TaskTreeNode } from './taskTree';
import { errorMessage } from '../core/describe';
import { stamp } from './perfTrace';

/** What the extension exports (through `vscode.extensions.getExtension(...).exports`), for tests and scripts. */
export interface CoditectApi {
  readonly store: PlanStore;
  readonly engine: EngineClient;
  readonly tree: TaskTreeProvider;
  /** The Tasks view (its selection, for tests of reveal). */
  readonly treeView: vscode.TreeView<TaskTreeNode>;
  /** The open task list's two-way sync with the engine (the version it last sent, for tests). */
  readonly editSync: EditSync;
  /** The notifications shown for the engine's calls for a person (VS Code cannot list them: for tests). */
  readonly attention: AttentionNotifications;
  /** Task branches waiting for review, as the lenses and the tree offer them. */
  readonly reviews: ReviewStore;
  /** Starts the engine if needed and resolves once it is initialized. */
  ready(): Promise<void>;
  /** Milliseconds `activate()` itself took (the engine starts after it returns); also in the CODITECT output. */
  readonly activationMs: number;
}

let active: EngineClient | undefined;

/** Activation: registers views, providers and commands; starts the engine in the background. */
export function activate(context: vscode.ExtensionContext): CoditectApi {
  const activationStart = performance.now();
  stamp('extension:activate');
  const output = vscode.window.createOutputChannel('CODITECT', { log: true });
  const store = new PlanStore();
  const readOnly = (): boolean => !vscode.workspace.isTrusted;
  // The client needs the edit applier and the applier needs to know the task list: late-bound through this slot.
  const editSyncRef: { current?: EditSync } = {};
  const client = new EngineClient({
    extensionPath: context.extensionPath,
    untrustedStateDir: context.storageUri ? path.join(context.storageUri.fsPath, 'untrusted') : undefined,
    output,
    store,
    secrets: context.secrets,
    locate: () => locateTasklist(context.workspaceState),
    applyEdits: async (p) => (editSyncRef.current ? editSyncRef.current.applyEdits(p) : { outcome: 'not-open' }),
  });
  active = client;
  const tasklistPath = (): string | undefined => store.snapshot?.tasklistPath ?? client.tasklist?.uri.fsPath;
  const isTasklist = (uri: vscode.Uri): boolean => {
    const p = tasklistPath();
    return p !== undefined && uri.scheme === 'file' && samePath(uri.fsPath, p);
  };

  const editSync = new EditSync({ isTasklist, send: (p) => client.notify(DocumentChanged.type, p), log: output });
  editSyncRef.current = editSync;
  const diagnostics = new TasklistDiagnostics();
  const reviews = new ReviewStore(() => client.request(ListReviews.type), store);
  const tree = new TaskTreeProvider(store, reviews);
  const treeView = vscode.window.createTreeView('coditect.tasks', { treeDataProvider: tree, showCollapseAll: true });
  // A collapsed group is one VS Code draws without asking for its children (see TaskTreeProvider.drawing).
  context.subscriptions.push(
    tree.attachView(treeView),
    treeView.onDidCollapseElement((e) => tree.setCollapsed(e.element, true)),
    treeView.onDidExpandElement((e) => tree.setCollapsed(e.element, false)),
  );
  // A hover's "Show in Tasks view": select the task in the tree, its epic and feature expanded.
  context.subscriptions.push(
    vscode.commands.registerCommand('coditect.revealInTree', async (id: unknown) => {
      if (typeof id !== 'string' || !store.task(id)) return;
      await treeView.reveal(tree.node('task', id), { select: true, focus: true, expand: true });
    }),
  );
  const lens = new TaskLensProvider(store, {
    isTasklist,
    readOnly,
    reviews,
    engine: {
      loading: () => client.lifecycle === 'starting' || client.lifecycle === 'restarting',
      onChange: (listener) => {
        const offs = [client.events.on('tasklist:located', listener), client.events.on('lifecycle:changed', listener)];
        return () => offs.forEach((off) => off());
      },
    },
  });
  const logs = new TaskLogDocuments(client, store);
  const statusBar = new CoditectStatusBar(client, store, readOnly);
  const attention = new AttentionNotifications(client);
  const markdown: vscode.DocumentSelector = { scheme: 'file', language: 'markdown' };
  const dashboard = dashboardSource(client, store, reviews);

  context.subscriptions.push(
    output,
    editSync,
    diagnostics,
    tree,
    treeView,
    lens,
    logs,
    statusBar,
    attention,
    vscode.languages.registerCodeLensProvider(markdown, lens),
    vscode.languages.registerHoverProvider(markdown, lens),
    vscode.languages.registerCodeActionsProvider(markdown, new TasklistQuickFixes(diagnostics, store), TasklistQuickFixes.metadata),
    vscode.workspace.registerTextDocumentContentProvider(TASK_LOG_SCHEME, logs),
    vscode.workspace.registerTextDocumentContentProvider(REVIEW_SCHEME, new ReviewDocuments()),
    new vscode.Disposable(() => reviews.dispose()),
  );

  const setContext = (key: string, value: unknown): void => void vscode.commands.executeCommand('setContext', key, value);
  const updateView = (): void => {
    const snap = store.snapshot;
    const notes: string[] = [];
    switch (client.lifecycle) {
      case 'starting':
        notes.push('Starting the CODITECT engine…');
        break;
      case 'restarting':
        notes.push('The engine stopped unexpectedly; restarting it…');
        break;
      case 'failed':
        notes.push(`The engine is not running: ${client.failure ?? 'it failed'}. Run "CODITECT: Restart Engine".`);
        break;
      default:
        break;
    }
    const key = keyNote(snap?.simulated, client.keyChange);
    if (key) notes.push(key);
    if (readOnly()) notes.push('Restricted Mode: the plan is read-only and no agent runs; trust the folder to run tasks (shield button above).');
    if (snap?.state === 'stalled') {
      const stalls = stallsOf(snap.tasks);
      const first = stalls[0] ? `: ${stalls[0].text}${stalls.length > 1 ? ` (and ${stalls.length - 1} more)` : ''}` : ': failed tasks need a retry';
      notes.push(`Stalled — nothing can start until a person acts${first}.`);
    }
    treeView.message = notes.length ? notes.join(' ') : undefined;
    treeView.badge = viewBadge(tree.badgeTally());
    treeView.description = tree.filter !== 'all' ? `${tree.filter} only` : snap ? progressText(planProgress(snap.counts)) : undefined;
    setContext('coditect.orchestration', snap?.state ?? 'idle');
    setContext('coditect.engine', client.lifecycle);
    setContext('coditect.noTasklist', client.lifecycle === 'no-tasklist');
  };
  const shownProblems = new Set<string>();
  const offs = [
    store.events.on('plan:replaced', updateView),
    store.events.on('state:changed', updateView),
    store.events.on('tasks:updated', updateView),
    client.events.on('lifecycle:changed', updateView),
    client.events.on('key:changed', updateView),
    client.events.on('diagnostics:published', (p) => {
      diagnostics.publish(p.path, p.diagnostics);
      // A problem that changes what runs gets a line in the Output, once, when it appears.
      for (const l of diagnosticLines(path.basename(p.path), p.diagnostics, shownProblems)) output[l.level](l.message);
    }),
    client.events.on('engine:initialized', () => {
      // The engine read the file on disk; a person's unsaved edits must reach it too.
      const doc = vscode.workspace.textDocuments.find((x) => isTasklist(x.uri) && x.isDirty);
      if (doc) editSync.sendNow(doc);
    }),
  ];
  context.subscriptions.push(new vscode.Disposable(() => offs.forEach((off) => off())));

  // A dashboard left open comes back after a window reload (VS Code activates us for it: onWebviewPanel).
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(DashboardPanel.viewType, {
      deserializeWebviewPanel: async (panel) => {
        DashboardPanel.revive(context, panel, dashboard);
      },
    }),
  );

  registerCommands({
    context,
    client,
    store,
    tree,
    logs,
    output,
    reviews,
    readOnly,
    openDashboard: () => DashboardPanel.show(context, dashboard),
    onFilterChanged: (f: TaskFilter) => {
      setContext('coditect.treeFilter', f);
      updateView();
    },
  });

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('coditect')) return;
      if (RESTART_SETTINGS.some((s) => e.affectsConfiguration(s))) {
        if (client.lifecycle !== 'stopped')
          void client.restart().catch((err: unknown) => output.error(`restart after a settings change failed: ${errorMessage(err)}`));
        return;
      }
      client.pushSettings();
    }),
    // Trust granted: the engine must start over writable (it was told readOnly in initialize).
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      setContext('coditect.readOnly', false);
      updateView();
      void client.restart().catch((err: unknown) => output.error(`restart after trust was granted failed: ${errorMessage(err)}`));
    }),
    new vscode.Disposable(() => void client.dispose()),
  );

  // A workspace without a task list starts the engine as soon as one appears.
  const glob = vscode.workspace.getConfiguration('coditect').get<string>('tasklist')?.trim() || DEFAULT_TASKLIST_GLOB;
  const watcher = vscode.workspace.createFileSystemWatcher(glob, false, true, true);
  context.subscriptions.push(
    watcher,
    watcher.onDidCreate(() => {
      if (client.lifecycle === 'no-tasklist') client.start().catch((e: unknown) => output.warn(`the engine did not start: ${errorMessage(e)}`));
    }),
  );

  setContext('coditect.readOnly', readOnly());
  setContext('coditect.treeFilter', 'all');
  updateView();
  // Off the activation path: spawning Node and opening the database takes far longer than activation may.
  const started = new Promise<void>((resolve) => setImmediate(resolve)).then(() => client.start());
  started.catch((e: unknown) => output.warn(`the engine did not start: ${errorMessage(e)}`));
  // Beside the engine's start, not after it: the plan's text needs no engine, and the person sees it at once.
  new Promise<void>((resolve) => setImmediate(resolve))
    .then(() => showPlanOnFirstRun(context.workspaceState, () => locateTasklist(context.workspaceState)))
    .catch((e: unknown) => output.warn(`opening the plan on the first run failed: ${errorMessage(e)}`));

  const activationMs = performance.now() - activationStart;
  output.info(`activated in ${activationMs.toFixed(1)} ms`);
  return {
    store,
    engine: client,
    tree,
    treeView,
    editSync,
    attention,
    reviews,
    ready: async () => {
      await client.start();
    },
    activationMs,
  };
}

/** The Tasks view's badge (shown on the activity bar too): what runs now, else what failed and waits for a retry. */
function viewBadge(t: { running: number; failed: number }): vscode.ViewBadge | undefined {
  const failed = t.failed > 0 ? `${t.failed} failed or timed out` : '';
  if (t.running > 0) return { value: t.running, tooltip: [`${t.running} running`, failed].filter(Boolean).join(' · ') };
  if (t.failed > 0) return { value: t.failed, tooltip: `${failed}: retry from the tree or "CODITECT: Retry Failed Tasks"` };
  return undefined;
}

/** Stops the engine gracefully; VS Code waits for the returned promise (a few seconds at most). */
export async function deactivate(): Promise<void> {
  const client = active;
  active = undefined;
  await client?.dispose();
}
