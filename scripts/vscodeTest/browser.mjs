// Headless Chromium through playwright-core (which ships no browser): Debian's chromium, or whatever
// CHROMIUM_PATH names, or a Chrome/Chromium found in the usual places on a laptop.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { repoRoot } from './codeServer.mjs';

export const artifactsDir = join(repoRoot, 'test-artifacts');
/** docs/screenshots/: the pictures the documentation shows, refreshed by a run with CODITECT_DOCS_SCREENSHOTS=1. */
export const docsScreenshotsDir = join(repoRoot, 'docs', 'screenshots');

/**
 * Copies a screenshot the harness saved (test-artifacts/<name>.png) to docs/screenshots/ when the run was asked to
 * refresh them (CODITECT_DOCS_SCREENSHOTS=1); an ordinary run leaves the tracked pictures alone. Returns the copy's path.
 */
export function keepForDocs(file) {
  if (process.env.CODITECT_DOCS_SCREENSHOTS !== '1' || !file) return null;
  mkdirSync(docsScreenshotsDir, { recursive: true });
  const to = join(docsScreenshotsDir, basename(file));
  copyFileSync(file, to);
  return to;
}

/** Flags that keep Chromium quiet, offline-friendly and runnable as root in a container. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

/** The Chromium to drive: CHROMIUM_PATH, else the first candidate that exists, else null. */
export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/**
 * Launches headless Chromium and opens one page at `viewport`. close() is idempotent and bounded: Playwright kills
 * the browser's process group itself if close() hangs and this process exits.
 * @param {{ headless?: boolean, viewport?: { width: number, height: number } }} [o]
 */
export async function launchChromium(o = {}) {
  const executablePath = findChromium();
  if (!executablePath) {
    throw new Error("no Chromium found: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH");
  }
  const { chromium } = await import('playwright-core');
  // Signals are the launchers' to handle: they must stop code-server too, which Playwright's handlers would not.
  const browser = await chromium.launch({
    executablePath,
    headless: o.headless ?? true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const context = await browser.newContext({ viewport: o.viewport ?? { width: 1400, height: 900 } });
  const page = await context.newPage();
  let closing;
  const close = () => (closing ??= Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 10_000).unref())]));
  return { browser, context, page, executablePath, close };
}

/**
 * Saves a full-window PNG of `page` to test-artifacts/<name>.png and returns its path; never throws (a failed
 * screenshot must not hide the test result that asked for it).
 * @param {import('playwright-core').Page} page
 * @param {string} name
 */
export async function screenshot(page, name) {
  mkdirSync(artifactsDir, { recursive: true });
  const file = join(artifactsDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  try {
    await page.screenshot({ path: file, timeout: 15_000 });
    return file;
  } catch (e) {
    console.error(`screenshot ${file} failed: ${e instanceof Error ? e.message : e}`);
    return null;
  }
}
