// What the workbench UI tests share (workbench.test.ts, workbenchLimits.test.ts): code-server and Chromium launch
// helpers, the themes, and the ways a person drives VS Code (the palette, CodeLens clicks, the dashboard webview).
import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { errorMessage } from '../../src/core/describe';

// The launch helpers are ES modules; this file is compiled as CommonJS, so they are loaded with import().
type BrowserHelpers = typeof import('../../scripts/vscodeTest/browser.mjs', { with: { 'resolution-mode': 'import' } });
type WorkbenchHelpers = typeof import('../../scripts/vscodeTest/workbench.mjs', { with: { 'resolution-mode': 'import' } });
export const helpers = Promise.all([
  import('../../scripts/vscodeTest/browser.mjs') as Promise<BrowserHelpers>,
  import('../../scripts/vscodeTest/workbench.mjs') as Promise<WorkbenchHelpers>,
]);
type Workbench = Awaited<ReturnType<WorkbenchHelpers['openWorkbench']>>;

export const ROOT = resolve(__dirname, '..', '..');
/** The plan every workbench suite opens a copy of. */
export const FIXTURE = join(__dirname, 'fixtures', 'tidewater');
export const TASKLIST = 'TIDEWATER-TASKLIST.md';

/**
 * Opens code-server in Chromium on a fresh copy of the fixture (`prepare` may add to it first: a config, a git
 * repository, a daemon already running) with `theme`, and returns once the CODITECT container is in the activity bar
 * and the theme applied.
 * The first start of code-server, its extension host and the engine took 122 s here with the machine's load at 20.
 * `initScript` runs in the page before the workbench does (the big-plan bench's probe, test/e2e/bigPlanBench.ts).
 * `o.install`: extension folders (a package.json and its code) installed in the window beside this checkout (the
 * big-plan bench's baseline, test/e2e/fixtures/baseline-extension), copied into a fresh extensions dir the way an
 * installed extension sits there (code-server loads one extension under development only). `o.coditect: false`:
 * without this checkout (then no CODITECT container is waited for). `o.restricted`: the folder opens untrusted, in
 * Restricted Mode (workspace trust on, no prompt).
 */
export async function openFixtureWorkbench(
  name: string,
  theme: Theme,
  prepare?: (folder: string) => void | Promise<void>,
  initScript?: string,
  o: { install?: string[]; coditect?: boolean; restricted?: boolean } = {},
): Promise<{ wb: Workbench; folder: string }> {
  for (const f of ['dist/extension.js', 'dist/engine.js', 'dist/webview/main.js']) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` first (npm test builds before this suite)`);
  }
  const { copyWorkspace, openWorkbench } = (await helpers)[1];
  const folder = copyWorkspace(FIXTURE);
  await prepare?.(folder);
  const coditect = o.coditect ?? true;
  let extensionsDir: string | undefined;
  if (o.install?.length) {
    extensionsDir = mkdtempSync(join(tmpdir(), 'coditect-extensions-'));
    for (const dir of o.install) {
      const m = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
      cpSync(dir, join(extensionsDir, `${m.publisher}.${m.name}-${m.version}`), { recursive: true });
    }
  }
  const wb = await openWorkbench({
    name,
    folder,
    extensionDevelopmentPath: coditect ? ROOT : undefined,
    extensionsDir,
    settings: { 'workbench.colorTheme': theme.colorTheme },
    viewport: { width: 1600, height: 1000 },
    initScript,
    restricted: o.restricted,
  });
  if (extensionsDir) {
    const close = wb.close;
    wb.close = async () => {
      await close();
      rmSync(extensionsDir, { recursive: true, force: true });
    };
  }
  if (coditect) await wb.page.locator('.part.activitybar .action-item a[aria-label^="CODITECT"]').waitFor({ timeout: 3 * UI_TIMEOUT });
  // The theme comes from the user setting alone.
  await wb.page.locator(`.monaco-workbench.${theme.workbenchClass}`).waitFor({ timeout: UI_TIMEOUT });
  return { wb, folder };
}

/** The window of a workbench suite, valid once its `before` ran (workbenchSuite). */
export interface SuiteWindow {
  readonly wb: Workbench;
  readonly page: Page;
  readonly folder: string;
}

/**
 * One window for a describe block's tests: `open` runs in its `before` with no API key in the environment (code-server
 * passes this process's on, so the agents are dry-run), a failed test leaves its report (`<name>-failure-…`), and
 * `after` closes the window, deletes its folder and puts the key back. Call it inside the describe.
 */
export function workbenchSuite(name: string, open: () => Promise<{ wb: Workbench; folder: string }>): SuiteWindow {
  let opened: { wb: Workbench; folder: string } | undefined;
  const savedKey = process.env.ANTHROPIC_API_KEY;
  before(async function () {
    delete process.env.ANTHROPIC_API_KEY;
    opened = await open();
  });
  after(async function () {
    await opened?.wb.close();
    if (opened) rmSync(opened.folder, { recursive: true, force: true });
    if (savedKey !== undefined) process.env.ANTHROPIC_API_KEY = savedKey;
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && opened) await reportFailure(opened.wb, `${name}-failure-${this.currentTest.title.slice(0, 40)}`);
  });
  const get = (): { wb: Workbench; folder: string } => {
    if (!opened) throw new Error(`the ${name} window is not open (its before hook failed or has not run)`);
    return opened;
  };
  return {
    get wb() {
      return get().wb;
    },
    get page() {
      return get().wb.page;
    },
    get folder() {
      return get().folder;
    },
  };
}

/** Files under `dir` (recursively) whose name matches `re`. */
function findFiles(dir: string, re: RegExp): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && re.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

const tail = (file: string, lines: number): string => readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');

/**
 * What a failed workbench test leaves for the person reading CI's output (the run folder is gone by then): a
 * screenshot, what the side bar showed (tree rows, the view's message or welcome text), the extension's own log and
 * the extension host's errors, and the tail of code-server's log.
 */
export async function reportFailure(wb: Workbench, name: string): Promise<void> {
  await screenshot(wb.page, name);
  const out: string[] = [];
  try {
    const sidebar = wb.page.locator('.part.sidebar');
    const rows = await sidebar
      .locator('.monaco-list-row[role="treeitem"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''));
    out.push(`    side bar rows (${rows.length}): ${JSON.stringify(rows.slice(0, 20))}`);
    out.push(`    side bar text: ${JSON.stringify(((await sidebar.textContent({ timeout: 2000 })) ?? '').slice(0, 600))}`);
  } catch (e) {
    out.push(`    side bar unreadable: ${errorMessage(e)}`);
  }
  const logs = join(wb.stateDir, 'user-data', 'logs');
  for (const f of findFiles(logs, /CODITECT.*\.log$/)) out.push(`    ${f}:\n${tail(f, 25)}`);
  for (const f of findFiles(logs, /exthost\.log$/)) {
    const errors = readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => /\[error\]|tree/i.test(l));
    if (errors.length) out.push(`    ${f} (errors):\n${errors.slice(-15).join('\n')}`);
  }
  out.push(`    code-server log: ${wb.logFile}\n${tail(wb.logFile, 20)}`);
  console.error(out.join('\n'));
}

export const screenshot = async (page: Page, name: string): Promise<string | null> => (await helpers)[0].screenshot(page, name);
/**
 * The pictures docs/screenshots/ shows (copied there by a run with CODITECT_DOCS_SCREENSHOTS=1): the walkthrough and a
 * simulated task's log (workbench.test.ts), the 10,000-task plan's tree and editor (workbenchBigPlan.test.ts),
 * Restricted Mode (workbenchRestricted.test.ts), a waiting gate, the spend panel and a usage-limit pause
 * (workbenchLimits.test.ts), and a task branch waiting for review and its diff (workbenchReview.test.ts).
 */
export const DOC_SHOTS = /^workbench-(walkthrough|simulated-log|bigplan|restricted|gate-waiting|spend|usage-limit|review-waiting|review-diff)-/;

/** Generous for a 2-core machine; every wait is on a UI condition, never a fixed delay. */
export const UI_TIMEOUT = 60_000;

export interface Theme {
  name: 'light' | 'dark';
  /** `workbench.colorTheme` value. */
  colorTheme: string;
  /** Class on .monaco-workbench and on the webview's body once the theme applies. */
  workbenchClass: string;
  webviewBodyClass: string;
}

export const THEMES: Theme[] = [
  { name: 'light', colorTheme: 'Default Light Modern', workbenchClass: 'vs', webviewBodyClass: 'vscode-light' },
  { name: 'dark', colorTheme: 'Default Dark Modern', workbenchClass: 'vs-dark', webviewBodyClass: 'vscode-dark' },
];

/** Monaco renders spaces in editor lines as U+00A0; compare text the way a person reads it. */
export const plain = (s: string | null): string => (s ?? '').replace(/\u00a0/g, ' ');
export const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Opens the command palette (F1) with `text` typed into it and waits for a row whose label matches `row`. The
 * workbench may still be settling (a view taking focus closes an open palette), so a palette that closed under us is
 * opened again, a bounded number of times.
 */
export async function palette(page: Page, text: string, row: RegExp): Promise<Locator> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const hit = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: row }) }).first();
  for (let attempt = 1; ; attempt++) {
    if (!(await input.isVisible())) await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(text, { timeout: 10_000 });
      // The row shows up, or the palette closes (then try again).
      await Promise.any([hit.waitFor({ timeout: UI_TIMEOUT }), input.waitFor({ state: 'hidden', timeout: UI_TIMEOUT })]);
      if (await hit.isVisible()) return hit;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
    if (attempt >= 3) throw new Error(`the command palette closed three times before showing ${row} for ${JSON.stringify(text)}`);
  }
}

/** Runs a command by its palette title, as a person does: F1, type, pick the row. */
export async function runCommand(page: Page, title: string): Promise<void> {
  const row = await palette(page, `>${title}`, new RegExp(`^${escapeRe(title)}$`));
  await row.click();
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
}

/** Parks the mouse where it shows no hover or tooltip, so screenshots show the UI at rest. */
export async function parkMouse(page: Page): Promise<void> {
  const box = await page.locator('.part.statusbar').boundingBox();
  await page.mouse.move(box ? box.x + box.width / 2 : 700, box ? box.y - 2 : 880);
  await page
    .locator('.monaco-hover, .workbench-hover')
    .first()
    .waitFor({ state: 'hidden', timeout: 10_000 })
    .catch(() => {});
}

/** The editor line (a DOM node of the open editor) holding a task id. */
export const editorLine = (page: Page, id: string): Locator => page.locator('.editor-instance .monaco-editor .view-line', { hasText: `**${id}**` });

/**
 * Reads, in the page, the CodeLens row right above a task's line: its text and the centre of its first link. Null when
 * the line is not rendered; text '' when no lens sits there. Shipped to the page as source (see waitLensAbove).
 */
export function lensAbove({ id }: { id: string }): { text: string; link?: { x: number; y: number } } | null {
  const line = Array.from(document.querySelectorAll('.editor-instance .monaco-editor .view-line')).find((l) => l.textContent?.includes(`**${id}**`));
  if (!line) return null;
  const box = line.getBoundingClientRect();
  const above = Array.from(document.querySelectorAll('.editor-instance .monaco-editor .codelens-decoration'))
    .map((l) => ({ l, gap: box.top - l.getBoundingClientRect().bottom }))
    .filter((x) => x.gap >= -1 && x.gap < box.height)
    .sort((a, b) => a.gap - b.gap)[0];
  if (!above) return { text: '' };
  const a = above.l.querySelector('a');
  const r = a?.getBoundingClientRect();
  return {
    text: (above.l.textContent ?? '').replace(/\u00a0/g, ' ').trim(),
    link: r && r.width > 0 ? { x: r.left + r.width / 2, y: r.top + r.height / 2 } : undefined,
  };
}

/**
 * Waits until the CodeLens right above a task's line matches `text` and returns that moment's reading (taken in one
 * go in the page, so lines re-rendered in between cannot mix two layouts).
 */
export async function waitLensAbove(page: Page, id: string, text: RegExp): Promise<{ text: string; link?: { x: number; y: number } }> {
  try {
    // A string predicate: Playwright evaluates it as is (the page's CSP does not apply), so the reader ships as source.
    const predicate = `(() => { const r = (${lensAbove.toString()})(${JSON.stringify({ id })}); return r !== null && new RegExp(${JSON.stringify(text.source)}).test(r.text) && r; })()`;
    const handle = await page.waitForFunction(predicate, undefined, { timeout: UI_TIMEOUT });
    return (await handle.jsonValue()) as { text: string; link?: { x: number; y: number } };
  } catch (e) {
    const now = await page.evaluate(lensAbove, { id }).catch(() => 'unreadable');
    throw new Error(`the CodeLens above ${id} never matched ${text}; it reads ${JSON.stringify(now)} (${errorMessage(e).split('\n')[0]})`, { cause: e });
  }
}

/** The dashboard's document: webviews are an iframe (host) holding an iframe (the page). */
export const dashboardFrame = (page: Page): FrameLocator => page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');

export const statValue = (frame: FrameLocator, key: string): Locator => frame.locator(`[data-stat="${key}"] .stat-value`);

export async function numberIn(l: Locator): Promise<number> {
  const n = Number((await l.textContent())?.trim());
  assert.ok(Number.isInteger(n), `a number in ${l.toString()}`);
  return n;
}

/** Saves a screenshot under test-artifacts/ and checks it is a real picture. */
export async function shoot(page: Page, name: string): Promise<void> {
  const file = await screenshot(page, name);
  assert.ok(file, `screenshot ${name} saved`);
  assert.ok(statSync(file).size > 20_000, `${file} looks empty`);
  if (DOC_SHOTS.test(name)) (await helpers)[0].keepForDocs(file);
}

/** Quick Open (F1 without the `>`): type the file name and open it. */
export async function openFile(page: Page, name: string): Promise<void> {
  const row = await palette(page, name, new RegExp(`^${escapeRe(name)}$`));
  await row.click();
  await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor({ timeout: UI_TIMEOUT });
}

/** Drags the sash between the sidebar and the editor until the sidebar is `width` px wide. */
export async function widenSidebar(page: Page, width: number): Promise<void> {
  const bar = await page.locator('.part.sidebar').boundingBox();
  assert.ok(bar, 'the sidebar is visible');
  if (bar.width >= width) return;
  const x = bar.x + bar.width;
  const y = bar.y + bar.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + (width - bar.width) / 2, y, { steps: 4 });
  await page.mouse.move(bar.x + width, y, { steps: 4 });
  await page.mouse.up();
  const after = await page.locator('.part.sidebar').boundingBox();
  assert.ok(after && after.width > bar.width, `the sidebar widened (${bar.width} → ${after?.width})`);
}
