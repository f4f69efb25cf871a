// Runs the integration suite (test/integration/suite/*.test.ts, bundled to out/test/) inside a real VS Code
// extension host, through one of two launchers:
//   electron     desktop VS Code via @vscode/test-electron: a `code` on PATH, a cached download, or a fresh
//                download when the update server is reachable (and, on Linux, a display exists);
//   code-server  VS Code for the browser served on 127.0.0.1 by code-server and driven by headless Chromium:
//                works offline, used whenever the desktop cannot run.
// Either way the runner inside the host writes a JSON results file (see test/integration/index.ts); this script
// prints each test, exits non-zero on any failure, crash or timeout, and always stops what it started.
//
// Usage: node scripts/vscodeTest/runIntegration.mjs [--launcher auto|electron|code-server] [--grep TEXT]
//                                                   [--vsix | --vsix-file PATH] [--timeout MS]
//   --vsix  builds the VSIX (npm run package), installs it into a fresh code-server extensions dir with
//           --install-extension, checks --list-extensions shows it, then runs the smoke, activation/tree and
//           CodeLens suites (VSIX_SUITES) against the installed copy (no extensionDevelopmentPath), and looks at
//           the installed copy's activity-bar entry in the light and the dark theme (its icon loads and has ink;
//           screenshots test-artifacts/vsix-activitybar-{light,dark}.png; with CODITECT_DOCS_SCREENSHOTS=1 also
//           docs/screenshots/).
//   --vsix-file PATH  the same with an existing VSIX instead of building one.
// Environment: CODITECT_VSCODE_LAUNCHER (as --launcher), CODITECT_TEST_GREP, CODITECT_INTEGRATION_TIMEOUT_MS,
// CODITECT_DOCS_SCREENSHOTS=1 (refresh docs/screenshots/), CODITECT_KEEP_HOST_LOGS=1 (copy the extension host's logs, the
// CODITECT Output among them, to test-artifacts/ after a passing run too; a failing run always copies them).
import { spawnSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkActivityBarIcon } from './activityBar.mjs';
import { artifactsDir, keepForDocs, screenshot } from './browser.mjs';
import { cacheDir, installVsix, listExtensions, repoRoot, resolveCodeServer, tail } from './codeServer.mjs';
import { copyWorkspace, openWorkbench } from './workbench.mjs';

/** Same VS Code as the code-server launcher uses (code-server 4.100.3 is VS Code 1.100.3). */
const DESKTOP_VERSION = '1.100.3';
const EXTENSION_ID = 'coditect.coditect-orchestrator';
const testsEntry = join(repoRoot, 'out', 'test', 'index.js');

const { values: opts } = parseArgs({
  options: {
    launcher: { type: 'string', default: process.env.CODITECT_VSCODE_LAUNCHER || 'auto' },
    grep: { type: 'string', default: process.env.CODITECT_TEST_GREP || '' },
    timeout: { type: 'string', default: process.env.CODITECT_INTEGRATION_TIMEOUT_MS || '600000' },
    vsix: { type: 'boolean', default: false },
    'vsix-file': { type: 'string' },
  },
});
if (opts['vsix-file']) opts.vsix = true;
if (!['auto', 'electron', 'code-server'].includes(opts.launcher)) {
  fail(`--launcher must be auto, electron or code-server, not '${opts.launcher}'`);
}
const timeoutMs = Number(opts.timeout);
if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) fail(`--timeout must be a positive number of ms, not '${opts.timeout}'`);

const log = (m) => console.log(`integration: ${m}`);
function fail(message) {
  console.error(`integration: ${message}`);
  process.exit(2);
}
/** Unref'd: a pending timeout in a race must not keep the process alive after the race is won. */
const delay = (ms) => new Promise((r) => setTimeout(r, ms).unref());

/** Builds the bundles when they are missing (`npm test` builds first; a direct run may not have). */
function ensureBuilt() {
  if (existsSync(testsEntry) && existsSync(join(repoRoot, 'dist', 'extension.js'))) return;
  log('out/test/index.js or dist/extension.js missing: building');
  const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(testsEntry)) fail('the build failed; run `npm run build` and read its errors');
}

// ---------------------------------------------------------------------------------------------------------------
// Choosing the launcher

/** The Electron executable behind a `code` CLI on PATH (the CLI is a shell script next to resources/app). */
function desktopFromPath() {
  const names = process.platform === 'win32' ? ['code.cmd'] : ['code'];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const n of names) {
      const cli = join(dir, n);
      if (!existsSync(cli)) continue;
      let real;
      try {
        real = realpathSync(cli);
      } catch {
        continue;
      }
      // Linux: <root>/bin/code -> <root>/code; macOS: .app/Contents/Resources/app/bin/code -> .app/Contents/MacOS/Electron
      // (or Code); Windows: <root>/bin/code.cmd -> <root>/Code.exe. A code-server `code` wrapper matches none.
      const root = dirname(dirname(real));
      const candidates = [join(root, 'code'), join(root, 'Code.exe'), join(root, '..', '..', 'MacOS', 'Electron'), join(root, '..', '..', 'MacOS', 'Code')];
      const exe = candidates.find((c) => existsSync(c) && statSync(c).isFile());
      if (exe) return exe;
    }
  }
  return null;
}

/** A desktop VS Code test-electron downloaded earlier into .vscode-test/ (no network needed to reuse it). */
function cachedDesktop() {
  if (!existsSync(cacheDir)) return null;
  const dir = readdirSync(cacheDir).find((d) => d.startsWith('vscode-') && d.endsWith(DESKTOP_VERSION));
  return dir ? join(cacheDir, dir) : null;
}

/** Whether desktop VS Code can show a window here: always on macOS/Windows, on Linux only with a display. */
function hasDisplay() {
  if (process.platform !== 'linux') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

/**
 * Picks the launcher: desktop when it can run (a display, and a VS Code found, cached or downloadable),
 * else code-server. Returns { kind, executable?, reason }.
 */
async function chooseLauncher() {
  if (opts.vsix) return { kind: 'code-server', reason: '--vsix installs into code-server' };
  if (opts.launcher === 'code-server') return { kind: 'code-server', reason: 'asked for' };
  const forced = opts.launcher === 'electron';
  if (!hasDisplay()) {
    const why = 'no DISPLAY for desktop VS Code (run under xvfb-run to use it)';
    if (forced) fail(why);
    return { kind: 'code-server', reason: why };
  }
  const onPath = desktopFromPath();
  if (onPath) return { kind: 'electron', executable: onPath, reason: `desktop VS Code on PATH (${onPath})` };
  if (cachedDesktop()) return { kind: 'electron', reason: `desktop VS Code ${DESKTOP_VERSION} cached in .vscode-test/` };
  // A cheap reachability probe before a 100+ MB download: offline machines fail the DNS lookup at once.
  const reachable = await Promise.race([
    lookup('update.code.visualstudio.com').then(
      () => true,
      () => false,
    ),
    delay(3000).then(() => false),
  ]);
  if (reachable) return { kind: 'electron', download: true, reason: `desktop VS Code ${DESKTOP_VERSION} can be downloaded` };
  const why = 'no desktop VS Code on PATH or in the cache, and the VS Code update server is unreachable';
  if (forced) fail(why);
  return { kind: 'code-server', reason: why };
}

// ---------------------------------------------------------------------------------------------------------------
// Running

/** Environment the runner inside the host reads (test/integration/index.ts). */
function hostEnv(resultsFile, grep, extra = {}) {
  return {
    CODITECT_TEST_RESULTS: resultsFile,
    ...(grep ? { CODITECT_TEST_GREP: grep } : {}),
    ...extra,
  };
}

/** Reads the results file, or null when it is not (yet) there. */
function readResults(file) {
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8'));
}

async function runElectron(choice, { workspace, resultsFile, grep }) {
  const { runTests, downloadAndUnzipVSCode } = await import('@vscode/test-electron');
  let vscodeExecutablePath = choice.executable;
  if (!vscodeExecutablePath) {
    // Pinned version: a cached copy in .vscode-test/vscode-*-1.100.3 is reused without touching the network.
    vscodeExecutablePath = await downloadAndUnzipVSCode({ version: DESKTOP_VERSION, cachePath: cacheDir, timeout: 15_000 });
  }
  // runTests adds --no-sandbox, --disable-workspace-trust, --skip-welcome and its own user-data/extensions dirs
  // under .vscode-test/; --disable-extensions keeps a laptop's other extensions out of the test host.
  const launchArgs = [workspace, '--disable-extensions'];
  const run = runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: testsEntry,
    extensionTestsEnv: hostEnv(resultsFile, grep),
    launchArgs,
  }).then(
    () => null,
    (e) => e,
  );
  // On a timeout runTests gives no handle to its VS Code: the window may stay open (test-electron's own Ctrl-C
  // handling closes it when this process is interrupted instead).
  const error = await Promise.race([run, delay(timeoutMs).then(() => new Error(`timed out after ${timeoutMs} ms`))]);
  const results = readResults(resultsFile);
  if (!results) throw new Error(`desktop VS Code ended without results: ${error?.message ?? 'no error reported'}`);
  return { results, artifacts: [] };
}

/**
 * Runs the suites in code-server + Chromium. Waits for the results file while watching for the ways a run can
 * die without writing one: code-server exiting, the page crashing, the deadline.
 */
async function runCodeServer({ workspace, resultsFile, grep, name, extensionsDir, extensionDevelopmentPath, env }) {
  const wb = await openWorkbench({
    name,
    folder: workspace,
    extensionDevelopmentPath,
    extensionTestsPath: testsEntry,
    extensionsDir,
    env: hostEnv(resultsFile, grep, env),
  });
  let crashed = null;
  wb.page.on('crash', () => (crashed = 'the workbench page crashed'));
  const errors = [];
  wb.page.on('pageerror', (e) => errors.push(String(e?.message ?? e)));
  let results = null;
  let failure = null;
  try {
    const deadline = Date.now() + timeoutMs;
    // The host writes the file in one rename (index.ts writeResults), so existence means complete.
    while (!(results = readResults(resultsFile))) {
      const exited = wb.server.hasExited();
      if (exited) throw new Error(`code-server exited during the run (${JSON.stringify(exited)})`);
      if (crashed) throw new Error(crashed);
      if (interrupted.signal.aborted) throw new Error(`interrupted by ${interrupted.signal.reason}`);
      if (Date.now() > deadline) throw new Error(`no results after ${timeoutMs} ms (the extension host hung or never started)`);
      await delay(250);
    }
  } catch (e) {
    failure = e;
  }
  const artifacts = [];
  let logTail = '';
  if (failure || !results?.ok) {
    const shot = await screenshot(wb.page, `integration-failure-${name}`);
    if (shot) artifacts.push(shot);
    // Before close(): it deletes this run's state dir, log included.
    mkdirSync(artifactsDir, { recursive: true });
    const logCopy = join(artifactsDir, `integration-failure-${name}-code-server.log`);
    copyFileSync(wb.logFile, logCopy);
    artifacts.push(logCopy);
    copyHostLogs(wb, name, artifacts);
    logTail = tail(wb.logFile, 30);
  } else if (process.env.CODITECT_KEEP_HOST_LOGS === '1') {
    copyHostLogs(wb, name, artifacts);
  }
  await wb.close();
  if (failure) {
    const pageErrors = errors.length ? `\npage errors:\n  ${errors.slice(-5).join('\n  ')}` : '';
    failure.message += `\ncode-server log (last lines; all of it in test-artifacts/):\n${logTail}${pageErrors}`;
    failure.artifacts = artifacts;
    throw failure;
  }
  return { results, artifacts };
}

/**
 * Copies the extension host's logs (the CODITECT Output, i.e. the engine's own log, among them) to test-artifacts/:
 * what the engine did is the first thing to read when a suite failed, and wb.close() deletes them.
 */
function copyHostLogs(wb, name, artifacts) {
  const hostLogs = join(wb.stateDir, 'user-data', 'logs');
  if (!existsSync(hostLogs)) return;
  mkdirSync(artifactsDir, { recursive: true });
  const copy = join(artifactsDir, `integration-${name}-logs`);
  rmSync(copy, { recursive: true, force: true });
  cpSync(hostLogs, copy, { recursive: true });
  artifacts.push(copy);
}

/** Suites run against an installed VSIX (mocha grep): activation, the tree on the workspace's plan, CodeLens, commands. */
const VSIX_SUITES = 'smoke|editor: activation|CodeLens and hovers';

/** The themes the installed copy's activity bar is looked at in. */
const VSIX_THEMES = [
  { name: 'light', colorTheme: 'Default Light Modern' },
  { name: 'dark', colorTheme: 'Default Dark Modern' },
];

/**
 * Opens the workspace with only the installed VSIX (no tests, no development path) once per theme and checks its
 * activity-bar entry: the icon loads as an SVG and draws ink, and a click opens the Tasks tree on the plan.
 * Returns one test outcome per theme, in the results file's shape.
 */
async function checkVsixActivityBar(extensionsDir) {
  const outcomes = [];
  for (const theme of VSIX_THEMES) {
    const fullTitle = `vsix: the installed activity-bar entry shows its icon and opens the Tasks tree (${theme.name})`;
    const started = Date.now();
    const folder = copyWorkspace();
    let wb;
    try {
      wb = await openWorkbench({ name: `vsix-activitybar-${theme.name}`, folder, extensionsDir, settings: { 'workbench.colorTheme': theme.colorTheme } });
      const r = await checkActivityBarIcon(wb.page, { label: 'CODITECT', shotName: `vsix-activitybar-${theme.name}`, expectRow: /^E001: / });
      const doc = keepForDocs(r.screenshot);
      log(`activity bar (${theme.name}): icon ${r.status}, ${(r.inkRatio * 100).toFixed(0)}% ink; saved ${r.screenshot}${doc ? ` and ${doc}` : ''}`);
      outcomes.push({ fullTitle, state: 'passed', durationMs: Date.now() - started });
    } catch (e) {
      outcomes.push({ fullTitle, state: 'failed', durationMs: Date.now() - started, error: e instanceof Error ? e.message : String(e) });
    } finally {
      await wb?.close();
      rmSync(folder, { recursive: true, force: true });
    }
  }
  return outcomes;
}

/** npm run package, then the newest .vsix in the repo root. */
function buildVsix() {
  const started = Date.now();
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'package', '--silent'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error(`npm run package failed with exit code ${r.status}`);
  const vsix = readdirSync(repoRoot)
    .filter((f) => f.endsWith('.vsix'))
    .map((f) => join(repoRoot, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!vsix) throw new Error('npm run package produced no .vsix in the repository root');
  log(`built ${basename(vsix)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return vsix;
}

const vsixDir = join(cacheDir, 'runs', `vsix-install-${process.pid}-0`);

/** Installs the VSIX into a fresh extensions dir and checks code-server lists it; returns that dir. */
function installBuiltVsix(vsix) {
  // Named like workbench.mjs's run dirs (<name>-<pid>-<n>) so a killed run's copy is swept by the next one.
  const dir = vsixDir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const paths = { userDataDir: join(dir, 'user-data'), extensionsDir: join(dir, 'extensions'), configFile: join(dir, 'config.yaml') };
  installVsix({ vsix, ...paths });
  const listed = listExtensions(paths);
  const version = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version;
  if (!listed.includes(`${EXTENSION_ID}@${version}`)) {
    throw new Error(`${EXTENSION_ID}@${version} is not listed after --install-extension; listed:\n${listed.join('\n') || '(nothing)'}`);
  }
  log(`installed ${basename(vsix)}; code-server lists ${EXTENSION_ID}@${version}`);
  return paths.extensionsDir;
}

/** Prints one line per test (and the error of each failure), then the plain "N passed, N failed" line. */
function report(results, launcherName) {
  const h = results.host;
  log(`ran in ${h.appName} ${h.vscodeVersion} (${h.uiKind}${h.remoteName ? `, remote ${h.remoteName}` : ''}, Node ${h.node}) via ${launcherName}`);
  for (const t of results.tests) {
    const mark = t.state === 'passed' ? 'PASS' : t.state === 'failed' ? 'FAIL' : 'SKIP';
    console.log(`  ${mark}  ${t.fullTitle}${t.durationMs !== undefined ? ` (${t.durationMs} ms)` : ''}`);
    if (t.error)
      console.log(
        t.error
          .split('\n')
          .map((l) => `        ${l}`)
          .join('\n'),
      );
  }
  if (results.error) console.log(results.error);
}

async function main() {
  ensureBuilt();
  const choice = await chooseLauncher();
  log(`launcher: ${choice.kind} (${choice.reason})`);
  const started = Date.now();
  const workspace = copyWorkspace();
  // Outside the workspace so the extension's file watchers never see it appear.
  const resultsFile = join(tmpdir(), `coditect-integration-${process.pid}-${Date.now()}.json`);
  rmSync(resultsFile, { force: true });
  let outcome;
  let ok = false;
  try {
    if (choice.kind === 'electron') {
      outcome = await runElectron(choice, { workspace, resultsFile, grep: opts.grep });
    } else {
      if (!resolveCodeServer()) {
        log('code-server is not installed yet: installing it');
        const r = spawnSync(process.execPath, [join(import.meta.dirname, 'installCodeServer.mjs')], { stdio: 'inherit' });
        if (r.status !== 0) throw new Error('installing code-server failed');
      }
      if (opts.vsix) {
        const extensionsDir = installBuiltVsix(opts['vsix-file'] ?? buildVsix());
        outcome = await runCodeServer({
          workspace,
          resultsFile,
          // The installed copy must show a plan in the tree, its CodeLens and its commands, not only activate.
          grep: opts.grep || VSIX_SUITES,
          name: 'integration-vsix',
          extensionsDir,
          // VS Code runs extensionTestsPath only in development mode, so an empty development extension stands in
          // for the source tree and the extension under test is the installed copy (the smoke suite checks that).
          extensionDevelopmentPath: join(repoRoot, 'test', 'integration', 'fixtures', 'testHost'),
          env: { CODITECT_EXPECT_INSTALLED: '1' },
        });
        // Counted with the suites: a blank activity-bar entry fails the VSIX run like a failing test does.
        for (const t of await checkVsixActivityBar(extensionsDir)) {
          outcome.results.tests.push(t);
          if (t.state === 'passed') outcome.results.passes++;
          else {
            outcome.results.failures++;
            outcome.results.ok = false;
          }
        }
      } else {
        outcome = await runCodeServer({
          workspace,
          resultsFile,
          grep: opts.grep,
          name: 'integration',
          extensionDevelopmentPath: repoRoot,
        });
      }
    }
    report(outcome.results, choice.kind);
    ok = outcome.results.ok;
  } catch (e) {
    console.error(`integration: the run failed: ${e instanceof Error ? e.message : e}`);
    for (const a of e?.artifacts ?? []) console.error(`integration: saved ${a}`);
  } finally {
    rmSync(resultsFile, { force: true });
    rmSync(vsixDir, { recursive: true, force: true });
    if (ok) rmSync(workspace, { recursive: true, force: true });
    else log(`workspace kept for inspection: ${workspace}`);
  }
  for (const a of outcome?.artifacts ?? []) log(`saved ${a}`);
  const r = outcome?.results;
  const passed = r?.passes ?? 0;
  const failed = r ? r.failures + (r.error ? 1 : 0) : 1;
  log(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${opts.vsix ? 'vsix' : 'integration'}: ${passed} passed, ${failed} failed`);
  process.exitCode = interrupted.signal.aborted ? 130 : ok ? 0 : 1;
}

// Ctrl-C / SIGTERM end the wait; the run's clean-up then stops Chromium and code-server. A second signal exits at
// once (code-server's group is still killed by its exit hook in codeServer.mjs).
const interrupted = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    console.error(`integration: ${sig}, stopping`);
    interrupted.abort(sig);
    process.once(sig, () => process.exit(130));
  });
}

await main();
// Everything this script started is stopped by now; a VS Code that runTests left behind after a timeout must not
// keep the launcher (and `npm test`) waiting.
process.exit(process.exitCode ?? 0);
