// A whole VS Code for the browser session in one call: a fresh user-data dir under .vscode-test/, code-server on a
// free 127.0.0.1 port, headless Chromium on the workbench URL. Used by the integration launcher and the UI tests
// (test/e2e), so both get the same settings, the same clean-up and the same artifacts on failure.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { launchChromium } from './browser.mjs';
import { cacheDir, repoRoot, startCodeServer, workbenchUrl, writeUserSettings } from './codeServer.mjs';

/** The small plan the integration tests open (copied before each run: tests may change it). */
export const fixtureWorkspace = join(repoRoot, 'test', 'integration', 'fixtures', 'workspace');

/**
 * Copies `from` (a folder) to a fresh temp dir and returns its path; the copy is what VS Code opens.
 * @param {string} [from]
 */
export function copyWorkspace(from = fixtureWorkspace) {
  if (!existsSync(from)) throw new Error(`workspace template ${from} does not exist`);
  const dir = mkdtempSync(join(tmpdir(), `coditect-ws-${basename(from)}-`));
  cpSync(from, dir, { recursive: true });
  return dir;
}

/** Per-run state (user data, extensions, log) lives here, one dir per run, so runs in parallel never collide. */
const runsDir = join(cacheDir, 'runs');
let runSeq = 0;

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e?.code === 'EPERM';
  }
}

/** Removes the state dirs of runs whose process is gone (killed before its close() ran). */
function sweepStaleRuns() {
  if (!existsSync(runsDir)) return;
  for (const d of readdirSync(runsDir)) {
    const pid = Number(/-(\d+)-\d+$/.exec(d)?.[1]);
    if (pid && pid !== process.pid && !isAlive(pid)) rmSync(join(runsDir, d), { recursive: true, force: true });
  }
}

/** A fresh state dir for this run. Unix sockets live in it, so a deep checkout falls back to the temp dir (108-byte limit). */
function newStateDir(name) {
  const id = `${name.replace(/[^\w-]+/g, '-')}-${process.pid}-${++runSeq}`;
  const dir = join(runsDir, id);
  if (join(dir, 'user-data', 'code-server-ipc.sock').length <= 100) return dir;
  return join(tmpdir(), `coditect-vst-${id}`);
}

/**
 * Starts code-server and opens the workbench on `folder` in headless Chromium. Its state (user data, extensions,
 * log) goes to a fresh dir per run under .vscode-test/runs/ (named after `name`), deleted by close(); pass
 * `stateDir` to use (and keep) a dir of your own. close() is idempotent and always stops both Chromium and
 * code-server's process group.
 * @param {{ name: string, folder: string, extensionDevelopmentPath?: string, extensionTestsPath?: string,
 *           extensionsDir?: string, settings?: Record<string, unknown>, env?: Record<string, string>,
 *           viewport?: { width: number, height: number }, stateDir?: string, initScript?: string,
 *           restricted?: boolean }} o
 *   initScript: source run in the page before the workbench's own scripts (Playwright's addInitScript), e.g. a
 *   probe that timestamps what appears from the first moment (the big-plan bench).
 *   restricted: workspace trust on and the folder never trusted (no prompt): the window opens in Restricted Mode.
 */
export async function openWorkbench(o) {
  sweepStaleRuns();
  const ownState = !o.stateDir;
  const stateDir = o.stateDir ?? newStateDir(o.name);
  if (ownState) rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const userDataDir = join(stateDir, 'user-data');
  // Restricted Mode: trust on, and no startup prompt (a modal a person would answer), so the folder stays untrusted.
  const trust = o.restricted ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' } : {};
  writeUserSettings(userDataDir, { ...trust, ...o.settings });
  const logFile = join(stateDir, 'code-server.log');
  const server = await startCodeServer({
    userDataDir,
    extensionsDir: o.extensionsDir ?? join(stateDir, 'extensions'),
    configFile: join(stateDir, 'config.yaml'),
    logFile,
    env: o.env,
    workspaceTrust: o.restricted,
  });
  let browser;
  try {
    browser = await launchChromium({ viewport: o.viewport });
  } catch (e) {
    await server.close();
    if (ownState) rmSync(stateDir, { recursive: true, force: true });
    throw e;
  }
  const url = workbenchUrl({
    url: server.url,
    folder: o.folder,
    extensionDevelopmentPath: o.extensionDevelopmentPath && resolve(o.extensionDevelopmentPath),
    extensionTestsPath: o.extensionTestsPath && resolve(o.extensionTestsPath),
  });
  let closing;
  const close = () =>
    (closing ??= (async () => {
      // Chromium first: a workbench whose server vanished reconnects in a loop and logs noise.
      await browser.close().catch(() => {});
      await server.close();
      if (ownState) rmSync(stateDir, { recursive: true, force: true });
    })());
  try {
    if (o.initScript) await browser.page.addInitScript(o.initScript);
    await browser.page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  } catch (e) {
    await close();
    throw e;
  }
  return { page: browser.page, browser: browser.browser, server, url, logFile, stateDir, close };
}
