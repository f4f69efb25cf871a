// Restricted Mode as a person meets it (#15): code-server with workspace trust on and a fresh copy of the fixture plan
// it has never seen, so the folder opens untrusted (no trust prompt: the window stays in Restricted Mode). The plan is
// shown read-only, the Tasks view offers VS Code's trust editor, and nothing is written into the folder; once the
// person trusts it there, the engine restarts writable in the folder.
// Run: npx mocha --no-config --require tsx/cjs --extension ts --timeout 180000 test/e2e/workbenchRestricted.test.ts
// Screenshots: test-artifacts/workbench-restricted-{light,dark}.png (docs/screenshots/ with CODITECT_DOCS_SCREENSHOTS=1).
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, watch } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  editorLine,
  FIXTURE,
  openFixtureWorkbench,
  parkMouse,
  plain,
  shoot,
  TASKLIST,
  THEMES,
  UI_TIMEOUT,
  waitLensAbove,
  workbenchSuite,
} from './workbenchHelpers';

/** Resolves once `file` exists under `dir` (watched, no polling); rejects after `ms`. */
function pathAppears(file: string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const dir = dirname(dirname(file));
    const watcher = watch(dir, { recursive: true }, () => check());
    const timer = setTimeout(() => done(new Error(`${file} did not appear within ${ms} ms`)), ms);
    function done(e?: Error): void {
      clearTimeout(timer);
      watcher.close();
      if (e) reject(e);
      else resolve();
    }
    function check(): void {
      if (existsSync(file)) done();
    }
    check();
  });
}

/** The first ready task of the fixture plan (its only dependency is ticked). */
const READY_TASK = 'T001.002';

for (const theme of THEMES) {
  describe(`CODITECT in Restricted Mode (an untrusted folder) in code-server, ${theme.name} theme (e2e)`, function () {
    this.timeout(420_000);
    const w = workbenchSuite(`workbench-restricted-${theme.name}`, () =>
      openFixtureWorkbench(`e2e-restricted-${theme.name}`, theme, undefined, undefined, { restricted: true }),
    );

    it('shows the plan read-only: the view and status bar say so, a ready task is locked, and nothing is written into the folder', async () => {
      const { page, folder } = w;
      // VS Code itself says the window is restricted (the fixture folder was never trusted).
      await page
        .locator('.part.statusbar, .part.titlebar')
        .getByText(/Restricted Mode/)
        .first()
        .waitFor({ timeout: UI_TIMEOUT });
      const sidebar = page.locator('.part.sidebar');
      await sidebar
        .getByText(/Restricted Mode: the plan is read-only and no agent runs/)
        .first()
        .waitFor({ timeout: 3 * UI_TIMEOUT });
      await sidebar.locator('.monaco-list-row[role="treeitem"]', { hasText: 'E001: Patient Records Backend' }).first().waitFor({ timeout: UI_TIMEOUT });
      await page.locator('.part.statusbar .statusbar-item', { hasText: 'read-only' }).first().waitFor({ timeout: UI_TIMEOUT });
      // The plan opened by itself (first run); the ready task's lens offers no Run.
      await editorLine(page, READY_TASK).waitFor({ timeout: UI_TIMEOUT });
      const lens = await waitLensAbove(page, READY_TASK, /^🔒 Ready · [\w-]+ \(read-only: Restricted Mode\)$/);
      assert.equal(lens.link, undefined, 'the locked lens is a label, not a command');
      // Nothing in the folder: no .coditect (database, socket, logs), and the markdown as it was.
      assert.deepEqual(readdirSync(folder).sort(), readdirSync(FIXTURE).sort(), 'the untrusted folder holds only what it held');
      assert.equal(existsSync(join(folder, '.coditect')), false, 'no .coditect in the untrusted folder');
      assert.equal(readFileSync(join(folder, TASKLIST), 'utf8'), readFileSync(join(FIXTURE, TASKLIST), 'utf8'));
      await parkMouse(page);
      await shoot(page, `workbench-restricted-${theme.name}`);
    });

    it('the view\'s "Manage Workspace Trust" opens the trust editor; trusting the folder restarts the engine writable there', async () => {
      const { page, folder } = w;
      // The view's only container: its actions sit in the side bar's title (the shield, first).
      const manage = page.locator('.part.sidebar .composite.title .action-label[aria-label="Manage Workspace Trust"]');
      await manage.waitFor({ timeout: UI_TIMEOUT });
      await manage.click();
      const trustEditor = page.locator('.workspace-trust-editor');
      await trustEditor.waitFor({ timeout: UI_TIMEOUT });
      await trustEditor
        .getByRole('button', { name: /^Trust$/ })
        .first()
        .click();
      // Trusted: VS Code's status item goes, the lens runs again, the view drops its note, and the engine keeps its
      // database in the folder.
      await page.locator('.part.statusbar').getByText('Restricted Mode').waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
      await page.locator('.part.editor .tabs-container .tab', { hasText: TASKLIST }).first().click();
      await waitLensAbove(page, READY_TASK, /^▶ Run with agent \([\w-]+\)$/);
      assert.equal(
        await page
          .locator('.part.sidebar')
          .getByText(/Restricted Mode: the plan is read-only/)
          .count(),
        0,
      );
      // The lens follows the trust at once; the engine restarts beside it and opens its database in the folder.
      await pathAppears(join(folder, '.coditect', 'context.db'), UI_TIMEOUT);
      assert.match(plain(await editorLine(page, READY_TASK).textContent()), new RegExp(`^- \\[ \\] \\*\\*${READY_TASK}\\*\\*`));
    });
  });
}
