// Review of a task's branch as a person meets it (#10, docs/isolation.md#review): code-server with the extension from
// this checkout, the tidewater plan in a git repository, `merge.policy: review`, and a command agent (a real child
// process) that writes one migration file in the task's worktree. Driven through the UI only, once per theme:
//   1. the task runs from its CodeLens; its branch waits: the lens and the tree row offer "Review changes (1 file, …)";
//   2. a click on the lens opens VS Code's multi-file diff of the branch against its base, showing the added file;
//   3. the dashboard's row of the task says it waits and offers "Review", which opens the same diff.
// Run: npx mocha --no-config --require tsx/cjs --extension ts --timeout 180000 test/e2e/workbenchReview.test.ts
// Screenshots: test-artifacts/workbench-review-{waiting,diff}-{light,dark}.png, copied to docs/screenshots/ with
// CODITECT_DOCS_SCREENSHOTS=1 (DOC_SHOTS in workbenchHelpers.ts).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { Workbench } from '../../scripts/vscodeTest/workbench.mjs' with { 'resolution-mode': 'import' };
import {
  editorLine,
  escapeRe,
  openFile,
  parkMouse,
  plain,
  reportFailure,
  shoot,
  THEMES,
  UI_TIMEOUT,
  waitLensAbove,
  widenSidebar,
  openFixtureWorkbench,
  TASKLIST,
  dashboardFrame,
  runCommand,
} from './workbenchHelpers';

/** The first ready task of the fixture; its inferred agent type (database-architect) runs on the default agent. */
const TASK = 'T001.002';
const TASK_TITLE = 'Database migrations for patients, clinicians and rooms';
/** What the agent writes in the task's worktree: one new file, so the review reads "1 file, +N −0". */
const FILE = 'db/migrations/001_patients_clinicians_rooms.sql';
const SQL = [
  'CREATE TABLE clinic (',
  '  id INTEGER PRIMARY KEY,',
  '  name TEXT NOT NULL',
  ');',
  '',
  'CREATE TABLE patient (',
  '  id INTEGER PRIMARY KEY,',
  '  full_name TEXT NOT NULL,',
  '  born_on DATE,',
  '  phone TEXT',
  ');',
  '',
  'CREATE TABLE clinician (',
  '  id INTEGER PRIMARY KEY,',
  '  clinic_id INTEGER NOT NULL REFERENCES clinic(id),',
  '  full_name TEXT NOT NULL',
  ');',
  '',
  'CREATE TABLE room (',
  '  id INTEGER PRIMARY KEY,',
  '  clinic_id INTEGER NOT NULL REFERENCES clinic(id),',
  '  label TEXT NOT NULL',
  ');',
];
const ADDED = SQL.length;

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
}

/**
 * Makes the workspace a git repository with the plan committed, and writes .coditect/config.json: a command agent
 * (Node with an inline script) as the default, worktrees under `scratch`, and branches that wait for review.
 */
function configure(folder: string, scratch: string): void {
  // The script travels in its arguments: a script file under this process's temp dir was not found by the sandboxed
  // agent (MODULE_NOT_FOUND).
  const agent =
    `const fs = require('fs'), path = require('path');` +
    `fs.mkdirSync(path.dirname(${JSON.stringify(FILE)}), { recursive: true });` +
    `fs.writeFileSync(${JSON.stringify(FILE)}, ${JSON.stringify(SQL.join('\n') + '\n')});`;
  mkdirSync(join(folder, '.coditect'), { recursive: true });
  writeFileSync(
    join(folder, '.coditect', 'config.json'),
    JSON.stringify(
      {
        default_agent: 'writer',
        agents: { writer: { kind: 'command', executable: process.execPath, args: ['-e', agent], stdin: 'none' } },
        worktree: { dir: join(scratch, 'worktrees') },
        merge: { policy: 'review' },
      },
      null,
      2,
    ) + '\n',
  );
  writeFileSync(join(folder, '.gitignore'), '.coditect/\n.vscode/\n');
  git(folder, 'init', '-q', '-b', 'main');
  git(folder, 'config', 'user.email', 'person@example.invalid');
  git(folder, 'config', 'user.name', 'A Person');
  git(folder, 'add', '.gitignore', TASKLIST);
  git(folder, 'commit', '-q', '-m', 'the plan');
}

for (const theme of THEMES) {
  describe(`CODITECT review of a task branch in code-server, ${theme.name} theme (e2e)`, function () {
    this.timeout(300_000);
    let wb: Workbench | undefined;
    let folder: string;
    let scratch: string;
    let page: Page;

    before(async function () {
      scratch = mkdtempSync(join(tmpdir(), 'coditect-review-e2e-'));
      ({ wb, folder } = await openFixtureWorkbench(`e2e-review-${theme.name}`, theme, (f) => configure(f, scratch)));
      page = wb.page;
    });

    after(async function () {
      await wb?.close();
      if (folder) rmSync(folder, { recursive: true, force: true });
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    afterEach(async function () {
      if (this.currentTest?.state === 'failed' && wb) {
        await reportFailure(wb, `workbench-failure-${theme.name}-${this.currentTest.title.slice(0, 40)}`);
      }
    });

    const reviewText = new RegExp(`^🔍 Review changes \\(1 file, \\+${ADDED} −0\\)`);

    it('a task whose branch waits for review offers "Review changes (1 file, …)" on its CodeLens and its tree row', async () => {
      if ((await page.locator('.part.activitybar .action-item.checked a[aria-label^="CODITECT"]').count()) === 0)
        await page.locator('.part.activitybar .action-item a[aria-label^="CODITECT"]').click();
      const row = page.locator('.part.sidebar .monaco-list-row[role="treeitem"]', { hasText: TASK }).first();
      await row.waitFor({ timeout: UI_TIMEOUT });
      // Wide enough that the tree row's description ("awaiting review · 1 file, …") is not cut off.
      await widenSidebar(page, 760);
      await openFile(page, TASKLIST);
      await editorLine(page, TASK).waitFor({ timeout: UI_TIMEOUT });
      const run = await waitLensAbove(page, TASK, /^▶ Run with agent \([\w-]+\)$/);
      assert.ok(run.link, `the lens above ${TASK} is a link`);
      await page.mouse.click(run.link.x, run.link.y);

      // The agent ran in the task's worktree; its branch waits: the lens offers the review and the verdicts.
      const lens = await waitLensAbove(page, TASK, reviewText);
      assert.equal(lens.text, `🔍 Review changes (1 file, +${ADDED} −0) | ✓ Accept | ✗ Reject…`);
      // Nothing landed yet: the checkbox stays open and the checkout has no migration.
      assert.match(plain(await editorLine(page, TASK).textContent()), new RegExp(`^- \\[ \\] \\*\\*${escapeRe(TASK)}\\*\\*`));
      assert.ok(!existsSync(join(folder, FILE)), `${FILE} is not in the checkout before Accept`);
      await row.locator('.label-description', { hasText: `awaiting review · 1 file, +${ADDED} −0` }).waitFor({ timeout: UI_TIMEOUT });
      // Selected, the row shows its inline actions.
      await row.click();
      await row.locator('.actions .action-label').first().waitFor({ timeout: UI_TIMEOUT });
      await parkMouse(page);
      await shoot(page, `workbench-review-waiting-${theme.name}`);
    });

    it('a click on "Review changes" opens the multi-file diff of the branch with the added file', async () => {
      const lens = await waitLensAbove(page, TASK, reviewText);
      assert.ok(lens.link, `the review lens above ${TASK} is a link`);
      await page.mouse.click(lens.link.x, lens.link.y);
      // VS Code adds the number of files to the multi-file diff's tab.
      const tab = page.locator('.tabs-container .tab.active', { hasText: `${TASK}: ${TASK_TITLE} (+${ADDED} −0) (1 file)` });
      await tab.waitFor({ timeout: UI_TIMEOUT });
      const editor = page.locator('.editor-instance .multiDiffEditor');
      await editor.waitFor({ timeout: UI_TIMEOUT });
      // The file's header names it, and its added lines are drawn.
      await editor.locator('.header', { hasText: 'db/migrations' }).first().waitFor({ timeout: UI_TIMEOUT });
      await editor.locator('.view-line', { hasText: 'CREATE TABLE patient' }).first().waitFor({ timeout: UI_TIMEOUT });
      // Beside it, the verdicts.
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: `${TASK} awaiting review` }).first();
      await toast.waitFor({ timeout: UI_TIMEOUT });
      assert.equal(plain(await toast.locator('.notification-list-item-message').textContent()), `CODITECT: ${TASK} awaiting review (1 file, +${ADDED} −0)`);
      assert.deepEqual(await toast.locator('.notification-list-item-buttons-container .monaco-button').allTextContents(), [
        'Accept',
        'Reject…',
        'Retry with Note…',
        'Open Worktree',
      ]);
      // The toast slides in: let its transition end, so the picture does not catch it half-faded.
      await page.evaluate(() =>
        Promise.all(
          document
            .getAnimations()
            .filter((a) => a instanceof CSSTransition)
            .map((a) => a.finished),
        ),
      );
      await parkMouse(page);
      await shoot(page, `workbench-review-diff-${theme.name}`);
    });

    it('the dashboard row of the task says it waits for review and its "Review" button opens the diff', async () => {
      await runCommand(page, 'View: Close All Editors');
      await page.locator('.editor-instance .multiDiffEditor').waitFor({ state: 'detached', timeout: UI_TIMEOUT });
      await runCommand(page, 'CODITECT: Open Progress Dashboard');
      const row = dashboardFrame(page).locator(`li.task-row[data-task-id="${TASK}"]`);
      await row.locator('.task-meta', { hasText: `awaiting review · 1 file, +${ADDED} −0` }).waitFor({ timeout: UI_TIMEOUT });
      const review = row.locator('button.task-action[data-command="coditect.reviewChanges"]');
      assert.equal(plain(await review.textContent()), 'Review');
      assert.equal(await review.getAttribute('aria-label'), `Review the changes of ${TASK} (1 file, +${ADDED} −0)`);
      await review.click();
      const editor = page.locator('.editor-instance .multiDiffEditor');
      await editor.locator('.view-line', { hasText: 'CREATE TABLE patient' }).first().waitFor({ timeout: UI_TIMEOUT });
      await page.locator('.tabs-container .tab.active', { hasText: `${TASK}: ${TASK_TITLE} (+${ADDED} −0) (1 file)` }).waitFor({ timeout: UI_TIMEOUT });
    });
  });
}
