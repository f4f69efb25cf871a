// The file tools the Anthropic agent offers the model, ALL confined to the task's working directory.
// Invariant: a path is used only after `resolveInsideRoot` accepted it; traversal (`../`), absolute paths outside,
// and symlinks resolving outside (checked with realpath on the deepest existing ancestor) are refused.
// Invariant: what the engine trusts is never written through these tools (the sandbox policy's read-only and hidden
// paths: the plan, the config, the db, `.coditect/`; and any `.git`), and hidden paths are not read or listed either.
import { promises as fsp, type Stats } from 'node:fs';
import * as path from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { agentEnv, defaultSandboxPolicy, runAgentProcess, type SandboxPolicy } from './sandbox';
import { textOf } from '../../core/describe';

/** A path the model asked for that lies outside the working directory (or is not a usable path). */
export class PathEscapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathEscapeError';
  }
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel));
}

/**
 * Resolves `requested` (relative to `root`, or absolute inside it) to a real path inside the real `root`.
 * Throws PathEscapeError when the path, lexically or through a symlink, leaves the root.
 */
export async function resolveInsideRoot(root: string, requested: unknown): Promise<string> {
  if (typeof requested !== 'string' || requested.length === 0) throw new PathEscapeError('path must be a non-empty string');
  if (requested.includes('\u0000')) throw new PathEscapeError('path must not contain NUL characters');
  const lexRoot = path.resolve(root);
  const realRoot = await fsp.realpath(lexRoot);
  const lexical = path.resolve(lexRoot, requested);
  // An absolute path may name the root through its real path (e.g. /private/tmp vs /tmp): accept either spelling.
  const base = isInside(lexRoot, lexical) ? lexRoot : isInside(realRoot, lexical) ? realRoot : undefined;
  if (base === undefined) throw new PathEscapeError(`path "${requested}" is outside the working directory`);
  // Walk up to the deepest existing ancestor, resolve it for real, and re-append the parts that do not exist yet.
  const rest: string[] = [];
  let cur = lexical;
  for (;;) {
    let exists = true;
    try {
      await fsp.lstat(cur);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e;
      exists = false;
    }
    if (exists) {
      let real: string;
      try {
        real = await fsp.realpath(cur);
      } catch {
        // It exists (lstat) but does not resolve: a dangling symlink, which a write would follow anywhere.
        throw new PathEscapeError(`path "${requested}" goes through a dangling symlink`);
      }
      const full = rest.length ? path.join(real, ...rest.reverse()) : real;
      if (!isInside(realRoot, full)) throw new PathEscapeError(`path "${requested}" resolves through a symlink to outside the working directory`);
      return full;
    }
    const parent = path.dirname(cur);
    if (parent === cur) throw new PathEscapeError(`path "${requested}" has no existing ancestor`);
    rest.push(path.basename(cur));
    cur = parent;
  }
}

/** A path inside the root that names something the engine trusts: refusing it is a policy violation, not a slip. */
export class ProtectedPathError extends PathEscapeError {
  constructor(message: string) {
    super(message);
    this.name = 'ProtectedPathError';
  }
}

/** A real path (or, if it does not exist, the path as given) for comparisons. */
async function realOrSelf(p: string): Promise<string> {
  try {
    return await fsp.realpath(p);
  } catch {
    return path.resolve(p);
  }
}

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fsp.stat(p);
  } catch {
    return undefined;
  }
}

/**
 * Why `abs` (a real path inside the root) may not be accessed for `access`, or undefined when it may. Writes are refused
 * on the policy's read-only and hidden paths, anything under a `.git` directory or named `.git`, and on a hard link to a
 * protected file; reads and listings only on hidden paths (the engine's state: db, socket, logs).
 */
export async function protectedPathReason(policy: SandboxPolicy, root: string, abs: string, access: 'read' | 'write'): Promise<string | undefined> {
  for (const h of policy.hidden) if (isInside(await realOrSelf(h), abs)) return `it is the engine's private state (${h})`;
  if (access === 'read') return undefined;
  const rel = path.relative(await realOrSelf(root), abs).split(path.sep);
  if (rel.includes('.git')) return 'it is inside a .git directory (hooks and config there would run on the next git command)';
  for (const r of policy.readOnly) if (isInside(await realOrSelf(r), abs)) return `what the engine trusts is read-only (${r})`;
  // A hard link made earlier by a process shares the protected file's inode: writing it would write the plan.
  const st = await statOrUndefined(abs);
  if (st?.isFile() && st.nlink > 1) {
    for (const r of policy.readOnly) {
      const p = await statOrUndefined(r);
      if (p && p.ino === st.ino && p.dev === st.dev) return `it is a hard link to ${r}, which is read-only`;
    }
  }
  return undefined;
}

/** Resolves `requested` inside the root and refuses protected paths (see protectedPathReason). */
async function resolveAllowed(opts: WorkspaceToolOptions, requested: unknown, access: 'read' | 'write'): Promise<string> {
  const abs = await resolveInsideRoot(opts.root, requested);
  const why = await protectedPathReason(opts.sandbox ?? defaultSandboxPolicy(opts.root), opts.root, abs, access);
  if (why) throw new ProtectedPathError(`path "${String(requested)}" may not be ${access === 'read' ? 'read' : 'written'}: ${why}`);
  return abs;
}

/** Options of the workspace tools. */
export interface WorkspaceToolOptions {
  /** The task's working directory; every path is confined to it. */
  root: string;
  /** Offer `run_command` (args array, no shell, cwd = root). Default false. */
  allowRunCommand?: boolean;
  /** Bytes returned by read_file before truncating. Default 100,000. */
  maxReadBytes?: number;
  /** Entries returned by list_files. Default 500. */
  maxListEntries?: number;
  /** Time limit of one run_command, ms. Default 120,000. */
  runCommandTimeoutMs?: number;
  /** The engine's environment; run_command children get only its allow-listed part (`agentEnv`). */
  env?: Record<string, string | undefined>;
  /** The attempt's sandbox: protected paths for the file tools, and the sandbox of run_command. */
  sandbox?: SandboxPolicy;
  signal?: AbortSignal;
  killGraceMs?: number;
}

/** What a tool call returns to the model. */
export interface ToolOutcome {
  content: string;
  isError: boolean;
  /** Set when the call tried to touch what the engine trusts (refused): the attempt MUST not count as done. */
  violation?: string;
}

/** The tool definitions sent to the Messages API. */
export function workspaceToolDefinitions(allowRunCommand: boolean): Anthropic.Tool[] {
  const tools: Anthropic.Tool[] = [
    {
      name: 'read_file',
      description: 'Read a UTF-8 text file inside the working directory. Paths are relative to the working directory.',
      input_schema: { type: 'object', properties: { path: { type: 'string', description: 'Relative file path' } }, required: ['path'] },
    },
    {
      name: 'write_file',
      description: 'Create or overwrite a UTF-8 text file inside the working directory (parent directories are created).',
      input_schema: {
        type: 'object',
        properties: { path: { type: 'string', description: 'Relative file path' }, content: { type: 'string', description: 'Full new file content' } },
        required: ['path', 'content'],
      },
    },
    {
      name: 'list_files',
      description: 'List files and directories (directories end with "/") inside the working directory.',
      input_schema: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'Relative directory path; default "."' },
          recursive: { type: 'boolean', description: 'List subdirectories too (skips .git and node_modules); default false' },
        },
      },
    },
  ];
  if (allowRunCommand) {
    tools.push({
      name: 'run_command',
      description:
        'Run an executable in the working directory with an argument array (no shell: no pipes, globbing or redirection). Returns exit code and output.',
      input_schema: {
        type: 'object',
        properties: {
          command: { type: 'string', description: 'Executable name or relative path' },
          args: { type: 'array', items: { type: 'string' }, description: 'Arguments, one per element' },
        },
        required: ['command'],
      },
    });
  }
  return tools;
}

const SKIP_DIRS = new Set(['.git', 'node_modules']);

async function listFiles(root: string, dir: string, recursive: boolean, max: number, hidden: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const queue = [dir];
  while (queue.length > 0 && out.length < max) {
    const d = queue.shift()!;
    const entries = await fsp.readdir(d, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (out.length >= max) break;
      const rel = path.relative(root, path.join(d, e.name)).split(path.sep).join('/');
      if (hidden.includes(path.join(d, e.name))) continue;
      if (e.isDirectory()) {
        out.push(rel + '/');
        if (recursive && !SKIP_DIRS.has(e.name)) queue.push(path.join(d, e.name));
      } else out.push(rel);
    }
  }
  return out;
}

function str(input: Record<string, unknown>, key: string): unknown {
  return input[key];
}

/** Executes one tool call; never throws for a bad call (the model gets an error tool_result instead). */
export async function executeWorkspaceTool(name: string, rawInput: unknown, opts: WorkspaceToolOptions): Promise<ToolOutcome> {
  const input = (rawInput && typeof rawInput === 'object' ? rawInput : {}) as Record<string, unknown>;
  try {
    const realRoot = await fsp.realpath(opts.root);
    switch (name) {
      case 'read_file': {
        const abs = await resolveAllowed(opts, str(input, 'path'), 'read');
        const st = await fsp.stat(abs);
        if (!st.isFile()) return { content: `read_file: "${String(input.path)}" is not a regular file`, isError: true };
        const max = opts.maxReadBytes ?? 100_000;
        const fh = await fsp.open(abs, 'r');
        try {
          const buf = Buffer.alloc(Math.min(st.size, max));
          const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
          const text = buf.subarray(0, bytesRead).toString('utf8');
          return { content: st.size > max ? `${text}\n…[truncated: file is ${st.size} bytes, shown ${max}]` : text, isError: false };
        } finally {
          await fh.close();
        }
      }
      case 'write_file': {
        const content = str(input, 'content');
        if (typeof content !== 'string') return { content: 'write_file: "content" must be a string', isError: true };
        const abs = await resolveAllowed(opts, str(input, 'path'), 'write');
        if (abs === realRoot) return { content: 'write_file: path names the working directory itself', isError: true };
        await fsp.mkdir(path.dirname(abs), { recursive: true });
        // Re-check after mkdir: a directory created concurrently could be a symlink planted in between.
        const again = await resolveAllowed(opts, str(input, 'path'), 'write');
        await fsp.writeFile(again, content, 'utf8');
        return { content: `wrote ${Buffer.byteLength(content)} bytes to ${path.relative(realRoot, again).split(path.sep).join('/')}`, isError: false };
      }
      case 'list_files': {
        const requested = str(input, 'path') ?? '.';
        const abs = await resolveAllowed(opts, requested, 'read');
        const st = await fsp.stat(abs);
        if (!st.isDirectory()) return { content: `list_files: "${textOf(requested)}" is not a directory`, isError: true };
        const max = opts.maxListEntries ?? 500;
        const hidden = await Promise.all((opts.sandbox?.hidden ?? []).map(realOrSelf));
        const entries = await listFiles(realRoot, abs, input.recursive === true, max, hidden);
        const body = entries.length ? entries.join('\n') : '(empty directory)';
        return { content: entries.length >= max ? `${body}\n…[listing stopped at ${max} entries]` : body, isError: false };
      }
      case 'run_command': {
        if (!opts.allowRunCommand) return { content: 'run_command is not enabled for this agent', isError: true };
        const command = str(input, 'command');
        const args = str(input, 'args') ?? [];
        if (typeof command !== 'string' || command.length === 0) return { content: 'run_command: "command" must be a non-empty string', isError: true };
        if (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))
          return { content: 'run_command: "args" must be an array of strings', isError: true };
        // A command given as a path is confined like any other path; a bare name is looked up on PATH.
        const exe = command.includes('/') ? await resolveInsideRoot(opts.root, command) : command;
        const env = agentEnv(opts.env ?? {}, {}, opts.sandbox?.envAllow);
        const timeout = AbortSignal.timeout(opts.runCommandTimeoutMs ?? 120_000);
        const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
        const r = await runAgentProcess({
          sandbox: opts.sandbox,
          command: exe,
          args: args as string[],
          cwd: realRoot,
          env,
          signal,
          killGraceMs: opts.killGraceMs,
          maxOutputChars: 50_000,
          mergeStderr: true,
        });
        const status = r.aborted ? 'stopped (time limit or cancel)' : r.exitCode !== null ? `exit code ${r.exitCode}` : `killed by ${r.signal}`;
        return { content: `${status}\n${r.stdout}`, isError: r.exitCode !== 0 };
      }
      default:
        return { content: `unknown tool "${name}"`, isError: true };
    }
  } catch (e) {
    if (e instanceof ProtectedPathError) return { content: `refused: ${e.message}`, isError: true, violation: `${name}: ${e.message}` };
    if (e instanceof PathEscapeError) return { content: `refused: ${e.message}`, isError: true };
    const err = e as NodeJS.ErrnoException;
    return { content: `${name} failed: ${err.code ?? err.name}: ${err.message}`, isError: true };
  }
}
