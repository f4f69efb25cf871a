// Agent on the Claude Code CLI in print mode: `claude -p <prompt> --output-format json|stream-json`, cwd = the task's
// cwd, in its own process group (killed as a whole on cancel/timeout). Parses the documented result object
// (`type: "result"`, `subtype`, `is_error`, `result`, `total_cost_usd`, `session_id`, `usage`, `num_turns`,
// `api_error_status`, `permission_denials`, `errors`). Checked against the real CLI (2.1.332) and a scripted model
// server in test/process/agents/claudeCodeReal.test.ts.
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { AgentError, abortError, withSpent, type Agent, type AgentResult, type AgentRunContext, type AgentSpend, type AgentTaskInput } from './agent';
import { boolOption, enumOption, intOption, numberOption, stringArrayOption, stringOption } from './agentOptions';
import type { AgentTypeDefinition } from './agentTypes';
import { classifyFailureText, exitFailure, spawnFailure, tailOf } from './cliFailure';
import { LineSplitter, splitLines } from './lineSplitter';
import { SpawnError, type ProcessTreeResult } from './processTree';
import { agentEnv, runAgentProcess, SandboxUnavailableError } from './sandbox';
import { buildPrompt, loadRelevantFiles } from './prompt';
import { createRedactor, secretEnvValues } from '../redact';
import { errorMessage, textOf } from '../../core/describe';

const PROVIDER = 'claude-code';

/** Options of a Claude Code CLI agent (defaults in brackets). */
export interface ClaudeCodeAgentConfig {
  /** Executable path or name on PATH [`claude`]. */
  executable?: string;
  /** `json` (one result object at the end) or `stream-json` (JSON lines, live progress; adds `--verbose`) [`stream-json`]. */
  outputFormat?: 'json' | 'stream-json';
  /**
   * `--permission-mode`: `acceptEdits` (file edits inside the working directory are allowed; commands only when an
   * allow rule names them), `dontAsk`, `plan`, `auto`, `bypassPermissions`… [`acceptEdits`]. In print mode nothing
   * waits for a person: a tool the mode does not allow is denied and the model is told so.
   */
  permissionMode?: string;
  /** `--allowedTools` entries, e.g. `["Read", "Edit", "Bash(npm test:*)"]` [none]. */
  allowedTools?: string[];
  /** Allow the task's own `Verify:` command (`Bash(<command>)`), so the agent can run its acceptance check [true]. */
  allowVerifyCommand?: boolean;
  /** `--model` [not passed: the CLI's default]. */
  model?: string;
  /** `--max-turns` [not passed]. */
  maxTurns?: number;
  /** `--max-budget-usd` for each attempt; the CLI stops the session when its cost passes it [not passed]. */
  maxBudgetUsd?: number;
  /**
   * `--bare`: no hooks, plugins, CLAUDE.md discovery, keychain or OAuth; an API key only. In 2.1.332 it also leaves
   * out the Write and Agent tools (so no subagents) [false].
   */
  bare?: boolean;
  /** Pass the plan's agent types as subagents (`--agents`) and run the task as its routed type (`--agent`) [true]. */
  subagents?: boolean;
  /** On a retry, continue the previous attempt's session (`--resume <session id>`) [true]. */
  resume?: boolean;
  /** Extra arguments appended as-is (array elements, never a shell string) [none]. */
  extraArgs?: string[];
  /** Prompts longer than this many bytes go on stdin instead of argv (argv strings are limited to 128 KiB) [100000]. */
  maxPromptArgBytes?: number;
  /** Cap per captured stream, characters [1000000]. */
  maxOutputChars?: number;
}

/** What the engine gives a Claude Code agent besides its options. */
export interface ClaudeCodeAgentContext {
  /** The plan's agent types (see agentTypes.ts), passed as `--agents` when `subagents` is on. */
  agentTypes?: readonly AgentTypeDefinition[];
}

/** The documented `type: "result"` object of `claude -p --output-format json|stream-json`. */
export interface ClaudeResultObject {
  type: 'result';
  subtype?: string;
  is_error?: boolean;
  result?: string;
  total_cost_usd?: number;
  session_id?: string;
  num_turns?: number;
  duration_ms?: number;
  usage?: { input_tokens?: number; output_tokens?: number; cache_creation_input_tokens?: number; cache_read_input_tokens?: number };
  modelUsage?: Record<string, unknown>;
  /** HTTP status of the API error that ended the session, if one did. */
  api_error_status?: number | null;
  /** Tool calls the permission mode refused. */
  permission_denials?: { tool_name?: string; tool_input?: Record<string, unknown> }[];
  /** Messages of error subtypes (e.g. "Reached maximum budget ($0.5)", "No conversation found with session ID: …"). */
  errors?: string[];
}

/** What the CLI's stdout says. */
export interface ParsedClaudeOutput {
  result?: ClaudeResultObject;
  model?: string;
  sessionId?: string;
  /** The `error` code of an API error message (`authentication_failed`, `rate_limit`, …), if one was printed. */
  apiError?: string;
}

function tryJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** Finds the last result object in the CLI's stdout (one JSON object, or JSON lines), the model, session and API error. */
export function parseClaudeOutput(stdout: string): ParsedClaudeOutput {
  let result: ClaudeResultObject | undefined;
  let model: string | undefined;
  let sessionId: string | undefined;
  let apiError: string | undefined;
  const whole = tryJson(stdout.trim());
  const objects: unknown[] =
    whole !== undefined ? (Array.isArray(whole) ? whole : [whole]) : splitLines(stdout).map((l) => (l.trim() ? tryJson(l.trim()) : undefined));
  for (const o of objects) {
    if (!o || typeof o !== 'object') continue;
    const ev = o as Record<string, unknown>;
    if (ev.type === 'system' && ev.subtype === 'init') {
      if (typeof ev.model === 'string') model = ev.model;
      if (typeof ev.session_id === 'string') sessionId = ev.session_id;
    }
    if (ev.type === 'assistant' && typeof ev.error === 'string') apiError = ev.error;
    if (ev.type === 'result') result = ev as unknown as ClaudeResultObject;
  }
  if (result?.modelUsage && typeof result.modelUsage === 'object') model = Object.keys(result.modelUsage)[0] ?? model;
  return { result, model, sessionId: result?.session_id ?? sessionId, apiError };
}

/** Short progress lines from one stream-json line (session start, assistant text, tool calls, denials, API retries). */
export function progressFromStreamLine(line: string): string[] {
  const ev = tryJson(line) as Record<string, unknown> | undefined;
  if (!ev || typeof ev !== 'object') return [];
  if (ev.type === 'system') {
    if (ev.subtype === 'init') return [`session started (${textOf(ev.model ?? 'default model')})`];
    if (ev.subtype === 'permission_denied') return [`permission denied: ${textOf(ev.tool_name ?? 'tool')}`];
    if (ev.subtype === 'api_retry') return [`API error ${textOf(ev.error_status ?? '')}; the CLI retries (attempt ${textOf(ev.attempt ?? '?')})`];
    return [];
  }
  if (ev.type !== 'assistant') return [];
  const content = (ev.message as { content?: unknown } | undefined)?.content;
  if (!Array.isArray(content)) return [];
  const out: string[] = [];
  for (const b of content as Record<string, unknown>[]) {
    if (b?.type === 'tool_use') {
      const input = (b.input ?? {}) as Record<string, unknown>;
      const arg = input.file_path ?? input.path ?? input.command ?? input.pattern ?? input.subagent_type ?? '';
      out.push(`tool ${textOf(b.name)} ${textOf(arg)}`.trim().slice(0, 200));
    } else if (b?.type === 'text' && typeof b.text === 'string' && b.text.trim()) {
      out.push(b.text.trim().split('\n')[0]!.slice(0, 200));
    }
  }
  return out;
}

/**
 * The engine variables the `claude` CLI needs on top of the allow-list: its credentials and endpoint, the documented
 * switches that keep its traffic to the API alone (telemetry, error reports, update checks), its own retry count, and
 * the proxy settings it honours. The CLI reads its key from its environment only, so the key is in THIS child's
 * environment (and no other agent's); see docs/security.md.
 */
export const CLAUDE_CLI_ENV = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'ANTHROPIC_BASE_URL',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'CLAUDE_CONFIG_DIR',
  'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC',
  'DISABLE_TELEMETRY',
  'DISABLE_AUTOUPDATER',
  'DISABLE_ERROR_REPORTING',
  'CLAUDE_CODE_MAX_RETRIES',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  'https_proxy',
  'http_proxy',
  'no_proxy',
] as const;

function claudeCliEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const k of CLAUDE_CLI_ENV) out[k] = env[k];
  return out;
}

/** Kind (and wait) of a failed session: the result's structured fields first, then its text. */
export function classifyClaudeFailure(
  res: ClaudeResultObject,
  apiError: string | undefined,
  text: string,
): { kind: AgentError['kind']; retryAfterMs?: number; why?: string } {
  if (res.subtype === 'error_max_turns') return { kind: 'fatal', why: `turn limit reached (subtype error_max_turns after ${res.num_turns ?? '?'} turns)` };
  if (res.subtype === 'error_max_budget_usd') return { kind: 'fatal', why: `budget limit reached (subtype error_max_budget_usd)` };
  const fromText = classifyFailureText(text);
  const status = typeof res.api_error_status === 'number' ? res.api_error_status : undefined;
  if (status === 429 || apiError === 'rate_limit')
    return { kind: 'rate_limited', retryAfterMs: fromText?.kind === 'rate_limited' ? fromText.retryAfterMs : undefined };
  if (status === 401 || status === 403 || apiError === 'authentication_failed' || apiError === 'billing_error') return { kind: 'auth' };
  if (status === 400 || status === 404 || status === 413 || status === 422 || apiError === 'invalid_request') return { kind: 'config' };
  if (status !== undefined && (status >= 500 || status === 408 || status === 409)) return { kind: 'transient' };
  return fromText ?? { kind: 'transient' };
}

const NO_SESSION = /No conversation found with session ID/i;

/** The Claude Code CLI agent. */
export class ClaudeCodeAgent implements Agent {
  readonly provider = PROVIDER;
  private readonly executable: string;
  private readonly outputFormat: 'json' | 'stream-json';
  private readonly permissionMode: string;
  private readonly allowedTools: string[];
  private readonly allowVerifyCommand: boolean;
  private readonly model: string | undefined;
  private readonly maxTurns: number | undefined;
  private readonly maxBudgetUsd: number | undefined;
  private readonly bare: boolean;
  private readonly subagents: boolean;
  private readonly resume: boolean;
  private readonly extraArgs: string[];
  private readonly maxPromptArgBytes: number;
  private readonly maxOutputChars: number;
  private readonly agentTypes: readonly AgentTypeDefinition[];
  /** `--agents` JSON, built once (the catalogue does not change while the agent lives). */
  private readonly agentsJson: string | undefined;

  constructor(
    readonly name: string,
    config: ClaudeCodeAgentConfig = {},
    context: ClaudeCodeAgentContext = {},
  ) {
    const where = `agent "${name}" (claude-code)`;
    this.executable = stringOption(where, 'executable', config.executable, 'claude');
    this.outputFormat = enumOption(where, 'outputFormat', config.outputFormat, ['json', 'stream-json'] as const, 'stream-json');
    this.permissionMode = stringOption(where, 'permissionMode', config.permissionMode, 'acceptEdits');
    this.allowedTools = stringArrayOption(where, 'allowedTools', config.allowedTools, []);
    this.allowVerifyCommand = boolOption(where, 'allowVerifyCommand', config.allowVerifyCommand, true);
    this.model = stringOption(where, 'model', config.model);
    this.maxTurns = config.maxTurns === undefined ? undefined : intOption(where, 'maxTurns', config.maxTurns, 0, 1, 10_000);
    this.maxBudgetUsd = config.maxBudgetUsd === undefined ? undefined : numberOption(where, 'maxBudgetUsd', config.maxBudgetUsd, 0, 0.000001, 1_000_000);
    this.bare = boolOption(where, 'bare', config.bare, false);
    this.subagents = boolOption(where, 'subagents', config.subagents, true);
    this.resume = boolOption(where, 'resume', config.resume, true);
    this.extraArgs = stringArrayOption(where, 'extraArgs', config.extraArgs, []);
    this.maxPromptArgBytes = intOption(where, 'maxPromptArgBytes', config.maxPromptArgBytes, 100_000, 1, 120_000);
    this.maxOutputChars = intOption(where, 'maxOutputChars', config.maxOutputChars, 1_000_000, 1000);
    this.agentTypes = this.subagents ? (context.agentTypes ?? []) : [];
    this.agentsJson =
      this.agentTypes.length > 0
        ? JSON.stringify(Object.fromEntries(this.agentTypes.map((t) => [t.name, { description: t.description, prompt: t.prompt }])))
        : undefined;
  }

  /** With `resume` on (the default) it starts sessions under the engine's id and resumes them (see Agent). */
  get presetsSessions(): boolean {
    return this.resume;
  }

  /**
   * The argument array for one run (exposed for tests and listings). `prompt` undefined: it goes on stdin. `task`
   * adds what depends on the task: its routed agent type, its Verify command, the session to resume.
   */
  buildArgs(prompt: string | undefined, task?: Pick<AgentTaskInput, 'agentType' | 'verify' | 'newSessionId'>, resumeSessionId?: string): string[] {
    const args = ['-p'];
    if (prompt !== undefined) args.push(prompt);
    args.push('--output-format', this.outputFormat);
    if (this.outputFormat === 'stream-json') args.push('--verbose'); // the CLI requires it with -p and stream-json
    if (this.bare) args.push('--bare');
    args.push('--permission-mode', this.permissionMode);
    if (this.model) args.push('--model', this.model);
    if (this.maxTurns !== undefined) args.push('--max-turns', String(this.maxTurns));
    if (this.maxBudgetUsd !== undefined) args.push('--max-budget-usd', String(this.maxBudgetUsd));
    if (resumeSessionId) args.push('--resume', resumeSessionId);
    // A new session under the engine's id, recorded before the CLI starts: a crash still leaves it to resume.
    else if (this.resume && task?.newSessionId) args.push('--session-id', task.newSessionId);
    if (this.agentsJson) {
      args.push('--agents', this.agentsJson);
      // The session itself runs as the routed type, so routing and the CLI agree on who does the work.
      if (task && this.agentTypes.some((t) => t.name === task.agentType)) args.push('--agent', task.agentType);
    }
    args.push(...this.extraArgs);
    const tools = [...this.allowedTools];
    if (this.allowVerifyCommand && task?.verify && !/[()]/.test(task.verify)) tools.push(`Bash(${task.verify})`);
    // Last, because the option is variadic: every following argument would be read as a tool.
    if (tools.length > 0) args.push('--allowedTools', ...tools);
    return args;
  }

  async run(task: AgentTaskInput, ctx: AgentRunContext): Promise<AgentResult> {
    const redact = createRedactor(secretEnvValues(ctx.env));
    if (ctx.signal.aborted) throw abortError(ctx.signal, PROVIDER);
    const prompt = buildPrompt(task, await loadRelevantFiles(task.cwd, task.relevantFiles));
    const resumeId = this.resume ? task.resume?.sessionId : undefined;
    const first = await this.runOnce(task, ctx, prompt, resumeId, redact);
    if (resumeId && first.noSession) {
      // The session is gone (another HOME, cleaned up): start a new one rather than failing the task.
      ctx.onOutput?.('progress', `session ${resumeId} not found; starting a new session\n`);
      return this.finish(await this.runOnce(task, ctx, prompt, undefined, redact), undefined, redact, ctx);
    }
    return this.finish(first, resumeId ? task.resume?.priorCostUsd : undefined, redact, ctx);
  }

  /** One CLI run, up to its parsed output. */
  private async runOnce(
    task: AgentTaskInput,
    ctx: AgentRunContext,
    prompt: string,
    resumeId: string | undefined,
    redact: (s: string) => string,
  ): Promise<Done> {
    const viaStdin = Buffer.byteLength(prompt) > this.maxPromptArgBytes;
    const lines =
      this.outputFormat === 'stream-json' && ctx.onOutput
        ? new LineSplitter((line) => {
            for (const p of progressFromStreamLine(line)) ctx.onOutput?.('progress', redact(p) + '\n');
          })
        : undefined;
    let r: ProcessTreeResult;
    try {
      r = await runAgentProcess({
        command: this.executable,
        args: this.buildArgs(viaStdin ? undefined : prompt, task, resumeId),
        cwd: task.cwd,
        env: agentEnv(ctx.env, claudeCliEnv(ctx.env), ctx.sandbox?.envAllow),
        sandbox: ctx.sandbox,
        // The CLI calls the API and keeps its settings and sessions in ~/.claude and ~/.claude.json.
        overrides: { network: true, writable: await claudeStatePaths(ctx.env.HOME) },
        stdin: viaStdin ? prompt : undefined,
        signal: ctx.signal,
        killGraceMs: ctx.killGraceMs,
        maxOutputChars: this.maxOutputChars,
        onStdout: (chunk) => {
          ctx.onOutput?.('stdout', redact(chunk));
          lines?.push(chunk);
        },
        onStderr: (c) => ctx.onOutput?.('stderr', redact(c)),
      });
    } catch (e) {
      if (e instanceof SpawnError) throw spawnFailure(e, PROVIDER, this.name, this.executable);
      if (e instanceof SandboxUnavailableError) throw new AgentError(`${PROVIDER}: ${e.message}`, 'config', PROVIDER);
      throw new AgentError(`${PROVIDER}: ${redact(errorMessage(e))}`, 'fatal', PROVIDER);
    }
    lines?.flush();
    const parsed = parseClaudeOutput(r.stdout);
    const res = parsed.result;
    const noSession = resumeId !== undefined && NO_SESSION.test(`${(res?.errors ?? []).join('\n')}\n${res?.result ?? ''}\n${r.stderr}`);
    return { r, parsed, noSession };
  }

  /** Turns a run's output into the result, or the AgentError it means. */
  private finish(done: Done, priorCostUsd: number | undefined, redact: (s: string) => string, ctx: AgentRunContext): AgentResult {
    const { r, parsed } = done;
    const res = parsed.result;
    const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
    const u = res?.usage ?? {};
    // A resumed session reports its running total; this attempt's share is what it added.
    const total = typeof res?.total_cost_usd === 'number' && Number.isFinite(res.total_cost_usd) ? res.total_cost_usd : undefined;
    const costUsd = total === undefined ? undefined : priorCostUsd !== undefined && total >= priorCostUsd ? total - priorCostUsd : total;
    const spent: AgentSpend = {
      sessionId: parsed.sessionId,
      model: parsed.model ?? this.model,
      costUsd,
      tokensIn: res?.usage ? n(u.input_tokens) + n(u.cache_creation_input_tokens) + n(u.cache_read_input_tokens) : undefined,
      tokensOut: res?.usage ? n(u.output_tokens) : undefined,
      cacheReadTokens: res?.usage ? n(u.cache_read_input_tokens) : undefined,
      cacheWriteTokens: res?.usage ? n(u.cache_creation_input_tokens) : undefined,
    };
    if (r.aborted || ctx.signal.aborted) throw withSpent(abortError(ctx.signal, PROVIDER), spent);
    if (!res) {
      const fail = exitFailure(r, PROVIDER, redact, ctx.signal);
      if (fail) throw withSpent(fail, spent);
      throw new AgentError(
        `${PROVIDER}: malformed output: no "type":"result" object on stdout (${tailOf(redact(r.stdout), 200) || 'empty'})`,
        'transient',
        PROVIDER,
        undefined,
        { spent },
      );
    }
    const failed = res.is_error === true || (res.subtype !== undefined && res.subtype !== 'success') || r.exitCode !== 0;
    if (failed) {
      const errors = Array.isArray(res.errors) ? res.errors.filter((e): e is string => typeof e === 'string') : [];
      const message = [res.result, ...errors].filter((s) => s && s.trim()).join('; ');
      const text = `${message}\n${res.subtype ?? ''}\n${r.stderr}`;
      const c = classifyClaudeFailure(res, parsed.apiError, text);
      const detail = tailOf(redact(message || r.stderr || res.subtype || ''));
      const head = c.why ?? `${res.subtype ?? 'error'}${res.api_error_status ? ` (API status ${res.api_error_status})` : ''}`;
      throw new AgentError(
        `${PROVIDER}: ${head}${r.exitCode ? ` (exit code ${r.exitCode})` : ''}: ${detail || '(no message)'}`,
        c.kind,
        PROVIDER,
        c.retryAfterMs,
        { spent },
      );
    }
    const denied = (res.permission_denials ?? []).map((d) => deniedCall(d));
    const summary = (res.result ?? '').trim() || `(Claude Code finished in ${res.num_turns ?? '?'} turns without a text result)`;
    return {
      exitCode: r.exitCode,
      stdout: redact(r.stdout),
      stderr: redact(r.stderr),
      ...spent,
      summary: redact(denied.length ? `${summary}\n\n(The permission mode denied ${denied.length} tool call(s): ${denied.join('; ')})` : summary),
    };
  }
}

/** One CLI run's output. */
interface Done {
  r: ProcessTreeResult;
  parsed: ParsedClaudeOutput;
  /** The run asked to resume a session the CLI does not have. */
  noSession: boolean;
}

/**
 * The CLI's own state (`~/.claude`: settings, sessions to resume; `~/.claude.json`), created when missing: the
 * sandbox makes only EXISTING paths writable, so on a first run the CLI's writes would be lost (or refused) and the
 * next attempt could not resume its session.
 */
async function claudeStatePaths(home: string | undefined): Promise<string[]> {
  if (!home) return [];
  const dir = path.join(home, '.claude');
  const json = path.join(home, '.claude.json');
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(json, '{}\n', { flag: 'wx', mode: 0o600 });
  } catch {
    // EEXIST (the usual case), or a HOME we may not write: the CLI reports what it cannot do itself.
  }
  return [dir, json];
}

function deniedCall(d: { tool_name?: string; tool_input?: Record<string, unknown> }): string {
  const input = d.tool_input ?? {};
  const arg = input.file_path ?? input.command ?? input.path ?? '';
  return `${textOf(d.tool_name ?? 'tool')}${arg ? ` ${textOf(arg).slice(0, 120)}` : ''}`;
}
