// Agent on the Claude Code CLI in print mode: `claude -p <prompt> --output-format json|stream-json`, cwd = the task's
// cwd, in its own process group (killed as a whole on cancel/timeout). Parses the documented result object
// (`type: "result"`, `subtype`, `is_error`, `result`, `total_cost_usd`, `session_id`, `usage`, `num_turns`).
import { AgentError, abortError, type Agent, type AgentResult, type AgentRunContext, type AgentTaskInput } from './agent';
import { enumOption, intOption, stringArrayOption, stringOption } from './agentOptions';
import { classifyFailureText, exitFailure, spawnFailure, tailOf } from './cliFailure';
import { SpawnError, type ProcessTreeResult } from './processTree';
import { LineSplitter, splitLines } from './lineSplitter';
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
  /** `--permission-mode` value, e.g. `acceptEdits`, `bypassPermissions`, `plan`, `default` [not passed]. */
  permissionMode?: string;
  /** `--allowedTools` entries, e.g. `["Read", "Edit", "Bash(npm test:*)"]` [not passed]. */
  allowedTools?: string[];
  /** `--model` [not passed: the CLI's default]. */
  model?: string;
  /** `--max-turns` [not passed]. */
  maxTurns?: number;
  /** Extra arguments appended as-is (array elements, never a shell string) [none]. */
  extraArgs?: string[];
  /** Prompts longer than this many bytes go on stdin instead of argv (argv strings are limited to 128 KiB) [100000]. */
  maxPromptArgBytes?: number;
  /** Cap per captured stream, characters [1000000]. */
  maxOutputChars?: number;
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
}

function tryJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** Finds the last result object in the CLI's stdout (one JSON object, or JSON lines). */
export function parseClaudeOutput(stdout: string): { result?: ClaudeResultObject; model?: string; sessionId?: string } {
  let result: ClaudeResultObject | undefined;
  let model: string | undefined;
  let sessionId: string | undefined;
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
    if (ev.type === 'result') result = ev as unknown as ClaudeResultObject;
  }
  if (result?.modelUsage && typeof result.modelUsage === 'object') model = Object.keys(result.modelUsage)[0] ?? model;
  return { result, model, sessionId: result?.session_id ?? sessionId };
}

/** Short progress lines from one stream-json line (assistant text and tool calls). */
export function progressFromStreamLine(line: string): string[] {
  const ev = tryJson(line) as Record<string, unknown> | undefined;
  if (!ev || typeof ev !== 'object') return [];
  if (ev.type === 'system' && ev.subtype === 'init') return [`session started (${textOf(ev.model ?? 'default model')})`];
  if (ev.type !== 'assistant') return [];
  const content = (ev.message as { content?: unknown } | undefined)?.content;
  if (!Array.isArray(content)) return [];
  const out: string[] = [];
  for (const b of content as Record<string, unknown>[]) {
    if (b?.type === 'tool_use') {
      const input = (b.input ?? {}) as Record<string, unknown>;
      const arg = input.file_path ?? input.path ?? input.command ?? input.pattern ?? '';
      out.push(`tool ${textOf(b.name)} ${textOf(arg)}`.trim().slice(0, 200));
    } else if (b?.type === 'text' && typeof b.text === 'string' && b.text.trim()) {
      out.push(b.text.trim().split('\n')[0]!.slice(0, 200));
    }
  }
  return out;
}

/**
 * The engine variables the `claude` CLI needs on top of the allow-list: its credentials and endpoint. The CLI reads its
 * key from its environment only, so the key is in THIS child's environment (and no other agent's); see docs/security.md.
 */
export const CLAUDE_CLI_ENV = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL', 'CLAUDE_CODE_OAUTH_TOKEN', 'CLAUDE_CONFIG_DIR'] as const;

function claudeCliEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const k of CLAUDE_CLI_ENV) out[k] = env[k];
  return out;
}

/** The Claude Code CLI agent. */
export class ClaudeCodeAgent implements Agent {
  readonly provider = PROVIDER;
  private readonly executable: string;
  private readonly outputFormat: 'json' | 'stream-json';
  private readonly permissionMode: string | undefined;
  private readonly allowedTools: string[];
  private readonly model: string | undefined;
  private readonly maxTurns: number | undefined;
  private readonly extraArgs: string[];
  private readonly maxPromptArgBytes: number;
  private readonly maxOutputChars: number;

  constructor(
    readonly name: string,
    config: ClaudeCodeAgentConfig = {},
  ) {
    const where = `agent "${name}" (claude-code)`;
    this.executable = stringOption(where, 'executable', config.executable, 'claude');
    this.outputFormat = enumOption(where, 'outputFormat', config.outputFormat, ['json', 'stream-json'] as const, 'stream-json');
    this.permissionMode = stringOption(where, 'permissionMode', config.permissionMode);
    this.allowedTools = stringArrayOption(where, 'allowedTools', config.allowedTools, []);
    this.model = stringOption(where, 'model', config.model);
    this.maxTurns = config.maxTurns === undefined ? undefined : intOption(where, 'maxTurns', config.maxTurns, 0, 1, 10_000);
    this.extraArgs = stringArrayOption(where, 'extraArgs', config.extraArgs, []);
    this.maxPromptArgBytes = intOption(where, 'maxPromptArgBytes', config.maxPromptArgBytes, 100_000, 1, 120_000);
    this.maxOutputChars = intOption(where, 'maxOutputChars', config.maxOutputChars, 1_000_000, 1000);
  }

  /** The argument array for `prompt` (exposed for tests and `--dry-run` listings). */
  buildArgs(prompt: string | undefined): string[] {
    const args = ['-p'];
    if (prompt !== undefined) args.push(prompt);
    args.push('--output-format', this.outputFormat);
    if (this.outputFormat === 'stream-json') args.push('--verbose'); // the CLI requires it with -p and stream-json
    if (this.permissionMode) args.push('--permission-mode', this.permissionMode);
    if (this.model) args.push('--model', this.model);
    if (this.maxTurns !== undefined) args.push('--max-turns', String(this.maxTurns));
    args.push(...this.extraArgs);
    // Last, because the option is variadic: every following argument would be read as a tool.
    if (this.allowedTools.length > 0) args.push('--allowedTools', ...this.allowedTools);
    return args;
  }

  async run(task: AgentTaskInput, ctx: AgentRunContext): Promise<AgentResult> {
    const redact = createRedactor(secretEnvValues(ctx.env));
    if (ctx.signal.aborted) throw abortError(ctx.signal, PROVIDER);
    const prompt = buildPrompt(task, await loadRelevantFiles(task.cwd, task.relevantFiles));
    const viaStdin = Buffer.byteLength(prompt) > this.maxPromptArgBytes;
    const lines =
      this.outputFormat === 'stream-json' && ctx.onOutput
        ? new LineSplitter((line) => {
            for (const p of progressFromStreamLine(line)) ctx.onOutput?.('progress', redact(p) + '\n');
          })
        : undefined;
    const onStdout = (chunk: string): void => {
      ctx.onOutput?.('stdout', redact(chunk));
      lines?.push(chunk);
    };
    let r: ProcessTreeResult;
    try {
      r = await runAgentProcess({
        command: this.executable,
        args: this.buildArgs(viaStdin ? undefined : prompt),
        cwd: task.cwd,
        env: agentEnv(ctx.env, claudeCliEnv(ctx.env), ctx.sandbox?.envAllow),
        sandbox: ctx.sandbox,
        // The CLI calls the API and keeps its settings and sessions in ~/.claude and ~/.claude.json.
        overrides: { network: true, writable: ctx.env.HOME ? [`${ctx.env.HOME}/.claude`, `${ctx.env.HOME}/.claude.json`] : [] },
        stdin: viaStdin ? prompt : undefined,
        signal: ctx.signal,
        killGraceMs: ctx.killGraceMs,
        maxOutputChars: this.maxOutputChars,
        onStdout,
        onStderr: (c) => ctx.onOutput?.('stderr', redact(c)),
      });
    } catch (e) {
      if (e instanceof SpawnError) throw spawnFailure(e, PROVIDER, this.name, this.executable);
      if (e instanceof SandboxUnavailableError) throw new AgentError(`${PROVIDER}: ${e.message}`, 'config', PROVIDER);
      throw new AgentError(`${PROVIDER}: ${redact(errorMessage(e))}`, 'fatal', PROVIDER);
    }
    lines?.flush();
    if (r.aborted || ctx.signal.aborted) throw abortError(ctx.signal, PROVIDER);
    const parsed = parseClaudeOutput(r.stdout);
    const res = parsed.result;
    const base = { exitCode: r.exitCode, stdout: redact(r.stdout), stderr: redact(r.stderr), sessionId: parsed.sessionId, model: parsed.model ?? this.model };
    if (!res) {
      const fail = exitFailure(r, PROVIDER, redact, ctx.signal);
      if (fail) throw fail;
      throw new AgentError(
        `${PROVIDER}: malformed output: no "type":"result" object on stdout (${tailOf(redact(r.stdout), 200) || 'empty'})`,
        'transient',
        PROVIDER,
      );
    }
    const failed = res.is_error === true || (res.subtype !== undefined && res.subtype !== 'success') || r.exitCode !== 0;
    if (failed) {
      const text = `${res.result ?? ''}\n${res.subtype ?? ''}\n${r.stderr}`;
      const detail = tailOf(redact(res.result || r.stderr || res.subtype || ''));
      if (res.subtype === 'error_max_turns')
        throw new AgentError(`${PROVIDER}: turn limit reached (subtype error_max_turns after ${res.num_turns ?? '?'} turns)`, 'fatal', PROVIDER);
      if (res.subtype === 'error_max_budget_usd') throw new AgentError(`${PROVIDER}: budget limit reached (subtype error_max_budget_usd)`, 'fatal', PROVIDER);
      const guess = classifyFailureText(text);
      throw new AgentError(
        `${PROVIDER}: ${res.subtype ?? 'error'}${r.exitCode ? ` (exit code ${r.exitCode})` : ''}: ${detail || '(no message)'}`,
        guess?.kind ?? 'transient',
        PROVIDER,
        guess?.retryAfterMs,
      );
    }
    const u = res.usage ?? {};
    const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
    return {
      ...base,
      summary: redact((res.result ?? '').trim() || `(Claude Code finished in ${res.num_turns ?? '?'} turns without a text result)`),
      tokensIn: res.usage ? n(u.input_tokens) + n(u.cache_creation_input_tokens) + n(u.cache_read_input_tokens) : undefined,
      tokensOut: res.usage ? n(u.output_tokens) : undefined,
      costUsd: typeof res.total_cost_usd === 'number' ? res.total_cost_usd : undefined,
    };
  }
}
