import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { GetMetrics } from '../../../src/protocol/engineProtocol';
import { coditect, lineOfTask, openTasklist, readyTask, setSetting } from '../editorHelpers';

/** `p`, or a rejection naming `what` after `ms` (a wait that fails says which one it was, not the test's timeout). */
function bounded<T>(p: Thenable<T>, what: string, ms = 15_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** The lens rows of a document as VS Code's own command collects them (our provider's and any other's). */
const lensesOf = (uri: vscode.Uri): Thenable<vscode.CodeLens[]> =>
  vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100);

describe('editor: CodeLens and hovers on task lines', function () {
  this.timeout(60_000);

  it('puts "▶ Run with agent (…)" above a ready task line', async () => {
    const api = await coditect();
    const editor = await openTasklist(api);
    const t = readyTask(api);
    assert.ok(t, 'the plan has a ready task');
    const line = lineOfTask(editor.document, t.id);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri, 100);
    const run = lenses.find((l) => l.range.start.line === line && l.command?.title.startsWith('▶ Run with agent'));
    assert.ok(run, `no Run lens on line ${line}; lenses: ${lenses.map((l) => `${l.range.start.line}:${l.command?.title}`).join(' | ')}`);
    assert.equal(run.command!.title, `▶ Run with agent (${t.route.agent})`);
    assert.equal(run.command!.command, 'coditect.runTaskWithAgent');
    assert.deepEqual(run.command!.arguments, [t.id]);
  });

  it('gives every task line its own lens row, a quiet "✓ Done" on a task ticked by hand', async () => {
    const api = await coditect();
    const editor = await openTasklist(api);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri, 100);
    const lines = new Set(lenses.map((l) => l.range.start.line));
    const bare = api.store.tasks().filter((t) => !lines.has(lineOfTask(editor.document, t.id)));
    assert.deepEqual(
      bare.map((t) => `${t.id} (${t.status})`),
      [],
      'a task line without a lens lets the row above the next task read as belonging to the line above it',
    );
    const ticked = api.store.tasks().find((t) => t.status === 'completed' && !t.lastRun);
    assert.ok(ticked, 'the fixture has a task ticked by hand');
    const done = lenses.filter((l) => l.range.start.line === lineOfTask(editor.document, ticked.id));
    assert.deepEqual(
      done.map((l) => [l.command?.title, l.command?.command]),
      [['✓ Done', '']],
    );
  });

  it('shows what a waiting task waits for', async () => {
    const api = await coditect();
    const editor = await openTasklist(api);
    const waiting = api.store.tasks().find((t) => t.status === 'pending' && !t.ready && t.waitingOn.length > 0);
    assert.ok(waiting, 'the plan has a task waiting on another');
    const line = lineOfTask(editor.document, waiting.id);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri, 100);
    assert.ok(lenses.some((l) => l.range.start.line === line && l.command?.title.startsWith(`⛔ Waiting for ${waiting.waitingOn[0]}`)));
  });

  it('hovering a task id shows its dependencies and dependents', async () => {
    const api = await coditect();
    const editor = await openTasklist(api);
    const t = api.store.tasks().find((x) => x.dependsOn.length > 0 && x.dependents.length > 0);
    assert.ok(t, 'the plan has a task with dependencies and dependents');
    const line = lineOfTask(editor.document, t.id);
    const col = editor.document.lineAt(line).text.indexOf(t.id) + 1;
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(line, col));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? (c as vscode.MarkdownString).value : ''))).join('\n');
    assert.match(text, /Depends on:/);
    assert.ok(text.includes(t.dependsOn[0].id.replace(/\./g, '\\.')), `the hover names ${t.dependsOn[0].id}: ${text}`);
    assert.match(text, /Dependents:/);
    // Its links: this task in the Tasks view, which the command selects there.
    const inTree = `command:coditect.revealInTree?${encodeURIComponent(JSON.stringify([t.id]))}`;
    assert.ok(text.includes(inTree), `the hover links to the tree: ${text}`);
    await vscode.commands.executeCommand('coditect.revealInTree', t.id);
    assert.deepEqual(
      api.treeView.selection.map((n) => n.id),
      [t.id],
    );
  });

  it("a ready task's hover offers Run and Show in Tasks view as links", async () => {
    const api = await coditect();
    const editor = await openTasklist(api);
    const t = readyTask(api);
    assert.ok(t, 'the plan has a ready task');
    const line = lineOfTask(editor.document, t.id);
    const col = editor.document.lineAt(line).text.indexOf(t.id) + 1;
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(line, col));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? (c as vscode.MarkdownString).value : ''))).join('\n');
    assert.ok(text.includes(`[▶ Run](command:coditect.runTaskWithAgent?${encodeURIComponent(JSON.stringify([t.id]))}`), text);
    assert.ok(text.includes(`[Show in Tasks view](command:coditect.revealInTree?${encodeURIComponent(JSON.stringify([t.id]))}`), text);
    // Trusted for these commands only (a hover of plan text must not run any other command).
    const trusted = hovers.flatMap((h) => h.contents).find((c): c is vscode.MarkdownString => typeof c !== 'string' && 'isTrusted' in c)?.isTrusted;
    assert.ok(typeof trusted === 'object' && trusted.enabledCommands.includes('coditect.revealInTree'), `trusted commands: ${JSON.stringify(trusted)}`);
  });

  it('turns the lenses off with coditect.codeLens.enabled', async () => {
    const api = await coditect();
    const editor = await openTasklist(api);
    const cfg = vscode.workspace.getConfiguration('coditect');
    await cfg.update('codeLens.enabled', false, vscode.ConfigurationTarget.Global);
    try {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri, 100);
      assert.equal(lenses.filter((l) => l.command?.command.startsWith('coditect.')).length, 0);
    } finally {
      await cfg.update('codeLens.enabled', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('an editor-only setting sends the engine nothing (it would send the whole plan back), an engine setting does', async () => {
    const api = await coditect();
    let replaced = 0;
    const off = api.store.events.on('plan:replaced', () => replaced++);
    try {
      await setSetting('codeLens.enabled', false);
      await setSetting('codeLens.enabled', undefined);
      // A request after them on the same pipe: an UpdateSettings sent before it is answered, with its plan, first.
      await api.engine.request(GetMetrics.type);
      assert.equal(replaced, 0, 'toggling the lenses made the engine send its plan again');
      await setSetting('simulation.durationMs', 1500);
      await api.engine.request(GetMetrics.type);
      assert.equal(replaced, 1, 'an engine setting reaches the engine, which sends the plan under it');
    } finally {
      off();
      await setSetting('simulation.durationMs', undefined);
    }
  });

  it("gives each task line its text's lens while the engine reads the plan, replaced on the same line by the engine's", async () => {
    const api = await coditect();
    const editor = await openTasklist(api);
    const doc = editor.document;
    const ready = readyTask(api);
    assert.ok(ready, 'the plan has a ready task');
    const readyLine = lineOfTask(doc, ready.id);
    // Hold the next engine at its start: its runtime is a script that waits on a FIFO before it runs Node, so the
    // plan cannot arrive before the test lets it (no race with the engine's speed, no sleep).
    const dir = mkdtempSync(join(tmpdir(), 'coditect-gate-'));
    const gate = join(dir, 'gate');
    execFileSync('mkfifo', [gate]);
    const runtime = join(dir, 'node-after-gate');
    writeFileSync(runtime, `#!/bin/sh\nread _ < '${gate}'\nexec node "$@"\n`, { mode: 0o755 });
    const next = (event: 'tasklist:located' | 'engine:initialized'): Promise<void> =>
      new Promise<void>((resolve) => {
        const off = api.engine.events.on(event, () => {
          off();
          resolve();
        });
      });
    let gateOpen: FileHandle | undefined;
    try {
      // The setting restarts the engine as a person's change does, and the restart launches the held one: a request
      // from any view meanwhile joins that start instead of starting an engine on plain Node.
      const located = next('tasklist:located');
      await bounded(setSetting('runtimePath', runtime), 'the held runtime set');
      await bounded(located, 'the task list located by the restarted engine');
      // A window's first start has no plan yet: neither has this one (the old engine is stopped by now).
      api.store.clear();
      assert.equal(api.engine.lifecycle, 'starting');

      const loading = (await bounded(lensesOf(doc.uri), 'the lenses while the engine starts')).filter((l) => l.command?.title === '○ Loading the plan…');
      const loadingLines = new Set(loading.map((l) => l.range.start.line));
      assert.ok(
        loadingLines.has(readyLine),
        `the ready task ${ready.id} (line ${readyLine}) has the text's lens; it is on lines ${[...loadingLines].join(', ')}`,
      );
      assert.equal(loading.find((l) => l.range.start.line === readyLine)?.command?.command, '', 'the stand-in runs nothing');

      // The plan arrives: every line that had the stand-in now has the engine's lens, and no stand-in is left.
      const initialized = next('engine:initialized');
      // Opened read-write, the FIFO never blocks this side; the script reads the line once it opens its end (kept
      // open here until the engine is up, so the line is not dropped before the script reads it).
      gateOpen = await open(gate, 'r+');
      await gateOpen.write('go\n');
      await bounded(initialized, 'the released engine initialized');
      const after = await bounded(lensesOf(doc.uri), "the engine's lenses");
      const titles = after.filter((l) => l.range.start.line === readyLine).map((l) => l.command?.title);
      assert.ok(titles.includes(`▶ Run with agent (${ready.route.agent})`), `line ${readyLine} now shows the engine's lens: ${titles.join(' | ')}`);
      assert.deepEqual(
        after.filter((l) => /Loading the plan/.test(l.command?.title ?? '')).map((l) => l.range.start.line),
        [],
        'no stand-in is left once the plan is here',
      );
      const stateLines = new Set(after.filter((l) => l.command?.title).map((l) => l.range.start.line));
      assert.deepEqual(
        [...loadingLines].filter((line) => !stateLines.has(line)),
        [],
        "each stand-in's line has the engine's lens in its place",
      );
    } finally {
      // Back to plain Node through the same restart (an engine still held fails its start first, at the ready timeout).
      const back = next('engine:initialized');
      await bounded(setSetting('runtimePath', undefined), 'the runtime reset');
      await bounded(back, 'the engine on plain Node initialized', 40_000);
      await gateOpen?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
