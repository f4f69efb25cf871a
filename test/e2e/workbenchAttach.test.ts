// One engine per plan, many clients (#12), as a person meets it: a daemon (`coditect daemon start`) already runs the
// tidewater plan; code-server opens the folder in one browser window, then in a second one (two pages of one
// code-server, each with its own extension host and engine process, as two tabs of VS Code for the browser are).
// Driven through the UI only, and read the way a person reads it (tree rows, the status bar):
//   1. the first window attaches to the daemon (status bar "attached to daemon pid N"), its tree shows the plan, and
//      its Run runs the task in the daemon: the daemon's log shows it;
//   2. the second window attaches too; a Run from it shows live in both windows' trees;
//   3. the daemon is SIGKILLed: one window's engine takes the plan over, the other re-attaches to it, and both still
//      show live progress;
//   4. that window's engine is SIGKILLed in turn: the other window takes over.
// Run: npx mocha --no-config --require tsx/cjs --extension ts --timeout 180000 test/e2e/workbenchAttach.test.ts
// Prints the takeover times; screenshots: test-artifacts/workbench-attach-{daemon,owner,attached}-light.png.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { Workbench } from '../../scripts/vscodeTest/workbench.mjs' with { 'resolution-mode': 'import' };
import { runCli } from '../process/cli/cliHarness';
import { openFixtureWorkbench, parkMouse, plain, screenshot, shoot, TASKLIST, THEMES, UI_TIMEOUT } from './workbenchHelpers';

/** Dry-run agents, one at a time, 6 s a task: long enough to see a task running in both windows. */
const CONFIG = {
  default_agent: 'sim',
  agents: { sim: { kind: 'dry-run', durationMs: 6000 } },
  max_concurrent_agents: 1,
  shutdown_grace_ms: 300,
};
const EPICS = ['E001: Patient Records Backend', 'E002: Front Desk', 'E003: Go-Live'];
/** Ready tasks the test runs, one per step; T002.004 (P3) is the one the daemon would pick last. */
const RUN_FROM_FIRST = 'T002.004';
const RUN_FROM_SECOND = 'T002.001';
const RUN_AFTER_TAKEOVER = 'T003.001';
const RUN_AFTER_SECOND_TAKEOVER = 'T001.004';
const theme = THEMES[0];

/** The CODITECT status bar item once the engine is up: `… 1 running · 3/12 · dry-run[ · attached to … pid N]`. */
const statusItem = (page: Page): Locator => page.locator('.part.statusbar .statusbar-item', { hasText: /\d+ running · \d+\/12|stalled · \d+\/12/ }).first();
const statusText = async (page: Page): Promise<string> => plain(await statusItem(page).textContent({ timeout: UI_TIMEOUT }));
const taskRow = (page: Page, id: string): Locator => page.locator('.part.sidebar .monaco-list-row[role="treeitem"]', { hasText: id }).first();

/** The pid holding the plan's database: the engine that owns the plan. */
function lockHolder(folder: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(join(folder, '.coditect', 'context.db.lock'), 'utf8')) as { pid?: number }).pid;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once `check` holds, asking every 100 ms (a file another process writes has no event here); fails after `ms`. */
async function until<T>(what: string, check: () => T | undefined | false, ms = UI_TIMEOUT): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Shows the CODITECT container (a click on the one already shown would close the sidebar) and waits for the plan. */
async function showTree(page: Page): Promise<void> {
  const entry = page.locator('.part.activitybar .action-item a[aria-label^="CODITECT"]');
  await entry.waitFor({ timeout: 3 * UI_TIMEOUT });
  if ((await page.locator('.part.activitybar .action-item.checked a[aria-label^="CODITECT"]').count()) === 0) await entry.click();
  const rows = page.locator('.part.sidebar .monaco-list-row[role="treeitem"]');
  for (const epic of EPICS) await rows.filter({ hasText: epic }).first().waitFor({ timeout: UI_TIMEOUT });
  // The tree opens with the first epic expanded; open the others as a person does, by their twisties (the whole plan,
  // about 20 rows, fits the window).
  const collapsed = page.locator('.part.sidebar .monaco-list-row[role="treeitem"][aria-expanded="false"]');
  for (let i = 0; i < 20 && (await collapsed.count()) > 0; i++) {
    const row = collapsed.first();
    const name = plain(await row.locator('.label-name').first().textContent());
    await row.locator('.monaco-tl-twistie').click();
    await page.locator('.part.sidebar .monaco-list-row[role="treeitem"][aria-expanded="true"]', { hasText: name }).first().waitFor({ timeout: UI_TIMEOUT });
  }
  assert.equal(await collapsed.count(), 0, 'every epic and feature of the plan is expanded');
}

/** Runs a task from its tree row's inline action, as a person does. */
async function runFromTree(page: Page, id: string): Promise<void> {
  const row = taskRow(page, id);
  await row.locator('.label-description', { hasText: /· ready$/ }).waitFor({ timeout: UI_TIMEOUT });
  await row.click();
  await row.locator('.actions .action-label[aria-label^="Run with Agent"]').click({ timeout: UI_TIMEOUT });
}

/** Waits until the task's row in `page` reads `state` (`P3 · running`). */
const rowSays = (page: Page, id: string, state: RegExp): Promise<void> =>
  taskRow(page, id).locator('.label-description', { hasText: state }).waitFor({ timeout: UI_TIMEOUT });

/** Both windows see the task run, then complete: the same live progress wherever the Run came from. */
async function bothSeeItRun(pages: Page[], id: string): Promise<void> {
  await Promise.all(pages.map((p) => rowSays(p, id, /· running$/)));
  await Promise.all(pages.map((p) => rowSays(p, id, /· completed$/)));
}

/**
 * After the owner at `killedPid` was killed: waits until one window owns the plan (its status bar says nothing of
 * attaching) and the other is attached to that window's engine — the pid now holding the database — and returns both.
 */
async function settledAfterKill(folder: string, pages: Page[], killedPid: number): Promise<{ owner: Page; attached: Page; ownerPid: number }> {
  const ownerPid = await until(`a new engine holding ${folder}/.coditect/context.db.lock`, () => {
    const pid = lockHolder(folder);
    return pid !== undefined && pid !== killedPid && alive(pid) && pid;
  });
  const attachedText = `attached to engine pid ${ownerPid}`;
  const ownerText = (t: string): boolean => t !== '' && !/attached/.test(t);
  // Each window ends in one of the two states; wait until one is in each.
  // While a window's engine restarts its item reads "CODITECT restarting" (no counts): read as ''.
  const reads = async (): Promise<string[]> =>
    Promise.all(
      pages.map((p) =>
        statusItem(p)
          .textContent({ timeout: 1000 })
          .then(plain, () => ''),
      ),
    );
  const deadline = Date.now() + UI_TIMEOUT;
  for (;;) {
    const texts = await reads();
    const a = texts.findIndex((t) => t.includes(attachedText));
    const o = texts.findIndex((t, i) => i !== a && ownerText(t));
    if (a >= 0 && o >= 0) return { owner: pages[o], attached: pages[a], ownerPid };
    if (Date.now() > deadline) throw new Error(`after pid ${killedPid} was killed the windows never settled on owner ${ownerPid}: ${JSON.stringify(texts)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe(`CODITECT: a daemon and two code-server windows on one plan, ${theme.name} theme (e2e)`, function () {
  this.timeout(600_000);
  let wb: Workbench | undefined;
  let folder: string;
  let first: Page;
  let second: Page | undefined;
  let daemonPid = 0;
  const savedKey = process.env.ANTHROPIC_API_KEY;

  before(async function () {
    delete process.env.ANTHROPIC_API_KEY;
    ({ wb, folder } = await openFixtureWorkbench(`e2e-attach-${theme.name}`, theme, async (f) => {
      mkdirSync(join(f, '.coditect'), { recursive: true });
      writeFileSync(join(f, '.coditect', 'config.json'), JSON.stringify(CONFIG, null, 2) + '\n');
      // The daemon runs before any window opens. It starts dispatching at once; paused, it finishes the task it took
      // and starts no other, so the tasks this test runs stay ready for it.
      const start = await runCli(['daemon', 'start', TASKLIST, '--metrics-port', '0', '--json'], f);
      assert.equal(start.code, 0, start.stderr);
      daemonPid = (JSON.parse(start.stdout) as { pid: number }).pid;
      const paused = await runCli(['pause', TASKLIST], f);
      assert.equal(paused.code, 0, paused.stderr);
    }));
    first = wb.page;
  });

  after(async function () {
    await second?.close().catch(() => undefined);
    await wb?.close();
    if (daemonPid && alive(daemonPid)) process.kill(daemonPid, 'SIGKILL');
    if (folder) rmSync(folder, { recursive: true, force: true });
    if (savedKey !== undefined) process.env.ANTHROPIC_API_KEY = savedKey;
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && wb) {
      await screenshot(first, `workbench-attach-failure-first-${this.currentTest.title.slice(0, 40)}`);
      if (second) await screenshot(second, `workbench-attach-failure-second-${this.currentTest.title.slice(0, 40)}`);
      console.error(`    code-server log: ${wb.logFile}\n${readFileSync(wb.logFile, 'utf8').split('\n').slice(-30).join('\n')}`);
    }
  });

  it('a window opened while the daemon runs attaches to it: the tree shows the plan, and Run runs the task in the daemon (its log shows it)', async () => {
    await showTree(first);
    await statusItem(first)
      .filter({ hasText: `attached to daemon pid ${daemonPid}` })
      .waitFor({ timeout: UI_TIMEOUT });
    assert.equal(lockHolder(folder), daemonPid, 'the daemon still owns the plan: the window opened no second writer');

    await runFromTree(first, RUN_FROM_FIRST);
    await rowSays(first, RUN_FROM_FIRST, /· running$/);
    await rowSays(first, RUN_FROM_FIRST, /· completed$/);
    const log = join(folder, '.coditect', 'logs', 'engine.log');
    await until(
      `the daemon's log ${log} showing ${RUN_FROM_FIRST} completed`,
      () => existsSync(log) && readFileSync(log, 'utf8').includes(`completed ${RUN_FROM_FIRST}:`),
    );
    const text = readFileSync(log, 'utf8');
    assert.match(text, new RegExp(`daemon pid ${daemonPid} serving`), 'the log is the daemon’s');
    assert.match(text, new RegExp(`started ${RUN_FROM_FIRST}: ${RUN_FROM_FIRST} started on `));
    await parkMouse(first);
    await shoot(first, `workbench-attach-daemon-${theme.name}`);
  });

  it('a second window on the same folder attaches to the daemon too, and both show the same live progress', async () => {
    second = await first.context().newPage();
    await second.goto(wb!.url, { waitUntil: 'domcontentloaded', timeout: UI_TIMEOUT });
    await showTree(second);
    await statusItem(second)
      .filter({ hasText: `attached to daemon pid ${daemonPid}` })
      .waitFor({ timeout: UI_TIMEOUT });
    // What the first window ran is there, as the daemon has it.
    await rowSays(second, RUN_FROM_FIRST, /· completed$/);
    await runFromTree(second, RUN_FROM_SECOND);
    await bothSeeItRun([first, second], RUN_FROM_SECOND);
  });

  it('the daemon is killed: one window takes the plan over, the other re-attaches to it, and both stay live', async () => {
    const pages = [first, second!];
    const killedAt = Date.now();
    process.kill(daemonPid, 'SIGKILL');
    const { owner, attached, ownerPid } = await settledAfterKill(folder, pages, daemonPid);
    console.log(`      daemon killed → one window owns the plan, the other attached to it: ${Date.now() - killedAt} ms`);
    assert.doesNotMatch(await statusText(owner), /attached/);
    assert.match(await statusText(attached), new RegExp(`attached to engine pid ${ownerPid}$`));
    // Nothing was lost: what both runs did is still there, and a Run from the attached window shows in both.
    for (const p of pages) for (const id of [RUN_FROM_FIRST, RUN_FROM_SECOND]) await rowSays(p, id, /· completed$/);
    await runFromTree(attached, RUN_AFTER_TAKEOVER);
    await bothSeeItRun(pages, RUN_AFTER_TAKEOVER);
  });

  it("the owning window's engine is killed: the other window takes the plan over", async () => {
    const pages = [first, second!];
    const killed = lockHolder(folder);
    assert.ok(killed && killed !== daemonPid, `a window's engine owns the plan (lock held by ${killed})`);
    const killedAt = Date.now();
    process.kill(killed, 'SIGKILL');
    const { owner, attached, ownerPid } = await settledAfterKill(folder, pages, killed);
    console.log(`      owning window's engine killed → the plan owned again, the other window attached: ${Date.now() - killedAt} ms`);
    await runFromTree(owner, RUN_AFTER_SECOND_TAKEOVER);
    await bothSeeItRun(pages, RUN_AFTER_SECOND_TAKEOVER);
    assert.equal(lockHolder(folder), ownerPid);
    for (const [p, name] of [
      [owner, 'owner'],
      [attached, 'attached'],
    ] as const) {
      await parkMouse(p);
      await shoot(p, `workbench-attach-${name}-${theme.name}`);
    }
  });
});
