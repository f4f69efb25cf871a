// Runs the built `coditect` CLI (dist/cli.js through bin/coditect.js) as a real child process in temp workspaces.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '../../..');
export const BIN = join(ROOT, 'bin/coditect.js');

/** The newest modification time (ms) of the files under `dir` (0 when it does not exist). */
function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/ when it is missing OR older than any source it is built from, so a test never runs a stale bundle
 * (npm test builds first; a lone mocha run after an edit may not have).
 */
export function ensureBuilt(): void {
  const outputs = ['dist/cli.js', 'dist/engine.js'].map((f) => join(ROOT, f));
  if (outputs.every(existsSync)) {
    const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
    const sources = Math.max(newestMtime(join(ROOT, 'src')), statSync(join(ROOT, 'esbuild.mjs')).mtimeMs, statSync(join(ROOT, 'package.json')).mtimeMs);
    if (sources <= built) return;
  }
  const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment for CLI children: no API key (agents default to dry-run), no inherited profile. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.ANTHROPIC_API_KEY;
  delete env.CODITECT_PROFILE;
  return env;
}

/** Runs the CLI to completion. */
export function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = cliEnv()): Promise<CliRun> {
  return outputOf(startCli(args, cwd, env));
}

/** A child's exit code and whole output, once it has closed (its stdout and stderr piped). */
export function outputOf(child: ChildProcess): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts the CLI and returns the live child (for SIGKILL tests). */
export function startCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = cliEnv()): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A temp workspace (a git-less folder with `.coditect/`), optionally seeded with files. */
export function tempWorkspace(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'coditect-cli-'));
  cpSync(join(ROOT, 'resources/examples/README.md'), join(dir, 'README.md'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export function removeWorkspace(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
