// `npm start` (after set-up and build): opens the extension, loaded from this source tree, on the example plan in a
// real VS Code.
//   - desktop VS Code when `code` is on PATH: `code --extensionDevelopmentPath=<repo> <workspace>`;
//   - otherwise code-server on 127.0.0.1 (the copy cached by scripts/setup.mjs), the extension loaded through the
//     workbench URL's extensionDevelopmentPath; the URL is printed, and Ctrl-C stops the server cleanly.
// The workspace is a copy of the example plan in .vscode-test/start/workspace (kept between starts, so a plan run
// there keeps its progress); --fresh copies it anew.
//
// Usage: node scripts/start.mjs [--fresh] [--plan FILE_OR_DIR] [--port N] [--code-server]
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cacheDir, repoRoot, resolveCodeServer, startCodeServer, workbenchUrl, writeUserSettings } from './vscodeTest/codeServer.mjs';

const { values: opts } = parseArgs({
  options: {
    fresh: { type: 'boolean', default: false },
    plan: { type: 'string', default: join(repoRoot, 'resources', 'examples', 'PROJECT-TASKLIST.md') },
    port: { type: 'string', default: process.env.CODITECT_PORT || '8765' },
    'code-server': { type: 'boolean', default: false },
  },
});
const port = Number(opts.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0..65535, not '${opts.port}'`);
const plan = resolve(opts.plan);
if (!existsSync(plan)) fail(`--plan ${plan} does not exist`);

function fail(message) {
  console.error(`start: ${message}`);
  process.exit(2);
}

/** The workspace VS Code opens: a copy of the plan (a file is copied into an empty folder, a folder as a whole). */
function prepareWorkspace() {
  const ws = join(cacheDir, 'start', 'workspace');
  if (opts.fresh) rmSync(ws, { recursive: true, force: true });
  if (!existsSync(ws)) {
    mkdirSync(ws, { recursive: true });
    if (statSync(plan).isDirectory()) cpSync(plan, ws, { recursive: true });
    else {
      cpSync(plan, join(ws, basename(plan)));
      // The example plan's Verify lines check for the README beside it; bring it along so a dry run completes.
      const readme = join(dirname(plan), 'README.md');
      if (existsSync(readme)) cpSync(readme, join(ws, 'README.md'));
    }
    console.log(`start: copied ${plan} to ${ws}`);
  }
  return ws;
}

/** The desktop VS Code CLI on PATH, or null (code-server installs no `code`, so this is the real thing). */
function desktopCli() {
  const names = process.platform === 'win32' ? ['code.cmd'] : ['code'];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const n of names) if (dir && existsSync(join(dir, n))) return join(dir, n);
  }
  return null;
}

function startDesktop(cli, ws) {
  console.log(`start: opening desktop VS Code (${cli}) on ${ws} with the extension from ${repoRoot}`);
  const child = spawn(cli, ['--new-window', `--extensionDevelopmentPath=${repoRoot}`, ws], {
    stdio: 'inherit',
    shell: process.platform === 'win32', // code.cmd
  });
  child.on('exit', (code) => process.exit(code ?? 1));
}

async function startBrowser(ws) {
  if (!resolveCodeServer()) fail('code-server is not installed: run `npm run setup` (or node scripts/vscodeTest/installCodeServer.mjs)');
  // code-server puts a Unix socket in the user-data dir (108-byte limit): a deep checkout uses the temp dir.
  let stateDir = join(cacheDir, 'start');
  if (join(stateDir, 'user-data', 'code-server-ipc.sock').length > 100) stateDir = join(tmpdir(), `coditect-start-${process.getuid?.() ?? 'user'}`);
  const userDataDir = join(stateDir, 'user-data');
  writeUserSettings(userDataDir);
  const server = await startCodeServer({
    userDataDir,
    extensionsDir: join(stateDir, 'extensions'),
    configFile: join(stateDir, 'config.yaml'),
    logFile: join(stateDir, 'code-server.log'),
    port,
  });
  const url = workbenchUrl({ url: server.url, folder: ws, extensionDevelopmentPath: repoRoot });
  console.log('');
  console.log(`CODITECT Orchestrator is running in VS Code for the browser (code-server, ${server.source}).`);
  console.log(`Open this URL in a browser on this machine (from elsewhere: ssh -L ${server.port}:127.0.0.1:${server.port} ...):`);
  console.log('');
  console.log(`  ${url}`);
  console.log('');
  console.log(`Workspace: ${ws}`);
  console.log(`Log: ${join(stateDir, 'code-server.log')}`);
  console.log('Press Ctrl-C to stop.');

  let stopping = false;
  const stop = async (why) => {
    if (stopping) return;
    stopping = true;
    console.log(`\nstart: ${why}; stopping code-server`);
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // A server that dies by itself ends `npm start` and says where its log is.
  void server.exited.then((exited) => {
    if (stopping) return;
    console.error(`start: code-server exited (${JSON.stringify(exited)}); see ${join(stateDir, 'code-server.log')}`);
    process.exit(1);
  });
}

const ws = prepareWorkspace();
const cli = opts['code-server'] ? null : desktopCli();
if (cli) startDesktop(cli, ws);
else await startBrowser(ws);
