// All the set-up `npm start` and `npm test` need, idempotent and fast when already done:
// npm dependencies (and the native better-sqlite3 build for this Node), then the real VS Code used by the
// integration tests (code-server + Debian's Chromium; code-server cached under ~/.cache/coditect/). Uses only Node built-ins so
// it can run before `npm ci`.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const skipVsCode = process.argv.includes('--no-vscode') || process.env.CODITECT_SKIP_VSCODE_SETUP === '1';

function run(cmd, args, opts = {}) {
  console.log(`setup: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`setup: '${cmd} ${args.join(' ')}' failed with exit code ${r.status}`);
    process.exit(r.status ?? 1);
  }
}

function mtime(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

// 1. npm dependencies: install when missing or when package-lock.json changed since the last install.
const installed = join(root, 'node_modules/.package-lock.json');
if (!existsSync(installed) || mtime(join(root, 'package-lock.json')) > mtime(installed)) {
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

// 2. The native database module must load in this Node (it is built from source when no prebuilt binary can be fetched).
const probe = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { cwd: root, encoding: 'utf8' });
if (probe.status !== 0) {
  console.log('setup: better-sqlite3 does not load in this Node; rebuilding it');
  run('npm', ['rebuild', 'better-sqlite3']);
}

// 3. bubblewrap, the sandbox of agent processes on Linux (docs/security.md); the unit tests exercise it for real.
if (process.platform === 'linux' && spawnSync('bwrap', ['--version']).status !== 0) {
  if (process.getuid?.() === 0 && spawnSync('apt-get', ['--version']).status === 0) {
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'bubblewrap']);
  } else
    console.warn(
      'setup: bubblewrap (bwrap) is not installed: agents would run unsandboxed and the sandbox tests fail; install it (apt-get install bubblewrap)',
    );
}

// 3b. promtool (Debian's prometheus package): the process tests check the shipped alert rules with it.
if (process.platform === 'linux' && spawnSync('promtool', ['--version']).status !== 0) {
  if (process.getuid?.() === 0 && spawnSync('apt-get', ['--version']).status === 0) {
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus']);
  } else console.warn('setup: promtool is not installed: the alert-rule tests fail; install it (apt-get install prometheus)');
}

// 4. A real VS Code for the integration tests and `npm start` (code-server and Chromium), cached.
const installer = join(root, 'scripts/vscodeTest/installCodeServer.mjs');
if (!skipVsCode && existsSync(installer)) run(process.execPath, [installer]);
