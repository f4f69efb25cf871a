// Runs the built `coditect` CLI (dist/cli.js through bin/coditect.js) as a real child process in temp workspaces.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '../../..');
export const BIN = join(ROOT, 'bin/coditect.js');

/** Builds dist/ once when it is missing (npm test builds before the unit tests; a lone mocha run may not have). */
export function ensureBuilt(): void {
  if (existsSync(join(ROOT, 'dist/cli.js')) && existsSync(join(ROOT, 'dist/engine.js'))) return;
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
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
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
