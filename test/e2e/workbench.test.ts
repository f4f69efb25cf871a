// The extension as a person meets it: code-server (VS Code 1.100 for the browser) on 127.0.0.1 with the extension
// loaded from this checkout (extensionDevelopmentPath), a fresh copy of a plan it has never seen
// (test/e2e/fixtures/tidewater), driven by playwright-core in Debian's Chromium through the UI only: activity bar,
// tree, editor CodeLens, command palette and the dashboard webview. Once per theme (light and dark).
// Run: npx mocha --no-config --require tsx/cjs --extension ts --timeout 180000 test/e2e/workbench.test.ts
// Screenshots: test-artifacts/workbench-{first-run,tree,codelens,simulated-log,dashboard,walkthrough}-{light,dark}.png;
// with CODITECT_DOCS_SCREENSHOTS=1 the walkthrough and simulated-log ones are copied to docs/screenshots/ (see
// DOC_SHOTS in workbenchHelpers.ts).
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import {
  dashboardFrame,
  editorLine,
  escapeRe,
  numberIn,
  openFile,
  palette,
  parkMouse,
  plain,
  runCommand,
  shoot,
  statValue,
  THEMES,
  UI_TIMEOUT,
  waitLensAbove,
  widenSidebar,
  openFixtureWorkbench,
  TASKLIST,
  workbenchSuite,
} from './workbenchHelpers';

/** Epic headings of the fixture plan, as the tree labels them. */
const EPICS = ['E001: Patient Records Backend', 'E002: Front Desk', 'E003: Go-Live'];
const TOTAL_TASKS = 12;
/** The first ready task in the file (its only dependency, T001.001, is ticked in the fixture). */
const READY_TASK = 'T001.002';

for (const theme of THEMES) {
  describe(`CODITECT in code-server with Chromium, ${theme.name} theme (e2e)`, function () {
    this.timeout(420_000);
    const w = workbenchSuite(`workbench-${theme.name}`, () => openFixtureWorkbench(`e2e-${theme.name}`, theme));
    let page: Page;

    before(async function () {
      page = w.page;
      // Settled enough to type into: the engine's status item is up too.
      await page
        .locator('.part.statusbar .statusbar-item', { hasText: 'dry-run' })
        .first()
        .waitFor({ timeout: 3 * UI_TIMEOUT });
    });

    it('on its first start in the folder it shows the plan in the editor and the Tasks view, not an empty window', async () => {
      // The test opened nothing (and the workbench opens no editor: workbench.startupEditor is none): the extension did.
      await page.locator('.part.editor .tabs-container .tab', { hasText: TASKLIST }).first().waitFor({ timeout: UI_TIMEOUT });
      await editorLine(page, READY_TASK).waitFor({ timeout: UI_TIMEOUT });
      // Its container is the one shown, and the Tasks view lists the plan's epics.
      await page.locator('.part.activitybar .action-item.checked a[aria-label^="CODITECT"]').waitFor({ timeout: UI_TIMEOUT });
      const rows = page.locator('.part.sidebar .monaco-list-row[role="treeitem"]');
      for (const epic of EPICS) await rows.filter({ hasText: epic }).first().waitFor({ timeout: UI_TIMEOUT });
      await parkMouse(page);
      await shoot(page, `workbench-first-run-${theme.name}`);
    });

    it('the CODITECT activity-bar container opens and its Tasks tree shows the epics of the plan', async () => {
      // A click on the container already shown would close the sidebar.
      if ((await page.locator('.part.activitybar .action-item.checked a[aria-label^="CODITECT"]').count()) === 0)
        await page.locator('.part.activitybar .action-item a[aria-label^="CODITECT"]').click();
      const view = page.locator('.part.sidebar');
      await view
        .locator('.pane-header', { hasText: /Tasks/i })
        .or(view.locator('.composite.title', { hasText: /Tasks/i }))
        .first()
        .waitFor({ timeout: UI_TIMEOUT });
      const rows = view.locator('.monaco-list-row[role="treeitem"]');
      for (const epic of EPICS) await rows.filter({ hasText: epic }).first().waitFor({ timeout: UI_TIMEOUT });
      // Epics carry their progress; a task row leads with its priority and state (the agent is in its tooltip).
      assert.equal(plain(await rows.filter({ hasText: EPICS[0] }).locator('.label-description').textContent()), '1/5 · 20%');
      assert.equal(plain(await rows.filter({ hasText: 'E002: Front Desk' }).locator('.label-description').textContent()), '0/4 · 0%');
      assert.equal(plain(await rows.filter({ hasText: READY_TASK }).locator('.label-description').textContent()), 'P0 · ready');
      // The sidebar is widened so the screenshot shows whole labels (a person would drag the same sash).
      await widenSidebar(page, 520);
      await parkMouse(page);
      await shoot(page, `workbench-tree-${theme.name}`);
    });

    it('a CodeLens "Run with agent" above a ready task runs it with the dry-run agent and ticks its checkbox', async () => {
      await openFile(page, TASKLIST);
      const line = editorLine(page, READY_TASK);
      await line.waitFor({ timeout: UI_TIMEOUT });
      assert.match(plain(await line.textContent()), new RegExp(`^- \\[ \\] \\*\\*${READY_TASK}\\*\\*`));
      // The lenses show up once the engine has planned the file: run on the ready task, waiting on the one after it.
      await waitLensAbove(page, READY_TASK, /^▶ Run with agent \([\w-]+\)$/);
      await waitLensAbove(page, 'T001.003', new RegExp(`Waiting for ${READY_TASK}$`));
      await parkMouse(page);
      await shoot(page, `workbench-codelens-${theme.name}`);

      // Click the lens where the person sees it (read and clicked in the same moment: nothing re-lays out in between).
      const lens = await waitLensAbove(page, READY_TASK, /^▶ Run with agent \([\w-]+\)$/);
      assert.ok(lens.link, `the lens above ${READY_TASK} is a link`);
      await page.mouse.click(lens.link.x, lens.link.y);
      // The default simulation lasts 1–3 s (coditect.simulation.durationMs 2000, from half to 1.5 times it): long
      // enough for the lens to show it running before it shows it done.
      await waitLensAbove(page, READY_TASK, /^⏳ Running <1m · [\w-]+/);
      // The tick arrives as an edit of the open document: the line the person sees changes.
      await editorLine(page, READY_TASK).filter({ hasText: /\[x\]/ }).waitFor({ timeout: UI_TIMEOUT });
      assert.match(plain(await editorLine(page, READY_TASK).textContent()), new RegExp(`^- \\[x\\] \\*\\*${READY_TASK}\\*\\*`));
      // Its lens now says the run was simulated (never plain "Done"), and the task that waited for it can run.
      const done = await waitLensAbove(page, READY_TASK, /^✓ Simulated in \d+s · [\w-]+ \(dry-run: nothing was executed\)$/);
      await waitLensAbove(page, 'T001.003', /^▶ Run with agent \([\w-]+\)$/);
      // Its Tasks-view row's tooltip says so too.
      await page.locator('.part.sidebar .monaco-list-row[role="treeitem"]', { hasText: READY_TASK }).first().hover();
      await page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'simulated (dry-run)' }).first().waitFor({ timeout: UI_TIMEOUT });
      await parkMouse(page);
      // The lens opens the log, which says the attempt was simulated and gives the agent's summary.
      assert.ok(done.link, 'the finished lens is a link to the log');
      await page.mouse.click(done.link.x, done.link.y);
      const log = page.locator('.editor-instance .monaco-editor .view-lines', { hasText: 'SIMULATED' }).first();
      await log.waitFor({ timeout: UI_TIMEOUT });
      const logText = plain(await log.textContent());
      assert.match(logText, /simulated after \d+s/);
      assert.match(logText, /--- summary ---/);
      assert.match(logText, /\[dry-run\] simulated: task T001\.002 .*nothing was executed/);
      // The log's lines are longer than its column: wrapped, as a person would (Alt+Z), so the picture shows them whole.
      const rowsBefore = await log.locator('.view-line').count();
      await log.click();
      await runCommand(page, 'View: Toggle Word Wrap');
      await page.waitForFunction(
        ([n]) =>
          Array.from(document.querySelectorAll('.editor-instance .monaco-editor .view-lines')).some(
            (v) => /SIMULATED/.test(v.textContent ?? '') && v.querySelectorAll('.view-line').length > n,
          ),
        [rowsBefore],
        { timeout: UI_TIMEOUT },
      );
      await parkMouse(page);
      await shoot(page, `workbench-simulated-log-${theme.name}`);
      await page.keyboard.press('Control+W');
    });

    it('the progress dashboard from the palette shows the plan counts and updates when a task completes', async () => {
      await runCommand(page, 'CODITECT: Open Progress Dashboard');
      const frame = dashboardFrame(page);
      const total = statValue(frame, 'total');
      // Either the panel renders or the extension reports why it could not: fail fast with its words.
      const failure = page.locator('.notifications-toasts .notification-toast', { hasText: /CODITECT.*failed/i });
      const rendered = total.filter({ hasText: /^\s*\d+\s*$/ }).waitFor({ timeout: UI_TIMEOUT });
      const failed = failure.first().waitFor({ timeout: UI_TIMEOUT });
      // Whichever comes first; the other wait times out (or ends with the page) later, which is expected.
      failed.catch(() => {});
      rendered.catch(() => {});
      await Promise.any([rendered, failed]).catch(() => {});
      if (await failure.first().isVisible()) assert.fail(`the dashboard did not render: ${plain(await failure.first().innerText()).replace(/\s+/g, ' ')}`);
      await rendered;
      assert.equal(await numberIn(total), TOTAL_TASKS);
      // The page's style sheet, carried in the page under its policy's nonce, applies (media/dashboard.css: `.app`).
      assert.equal(await frame.locator('#app').evaluate((el) => getComputedStyle(el).maxWidth), '1400px');
      await frame.locator(`body.${theme.webviewBodyClass}`).waitFor({ timeout: UI_TIMEOUT });
      for (const epic of EPICS)
        await frame
          .locator('.epic-title', { hasText: epic.replace(/^E\d+: /, '') })
          .first()
          .waitFor({ timeout: UI_TIMEOUT });
      assert.match(plain(await frame.locator('.banner-simulated').textContent()), /SIMULATED \(dry-run\)/);
      const completed = statValue(frame, 'completed');
      const before = await numberIn(completed);
      assert.ok(before >= 1, `the fixture's ticked task counts as completed (shows ${before})`);

      await runCommand(page, 'CODITECT: Run Next Ready Task');
      await completed.filter({ hasText: new RegExp(`^\\s*${before + 1}\\s*$`) }).waitFor({ timeout: UI_TIMEOUT });
      assert.equal(await numberIn(total), TOTAL_TASKS);
      // The status bar agrees with the panel.
      await page
        .locator('.part.statusbar .statusbar-item', { hasText: `${before + 1}/${TOTAL_TASKS}` })
        .first()
        .waitFor({ timeout: UI_TIMEOUT });
      const done = frame.locator('.activity > li[data-kind="completed"]').first();
      await done.waitFor({ timeout: UI_TIMEOUT });
      // The editor follows too: the task that ran is ticked and its lens reports the run.
      const ranId = (await done.locator('.activity-task').textContent())?.trim() ?? '';
      assert.match(ranId, /^T\d{3}\.\d{3}$/);
      await editorLine(page, ranId).filter({ hasText: /\[x\]/ }).waitFor({ timeout: UI_TIMEOUT });
      await waitLensAbove(page, ranId, /✓ Simulated in /);
      // Let the progress bars finish their transition so the picture shows the final widths.
      await frame.locator('body').evaluate(() =>
        Promise.all(
          document
            .getAnimations()
            .filter((a) => a instanceof CSSTransition)
            .map((a) => a.finished),
        ),
      );
      await parkMouse(page);
      await shoot(page, `workbench-dashboard-${theme.name}`);
    });

    it('the walkthrough is listed, opens on its three steps, and a step done from it is ticked', async () => {
      // Listed where VS Code lists every walkthrough; its quick pick replaces the palette (so no wait for that to close).
      await (await palette(page, '>Welcome: Open Walkthrough...', /^Welcome: Open Walkthrough\.\.\.$/)).click();
      const listed = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Get started with CODITECT' }).first();
      await listed.waitFor({ timeout: UI_TIMEOUT });
      await listed.click();
      const walkthrough = page.locator('.gettingStartedContainer');
      await walkthrough.locator('h2.category-title', { hasText: 'Get started with CODITECT' }).waitFor({ timeout: UI_TIMEOUT });
      const step = (title: string): Locator => walkthrough.locator('.getting-started-step', { has: page.locator('.step-title', { hasText: title }) });
      const checked = (title: string): Locator => step(title).locator('[role="checkbox"][aria-checked="true"]');
      assert.deepEqual(await walkthrough.locator('.getting-started-step .step-title').allTextContents(), [
        'Choose who does the work',
        'Run one task',
        'Watch the dashboard',
      ]);
      // The first step says what runs until a person chooses.
      await step('Choose who does the work').locator('.step-description-container', { hasText: 'dry-run' }).waitFor({ timeout: UI_TIMEOUT });
      await parkMouse(page);
      await shoot(page, `workbench-walkthrough-${theme.name}`);
      // Run one task from the walkthrough itself: a task completes and the step is ticked.
      const completedBefore = Number(
        /(\d+)\/12/.exec((await page.locator('.part.statusbar .statusbar-item', { hasText: '/12' }).first().textContent()) ?? '')?.[1],
      );
      assert.ok(Number.isInteger(completedBefore), 'the status bar shows the done count');
      await step('Run one task').click();
      await step('Run one task').getByText('Run Next Ready Task', { exact: true }).click();
      await checked('Run one task').waitFor({ timeout: UI_TIMEOUT });
      await page
        .locator('.part.statusbar .statusbar-item', { hasText: `${completedBefore + 1}/12` })
        .first()
        .waitFor({ timeout: UI_TIMEOUT });
      assert.equal(await checked('Choose who does the work').count(), 0, 'no agent was chosen: that step is not done');
      // Its own command opens the same page.
      await page.keyboard.press('Control+W');
      await runCommand(page, 'CODITECT: Get Started');
      await walkthrough.locator('h2.category-title', { hasText: 'Get started with CODITECT' }).waitFor({ timeout: UI_TIMEOUT });
      await page.keyboard.press('Control+W');
    });

    it('the command palette lists the CODITECT commands', async () => {
      const input = page.locator('.quick-input-widget .quick-input-box input');
      await palette(page, '>CODITECT:', /^CODITECT: /);
      const shown = await page.locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name').allTextContents();
      assert.ok(shown.filter((s) => s.startsWith('CODITECT: ')).length >= 5, `several CODITECT commands listed: ${shown.join(' | ')}`);
      for (const title of [
        'Start Orchestration',
        'Run Next Ready Task',
        'Run Task…',
        'Retry Failed Tasks',
        'Sync Now',
        'Validate Task List',
        'Open Progress Dashboard',
        'Show Agent Log…',
        'Set Anthropic API Key',
        'Open Orchestrator Config',
        'Export Work Items JSON',
      ]) {
        await palette(page, `>CODITECT: ${title}`, new RegExp(`^CODITECT: ${escapeRe(title)}$`));
      }
      await page.keyboard.press('Escape');
      await input.waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
    });

    it('a config file created through "Open Orchestrator Config" applies on save, without a manual restart', async () => {
      // The window started without a config (the fixture has none): the command offers to create one.
      await runCommand(page, 'CODITECT: Open Orchestrator Config');
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'does not exist yet' }).first();
      await toast.waitFor({ timeout: UI_TIMEOUT });
      await toast.locator('.notification-list-item-buttons-container .monaco-button', { hasText: /^Create$/ }).click();
      await page.locator('.part.editor .tabs-container .tab.active', { hasText: 'config.json' }).waitFor({ timeout: UI_TIMEOUT });
      // Typed into the editor and saved, as a person does (inserted whole: the editor's auto-closing would double the braces).
      const text = '{ "default_agent": "claude-code" }';
      const editor = page.locator('.editor-instance .monaco-editor .view-lines', { hasText: '{' }).last();
      await editor.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Delete');
      await page.keyboard.insertText(text);
      await page.locator('.editor-instance .monaco-editor .view-lines', { hasText: text }).waitFor({ timeout: UI_TIMEOUT });
      assert.equal(plain(await editor.textContent()), text);
      await page.keyboard.press('Control+S');
      // Applied: the agents are no longer the simulation, in the status bar and the Tasks view.
      await page
        .locator('.part.statusbar .statusbar-item', { hasText: /\d+ running · \d+\/12/ })
        .filter({ hasNotText: 'dry-run' })
        .first()
        .waitFor({ timeout: UI_TIMEOUT });
      await page
        .locator('.part.sidebar')
        .getByText(/Simulation: agents are dry-run/)
        .waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
      assert.deepEqual(JSON.parse(readFileSync(join(w.folder, '.coditect', 'config.json'), 'utf8')), { default_agent: 'claude-code' });
      // The engine that applied it watches the file: the next save applies too (the creation's restart is long over:
      // its engine is the one that applied the first save), and the simulation is back.
      await editor.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Delete');
      await page.keyboard.insertText('{}');
      await page.locator('.editor-instance .monaco-editor .view-lines', { hasText: /^\{\}$/ }).waitFor({ timeout: UI_TIMEOUT });
      await page.keyboard.press('Control+S');
      await page.locator('.part.statusbar .statusbar-item', { hasText: 'dry-run' }).first().waitFor({ timeout: UI_TIMEOUT });
      await page
        .locator('.part.sidebar')
        .getByText(/Simulation: agents are dry-run/)
        .waitFor({ timeout: UI_TIMEOUT });
    });

    it('the CODITECT Output: one timestamp a line, no "info -:" prefix, a line when a cycle holds tasks and one when it is gone', async () => {
      const planFile = join(w.folder, TASKLIST);
      const before = readFileSync(planFile, 'utf8');
      // A cycle: T001.001 made to depend on T001.003, which waits (through T001.002) on T001.001.
      writeFileSync(planFile, before.replace(/^(- \[.\] \*\*T001\.001\*\*.*)$/m, '$1\n  - Depends on: T001.003'));
      await runCommand(page, 'CODITECT: Show Output');
      const output = page.locator('.part.panel .monaco-editor .view-lines');
      await output
        .filter({ hasText: `${TASKLIST}:` })
        .filter({ hasText: 'dependency-cycle' })
        .first()
        .waitFor({ timeout: UI_TIMEOUT });
      writeFileSync(planFile, before);
      await output
        .filter({ hasText: `${TASKLIST}: no problem holds a task any more` })
        .first()
        .waitFor({ timeout: UI_TIMEOUT });
      // The channel's file, whole lines (the panel wraps them): each begins with VS Code's one timestamp and a level.
      const logs = readdirSync(join(w.wb.stateDir, 'user-data', 'logs'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('CODITECT.log'));
      assert.equal(logs.length, 1, `one CODITECT channel log: ${logs.join(', ')}`);
      const lines = readFileSync(join(w.wb.stateDir, 'user-data', 'logs', logs[0]), 'utf8')
        .trimEnd()
        .split('\n');
      const stamp = /\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d/g;
      for (const line of lines.filter((l) => /^\d{4}-/.test(l))) {
        assert.match(line, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[(trace|debug|info|warning|error)\] \S/, line);
        assert.equal(line.match(stamp)?.length, 1, `one timestamp: ${line}`);
        assert.doesNotMatch(line, /\b(info|warn|error) -:/, line);
      }
      assert.ok(
        lines.some((l) => new RegExp(`\\[(warning|error)\\] ${escapeRe(TASKLIST)}:\\d+: dependency-cycle: `).test(l)),
        'the cycle has its line',
      );
    });
  });
}
