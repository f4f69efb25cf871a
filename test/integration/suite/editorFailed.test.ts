// A task that fails, and one that runs until a person cancels it, in a real VS Code: the Tasks view's badge counts the
// failed task and says so, and a task's hover offers what can be done with it now (Retry, Cancel, Log) as links the
// hover trusts, which run the registered commands. The agents are command agents of the workspace's config file: one
// exits 1 (mapped to `fatal`, so the engine does not retry it by itself), one waits until it is killed.
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CoditectApi } from '../../../src/extension/extension';
import { TASK_LOG_SCHEME } from '../../../src/extension/taskLogView';
import { coditect, documentUntil, lineOfTask, openTasklist, readyTask, savedUntil, storeUntil } from '../editorHelpers';

/** The command links of a markdown text: `[title](command:id?args "tip")`, with their arguments decoded. */
function commandLinks(md: string): { title: string; command: string; args: unknown[] }[] {
  return [...md.matchAll(/\[([^\]]+)\]\(command:([\w.]+)\?([^ )]*)(?: "[^"]*")?\)/g)].map((m) => ({
    title: m[1],
    command: m[2],
    args: JSON.parse(decodeURIComponent(m[3])) as unknown[],
  }));
}

/** The hover on a task's id in the plan: its markdown and the commands it trusts. */
async function hoverOf(api: CoditectApi, id: string): Promise<{ text: string; trusted: readonly string[] }> {
  const editor = await openTasklist(api);
  const line = lineOfTask(editor.document, id);
  const col = editor.document.lineAt(line).text.indexOf(id) + 1;
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(line, col));
  const md = hovers.flatMap((h) => h.contents).filter((c): c is vscode.MarkdownString => typeof c !== 'string' && 'value' in c);
  const trusted = md.map((c) => c.isTrusted).find((t) => typeof t === 'object');
  return { text: md.map((c) => c.value).join('\n'), trusted: trusted && typeof trusted === 'object' ? trusted.enabledCommands : [] };
}

/** The link titled `title` in the hover of `id`, asserted to be trusted and to name `id`. */
async function hoverLink(api: CoditectApi, id: string, title: string): Promise<{ command: string; args: unknown[] }> {
  const { text, trusted } = await hoverOf(api, id);
  const link = commandLinks(text).find((l) => l.title === title);
  assert.ok(link, `the hover of ${id} offers "${title}": ${text}`);
  assert.ok(trusted.includes(link.command), `the hover trusts ${link.command}: ${JSON.stringify(trusted)}`);
  assert.deepEqual(link.args, [id]);
  return link;
}

/** Resolves with the log document of `id` once VS Code opens it. */
function logOpened(id: string): Promise<vscode.TextDocument> {
  const uri = vscode.Uri.from({ scheme: TASK_LOG_SCHEME, path: `/${id}.log` }).toString();
  return new Promise((resolve) => {
    const found = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    if (found) return resolve(found);
    const sub = vscode.workspace.onDidOpenTextDocument((d) => {
      if (d.uri.toString() !== uri) return;
      sub.dispose();
      resolve(d);
    });
  });
}

describe('editor: a failed task in the badge, and the hover links of failed and running tasks', function () {
  this.timeout(120_000);
  const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
  const config = path.join(root, '.coditect', 'config.json');
  // The extension host may be Electron: run its binary as plain Node.
  const node = (script: string) => ({ kind: 'command', executable: process.execPath, args: ['-e', script], stdin: 'none', env: { ELECTRON_RUN_AS_NODE: '1' } });
  /** What the suites before this one left, put back as it was in `after`: the config file (bytes and mtime, or none),
   * the plan's text, the editor tabs. */
  let configBefore: { bytes: Buffer; atime: Date; mtime: Date } | undefined;
  let planBefore: string;
  let tabsBefore: Set<string>;
  const tabKey = (g: vscode.TabGroup, t: vscode.Tab): string => `${g.viewColumn} ${t.input instanceof vscode.TabInputText ? t.input.uri.toString() : t.label}`;

  before(async () => {
    const api = await coditect();
    planBefore = readFileSync(api.store.snapshot!.tasklistPath, 'utf8');
    tabsBefore = new Set(vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => tabKey(g, t))));
    if (existsSync(config)) {
      const st = statSync(config);
      configBefore = { bytes: readFileSync(config), atime: st.atime, mtime: st.mtime };
    }
    mkdirSync(path.dirname(config), { recursive: true });
    writeFileSync(
      config,
      JSON.stringify({
        agents: {
          breaks: { ...node("process.stderr.write('the build broke\\n'); process.exit(1)"), exitCodeKinds: { '1': 'fatal' } },
          waits: node('setInterval(() => {}, 60_000)'),
        },
      }),
    );
    // The engine reads its agents when it starts.
    await vscode.commands.executeCommand('coditect.restartEngine');
    await coditect();
  });

  after(async () => {
    const api = await coditect();
    if (configBefore) {
      writeFileSync(config, configBefore.bytes);
      utimesSync(config, configBefore.atime, configBefore.mtime);
    } else rmSync(config, { force: true });
    // Each test waited for its task's line to be back in the open document, saved (backToPending), so the engine
    // stopped here has no status left to write: see backToPending for what a restart did otherwise.
    await vscode.commands.executeCommand('coditect.restartEngine');
    await coditect();
    // The tabs it opened (a task's log beside the plan, the plan again in that column) closed, the others left alone.
    const opened = vscode.window.tabGroups.all.flatMap((g) => g.tabs.filter((t) => !tabsBefore.has(tabKey(g, t))));
    if (opened.length) await vscode.window.tabGroups.close(opened);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(api.store.snapshot!.tasklistPath));
    // The plan as the suite found it, byte for byte, in the file and in the open document, which has nothing unsaved.
    assert.equal(readFileSync(doc.uri.fsPath, 'utf8'), planBefore, 'the plan file is as the suite found it');
    assert.equal(doc.getText(), planBefore, 'the open task list is as the suite found it');
    assert.equal(doc.isDirty, false, 'the open task list has nothing unsaved');
  });

  /** Runs a ready task on `agent` and waits until it is `status`; the task's id. */
  async function runUntil(api: CoditectApi, agent: string, status: 'failed' | 'in_progress'): Promise<string> {
    const t = readyTask(api);
    assert.ok(t, 'the plan has a ready task');
    const r = await vscode.commands.executeCommand<{ started: boolean; reason?: string }>('coditect.runTaskWithAgent', t.id, agent);
    assert.ok(r?.started, `did not start: ${r?.reason}`);
    await storeUntil(api, () => api.store.task(t.id)?.status === status, `${t.id} ${status} on ${agent}`);
    return t.id;
  }

  /**
   * Back to pending for the tests and suites after this one, whatever failed before: in the engine, and in the open
   * task list, where its line is as the suite found it and saved. The store hears of a status before the engine writes
   * it into the plan (a write-back up to ~200 ms later, through the editor). An engine stopped in between (the restart
   * in `after`) writes it into the file itself as it shuts down, behind the document VS Code still shows; an edit and
   * save of that document before VS Code reloads it is refused as a conflict and leaves it dirty, never reloaded. That
   * is most likely what CI's run of 49b73fd met: the next suite's first write-back waited out the engine's 10 s for the
   * editor, and the suites after this one read ticks the file no longer had.
   */
  async function backToPending(api: CoditectApi, id: string): Promise<void> {
    if (api.store.task(id)?.status === 'in_progress') await vscode.commands.executeCommand('coditect.cancelTask', id);
    await storeUntil(api, () => api.store.task(id)?.status !== 'in_progress', `${id} stopped`);
    if (api.store.task(id)?.status !== 'pending') await vscode.commands.executeCommand('coditect.retryTask', id);
    await storeUntil(api, () => api.store.task(id)?.status === 'pending', `${id} pending again`);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(api.store.snapshot!.tasklistPath));
    const want = planBefore.split(/\r?\n/)[lineOfTask(doc, id)];
    await documentUntil(
      doc,
      (d) => d.lineAt(lineOfTask(d, id)).text === want,
      `${id}'s line back in the open task list`,
      (d) => `it reads '${d.lineAt(lineOfTask(d, id)).text}', not '${want}'`,
    );
    await savedUntil(doc);
  }

  it('the Tasks view badge counts a failed task and its tooltip says it failed; gone once it is retried', async () => {
    const api = await coditect();
    assert.equal(api.treeView.badge, undefined, 'no badge before: nothing runs or failed');
    const id = await runUntil(api, 'breaks', 'failed');
    try {
      // The view redraws on the same store events, registered first: by the time this check runs it has.
      await storeUntil(api, () => api.treeView.badge?.value === 1, `the badge counts ${id} failed`, 15_000);
      assert.equal(api.treeView.badge!.tooltip, '1 failed or timed out: retry from the tree or "CODITECT: Retry Failed Tasks"');
      await vscode.commands.executeCommand('coditect.retryTask', id);
      await storeUntil(api, () => api.store.task(id)?.status === 'pending' && api.treeView.badge === undefined, `no badge once ${id} is retried`);
    } finally {
      await backToPending(api, id);
    }
  });

  it("a failed task's hover offers Log and Retry as trusted links: Log opens its log with the failure, Retry makes it pending", async () => {
    const api = await coditect();
    const id = await runUntil(api, 'breaks', 'failed');
    try {
      const { text } = await hoverOf(api, id);
      assert.ok(!commandLinks(text).some((l) => l.command === 'coditect.runTaskWithAgent' || l.command === 'coditect.cancelTask'), text);

      const log = await hoverLink(api, id, '📄 Log');
      assert.equal(log.command, 'coditect.showTaskLog');
      const opened = logOpened(id);
      await vscode.commands.executeCommand(log.command, ...log.args);
      const doc = await opened;
      assert.match(doc.getText(), / attempt \d+ · breaks · failed/);
      assert.match(doc.getText(), /exited with code 1: the build broke/);
      assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), doc.uri.toString(), 'the log is the active editor');

      const retry = await hoverLink(api, id, '↻ Retry');
      assert.equal(retry.command, 'coditect.retryTask');
      await vscode.commands.executeCommand(retry.command, ...retry.args);
      await storeUntil(api, () => api.store.task(id)?.status === 'pending', `${id} pending after the hover's Retry`);
    } finally {
      await backToPending(api, id);
    }
  });

  it("a running task's hover offers Cancel and Log as trusted links: Cancel stops it, and its hover then offers Retry", async () => {
    const api = await coditect();
    const id = await runUntil(api, 'waits', 'in_progress');
    try {
      const { text } = await hoverOf(api, id);
      assert.ok(!commandLinks(text).some((l) => l.command === 'coditect.retryTask'), `no Retry while it runs: ${text}`);
      await hoverLink(api, id, '📄 Log');
      const cancel = await hoverLink(api, id, '■ Cancel');
      assert.equal(cancel.command, 'coditect.cancelTask');
      await vscode.commands.executeCommand(cancel.command, ...cancel.args);
      await storeUntil(api, () => api.store.task(id)?.status === 'cancelled', `${id} cancelled by the hover's Cancel`);
      await hoverLink(api, id, '📄 Log');
      const retry = await hoverLink(api, id, '↻ Retry');
      await vscode.commands.executeCommand(retry.command, ...retry.args);
      await storeUntil(api, () => api.store.task(id)?.status === 'pending', `${id} pending after the hover's Retry`);
    } finally {
      await backToPending(api, id);
    }
  });
});
