// Spend, gates and usage limits as a person meets them (#11): code-server with the extension from this checkout, the
// tidewater plan with a `Gate: review` on its first ready task, and a Claude Code agent that is the fake CLI of
// test/fakes/bin/claude (a real child process printing Claude Code's result object: $0.0421 an attempt, or "usage limit
// reached|<reset>" for the devops-engineer agent type). Driven through the UI only, once per theme:
//   1. the gate's result waits: the notification offers Approve, Reject… and Reveal, the tree row offers Approve;
//   2. after Approve and two more tasks, the dashboard's spend panel shows what they cost against the budgets;
//   3. a task of the limited agent type pauses its provider: the dashboard says until when, and a notification says so.
// Run: npx mocha --no-config --require tsx/cjs --extension ts --timeout 180000 test/e2e/workbenchLimits.test.ts
// Screenshots: test-artifacts/workbench-{gate-waiting,spend,usage-limit}-{light,dark}.png, copied to docs/screenshots/
// with CODITECT_DOCS_SCREENSHOTS=1 (DOC_SHOTS in workbenchHelpers.ts).
import * as assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { Workbench } from '../../scripts/vscodeTest/workbench.mjs' with { 'resolution-mode': 'import' };
import {
  dashboardFrame,
  editorLine,
  openFile,
  parkMouse,
  plain,
  runCommand,
  reportFailure,
  shoot,
  THEMES,
  UI_TIMEOUT,
  waitLensAbove,
  widenSidebar,
  openFixtureWorkbench,
  ROOT,
  TASKLIST,
} from './workbenchHelpers';

const FAKE_CLAUDE = join(ROOT, 'test', 'fakes', 'bin', 'claude');
/** The gate: the first ready task, with `Gate: review` added under it. */
const GATE = 'T001.002';
const GATE_TITLE = 'Database migrations for patients, clinicians and rooms';
/** Ready once the gate is approved; they run on the default agent and cost what the fake reports. */
const PAID = ['T001.003', 'T001.004'];
/** `Agent: devops-engineer` in the fixture: its agent answers with a usage limit. */
const LIMITED = 'T003.001';
/** What the fake Claude Code reports an attempt cost (total_cost_usd). */
const ATTEMPT_USD = 0.0421;
const BUDGET = { per_run_usd: 0.15, per_day_usd: 0.5 };
/** How far ahead the fake's usage limit resets. */
const RESET_S = 90 * 60;

/**
 * Writes the workspace's agents: two scripts that run the fake Claude Code with its mode set (the engine passes agents
 * only an allowed environment, so the mode travels in the script), and .coditect/config.json naming them.
 */
function configure(folder: string, bin: string): void {
  const script = (name: string, env: string): string => {
    const file = join(bin, name);
    writeFileSync(file, `#!/bin/sh\n${env} exec ${JSON.stringify(process.execPath)} ${JSON.stringify(FAKE_CLAUDE)} "$@"\n`);
    chmodSync(file, 0o755);
    return file;
  };
  const ok = script('claude-ok', 'FAKE_CLAUDE_MODE=ok');
  const limited = script('claude-limited', `FAKE_CLAUDE_MODE=usagelimit FAKE_CLAUDE_RESET_S=${RESET_S}`);
  mkdirSync(join(folder, '.coditect'), { recursive: true });
  writeFileSync(
    join(folder, '.coditect', 'config.json'),
    JSON.stringify(
      {
        default_agent: 'claude',
        agents: {
          claude: { kind: 'claude-code', executable: ok, outputFormat: 'json' },
          'devops-engineer': { kind: 'claude-code', executable: limited, outputFormat: 'json' },
        },
        budget: BUDGET,
      },
      null,
      2,
    ) + '\n',
  );
  // The gate, as a person writes it: a note line under the task.
  const plan = join(folder, TASKLIST);
  const text = readFileSync(plan, 'utf8');
  const withGate = text.replace(/^(- \[ \] \*\*T001\.002\*\*.*\n)/m, '$1  - Gate: review\n');
  assert.notEqual(withGate, text, `${GATE} is in the fixture`);
  writeFileSync(plan, withGate);
}

/** Clicks the CodeLens "Run with agent" above a task, as a person does. */
async function runByLens(page: Page, id: string): Promise<void> {
  const lens = await waitLensAbove(page, id, /^▶ Run with agent \([\w-]+\)$/);
  assert.ok(lens.link, `the lens above ${id} is a link`);
  await page.mouse.click(lens.link.x, lens.link.y);
}

/** Lets the dashboard's bar transitions end, so a picture shows the final widths. */
async function settle(page: Page): Promise<void> {
  await dashboardFrame(page)
    .locator('body')
    .evaluate(() =>
      Promise.all(
        document
          .getAnimations()
          .filter((a) => a instanceof CSSTransition)
          .map((a) => a.finished),
      ),
    );
}

for (const theme of THEMES) {
  describe(`CODITECT spend, gates and usage limits in code-server, ${theme.name} theme (e2e)`, function () {
    this.timeout(420_000);
    let wb: Workbench | undefined;
    let folder: string;
    let bin: string;
    let page: Page;
    const savedKey = process.env.ANTHROPIC_API_KEY;

    before(async function () {
      // The agents are the fake CLI; no key of this machine reaches them.
      delete process.env.ANTHROPIC_API_KEY;
      bin = mkdtempSync(join(tmpdir(), 'coditect-fake-claude-'));
      ({ wb, folder } = await openFixtureWorkbench(`e2e-limits-${theme.name}`, theme, (f) => configure(f, bin)));
      page = wb.page;
    });

    after(async function () {
      await wb?.close();
      if (folder) rmSync(folder, { recursive: true, force: true });
      if (bin) rmSync(bin, { recursive: true, force: true });
      if (savedKey !== undefined) process.env.ANTHROPIC_API_KEY = savedKey;
    });

    afterEach(async function () {
      if (this.currentTest?.state === 'failed' && wb) {
        await reportFailure(wb, `workbench-failure-${theme.name}-${this.currentTest.title.slice(0, 40)}`);
      }
    });

    it('a gate waits for a person: its notification offers Approve, Reject… and Reveal, its tree row Approve', async () => {
      // The CODITECT container beside the plan (a click on the container already shown would close the sidebar).
      if ((await page.locator('.part.activitybar .action-item.checked a[aria-label^="CODITECT"]').count()) === 0)
        await page.locator('.part.activitybar .action-item a[aria-label^="CODITECT"]').click();
      const row = page.locator('.part.sidebar .monaco-list-row[role="treeitem"]', { hasText: GATE }).first();
      await row.waitFor({ timeout: UI_TIMEOUT });
      await widenSidebar(page, 520);
      await openFile(page, TASKLIST);
      await editorLine(page, GATE).waitFor({ timeout: UI_TIMEOUT });
      await runByLens(page, GATE);
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: `${GATE} waits for a person's approval` }).first();
      await toast.waitFor({ timeout: UI_TIMEOUT });
      assert.equal(
        plain(await toast.locator('.notification-list-item-message').textContent()),
        `CODITECT: ${GATE} waits for a person's approval: ${GATE_TITLE}`,
      );
      assert.deepEqual(await toast.locator('.notification-list-item-buttons-container .monaco-button').allTextContents(), ['Approve', 'Reject…', 'Reveal']);
      // It ran (the fake reported its cost) and did not complete: the checkbox stays open until someone approves.
      assert.match(plain(await editorLine(page, GATE).textContent()), new RegExp(`^- \\[ \\] \\*\\*${GATE}\\*\\*`));
      await waitLensAbove(page, GATE, new RegExp(`^⛔ ${GATE} waits for a person's approval$`));

      // The tree: the gate's row, selected so its inline actions show, offers Approve.
      await row.locator('.label-description', { hasText: 'P0 · awaiting approval' }).waitFor({ timeout: UI_TIMEOUT });
      await row.click();
      await row.locator('.actions .action-label[aria-label="Approve Gate"]').waitFor({ timeout: UI_TIMEOUT });
      await parkMouse(page);
      assert.ok(await toast.isVisible(), 'the notification is still up');
      await shoot(page, `workbench-gate-waiting-${theme.name}`);

      // Approve from the notification; the note box may stay empty. The task then completes: its checkbox is ticked.
      await toast.locator('.monaco-button', { hasText: /^Approve$/ }).click();
      const note = page.locator('.quick-input-widget .quick-input-box input');
      await note.waitFor({ timeout: UI_TIMEOUT });
      await note.fill('migrations reviewed');
      await page.keyboard.press('Enter');
      await editorLine(page, GATE).filter({ hasText: /\[x\]/ }).waitFor({ timeout: UI_TIMEOUT });
    });

    it('the spend panel shows what the attempts cost against the run and day budgets', async () => {
      for (const id of PAID) {
        await runByLens(page, id);
        await editorLine(page, id).filter({ hasText: /\[x\]/ }).waitFor({ timeout: UI_TIMEOUT });
        // A real (not simulated) run: its lens says Done, with the agent type that ran it.
        await waitLensAbove(page, id, /^✓ Done in \d+s · [\w-]+$/);
      }
      await runCommand(page, 'CODITECT: Open Progress Dashboard');
      const frame = dashboardFrame(page);
      await frame.locator(`body.${theme.webviewBodyClass}`).waitFor({ timeout: UI_TIMEOUT });
      const spent = `$${(ATTEMPT_USD * (1 + PAID.length)).toFixed(2)}`;
      const run = frame.locator('[data-spend="run"]');
      await run.locator('.metric-value', { hasText: spent }).waitFor({ timeout: UI_TIMEOUT });
      assert.equal(plain(await run.locator('.stat-sub').textContent()), `${1 + PAID.length} attempts`);
      assert.equal(plain(await frame.locator('[data-budget="run"] .budget-value').textContent()), `${spent} of $${BUDGET.per_run_usd.toFixed(2)}`);
      assert.equal(plain(await frame.locator('[data-budget="day"] .budget-value').textContent()), `${spent} of $${BUDGET.per_day_usd.toFixed(2)}`);
      // Not a simulation: the dashboard carries no dry-run banner.
      assert.equal(await frame.locator('.banner-simulated').count(), 0);
      await frame.locator('.card-spend').scrollIntoViewIfNeeded();
      await settle(page);
      // The notifications of the approval are read; the picture is about the spend.
      await runCommand(page, 'Notifications: Clear All Notifications');
      await parkMouse(page);
      await shoot(page, `workbench-spend-${theme.name}`);
    });

    it('a usage limit pauses its provider until the reset it gave: the dashboard says until when, a notification says so', async () => {
      // The plan is still open beside the dashboard. Its line is near the end: bring it into view as a person scrolls.
      await editorLine(page, GATE).click();
      await page.keyboard.press('Control+End');
      await editorLine(page, LIMITED).waitFor({ timeout: UI_TIMEOUT });
      await runByLens(page, LIMITED);
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'usage limit' }).first();
      await toast.waitFor({ timeout: UI_TIMEOUT });
      assert.match(
        plain(await toast.locator('.notification-list-item-message').textContent()),
        /^CODITECT: provider claude-code paused until .+ \(usage limit\); its tasks wait, other providers go on$/,
      );
      assert.deepEqual(await toast.locator('.notification-list-item-buttons-container .monaco-button').allTextContents(), ['Open Dashboard', 'Show Output']);
      // The task did not fail and spent no retry: it waits, unticked, and can be run again.
      await waitLensAbove(page, LIMITED, /^▶ Run with agent \(devops-engineer\)$/);
      assert.match(plain(await editorLine(page, LIMITED).textContent()), new RegExp(`^- \\[ \\] \\*\\*${LIMITED}\\*\\*`));

      // The dashboard, from the palette: the notification stays up beside it (its own button would close it).
      await runCommand(page, 'CODITECT: Open Progress Dashboard');
      const frame = dashboardFrame(page);
      const banner = frame.locator('.banner-limit', { hasText: 'usage limit' });
      await banner.waitFor({ timeout: UI_TIMEOUT });
      assert.match(
        plain(await banner.textContent()),
        /^Limitclaude-code paused until (\w{3} \d{1,2}, )?\d\d:\d\d \(usage limit\): its tasks wait, none fails; other providers go on\.$/,
      );
      await frame.locator('.banner-limit').scrollIntoViewIfNeeded();
      await settle(page);
      await parkMouse(page);
      assert.ok(await toast.isVisible(), 'the notification is still up');
      await shoot(page, `workbench-usage-limit-${theme.name}`);
    });
  });
}
