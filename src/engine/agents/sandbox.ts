// The ONE way an agent-side process is started: agent CLIs, command agents, the Anthropic agent's `run_command` and the
// `Verify:` commands all go through `runAgentProcess`. It gives the child an allow-listed environment (never the
// engine's whole environment) and, on Linux where bubblewrap works, runs it in a sandbox: the working directory
// read-write, the rest of the filesystem read-only, what the engine trusts (the plan, `.coditect/`, the database,
// `.git/`) read-only or hidden, a private /tmp, its own PID namespace (the engine's /proc is not visible) and, unless
// allowed, no network. docs/security.md states what this contains and what it does not, per platform.
// Invariant: no agent-side process is spawned with `ctx.env` as is; `agentEnv` decides what it sees.
import { spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { ATTEMPT_ENV } from './orphans';
import { runProcessTree, SpawnError, type ProcessTreeOptions, type ProcessTreeResult } from './processTree';

/** `auto`: sandbox where bubblewrap works, else run unsandboxed (with a warning); `required`: refuse to run without; `off`: never. */
export type SandboxMode = 'auto' | 'required' | 'off';
export const SANDBOX_MODES: readonly SandboxMode[] = ['auto', 'required', 'off'];

/** What the engine protects from one attempt's processes (built by the engine from its paths and the config). */
export interface SandboxPolicy {
  mode: SandboxMode;
  /** Directories the processes may write: the task's working directory (and configured extras). */
  writable: string[];
  /** Paths inside the writable ones that stay read-only: the plan file, `.git/`, the config. */
  readOnly: string[];
  /** Paths not visible at all (replaced by an empty directory): the engine's state dir with db, socket, pid, logs. */
  hidden: string[];
  /** Network access for tools and Verify commands (agent CLIs that must reach their API ask for it themselves). */
  network: boolean;
  /** Names of engine environment variables passed to agent processes on top of ENV_ALLOW. */
  envAllow: string[];
}

/** Engine environment variables every agent process gets (nothing else, unless configured or passed explicitly). */
export const ENV_ALLOW: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TERM',
  'COLORTERM',
  'NO_COLOR',
  'FORCE_COLOR',
  'TZ',
  'TMPDIR',
  'CI',
  // The attempt's mark (orphans.ts): how a restarted engine finds what a crashed one's agents left running.
  ATTEMPT_ENV,
];
/** Prefixes allowed as a family (locale settings). */
const ENV_ALLOW_PREFIXES: readonly string[] = ['LC_'];

/**
 * The environment of an agent process: the allow-listed names from the engine's `engineEnv`, then `extra` (values the
 * agent passes on purpose: task variables, a CLI's own key). Nothing else of the engine's environment is passed.
 */
export function agentEnv(
  engineEnv: Record<string, string | undefined>,
  extra: Record<string, string | undefined> = {},
  allow: readonly string[] = [],
): Record<string, string> {
  const names = new Set([...ENV_ALLOW, ...allow]);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(engineEnv)) {
    if (v === undefined) continue;
    if (names.has(k) || ENV_ALLOW_PREFIXES.some((p) => k.startsWith(p))) out[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) out[k] = v;
  return out;
}

/** A policy for a working directory with nothing but its `.git` protected: used when the engine supplies none (tests, embedders). */
export function defaultSandboxPolicy(cwd: string, over: Partial<SandboxPolicy> = {}): SandboxPolicy {
  return { mode: 'auto', writable: [cwd], readOnly: [path.join(cwd, '.git')], hidden: [], network: false, envAllow: [], ...over };
}

/** Whether bubblewrap can be used here, and why not. */
export interface SandboxSupport {
  available: boolean;
  /** Path or name of the bwrap executable that worked. */
  bwrap?: string;
  /** Why the sandbox is not available (platform, missing binary, user namespaces refused…). */
  reason?: string;
}

let probed: SandboxSupport | undefined;

/**
 * Probes bubblewrap once per process: runs `/bin/true` inside the same namespaces the sandbox uses. Linux only.
 * `CODITECT_BWRAP` names another executable (tests use it to simulate a machine without bubblewrap).
 */
export function sandboxSupport(): SandboxSupport {
  if (probed) return probed;
  if (process.platform !== 'linux') return (probed = { available: false, reason: `no sandbox on ${process.platform} (bubblewrap is Linux-only)` });
  const bwrap = process.env.CODITECT_BWRAP || 'bwrap';
  const r = spawnSync(
    bwrap,
    ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--die-with-parent', '--', 'true'],
    { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    probed = { available: false, reason: code === 'ENOENT' ? `bubblewrap (${bwrap}) is not installed` : `${bwrap} cannot run: ${code ?? r.error.message}` };
  } else if (r.status !== 0) {
    probed = {
      available: false,
      reason: `${bwrap} does not work here (${(r.stderr || `exit ${r.status}`).trim().split('\n')[0]}); user namespaces are probably disabled`,
    };
  } else probed = { available: true, bwrap };
  return probed;
}

/** Forgets the probe (tests that change CODITECT_BWRAP). */
export function resetSandboxProbe(): void {
  probed = undefined;
}

/** Raised when the policy requires a sandbox that this machine cannot provide. */
export class SandboxUnavailableError extends Error {
  constructor(reason: string) {
    super(`the sandbox is required (sandbox.mode "required") but not available: ${reason}`);
    this.name = 'SandboxUnavailableError';
  }
}

/** Would a process under `policy` run sandboxed here? Throws SandboxUnavailableError when required and impossible. */
export function sandboxActive(policy: SandboxPolicy): boolean {
  if (policy.mode === 'off') return false;
  const s = sandboxSupport();
  if (!s.available && policy.mode === 'required') throw new SandboxUnavailableError(s.reason ?? 'unknown');
  return s.available;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function inside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Per-run additions to a policy (an agent CLI that must reach its API, its own config directory). */
export interface SandboxOverrides {
  /** Network on or off for this process, whatever the policy says. */
  network?: boolean;
  /** More writable paths (created read-write only if they exist). */
  writable?: string[];
  /** Paths under /tmp the process needs to read (its executable, its PATH): shown read-only through the private /tmp. */
  readable?: string[];
}

/** The bubblewrap arguments (up to `--`) for `policy`, with the process starting in `cwd`. Exposed for tests and docs. */
export function bwrapArgs(policy: SandboxPolicy, cwd: string, over: SandboxOverrides = {}): string[] {
  const args = ['--die-with-parent', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try'];
  if (!(over.network ?? policy.network)) args.push('--unshare-net');
  // Order matters: later mounts cover earlier ones. Everything read-only, then a private /tmp, then what may be written,
  // then the protected paths inside it, then the hidden ones over everything.
  args.push('--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp');
  for (const r of tmpRoots(over.readable ?? [])) args.push('--ro-bind', r, r);
  for (const w of [...policy.writable, ...(over.writable ?? [])]) if (existsSync(w)) args.push('--bind', w, w);
  for (const r of policy.readOnly) if (existsSync(r)) args.push('--ro-bind', r, r);
  for (const h of policy.hidden) {
    // A directory that holds the working directory cannot be hidden without hiding the work: it stays read-only.
    if (!existsSync(h)) continue;
    if (policy.writable.some((w) => inside(h, w))) args.push('--ro-bind', h, h);
    else if (isDir(h)) args.push('--tmpfs', h, '--remount-ro', h);
    else args.push('--ro-bind', '/dev/null', h);
  }
  args.push('--chdir', cwd);
  return args;
}

/**
 * The top-level /tmp entries (`/tmp/<name>`) that hold `paths`: the private /tmp would hide an executable, a script it
 * runs or a PATH directory that lives there (a checkout under /tmp, as a CI clone often is), so those entries are
 * shown read-only again. Only what the process needs to run, never /tmp as a whole.
 */
export function tmpRoots(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const rel = path.relative('/tmp', p);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
    const top = path.join('/tmp', rel.split(path.sep)[0]);
    if (existsSync(top)) out.add(top);
  }
  return [...out];
}

function realOrSame(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Options of runAgentProcess: those of runProcessTree (with `env` already built by `agentEnv`), plus the sandbox. */
export interface AgentProcessOptions extends ProcessTreeOptions {
  /** The attempt's policy; undefined means `defaultSandboxPolicy(cwd)`. */
  sandbox?: SandboxPolicy;
  overrides?: SandboxOverrides;
}

/** What runAgentProcess did, beyond the process result: whether it was sandboxed. */
export interface AgentProcessResult extends ProcessTreeResult {
  sandboxed: boolean;
}

function executable(p: string): boolean {
  try {
    accessSync(p, fsConstants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * The absolute path `command` would run as, looked up like execvp does (a name on the child's PATH, a path against
 * `cwd`). Resolved outside the sandbox so a missing executable is the same clear SpawnError (ENOENT) with or without it.
 */
export function resolveExecutable(command: string, cwd: string, env: Record<string, string | undefined>): string {
  if (command.includes('/')) {
    const abs = path.resolve(cwd, command);
    if (executable(abs)) return abs;
  } else {
    for (const dir of (env.PATH ?? '').split(path.delimiter)) {
      if (!dir) continue;
      const abs = path.resolve(cwd, dir, command);
      if (executable(abs)) return abs;
    }
  }
  throw new SpawnError(`cannot start "${command}" in ${cwd}: ENOENT`, 'ENOENT');
}

/**
 * Runs an agent-side process (see the file comment). `opts.env` MUST come from `agentEnv`. When sandboxed, the
 * command is resolved on the child's PATH inside the sandbox, the process group is bwrap's, and the PID namespace
 * dies with it: a process that detached (setsid) inside is killed with the rest.
 */
export async function runAgentProcess(opts: AgentProcessOptions): Promise<AgentProcessResult> {
  const policy = opts.sandbox ?? defaultSandboxPolicy(opts.cwd);
  const { sandbox: _s, overrides, ...proc } = opts;
  if (!sandboxActive(policy)) return { ...(await runProcessTree(proc)), sandboxed: false };
  const bwrap = sandboxSupport().bwrap!;
  const exe = resolveExecutable(opts.command, opts.cwd, opts.env);
  // The executable (and the script a symlink like node_modules/.bin/claude points at) and the PATH it searches must
  // stay reachable when they live under the private /tmp.
  const pathDirs = (opts.env.PATH ?? '').split(path.delimiter).filter((d) => path.isAbsolute(d));
  const readable = [...(overrides?.readable ?? []), exe, realOrSame(exe), ...pathDirs];
  const args = [...bwrapArgs(policy, opts.cwd, { ...overrides, readable }), '--', exe, ...opts.args];
  return { ...(await runProcessTree({ ...proc, command: bwrap, args })), sandboxed: true };
}

/** What the engine trusts and therefore protects from agents. */
export interface EngineTrustedPaths {
  tasklistPath: string;
  workspaceRoot: string;
  /** `.coditect/` at the workspace root (config, and by default db, socket, pid file, logs). */
  stateDir: string;
  dbPath: string;
  /** The config file in use, wherever it is. */
  configPath?: string;
}

/** The configured side of a policy (config `sandbox.*`). */
export interface SandboxSettings {
  mode: SandboxMode;
  network: boolean;
  envAllow: string[];
  /** Absolute or `~/` paths. */
  writablePaths: string[];
}

/**
 * The policy of an attempt running in `cwd`: `cwd` writable; the plan, the config and every `.git` the attempt could
 * reach read-only; the engine's state directories (db, socket, pid file, logs) hidden.
 */
export function enginePolicy(trusted: EngineTrustedPaths, settings: SandboxSettings, cwd: string, home?: string): SandboxPolicy {
  const dbDir = path.dirname(trusted.dbPath);
  const readOnly = [
    trusted.tasklistPath,
    path.join(trusted.workspaceRoot, '.git'),
    path.join(cwd, '.git'),
    ...(trusted.configPath ? [trusted.configPath] : []),
    // The db may live outside the state dir (`--db`): its files are protected wherever they are.
    ...['', '-wal', '-shm', '-journal'].map((s) => trusted.dbPath + s),
  ];
  const writable = [cwd];
  for (const p of settings.writablePaths) {
    if (p.startsWith('~/')) {
      if (home) writable.push(path.join(home, p.slice(2)));
    } else writable.push(p);
  }
  return {
    mode: settings.mode,
    writable,
    readOnly: [...new Set(readOnly)],
    hidden: [...new Set([trusted.stateDir, dbDir])],
    network: settings.network,
    envAllow: [...settings.envAllow],
  };
}

/** One line for the engine's log at start: whether agent processes are contained, and if not, why and what follows. */
export function describeSandbox(mode: SandboxMode): { level: 'info' | 'warn' | 'error'; message: string } {
  if (mode === 'off')
    return { level: 'warn', message: 'sandbox.mode is "off": agent processes and Verify commands run UNSANDBOXED with your user\'s rights (docs/security.md)' };
  const s = sandboxSupport();
  if (s.available) return { level: 'info', message: `agent processes and Verify commands run in a bubblewrap sandbox (${s.bwrap})` };
  if (mode === 'required') return { level: 'error', message: `sandbox.mode is "required" but ${s.reason}: no agent process will start (docs/security.md)` };
  return { level: 'warn', message: `agent processes and Verify commands run UNSANDBOXED: ${s.reason} (docs/security.md)` };
}
