// Small helpers shared by the agent tests: temp working directories, a task input, liveness of pids, deferreds.
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { AgentTaskInput } from '../../src/engine/agents/agent';
import { defaultSandboxPolicy, type SandboxPolicy } from '../../src/engine/agents/sandbox';

/** Directory holding the fake CLI executables (`claude`, `codex`, `gemini`). */
export const FAKE_BIN = path.resolve(__dirname, 'bin');

/** A fresh real temp directory; remove it with `cleanup`. */
export function makeTempDir(prefix = 'coditect-agents-'): string {
  return realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A task input with sensible defaults. */
export function makeTask(cwd: string, over: Partial<AgentTaskInput> = {}): AgentTaskInput {
  return {
    id: 'T001',
    title: 'Add a greeting module',
    agentType: 'backend-developer',
    priority: 'P1',
    estimateHours: 2,
    epic: { id: 'E001', title: 'Foundations' },
    feature: { id: 'F001.01', title: 'Greeting' },
    dependencies: [],
    cwd,
    attempt: 1,
    ...over,
  };
}

/** True when `pid` is a live process (zombies count as dead: they have exited and only wait to be reaped). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (macOS): kill(0) succeeded
  }
}

/**
 * Resolves true once `pid` is dead, false if it is still alive after `limitMs`. A killed process closes its pipes
 * (which is what the runner waits for) slightly before the kernel finishes its exit, and a non-child pid offers no
 * event to wait on, so this polls /proc briefly. Not a timing assertion: the limit only bounds a hang.
 */
export async function becomesDead(pid: number, limitMs = 5000): Promise<boolean> {
  const until = Date.now() + limitMs;
  while (isAlive(pid)) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Every string reachable from `value` (own enumerable and non-enumerable props, errors' message/stack/cause), for leak checks. */
export function allStrings(value: unknown, seen = new Set<unknown>()): string[] {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object' || seen.has(value)) return [];
  seen.add(value);
  const out: string[] = [];
  if (value instanceof Error) {
    out.push(value.message, value.stack ?? '', String(value));
    out.push(...allStrings((value as { cause?: unknown }).cause, seen));
  }
  for (const key of Object.getOwnPropertyNames(value)) {
    let v: unknown;
    try {
      v = (value as Record<string, unknown>)[key];
    } catch {
      continue;
    }
    out.push(...allStrings(v, seen));
  }
  return out;
}

/** Environment variables the fake CLIs read: passed through the agent environment allow-list in tests. */
export const FAKE_ENV_NAMES = ['FAKE_CLI_RECORD', 'FAKE_CLAUDE_MODE', 'FAKE_CODEX_MODE', 'FAKE_GEMINI_MODE'];

/** The sandbox policy of a test attempt in `cwd`, passing the fake CLIs' variables through. */
export function testSandbox(cwd: string, over: Partial<SandboxPolicy> = {}): SandboxPolicy {
  return defaultSandboxPolicy(cwd, { envAllow: FAKE_ENV_NAMES, ...over });
}

/** Host pids of live processes whose command line contains `marker` (finds processes inside a PID namespace too). */
export function pidsWithArg(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.includes(marker)) && isAlive(Number(name))) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
