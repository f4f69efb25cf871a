// A 10,000-task plan as a person meets it (#15): the engine bench's generated plan (test/bench/generatePlan.ts: 50
// epics, 17,391 lines) in a fresh folder, opened in code-server with the extension from this checkout. What it
// checks is what a person sees, not how fast (the figures are the workbench bench's, `npm run bench -- --workbench`):
// the Tasks tree starts collapsed past the threshold (50 epic rows, not 10,550), the editor shows the engine's lenses
// on the lines in view and again at the end of the file, and a click on an epic expands it.
// Run: npx mocha --no-config --require tsx/cjs --extension ts --timeout 180000 test/e2e/workbenchBigPlan.test.ts
// Screenshots: test-artifacts/workbench-bigplan-{light,dark}.png (docs/screenshots/ with CODITECT_DOCS_SCREENSHOTS=1).
import * as assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateTaskList } from '../bench/generatePlan';
import { editorLine, openFixtureWorkbench, parkMouse, shoot, TASKLIST, THEMES, UI_TIMEOUT, waitLensAbove, workbenchSuite } from './workbenchHelpers';

const TASKS = 10_000;
const PLAN = 'BIG-TASKLIST.md';
/** The generated plan's first task (ready: no dependency) and its last. */
const FIRST = 'T001.001';
const LAST = 'T050.200';
/** 18 lines above the end: in view after Ctrl+End whether or not the lens rows there have arrived. */
const NEAR_END = 'T050.190';
/** A lens from the engine's plan, not the text's own stand-in while the plan loads ("○ Loading the plan…"). */
const ENGINE_LENS = /^(▶ Run with agent|⛔ )/;

for (const theme of THEMES) {
  describe(`CODITECT on a 10,000-task plan in code-server, ${theme.name} theme (e2e)`, function () {
    this.timeout(600_000);
    const w = workbenchSuite(`workbench-bigplan-${theme.name}`, () =>
      openFixtureWorkbench(`e2e-bigplan-${theme.name}`, theme, (dir) => {
        rmSync(join(dir, TASKLIST));
        writeFileSync(join(dir, PLAN), generateTaskList({ tasks: TASKS }).text);
      }),
    );

    it('opens the plan with its tree collapsed to the 50 epics and the engine lenses on the lines in view', async () => {
      const page = w.page;
      // The status bar counts the loaded plan: the engine has all of it.
      await page
        .locator('.part.statusbar .statusbar-item', { hasText: `/${TASKS}` })
        .first()
        .waitFor({ timeout: 5 * UI_TIMEOUT });
      const rows = page.locator('.part.sidebar .monaco-list-row[role="treeitem"]');
      await rows.filter({ hasText: 'E001: Epic 1' }).first().waitFor({ timeout: UI_TIMEOUT });
      // Every row drawn is a collapsed epic: over 500 tasks, no group starts expanded.
      const drawn = await rows.evaluateAll((els) => els.map((e) => ({ label: e.getAttribute('aria-label') ?? '', expanded: e.getAttribute('aria-expanded') })));
      assert.ok(drawn.length > 5, `the tree drew the epics in view (${drawn.length} rows)`);
      for (const r of drawn) {
        assert.match(r.label, /^E\d{3}: Epic \d+/, `only epics are drawn, not ${r.label}`);
        assert.equal(r.expanded, 'false', `${r.label} starts collapsed`);
      }
      // The plan's text is in the editor (opened on the first start), with the engine's lenses.
      await editorLine(page, FIRST).waitFor({ timeout: UI_TIMEOUT });
      await waitLensAbove(page, FIRST, /^▶ Run with agent \([\w-]+\)$/);
      await waitLensAbove(page, 'T001.003', /^⛔ Waiting for T001\.002$/);
      // A click on an epic expands it (to its collapsed features).
      await rows.filter({ hasText: 'E001: Epic 1' }).first().click();
      await rows.filter({ hasText: 'F001.01: Feature 1.1' }).first().waitFor({ timeout: UI_TIMEOUT });
      assert.equal(await rows.filter({ hasText: 'E001: Epic 1' }).first().getAttribute('aria-expanded'), 'true');
      await parkMouse(page);
      await shoot(page, `workbench-bigplan-${theme.name}`);
    });

    it('the lenses follow to the end of the file: the tasks there get the engine lens', async () => {
      const page = w.page;
      await editorLine(page, FIRST).click();
      await page.keyboard.press('Control+End');
      await editorLine(page, LAST).waitFor({ timeout: UI_TIMEOUT });
      // A task near the end, in view both before and after its lens rows arrive: the lenses were asked for there.
      await waitLensAbove(page, NEAR_END, ENGINE_LENS);
      // The rows that arrived in view pushed the last lines down (VS Code lays a lens row out as a view zone); the
      // cursor's line is revealed again, as a person scrolls back to it.
      await page.keyboard.press('Control+End');
      await waitLensAbove(page, LAST, ENGINE_LENS);
    });
  });
}
