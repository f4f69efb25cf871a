// Every `CODITECT: …` command. Each returns what the engine answered (tests and other extensions read it through
// executeCommand); failures are shown to the person and resolve to undefined rather than throwing into VS Code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { WALKTHROUGH_ID } from './firstRun';
import {
  AcceptReview,
  type AcceptReviewResult,
  ApproveGate,
  CancelTask,
  ExportWorkItems,
  MarkTask,
  type MarkTaskParams,
  PauseOrchestration,
  RejectGate,
  RejectReview,
  type RejectReviewResult,
  ResumeOrchestration,
  ResolveConflicts,
  type ResolveConflictsResult,
  RetryReview,
  type ReviewView,
  RetryFailed,
  RetryTask,
  RunNextTask,
  RunTask,
  StartOrchestration,
  StopOrchestration,
  SyncNow,
  Validate,
} from '../protocol/engineProtocol';
import { displayState, GATE_WAITING_LABEL, STATE_LABEL } from '../protocol/presentation';
import type { GateDecisionResult } from '../protocol/gates';
import type { TaskView } from '../protocol/views';
import { clearApiKey, setApiKey } from './apiKey';
import type { EngineClient } from './engineClient';
import type { PlanStore } from './planStore';
import { revealInTasklist } from './reveal';
import { openReviewDiff } from './reviewDiff';
import type { ReviewStore } from './reviewStore';
import { findTasklistCandidates, rememberTasklist } from './tasklistLocator';
import type { TaskLogDocuments } from './taskLogView';
import { canRetry, canRun, isWaitingGate } from './taskState';
import { TASK_FILTERS, type TaskFilter, type TaskTreeNode, type TaskTreeProvider } from './taskTree';
import { STATE_ICONS, taskDescription } from './treeText';
import { errorMessage } from '../core/describe';

export interface CommandDeps {
  context: vscode.ExtensionContext;
  client: EngineClient;
  store: PlanStore;
  tree: TaskTreeProvider;
  logs: TaskLogDocuments;
  output: vscode.LogOutputChannel;
  /** Task branches waiting for review (docs/isolation.md#review). */
  reviews: ReviewStore;
  openDashboard(): void;
  readOnly(): boolean;
  /** Called after the filter changed (context key, view description). */
  onFilterChanged(filter: TaskFilter): void;
}

/** A task argument as commands receive it: an id (CodeLens, palette, other extensions) or a tree node. */
type TaskArg = string | TaskTreeNode | undefined;

function taskIdOf(arg: TaskArg): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg && typeof arg === 'object' && arg.kind === 'task' && typeof arg.id === 'string') return arg.id;
  return undefined;
}

/** Registers every command; the disposables go to context.subscriptions. */
export function registerCommands(d: CommandDeps): void {
  const { client, store } = d;
  const version = String(d.context.extension.packageJSON.version);

  const register = <A extends unknown[]>(id: string, title: string, fn: (...args: A) => unknown): void => {
    d.context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: A) => {
        try {
          return await fn(...args);
        } catch (e) {
          const msg = errorMessage(e);
          d.output.error(`${title} failed: ${msg}`);
          void vscode.window.showErrorMessage(`CODITECT: ${title} failed: ${msg}`, 'Show Output').then((p) => p && d.output.show(true));
          return undefined;
        }
      }),
    );
  };
  /** Commands that would start or change agent work refuse in Restricted Mode (their menus are hidden there too). */
  const writable = (what: string): void => {
    if (d.readOnly()) throw new Error(`${what} is not available in Restricted Mode: trust this workspace to run agents`);
  };
  const pickTask = async (arg: TaskArg, placeHolder: string, filter: (t: TaskView) => boolean): Promise<string | undefined> => {
    const id = taskIdOf(arg);
    if (id) return id;
    const candidates = store.tasks().filter(filter);
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage(`CODITECT: no task to choose from (${placeHolder.toLowerCase()}).`);
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      candidates.map((t) => ({
        label: `$(${STATE_ICONS[displayState(t)].id.replace('~spin', '')}) ${t.id}`,
        description: t.title,
        detail: `${STATE_LABEL[displayState(t)]} · ${taskDescription(t)}`,
        id: t.id,
      })),
      { placeHolder, matchOnDescription: true, matchOnDetail: true },
    );
    return picked?.id;
  };

  /** A waiting gate: the argument's, else one the person picks among waiting task gates and gated features. */
  const pickGate = async (arg: TaskArg): Promise<string | undefined> => {
    // A feature row of the tree (its gate waits: the menu is shown only then).
    if (arg && typeof arg === 'object' && arg.kind === 'feature') return arg.id;
    const features = (store.snapshot?.gates?.waiting ?? []).filter((w) => w.feature);
    if (taskIdOf(arg) || features.length === 0) return pickTask(arg, 'Choose a gate waiting for approval', isWaitingGate);
    const picked = await vscode.window.showQuickPick(
      [
        ...store
          .tasks()
          .filter(isWaitingGate)
          .map((t) => ({ label: t.id, description: t.title, detail: GATE_WAITING_LABEL, id: t.id })),
        ...features.map((w) => ({ label: w.id, description: w.title, detail: `feature · ${GATE_WAITING_LABEL} · holds ${w.holds}`, id: w.id })),
      ],
      { placeHolder: 'Choose a gate waiting for approval', matchOnDescription: true, matchOnDetail: true },
    );
    return picked?.id;
  };

  register('coditect.showVersion', 'Show Version', () => {
    void vscode.window.showInformationMessage(`CODITECT Orchestrator ${version}`);
    return version;
  });

  // ---- orchestration ------------------------------------------------------------------------------------------
  register('coditect.start', 'Start Orchestration', async () => {
    writable('Starting orchestration');
    return client.request(StartOrchestration.type);
  });
  register('coditect.pause', 'Pause Orchestration', async () => {
    writable('Pausing orchestration');
    return client.request(PauseOrchestration.type);
  });
  register('coditect.resume', 'Resume Orchestration', async () => {
    writable('Resuming orchestration');
    return client.request(ResumeOrchestration.type);
  });
  register('coditect.stop', 'Stop Orchestration', async () => {
    writable('Stopping orchestration');
    return client.request(StopOrchestration.type);
  });

  // ---- one task -------------------------------------------------------------------------------------------------
  const runTask = async (arg: TaskArg, agent?: string) => {
    writable('Running a task');
    const taskId = await pickTask(arg, 'Choose a ready task to run', (t) => canRun(t));
    if (!taskId) return undefined;
    const r = await client.request(RunTask.type, agent ? { taskId, agent } : { taskId });
    if (!r.started) void vscode.window.showWarningMessage(`CODITECT: ${taskId} did not start: ${r.reason ?? 'it is not ready'}`);
    return r;
  };
  register('coditect.runTaskWithAgent', 'Run with Agent', (arg: TaskArg, agent?: string) => runTask(arg, typeof agent === 'string' ? agent : undefined));
  register('coditect.runTask', 'Run Task…', (arg: TaskArg) => runTask(arg));
  register('coditect.runNext', 'Run Next Ready Task', async () => {
    writable('Running a task');
    const r = await client.request(RunNextTask.type);
    if (!r.started) void vscode.window.showInformationMessage(`CODITECT: nothing started: ${r.reason ?? 'no task is ready'}`);
    return r;
  });
  register('coditect.retryTask', 'Retry Task', async (arg: TaskArg) => {
    writable('Retrying a task');
    const taskId = await pickTask(arg, 'Choose a failed task to retry', (t) => canRetry(t));
    return taskId ? client.request(RetryTask.type, { taskId }) : undefined;
  });
  register('coditect.cancelTask', 'Cancel Task', async (arg: TaskArg) => {
    writable('Cancelling a task');
    const taskId = await pickTask(arg, 'Choose a running task to cancel', (t) => t.status === 'in_progress');
    return taskId ? client.request(CancelTask.type, { taskId }) : undefined;
  });
  const mark = (status: MarkTaskParams['status'], label: string, filter: (t: TaskView) => boolean) => async (arg: TaskArg) => {
    writable(label);
    const taskId = await pickTask(arg, `Choose a task to ${label.toLowerCase()}`, filter);
    return taskId ? client.request(MarkTask.type, { taskId, status }) : undefined;
  };
  register(
    'coditect.markDone',
    'Mark Done',
    mark('completed', 'Mark done', (t) => t.status !== 'completed' && t.status !== 'in_progress'),
  );
  register(
    'coditect.skipTask',
    'Skip Task',
    mark('skipped', 'Skip', (t) => t.status !== 'skipped' && t.status !== 'completed' && t.status !== 'in_progress'),
  );
  register(
    'coditect.reopenTask',
    'Mark Pending',
    mark('pending', 'Mark pending', (t) => t.status === 'completed' || t.status === 'skipped'),
  );
  register('coditect.retryFailed', 'Retry Failed Tasks', async () => {
    writable('Retrying failed tasks');
    const r = await client.request(RetryFailed.type);
    void vscode.window.showInformationMessage(
      r.reset.length
        ? `CODITECT: ${r.reset.length} task(s) reset to pending: ${r.reset.slice(0, 8).join(', ')}${r.reset.length > 8 ? '…' : ''}`
        : 'CODITECT: no failed task to retry.',
    );
    return r;
  });

  // ---- gates (docs/costs-and-gates.md#gates) ----------------------------------------------------------------
  // A note given as the second argument (other extensions, tests) is used as it is; otherwise the person is asked.
  register('coditect.approveGate', 'Approve Gate', async (arg: TaskArg, given?: unknown) => {
    writable('Approving a gate');
    const gateId = await pickGate(arg);
    if (!gateId) return undefined;
    const note =
      typeof given === 'string'
        ? given
        : await vscode.window.showInputBox({ title: `Approve ${gateId}`, prompt: 'A note for the audit trail (optional)', ignoreFocusOut: true });
    if (note === undefined) return undefined;
    return decided(await client.request(ApproveGate.type, note ? { gateId, note } : { gateId }));
  });
  register('coditect.rejectGate', 'Reject Gate', async (arg: TaskArg, given?: unknown) => {
    writable('Rejecting a gate');
    const gateId = await pickGate(arg);
    if (!gateId) return undefined;
    const note =
      typeof given === 'string'
        ? given
        : await vscode.window.showInputBox({
            title: `Reject ${gateId}`,
            prompt: 'What should change? A review task runs again with this note in its prompt.',
            ignoreFocusOut: true,
            validateInput: (v) => (v.trim() ? undefined : 'A rejection needs a note'),
          });
    if (!note?.trim()) return undefined;
    return decided(await client.request(RejectGate.type, { gateId, note }));
  });
  const decided = (r: GateDecisionResult): GateDecisionResult => {
    if (r.done) void vscode.window.showInformationMessage(`CODITECT: ${r.message}`);
    else void vscode.window.showWarningMessage(`CODITECT: ${r.message}`);
    return r;
  };

  // ---- review of task branches (docs/isolation.md#review) ------------------------------------------------------
  // Every verdict goes through the engine's review requests, as `coditect review` does; a note given as the second
  // argument (other extensions, tests) is used as it is, otherwise the person is asked.
  const pickReview = async (arg: TaskArg, placeHolder: string): Promise<ReviewView | undefined> => {
    const id = taskIdOf(arg);
    // The list may lag the task's status by one request: ask once more before saying there is none.
    if (id && !d.reviews.get(id)) await d.reviews.refresh();
    const taskId = await pickTask(arg, placeHolder, (t) => d.reviews.get(t.id) !== undefined);
    if (!taskId) return undefined;
    const r = d.reviews.get(taskId);
    if (!r) throw new Error(`${taskId} has no branch waiting for review`);
    return r;
  };
  register('coditect.reviewChanges', 'Review Changes', async (arg: TaskArg) => {
    const r = await pickReview(arg, 'Choose a task whose changes to review');
    if (!r) return undefined;
    const opened = await openReviewDiff(r);
    // The verdicts, beside the diff (not modal: the person reads the diff first).
    const verdicts: Record<string, string> = {
      Accept: 'coditect.acceptReview',
      ...(r.conflict ? { 'Resolve Conflicts with Agent': 'coditect.resolveConflicts' } : {}),
      'Reject…': 'coditect.rejectReview',
      'Retry with Note…': 'coditect.retryReview',
      'Open Worktree': 'coditect.openReviewWorktree',
    };
    void vscode.window.showInformationMessage(`CODITECT: ${r.taskId} ${r.reason}`, ...Object.keys(verdicts)).then((pick) => {
      const command = pick && verdicts[pick];
      if (command) void vscode.commands.executeCommand(command, r.taskId);
    });
    return opened;
  });
  register('coditect.acceptReview', 'Accept Changes', async (arg: TaskArg): Promise<AcceptReviewResult | undefined> => {
    writable('Accepting a task branch');
    const r = await pickReview(arg, 'Choose a task whose branch to merge');
    if (!r) return undefined;
    const result = await client.request(AcceptReview.type, { taskId: r.taskId });
    await d.reviews.refresh();
    if (result.outcome === 'merged')
      void vscode.window.showInformationMessage(`CODITECT: ${r.taskId} merged into ${r.baseBranch} at ${result.commit.slice(0, 12)}.`);
    else void vscode.window.showWarningMessage(`CODITECT: ${r.taskId} not merged: ${result.reason}`);
    return result;
  });
  const sendBack = (kind: 'reject' | 'retry') => async (arg: TaskArg, given?: unknown) => {
    writable(kind === 'reject' ? 'Rejecting a task branch' : 'Retrying a task branch');
    const r = await pickReview(arg, kind === 'reject' ? 'Choose a task whose branch to reject' : 'Choose a task to retry with a note');
    if (!r) return undefined;
    const note =
      typeof given === 'string'
        ? given
        : await vscode.window.showInputBox({
            title: kind === 'reject' ? `Reject ${r.taskId}` : `Retry ${r.taskId} with a note`,
            prompt:
              kind === 'reject'
                ? 'What should change? The branch is set aside and the task runs again from the integration branch with this note.'
                : 'What should change? The task runs again in the same worktree, its work in place, with this note.',
            ignoreFocusOut: true,
            validateInput: (v) => (kind === 'retry' && !v.trim() ? 'A retry needs a note' : undefined),
          });
    if (note === undefined) return undefined;
    const params = note.trim() ? { taskId: r.taskId, note } : { taskId: r.taskId };
    const result: RejectReviewResult | { status: string } =
      kind === 'reject' ? await client.request(RejectReview.type, params) : await client.request(RetryReview.type, params);
    await d.reviews.refresh();
    return result;
  };
  register('coditect.rejectReview', 'Reject Changes', sendBack('reject'));
  register('coditect.retryReview', 'Retry with Note', sendBack('retry'));
  register('coditect.resolveConflicts', 'Resolve Conflicts with Agent', async (arg: TaskArg, given?: unknown): Promise<ResolveConflictsResult | undefined> => {
    writable('Resolving conflicts');
    const r = await pickReview(arg, 'Choose a task whose merge conflicts an agent resolves');
    if (!r) return undefined;
    if (!r.conflict) throw new Error(`${r.taskId} has no merge conflict to resolve`);
    // No prompt: the engine tells the agent which files conflict; a note is only for what a person wants to add.
    const params = typeof given === 'string' && given.trim() ? { taskId: r.taskId, note: given } : { taskId: r.taskId };
    const result = await client.request(ResolveConflicts.type, params);
    await d.reviews.refresh();
    void vscode.window.showInformationMessage(
      result.files.length > 0
        ? `CODITECT: ${r.taskId} runs again to resolve the conflicts in ${result.files.join(', ')}; the previous work is kept on ${result.keptBranch}.`
        : `CODITECT: ${r.taskId} now applies cleanly to ${r.baseBranch}; it runs again there. The previous work is kept on ${result.keptBranch}.`,
    );
    return result;
  });
  register('coditect.openReviewWorktree', 'Open Worktree', async (arg: TaskArg, where?: unknown) => {
    const r = await pickReview(arg, 'Choose a task whose worktree to open');
    if (!r) return undefined;
    if (!r.worktree) throw new Error(`${r.taskId}'s worktree is gone (its branch is ${r.branch})`);
    const choice =
      where === 'window' || where === 'terminal'
        ? where
        : (
            await vscode.window.showQuickPick(
              [
                { label: 'Open in New Window', where: 'window' as const },
                { label: 'Open a Terminal There', where: 'terminal' as const },
              ],
              { placeHolder: r.worktree },
            )
          )?.where;
    if (choice === 'window') await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(r.worktree), { forceNewWindow: true });
    else if (choice === 'terminal') vscode.window.createTerminal({ name: `${r.taskId} worktree`, cwd: r.worktree }).show();
    return choice && { where: choice, worktree: r.worktree };
  });

  // ---- logs -----------------------------------------------------------------------------------------------------
  register('coditect.showTaskLog', 'Show Log', async (arg: TaskArg) => {
    const taskId = await pickTask(arg, 'Choose a task whose agent log to show', (t) => !!t.lastRun || t.status === 'in_progress');
    if (!taskId) return undefined;
    await d.logs.show(taskId);
    return taskId;
  });
  register('coditect.showAgentLog', 'Show Agent Log…', async (arg: TaskArg) => vscode.commands.executeCommand('coditect.showTaskLog', taskIdOf(arg)));
  register('coditect.showOutput', 'Show Output', () => d.output.show(true));
  // Restricted Mode's way out, in the view's title bar: VS Code's own trust editor.
  register('coditect.manageWorkspaceTrust', 'Manage Workspace Trust', () => vscode.commands.executeCommand('workbench.trust.manage'));

  // ---- the task list ------------------------------------------------------------------------------------------
  register('coditect.revealTask', 'Reveal Task', async (arg: TaskArg) => {
    const id = typeof arg === 'object' && arg ? arg.id : arg;
    if (!id) return false;
    const ok = await revealInTasklist(store, client.tasklist?.uri, id);
    if (!ok) void vscode.window.showWarningMessage(`CODITECT: ${id} is not in the task list.`);
    return ok;
  });
  register('coditect.openTasklist', 'Open Task List', async () => {
    const uri = store.snapshot ? vscode.Uri.file(store.snapshot.tasklistPath) : client.tasklist?.uri;
    if (!uri) throw new Error('this workspace has no task list (setting coditect.tasklist)');
    await vscode.window.showTextDocument(uri);
    return uri.fsPath;
  });
  register('coditect.syncNow', 'Sync Now', async () => {
    const r = await client.request(SyncNow.type);
    const conflicts = r.conflicts ? `, ${r.conflicts} conflict(s) (see Problems)` : '';
    void vscode.window.setStatusBarMessage(`CODITECT: ${r.applied ? `synced${r.direction ? ` (${r.direction})` : ''}` : 'already in sync'}${conflicts}`, 5000);
    return r;
  });
  register('coditect.validate', 'Validate Task List', async () => {
    const r = await client.request(Validate.type);
    const errors = r.diagnostics.filter((x) => x.severity === 'error').length;
    const warnings = r.diagnostics.filter((x) => x.severity === 'warning').length;
    const counts = `${r.counts.total} tasks, ${r.counts.completed} completed`;
    if (errors + warnings === 0) void vscode.window.showInformationMessage(`CODITECT: the task list is valid (${counts}).`);
    else {
      void vscode.window
        .showWarningMessage(`CODITECT: ${errors} error(s), ${warnings} warning(s) in the task list (${counts}).`, 'Show Problems')
        .then((p) => p && vscode.commands.executeCommand('workbench.actions.view.problems'));
    }
    return r;
  });
  register('coditect.exportWorkItems', 'Export Work Items JSON', async () => {
    const r = await client.request(ExportWorkItems.type, {});
    void vscode.window
      .showInformationMessage(`CODITECT: ${r.count} work items written to ${r.path}`, 'Open')
      .then((p) => p && vscode.window.showTextDocument(vscode.Uri.file(r.path)));
    return r;
  });
  register('coditect.selectTasklist', 'Select Task List…', async () => {
    const candidates = await findTasklistCandidates();
    const browse = { label: '$(folder-opened) Browse…', uri: undefined as vscode.Uri | undefined };
    const picked = await vscode.window.showQuickPick([...candidates.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })), browse], {
      placeHolder: 'Which markdown task list should CODITECT orchestrate?',
    });
    if (!picked) return undefined;
    let uri = picked.uri;
    if (!uri) {
      const chosen = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Markdown: ['md'] }, openLabel: 'Use as Task List' });
      uri = chosen?.[0];
    }
    if (!uri) return undefined;
    await rememberTasklist(d.context.workspaceState, uri);
    await client.restart();
    return uri.fsPath;
  });
  register('coditect.openConfig', 'Open Orchestrator Config', async () => {
    const root = client.tasklist?.workspaceRoot ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!root) throw new Error('open a folder first: the config lives in <workspace>/.coditect/');
    const setting = vscode.workspace.getConfiguration('coditect').get<string>('configPath')?.trim();
    // Same lookup as the engine: the setting, else .coditect/config.json (a plan-style orchestrator-config.json beside it is offered too).
    const candidates = setting
      ? [path.resolve(root, setting)]
      : [path.join(root, '.coditect', 'config.json'), path.join(root, '.coditect', 'orchestrator-config.json')];
    const file = candidates.find((f) => fs.existsSync(f)) ?? candidates[0];
    if (!fs.existsSync(file)) {
      const pick = await vscode.window.showInformationMessage(`CODITECT: ${file} does not exist yet. Create it?`, 'Create', 'Cancel');
      if (pick !== 'Create') return undefined;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      // Empty object: every field is optional and the engine's defaults apply (src/engine/config/fileSchema.ts lists them).
      fs.writeFileSync(file, '{\n}\n', { flag: 'wx' });
      // An engine that started without a config watches none: start it over so it reads and watches this one, and
      // every save applies without a manual restart (running agents are released and picked up again).
      if (client.lifecycle !== 'stopped' && client.lifecycle !== 'no-tasklist') {
        d.output.info(`created ${file}; restarting the engine so it applies each save of it`);
        void client.restart().catch((e: unknown) => d.output.error(`restart after creating ${file} failed: ${errorMessage(e)}`));
      }
    }
    await vscode.window.showTextDocument(vscode.Uri.file(file));
    return file;
  });

  // ---- views and the engine -----------------------------------------------------------------------------------
  register('coditect.openDashboard', 'Open Progress Dashboard', () => d.openDashboard());
  register('coditect.getStarted', 'Get Started', () => vscode.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH_ID, false));
  register('coditect.filterTasks', 'Filter Tasks…', async (arg?: TaskFilter) => {
    let filter = typeof arg === 'string' && (TASK_FILTERS as readonly string[]).includes(arg) ? arg : undefined;
    if (!filter) {
      const c = store.snapshot?.counts;
      const count: Record<TaskFilter, string> = {
        all: c ? `${c.total}` : '',
        ready: c ? `${c.ready}` : '',
        running: c ? `${c.inProgress}` : '',
        failed: c ? `${c.failed + c.timeout + c.cancelled}` : '',
      };
      const picked = await vscode.window.showQuickPick(
        TASK_FILTERS.map((f) => ({ label: f === d.tree.filter ? `$(check) ${f}` : f, description: count[f], filter: f })),
        { placeHolder: 'Show which tasks?' },
      );
      filter = picked?.filter;
    }
    if (!filter) return undefined;
    d.tree.setFilter(filter);
    d.onFilterChanged(filter);
    return filter;
  });
  register('coditect.restartEngine', 'Restart Engine', async () => {
    await client.restart();
    return client.pid;
  });
  register('coditect.toggleCodeLens', 'Toggle CodeLens', async () => {
    const cfg = vscode.workspace.getConfiguration('coditect');
    const next = !cfg.get<boolean>('codeLens.enabled', true);
    await cfg.update('codeLens.enabled', next, vscode.ConfigurationTarget.Global);
    return next;
  });
  register('coditect.setApiKey', 'Set Anthropic API Key', () => setApiKey(d.context.secrets, client));
  register('coditect.clearApiKey', 'Clear Anthropic API Key', () => clearApiKey(d.context.secrets, client));
  // Not in the palette: lets tests and scripts see the engine's state (never the key).
  register('coditect.engineInfo', 'Engine Info', () => ({
    lifecycle: client.lifecycle,
    pid: client.pid,
    tasklist: client.tasklist?.uri.fsPath,
    dbPath: client.info?.dbPath,
    failure: client.failure,
  }));
}
