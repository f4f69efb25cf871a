// Review of a task's branch in a real VS Code (docs/isolation.md#review): the workspace becomes a git repository
// with `merge.policy: review`, a command agent writes files in the task's worktree, and the person reviews from the
// editor — the CodeLens and the tree offer "Review changes (2 files, +2 −0)", the multi-file diff opens with the
// branch's files, Accept merges through the queue, Reject sends the task back with a note that reaches its next
// prompt. Named to run last: it turns the shared workspace into a repository, and puts it back afterwards.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CoditectApi } from '../../../src/extension/extension';
import type { AcceptReviewResult, RejectReviewResult } from '../../../src/protocol/engineProtocol';
import { coditect, lineOfTask, openTasklist, storeUntil, WAIT_MS } from '../editorHelpers';

/** Writes `src/<id>.ts` and `docs/<id>.md` in its working directory; logs each attempt's note (previousError). */
const AGENT = `
const fs = require('fs'), path = require('path');
const id = process.env.CODITECT_TASK_ID, task = JSON.parse(process.env.CODITECT_TASK_JSON);
fs.appendFileSync(path.join(process.env.AGENT_LOG_DIR, id + '.log'), 'attempt ' + process.env.CODITECT_TASK_ATTEMPT + ' note ' + (task.previousError || '-') + '\\n');
fs.mkdirSync('src', { recursive: true }); fs.mkdirSync('docs', { recursive: true });
fs.writeFileSync(path.join('src', id + '.ts'), 'export const made = ' + JSON.stringify(id) + ';\\n');
fs.writeFileSync(path.join('docs', id + '.md'), '# ' + id + '\\n');
`;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }).trim();
}

/** Resolves once the review store holds a review for `taskId` (re-checked on every change of it). */
function reviewUntil(api: CoditectApi, taskId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${taskId} waits for review: not within ${WAIT_MS} ms (status ${api.store.task(taskId)?.status})`));
    }, WAIT_MS);
    const check = (): void => {
      if (!api.reviews.get(taskId)) return;
      clearTimeout(timer);
      off();
      resolve();
    };
    const off = api.reviews.events.on('reviews:changed', check);
    check();
  });
}

/** Resolves with the documents VS Code opens for `wanted` (uri strings), however they are opened. */
function opened(wanted: string[]): Promise<vscode.TextDocument[]> {
  return new Promise((resolve, reject) => {
    const found = new Map<string, vscode.TextDocument>();
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`not opened within ${WAIT_MS} ms: ${wanted.filter((w) => !found.has(w)).join(', ')}`));
    }, WAIT_MS);
    const see = (d: vscode.TextDocument): void => {
      if (wanted.includes(d.uri.toString())) found.set(d.uri.toString(), d);
      if (found.size < wanted.length) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(wanted.map((w) => found.get(w)!));
    };
    const sub = vscode.workspace.onDidOpenTextDocument(see);
    vscode.workspace.textDocuments.forEach(see);
  });
}

describe('editor: review of a task branch (isolation: worktree, merge.policy: review)', function () {
  this.timeout(240_000);
  const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
  const config = path.join(root, '.coditect', 'config.json');
  let scratch: string;
  let logDir: string;
  let planBefore: string | undefined;
  // Two tasks of its own: the suites before this one may have run every task of the fixture plan.
  const EXTRA = [
    '',
    '## E004: Review',
    '',
    '### F004.01: Branches',
    '',
    '- [ ] **T004.001** Write the review module',
    '- [ ] **T004.002** Write the review docs',
    '',
  ].join('\n');

  /** Replaces the plan's text as a person would (the open document, saved), so the engine and the editor agree. */
  const writePlan = async (api: CoditectApi, text: (old: string) => string): Promise<string> => {
    const doc = (await openTasklist(api)).document;
    // The text wanted is decided once, from the text first seen: a retry must not apply `text` to a text that
    // already took it (CI stop 21: a refused save, then the disk's text — which the engine had written from our
    // edit — got the review tasks appended a second time, and the lenses went to the second copy).
    const old = doc.getText();
    const wanted = text(old);
    // The edit carries the version it was made on: VS Code refuses it when the document changed in between (the
    // engine's own edits or a reload of its write-back, e.g. while it restarts after the config changed, as in CI).
    // Made again on the newer text, as a person's next keystroke would be; a few tries, never a wait.
    for (let tries = 1; ; tries++) {
      const edit = new vscode.WorkspaceEdit();
      edit.replace(doc.uri, new vscode.Range(0, 0, doc.lineCount, 0), wanted);
      if (await vscode.workspace.applyEdit(edit)) {
        // save() answers false when the document is not dirty: a save already in flight took our text (the
        // extension saves an engine edit to a document that was clean when it came, as after the restart in
        // `after`, CI stop 20). Clean is what this helper wants — when the file holds the text wanted.
        if (((await doc.save()) || !doc.isDirty) && doc.getText() === wanted) return old;
        // Refused (the file changed on disk under it): take the disk's text and make the edit again on it.
        await vscode.commands.executeCommand('workbench.action.files.revert', doc.uri);
      }
      assert.ok(tries < 5, `the plan took the edit and was saved (failed ${tries} times)`);
    }
  };

  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'coditect-review-it-'));
    logDir = path.join(scratch, 'logs');
    mkdirSync(logDir);
    writeFileSync(path.join(logDir, 'agent.js'), AGENT);
    mkdirSync(path.dirname(config), { recursive: true });
    writeFileSync(
      config,
      JSON.stringify({
        agents: {
          writer: {
            kind: 'command',
            executable: process.execPath,
            args: [path.join(logDir, 'agent.js')],
            stdin: 'none',
            // The extension host may be Electron: run its binary as plain Node.
            env: { AGENT_LOG_DIR: logDir, ELECTRON_RUN_AS_NODE: '1' },
          },
        },
        sandbox: { mode: 'auto', writable_paths: [logDir] },
        worktree: { dir: path.join(scratch, 'worktrees') },
        merge: { policy: 'review' },
      }),
    );
    planBefore = await writePlan(await coditect(), (old) => `${old.replace(/\n*$/, '\n')}${EXTRA}`);
    writeFileSync(path.join(root, '.gitignore'), '.coditect/\n.vscode/\n');
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'config', 'user.email', 'person@example.invalid');
    git(root, 'config', 'user.name', 'A Person');
    git(root, 'add', '.gitignore', 'PROJECT-TASKLIST.md');
    git(root, 'commit', '-q', '-m', 'the plan');
    // The engine reads isolation and the merge policy when it starts.
    await vscode.commands.executeCommand('coditect.restartEngine');
    const api = await coditect();
    await storeUntil(api, () => !!api.store.task('T004.001')?.ready && !!api.store.task('T004.002')?.ready, 'the two review tasks are ready');
  });

  after(async () => {
    // Back to the workspace the other suites know: no repository, no config.
    rmSync(path.join(root, '.git'), { recursive: true, force: true });
    rmSync(path.join(root, '.gitignore'), { force: true });
    rmSync(config, { force: true });
    await vscode.commands.executeCommand('coditect.restartEngine');
    if (planBefore !== undefined) await writePlan(await coditect(), () => planBefore!);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('offers "Review changes" on the CodeLens and the tree, opens the diff with the branch\'s files; Accept merges', async () => {
    const api = await coditect();
    const t = api.store.task('T004.001')!;
    const r = await vscode.commands.executeCommand<{ started: boolean; reason?: string }>('coditect.runTaskWithAgent', t.id, 'writer');
    assert.ok(r?.started, `did not start: ${r?.reason}`);
    await reviewUntil(api, t.id);
    const review = api.reviews.get(t.id)!;
    assert.equal(review.state, 'awaiting_review');
    assert.equal(review.stat.text, '2 files, +2 −0');
    assert.equal(api.store.task(t.id)?.status, 'blocked');

    const editor = await openTasklist(api);
    const line = lineOfTask(editor.document, t.id);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri, 100);
    const lens = lenses.find((l) => l.range.start.line === line && l.command?.command === 'coditect.reviewChanges');
    assert.ok(lens, `no review lens on line ${line}: ${lenses.map((l) => `${l.range.start.line}:${l.command?.title}`).join(' | ')}`);
    assert.equal(lens.command!.title, '🔍 Review changes (2 files, +2 −0)');
    assert.deepEqual(lens.command!.arguments, [t.id]);
    const item = api.tree.getTreeItem(api.tree.node('task', t.id));
    assert.match(String(item.description), /awaiting review · 2 files, \+2 −0/);
    assert.match(String(item.contextValue), /\bcanReview\b/);

    // The diff: both files, each side read from its commit.
    const files = [`docs/${t.id}.md`, `src/${t.id}.ts`];
    const sides = files.map((f) =>
      vscode.Uri.from({
        scheme: 'coditect-review',
        path: `/${f}`,
        query: JSON.stringify({ repo: review.repository, commit: review.head, path: f, label: 'task' }),
      }),
    );
    const docs = opened(sides.map((u) => u.toString()));
    const shown = await vscode.commands.executeCommand<{ title: string; files: string[] }>('coditect.reviewChanges', t.id);
    assert.deepEqual(shown.files, files);
    const [md, ts] = await docs;
    assert.equal(md.getText(), `# ${t.id}\n`);
    assert.equal(ts.getText(), `export const made = ${JSON.stringify(t.id)};\n`);
    assert.equal(shown.title, `${t.id}: ${t.title} (+2 −0)`);
    // VS Code adds the number of files to the multi-file diff's tab.
    assert.equal(vscode.window.tabGroups.activeTabGroup.activeTab?.label, `${shown.title} (2 files)`, 'the multi-file diff is the active editor');
    // An added file has no base side: it reads as added, not as a change from an empty file.
    const baseSide = vscode.Uri.from({
      scheme: 'coditect-review',
      path: `/${files[0]}`,
      query: JSON.stringify({ repo: review.repository, commit: review.base, path: files[0], label: 'base' }),
    });
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.toString() === baseSide.toString()), 'no base side opened for an added file');

    const accepted = await vscode.commands.executeCommand<AcceptReviewResult>('coditect.acceptReview', t.id);
    assert.equal(accepted?.outcome, 'merged', JSON.stringify(accepted));
    await storeUntil(api, () => api.store.task(t.id)?.status === 'completed', `${t.id} completed once merged`);
    assert.equal(git(root, 'rev-parse', 'main'), accepted.outcome === 'merged' ? accepted.commit : '');
    assert.ok(existsSync(path.join(root, 'src', `${t.id}.ts`)), 'the checkout of main has the task files');
    assert.equal(api.reviews.get(t.id), undefined, 'nothing left to review');
  });

  it('Reject resets the task to pending, and the note reaches its next attempt', async () => {
    const api = await coditect();
    const t = api.store.task('T004.002')!;
    const r = await vscode.commands.executeCommand<{ started: boolean; reason?: string }>('coditect.runTaskWithAgent', t.id, 'writer');
    assert.ok(r?.started, `did not start: ${r?.reason}`);
    await reviewUntil(api, t.id);
    const note = 'Name the module after the feature, not the task id';
    const rejected = await vscode.commands.executeCommand<RejectReviewResult>('coditect.rejectReview', t.id, note);
    assert.equal(rejected?.status, 'pending');
    assert.match(rejected.keptBranch ?? '', /-rejected-1$/);
    await storeUntil(api, () => api.store.task(t.id)?.status === 'pending', `${t.id} back to pending`);
    assert.equal(api.reviews.get(t.id), undefined);

    const again = await vscode.commands.executeCommand<{ started: boolean; reason?: string }>('coditect.runTaskWithAgent', t.id, 'writer');
    assert.ok(again?.started, `did not start again: ${again?.reason}`);
    await reviewUntil(api, t.id);
    const attempts = readFileSync(path.join(logDir, `${t.id}.log`), 'utf8')
      .trim()
      .split('\n');
    assert.equal(attempts.length, 2, attempts.join('\n'));
    assert.match(attempts[0], / note -$/);
    assert.ok(attempts[1].includes(note), `the second attempt's prompt has the note: ${attempts[1]}`);
  });
});
