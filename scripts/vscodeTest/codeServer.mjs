// Where the test code-server lives and how to start and stop one. Shared by the installer, the launchers and the
// browser tests (test/e2e). Node built-ins only, so the installer can import it before anything is installed.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');
/** Everything installed or created for the integration tests; gitignored. */
export const cacheDir = join(repoRoot, '.vscode-test');
/** Pinned: VS Code 1.100.3, matches `engines.vscode` ^1.100.0 and needs Node 20. */
export const CODE_SERVER_VERSION = '4.100.3';
/**
 * The code-server install lives OUTSIDE the repository (CODITECT_CODE_SERVER_DIR, else ~/.cache/coditect/): with the
 * repository as extensionDevelopmentPath, VS Code took the built-in themes of an install inside it for the extension's
 * own and ignored `workbench.colorTheme` (seen here: dark requested, light shown).
 */
export const codeServerPrefix = process.env.CODITECT_CODE_SERVER_DIR || join(homedir(), '.cache', 'coditect', `code-server-${CODE_SERVER_VERSION}`);
export const codeServerPackageDir = join(codeServerPrefix, 'node_modules', 'code-server');
/** Written by the installer only after a verified start; its content says which version and Node ABI it is for. */
export const installedMarker = join(codeServerPrefix, '.installed');

/** What the marker must say for the cached install to be reused (native modules are built for one Node ABI). */
export function expectedMarker() {
  return `code-server ${CODE_SERVER_VERSION} node-abi ${process.versions.modules} ${process.platform}-${process.arch}\n`;
}

/**
 * The command that starts code-server: CODE_SERVER_BIN (an existing install, e.g. Homebrew's) wins, else the
 * cached npm install (only once the installer has verified it, unless `requireInstalled` is false: the installer's
 * own check). Returns null when neither is there.
 * @param {{ requireInstalled?: boolean }} [o]
 * @returns {{ command: string, args: string[], source: string } | null}
 */
export function resolveCodeServer(o = {}) {
  const fromEnv = process.env.CODE_SERVER_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CODE_SERVER_BIN=${fromEnv} does not exist`);
    return { command: fromEnv, args: [], source: `CODE_SERVER_BIN (${fromEnv})` };
  }
  const entry = join(codeServerPackageDir, 'out', 'node', 'entry.js');
  if (existsSync(entry) && (o.requireInstalled === false || isInstalled())) return { command: process.execPath, args: [entry], source: entry };
  return null;
}

export function isInstalled() {
  try {
    return readFileSync(installedMarker, 'utf8') === expectedMarker();
  } catch {
    return false;
  }
}

/**
 * A TCP port free on 127.0.0.1 right now: `preferred` when it is free, else one the kernel picks.
 * @param {number} [preferred]
 */
export async function freePort(preferred = 0) {
  if (preferred) {
    try {
      return await listenOnce(preferred);
    } catch {
      // in use: any port will do
    }
  }
  return listenOnce(0);
}

function listenOnce(port) {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (srv.address());
      srv.close(() => resolvePort(port));
    });
  });
}

/** Resolves with the HTTP status of GET url, or 0 when nothing answers. */
function httpStatus(url) {
  return new Promise((done) => {
    const req = get(url, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.setTimeout(2000, () => req.destroy());
    req.on('error', () => done(0));
  });
}

/** Unref'd: a pending timeout in a race must not keep the process alive after the race is won. */
const delay = (ms) => new Promise((r) => setTimeout(r, ms).unref());

/**
 * Writes the user settings a test window needs: no workspace-trust dialog, no welcome page, no update checks.
 * @param {string} userDataDir
 * @param {Record<string, unknown>} [extra]
 */
export function writeUserSettings(userDataDir, extra = {}) {
  const dir = join(userDataDir, 'User');
  mkdirSync(dir, { recursive: true });
  const settings = {
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'extensions.ignoreRecommendations': true,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'telemetry.telemetryLevel': 'off',
    // Workspaces under .vscode-test/ sit inside this repository: no "open the parent repository?" prompt.
    'git.openRepositoryInParentFolders': 'never',
    ...extra,
  };
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
}

/**
 * Runs `code-server --install-extension <vsix>` into the given extensions dir (synchronously).
 * @param {{ vsix: string, userDataDir: string, extensionsDir: string, configFile: string }} o
 */
export function installVsix({ vsix, userDataDir, extensionsDir, configFile }) {
  const cs = resolveCodeServer();
  if (!cs) throw new Error('code-server is not installed: run node scripts/vscodeTest/installCodeServer.mjs');
  ensureConfigFile(configFile);
  const args = [
    ...cs.args,
    '--config',
    configFile,
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    '--force',
    '--install-extension',
    resolve(vsix),
  ];
  const r = spawnSync(cs.command, args, { encoding: 'utf8', timeout: 120_000, env: codeServerEnv() });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`code-server --install-extension ${vsix} failed (exit ${r.status ?? r.signal}):\n${out}`);
  return out;
}

/**
 * `code-server --list-extensions --show-versions` for the given dirs: lines like `publisher.name@1.2.3`.
 * @param {{ userDataDir: string, extensionsDir: string, configFile: string }} o
 * @returns {string[]}
 */
export function listExtensions({ userDataDir, extensionsDir, configFile }) {
  const cs = resolveCodeServer();
  if (!cs) throw new Error('code-server is not installed: run node scripts/vscodeTest/installCodeServer.mjs');
  ensureConfigFile(configFile);
  const args = [...cs.args, '--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--list-extensions', '--show-versions'];
  const r = spawnSync(cs.command, args, { encoding: 'utf8', timeout: 60_000, env: codeServerEnv() });
  if (r.status !== 0) throw new Error(`code-server --list-extensions failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[\w-]+\.[\w-]+@/.test(l));
}

/** Our own config file, so code-server neither reads nor writes ~/.config/code-server (an empty YAML is invalid). */
function ensureConfigFile(configFile) {
  if (!existsSync(configFile)) writeFileSync(configFile, '# the command line overrides these\nauth: none\ncert: false\n');
}

/** The launcher's environment minus what would reconfigure code-server behind our back. */
function codeServerEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  // $PORT overrides --bind-addr's port; $PASSWORD/$HASHED_PASSWORD would turn auth back on.
  for (const k of ['PORT', 'PASSWORD', 'HASHED_PASSWORD', 'VSCODE_PROXY_URI', 'CS_DISABLE_FILE_DOWNLOADS']) delete env[k];
  return env;
}

/**
 * Starts code-server on 127.0.0.1 with --auth none and the given dirs, and waits until /healthz answers.
 * The returned close() is idempotent: SIGTERM to code-server's process group, SIGKILL after `graceMs`.
 * Environment in `env` reaches the remote extension host (it is a child of code-server).
 * @param {{ userDataDir: string, extensionsDir: string, configFile: string, logFile: string,
 *           env?: Record<string,string>, startTimeoutMs?: number, graceMs?: number, extraArgs?: string[],
 *           requireInstalled?: boolean, port?: number, workspaceTrust?: boolean }} o  port: preferred port (default: any
 *   free one); workspaceTrust: VS Code's workspace trust left on (with the user settings that enable it, the folder opens
 *   untrusted, in Restricted Mode: workbench.mjs's `restricted`); otherwise code-server runs with it disabled.
 */
export async function startCodeServer(o) {
  const cs = resolveCodeServer({ requireInstalled: o.requireInstalled });
  if (!cs) throw new Error('code-server is not installed: run node scripts/vscodeTest/installCodeServer.mjs');
  mkdirSync(o.userDataDir, { recursive: true });
  mkdirSync(o.extensionsDir, { recursive: true });
  ensureConfigFile(o.configFile);
  const port = await freePort(o.port);
  const args = [
    ...cs.args,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--config',
    o.configFile,
    '--user-data-dir',
    o.userDataDir,
    '--extensions-dir',
    o.extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    ...(o.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...(o.extraArgs ?? []),
  ];
  const log = createWriteStream(o.logFile);
  // detached: its own process group, so close() reaches the extension host and pty host too.
  const child = spawn(cs.command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: codeServerEnv(o.env) });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  let exited = null;
  const exitPromise = new Promise((r) => child.on('exit', (code, signal) => r((exited = { code, signal }))));
  child.on('error', (e) => {
    exited ??= { code: null, signal: null, error: e };
  });

  // Last resort when this process ends without close() (an uncaught error, process.exit): no orphaned server.
  const onExit = () => signalGroup(child.pid, 'SIGKILL');
  process.on('exit', onExit);

  let closing;
  /** Stops code-server and everything it started; safe to call more than once. */
  const close = (graceMs = o.graceMs ?? 5000) =>
    (closing ??= (async () => {
      process.off('exit', onExit);
      if (!exited) {
        signalGroup(child.pid, 'SIGTERM');
        const t = await Promise.race([exitPromise, delay(graceMs).then(() => 'timeout')]);
        if (t === 'timeout') {
          signalGroup(child.pid, 'SIGKILL');
          await Promise.race([exitPromise, delay(2000)]);
        }
      }
      // Stragglers that outlived code-server in its group (an extension host mid-shutdown).
      signalGroup(child.pid, 'SIGKILL');
      await new Promise((r) => log.end(r));
    })());

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (o.startTimeoutMs ?? 60_000);
  while ((await httpStatus(`${url}/healthz`)) !== 200) {
    if (exited) {
      await close();
      throw new Error(`code-server exited during start-up (${JSON.stringify(exited)}); log: ${o.logFile}\n${tail(o.logFile)}`);
    }
    if (Date.now() > deadline) {
      await close();
      throw new Error(`code-server did not answer ${url}/healthz within ${o.startTimeoutMs ?? 60_000} ms; log: ${o.logFile}\n${tail(o.logFile)}`);
    }
    await delay(200);
  }
  return { url, port, pid: child.pid, source: cs.source, close, hasExited: () => exited, exited: exitPromise };
}

/** Sends `sig` to the process group led by `pid`; a gone group is not an error. */
function signalGroup(pid, sig) {
  if (!pid) return;
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, sig);
  } catch {
    // ESRCH: already gone
  }
}

/** The last `n` lines of a text file, or '' when it cannot be read. */
export function tail(file, n = 40) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

/**
 * The workbench URL that opens `folder` and, when given, loads the extension from source and runs the tests.
 * Paths become vscode-remote URIs on the server: the extension host runs there, not in the browser.
 * @param {{ url: string, folder: string, extensionDevelopmentPath?: string, extensionTestsPath?: string }} o
 */
export function workbenchUrl({ url, folder, extensionDevelopmentPath, extensionTestsPath }) {
  const authority = new URL(url).host;
  const remote = (p) => `vscode-remote://${authority}${toPosix(resolve(p))}`;
  const payload = [];
  if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(extensionDevelopmentPath)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  const q = new URLSearchParams({ folder: toPosix(resolve(folder)) });
  if (payload.length) q.set('payload', JSON.stringify(payload));
  return `${url}/?${q.toString()}`;
}

const toPosix = (p) => (process.platform === 'win32' ? `/${p.replace(/\\/g, '/')}` : p);
