// Installs the real VS Code the integration tests, the UI tests and `npm start` use when no desktop VS Code can
// run: code-server (VS Code for the browser, served from this machine) from npm, cached in ~/.cache/coditect/code-server-<version> (see codeServerPrefix).
// Idempotent: a second run only reads a marker file. Works offline from everything but the npm registry:
// - @vscode/ripgrep's postinstall downloads rg from GitHub; it first looks in its cache in os.tmpdir(), so we put a
//   tar.gz of the system's rg (Debian's `ripgrep`) there.
// - code-server's native modules build with node-gyp against this Node's own headers (npm_config_nodedir).
// Called by scripts/setup.mjs; run by hand with `node scripts/vscodeTest/installCodeServer.mjs [--force]`.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  CODE_SERVER_VERSION,
  cacheDir,
  codeServerPackageDir,
  codeServerPrefix,
  expectedMarker,
  installedMarker,
  isInstalled,
  startCodeServer,
} from './codeServer.mjs';

/** The @vscode/ripgrep that code-server 4.100.3 depends on, and the rg release it downloads. */
const RIPGREP_PACKAGE_VERSION = '1.15.11';
const RIPGREP_RELEASE = 'v13.0.0-10';
/** Debian packages code-server's native modules build against, plus rg (for the cache) and the test browser. */
// fonts-noto-color-emoji: the CodeLens and tree glyphs (⛔ ⏳ ↻) render in headless Chromium screenshots too.
const DEBIAN_PACKAGES = ['ripgrep', 'chromium', 'fonts-noto-color-emoji', 'libkrb5-dev', 'libx11-dev', 'libxkbfile-dev', 'libsecret-1-dev'];

const force = process.argv.includes('--force');
const log = (m) => console.log(`code-server setup: ${m}`);

function main() {
  if (process.env.CODE_SERVER_BIN) {
    log(`using CODE_SERVER_BIN=${process.env.CODE_SERVER_BIN}; nothing to install`);
    return;
  }
  if (!force && isInstalled()) {
    log(`code-server ${CODE_SERVER_VERSION} already installed in ${codeServerPrefix}`);
    return;
  }
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  if (nodeMajor !== 20) {
    // code-server 4.100.x declares engines.node "20" and its native modules target that ABI.
    throw new Error(`code-server ${CODE_SERVER_VERSION} needs Node 20; this is Node ${process.versions.node}`);
  }
  const started = Date.now();
  ensureDebianPackages();
  seedRipgrepCache();
  npmInstall();
  verify()
    .then(() => {
      writeFileSync(installedMarker, expectedMarker());
      log(`installed code-server ${CODE_SERVER_VERSION} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    })
    .catch((e) => {
      console.error(`code-server setup: the installed code-server does not start: ${e instanceof Error ? e.message : e}`);
      process.exit(1);
    });
}

/** Installs the missing Debian packages when we can (root with apt-get); otherwise says which are missing. */
function ensureDebianPackages() {
  if (platform() !== 'linux' || !existsSync('/usr/bin/dpkg-query')) return;
  const missing = DEBIAN_PACKAGES.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
  if (missing.length === 0) return;
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    log(`installing Debian packages: ${missing.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const run = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (run(['install', '-y', '-qq', '--no-install-recommends', ...missing]).status !== 0) {
      // The package lists may be missing or stale on a fresh machine.
      run(['update', '-qq']);
      if (run(['install', '-y', '-qq', '--no-install-recommends', ...missing]).status !== 0) {
        throw new Error(`apt-get install ${missing.join(' ')} failed`);
      }
    }
  } else {
    log(`WARNING: Debian packages missing: ${missing.join(' ')} (run: sudo apt-get install -y ${missing.join(' ')})`);
  }
}

/** The target triple @vscode/ripgrep's postinstall picks for this machine (lib/postinstall.js getTarget). */
function ripgrepTarget() {
  const a = process.env.npm_config_arch || arch();
  if (platform() !== 'linux') return null; // macOS/Windows laptops have the internet; let it download
  if (a === 'x64') return 'x86_64-unknown-linux-musl';
  if (a === 'arm64') return 'aarch64-unknown-linux-musl';
  return null;
}

/** Puts a tar.gz holding the system's `rg` where @vscode/ripgrep looks before it downloads. */
function seedRipgrepCache() {
  const target = ripgrepTarget();
  if (!target) return;
  const dir = join(tmpdir(), `vscode-ripgrep-cache-${RIPGREP_PACKAGE_VERSION}`);
  const tarball = join(dir, `ripgrep-${RIPGREP_RELEASE}-${target}.tar.gz`);
  if (existsSync(tarball)) return;
  const rg = ['/usr/bin/rg', '/usr/local/bin/rg'].find((p) => existsSync(p));
  if (!rg) {
    log('WARNING: no rg on this machine; @vscode/ripgrep will try to download it (apt-get install ripgrep)');
    return;
  }
  mkdirSync(dir, { recursive: true });
  const stage = mkdtempSync(join(tmpdir(), 'rg-stage-'));
  try {
    copyFileSync(rg, join(stage, 'rg'));
    // The archive holds `rg` at its top level: the postinstall runs `tar xvf <tarball> -C bin/` and expects bin/rg.
    const tmp = `${tarball}.${process.pid}.tmp`;
    const r = spawnSync('tar', ['czf', tmp, '-C', stage, 'rg'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`tar czf ${tmp} failed with exit code ${r.status}`);
    spawnSync('mv', [tmp, tarball]);
    log(`seeded the ripgrep cache from ${rg}: ${tarball}`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** npm install code-server@VERSION into its own prefix (own package.json, so npm never walks up to the repo's). */
function npmInstall() {
  mkdirSync(codeServerPrefix, { recursive: true });
  writeFileSync(
    join(codeServerPrefix, 'package.json'),
    JSON.stringify({ name: 'coditect-test-code-server', private: true, description: 'cache, see scripts/vscodeTest' }, null, 2),
  );
  if (force) rmSync(codeServerPackageDir, { recursive: true, force: true });
  const env = {
    ...process.env,
    npm_config_yes: 'true',
    npm_config_unsafe_perm: 'true', // its postinstall runs npm in lib/vscode as root in CI
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  // `npm run setup --silent` (npm test, npm start) passes loglevel=silent down: npm's own error would be hidden.
  delete env.npm_config_loglevel;
  // node-gyp builds against these headers instead of downloading them (no internet beyond the registry).
  const headers = join(dirname(dirname(process.execPath)), 'include', 'node');
  if (!env.npm_config_nodedir && existsSync(join(headers, 'node.h'))) env.npm_config_nodedir = dirname(dirname(process.execPath));
  log(`npm install code-server@${CODE_SERVER_VERSION} in ${codeServerPrefix} (a few minutes the first time)`);
  const npm = platform() === 'win32' ? 'npm.cmd' : 'npm';
  // Up to three times: the install fetches hundreds of packages and runs code-server's own postinstall (another npm
  // install); one dropped registry connection on a loaded machine failed a whole CI run here. Each retry starts from an
  // empty node_modules: on a fresh machine a node-gyp build of node-pty failed once (ENOENT on build/node_gyp_bins),
  // and the retry over that half-installed tree then failed in argon2 (build/config.gypi not found), while a clean
  // install right after succeeded.
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) rmSync(join(codeServerPrefix, 'node_modules'), { recursive: true, force: true });
    const r = spawnSync(npm, ['install', '--no-save', '--no-package-lock', `code-server@${CODE_SERVER_VERSION}`], {
      cwd: codeServerPrefix,
      stdio: 'inherit',
      env,
    });
    if (r.status === 0) return;
    const why = `npm install code-server@${CODE_SERVER_VERSION} failed with exit code ${r.status}${r.signal ? ` (${r.signal})` : ''}`;
    if (attempt >= 3) throw new Error(why);
    log(`${why}; trying once more`);
  }
}

/** Starts the fresh install once on a free port and stops it: a broken install must not get the marker. */
async function verify() {
  const dir = join(cacheDir, 'verify');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const cs = await startCodeServer({
    userDataDir: join(dir, 'user-data'),
    extensionsDir: join(dir, 'extensions'),
    configFile: join(dir, 'config.yaml'),
    logFile: join(dir, 'code-server.log'),
    requireInstalled: false,
  });
  log(`verified: code-server answered on ${cs.url}`);
  await cs.close();
  rmSync(dir, { recursive: true, force: true });
}

try {
  main();
} catch (e) {
  console.error(`code-server setup: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
