// Agent running any executable with an argument TEMPLATE: placeholders like `{id}`, `{title}`, `{cwd}` are substituted
// inside each array element and never joined into a shell string, so task text cannot inject shell syntax. Task fields
// also go in `CODITECT_*` environment variables and the prompt (or task JSON) on stdin. Presets for the Codex CLI
// (`codex exec --json`) and the Gemini CLI (`gemini -p … --output-format json`) parse their documented outputs.
import { mkdir } from 'node:fs/promises';
import {
  AgentError,
  AGENT_ERROR_KINDS,
  abortError,
  type Agent,
  type AgentErrorKind,
  type AgentResult,
  type AgentRunContext,
  type AgentTaskInput,
} from './agent';
import { boolOption, enumOption, intOption, stringArrayOption, stringOption } from './agentOptions';
import { classifyFailureText, exitFailure, spawnFailure, tailOf } from './cliFailure';
import { SpawnError, type ProcessTreeResult } from './processTree';
import { LineSplitter, splitLines } from './lineSplitter';
import { agentEnv, runAgentProcess, SandboxUnavailableError } from './sandbox';
import { buildPrompt, loadRelevantFiles } from './prompt';
import { createRedactor, secretEnvValues } from '../redact';
import { errorMessage, textOf } from '../../core/describe';

/** How stdout is read: plain text, Codex `exec --json` JSON lines, or Gemini `--output-format json`. */
export type CommandOutputFormat = 'text' | 'codex-jsonl' | 'gemini-json';

/** Options of a command agent (defaults in brackets). */
export interface CommandAgentConfig {
  /** Executable path or name on PATH (required). */
  executable: string;
  /** Argument template, one element per argument; placeholders: see COMMAND_PLACEHOLDERS [none]. */
  args?: string[];
  /** What goes on stdin: the prompt text, the task as JSON, or nothing [`prompt`]. */
  stdin?: 'prompt' | 'json' | 'none';
  /** How stdout is parsed [`text`]. */
  output?: CommandOutputFormat;
  /** Extra environment variables for the child, on top of the allow-listed ones (the engine's own are not passed) [none]. */
  env?: Record<string, string>;
  /**
   * Names of engine environment variables this child gets on top of the allow-list: a CLI's own credentials and
   * endpoint (e.g. `OPENAI_API_KEY`), which only that CLI needs [none].
   */
  passEnv?: string[];
  /** Network access inside the sandbox (a CLI that calls its provider's API needs it) [the engine's `sandbox.network`: off]. */
  network?: boolean;
  /** More writable paths inside the sandbox, e.g. the CLI's own state directory (`~` = home) [none]. */
  writablePaths?: string[];
  /**
   * The CLI's own state directories under home (`~/.codex`), writable inside the sandbox and created (0700) when
   * missing: the sandbox makes only EXISTING paths writable, so a first run would find its home read-only [none].
   */
  stateDirs?: string[];
  /** Exit codes that mean success [[0]]. */
  successExitCodes?: number[];
  /** Error kind per exit code, e.g. `{ "42": "config" }`; others are classified from the error text [none]. */
  exitCodeKinds?: Record<string, AgentErrorKind>;
  /** Provider name in errors and metrics [`command`]. */
  provider?: string;
  /** Model the command runs, recorded on its attempts when its output does not name one; prices its reported tokens [not set]. */
  model?: string;
  /** Cap per captured stream, characters [1000000]. */
  maxOutputChars?: number;
}

/** Placeholders an argument template may use; anything else in braces is a configuration error. */
export const COMMAND_PLACEHOLDERS = [
  'id',
  'title',
  'agentType',
  'priority',
  'estimateHours',
  'epicId',
  'epicTitle',
  'featureId',
  'featureTitle',
  'cwd',
  'attempt',
  'verify',
  'prompt',
] as const;
type Placeholder = (typeof COMMAND_PLACEHOLDERS)[number];
const PLACEHOLDER_RE = /\{([A-Za-z]+)\}/g;

/** Checks an argument template; the error names the agent, the element and the unknown placeholder. */
export function validateTemplate(where: string, args: readonly string[]): void {
  args.forEach((a, i) => {
    for (const m of a.matchAll(PLACEHOLDER_RE)) {
      if (!(COMMAND_PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
        throw new TypeError(
          `${where}: args[${i}] ${JSON.stringify(a)} uses unknown placeholder {${m[1]}}; known: ${COMMAND_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`,
        );
      }
    }
  });
}

/**
 * Substitutes placeholders inside each element. The result has exactly as many elements as the template.
 * Throws (naming the element) when task text would make an element start with `-` where the template's does not, and
 * no `--` element comes before it: a title `--output=/etc/x` or a Verify line `-rf` would otherwise reach the program
 * as an option of the person's command rather than as its text.
 */
export function expandArgs(template: readonly string[], values: Readonly<Record<Placeholder, string>>): string[] {
  // A replacer function, so `$&`-style patterns in task text are not interpreted either.
  const out = template.map((a) => a.replace(PLACEHOLDER_RE, (whole, name: string) => (name in values ? values[name as Placeholder] : whole)));
  const endOfOptions = template.indexOf('--');
  out.forEach((a, i) => {
    if (a.startsWith('-') && !template[i]!.startsWith('-') && (endOfOptions < 0 || endOfOptions > i))
      throw new TypeError(
        `args[${i}] ${JSON.stringify(template[i])} would start with "-" (${JSON.stringify(a.slice(0, 40))}) and be read as an option: put "--" before it in the agent's args, or pass it as --name=${template[i]}`,
      );
  });
  return out;
}

/** The task as JSON for `CODITECT_TASK_JSON` and stdin; dependency summaries are dropped if it would exceed `maxChars`. */
export function taskJson(task: AgentTaskInput, maxChars = 64_000): string {
  const full = JSON.stringify(task);
  if (full.length <= maxChars) return full;
  return JSON.stringify({ ...task, dependencies: task.dependencies.map((d) => ({ id: d.id, title: d.title })) }).slice(0, maxChars);
}

/** Environment variables describing the task, for commands that read them instead of arguments. */
export function taskEnv(task: AgentTaskInput): Record<string, string> {
  const env: Record<string, string> = {
    CODITECT_TASK_ID: task.id,
    CODITECT_TASK_TITLE: task.title,
    CODITECT_TASK_AGENT_TYPE: task.agentType,
    CODITECT_TASK_CWD: task.cwd,
    CODITECT_TASK_ATTEMPT: String(task.attempt),
    CODITECT_EPIC_ID: task.epic.id,
    CODITECT_EPIC_TITLE: task.epic.title,
    CODITECT_FEATURE_ID: task.feature.id,
    CODITECT_FEATURE_TITLE: task.feature.title,
    CODITECT_TASK_JSON: taskJson(task),
  };
  if (task.priority) env.CODITECT_TASK_PRIORITY = task.priority;
  if (task.estimateHours !== undefined) env.CODITECT_TASK_ESTIMATE_HOURS = String(task.estimateHours);
  if (task.verify) env.CODITECT_TASK_VERIFY = task.verify;
  return env;
}

/** What a parser got out of stdout; `error` set means the CLI reported a failure in its output. */
interface ParsedOutput {
  summary?: string;
  tokensIn?: number;
  tokensOut?: number;
  /** Of tokensIn, read from the provider's prompt cache (Codex `cached_input_tokens`). */
  cacheReadTokens?: number;
  sessionId?: string;
  model?: string;
  error?: string;
  progress?: string[];
}

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** Codex `exec --json`: JSON lines (`thread.started`, `item.completed` with `agent_message`, `turn.completed` usage, `turn.failed`, `error`). */
export function parseCodexJsonl(stdout: string): ParsedOutput {
  const out: ParsedOutput = {};
  for (const line of splitLines(stdout)) {
    const ev = line.trim() ? (tryJson(line.trim()) as Record<string, unknown> | undefined) : undefined;
    if (!ev || typeof ev !== 'object') continue;
    switch (ev.type) {
      case 'thread.started':
        if (typeof ev.thread_id === 'string') out.sessionId = ev.thread_id;
        break;
      case 'item.completed': {
        const item = (ev.item ?? {}) as Record<string, unknown>;
        if (item.type === 'agent_message' && typeof item.text === 'string') out.summary = item.text;
        break;
      }
      case 'turn.completed': {
        const u = (ev.usage ?? {}) as Record<string, unknown>;
        if (typeof u.input_tokens === 'number') out.tokensIn = (out.tokensIn ?? 0) + u.input_tokens;
        if (typeof u.cached_input_tokens === 'number') out.cacheReadTokens = (out.cacheReadTokens ?? 0) + u.cached_input_tokens;
        if (typeof u.output_tokens === 'number') out.tokensOut = (out.tokensOut ?? 0) + u.output_tokens;
        break;
      }
      case 'turn.failed': {
        const e = (ev.error ?? {}) as Record<string, unknown>;
        out.error = typeof e.message === 'string' ? e.message : 'turn failed';
        break;
      }
      case 'error':
        out.error = typeof ev.message === 'string' ? ev.message : 'error';
        break;
    }
  }
  return out;
}

/** One progress line for a Codex event, if it is worth showing. */
function codexProgress(line: string): string | undefined {
  const ev = tryJson(line.trim()) as Record<string, unknown> | undefined;
  if (!ev || typeof ev !== 'object') return undefined;
  const item = (ev.item ?? {}) as Record<string, unknown>;
  if (ev.type === 'item.started' && item.type === 'command_execution') return `command ${String(item.command)}`.slice(0, 200);
  if (ev.type === 'item.completed' && item.type === 'file_change') return 'file change';
  if (ev.type === 'turn.started') return 'turn started';
  return undefined;
}

/**
 * Gemini `--output-format json`: `{ response, session_id, stats: { models: { <id>: { tokens: { prompt, candidates,
 * cached }, roles: { main | utility_router | … } } } }, error? }`. Tokens are summed over every model the CLI called
 * (its router calls a small model before the main one); the model shown is the one in the `main` role.
 */
export function parseGeminiJson(stdout: string): ParsedOutput {
  const trimmed = stdout.trim();
  let obj = tryJson(trimmed) as Record<string, unknown> | undefined;
  if (!obj) {
    // Some versions print warnings before the object: take the last `{` that starts a parsable object at a line start.
    const idx = trimmed.lastIndexOf('\n{');
    if (idx >= 0) obj = tryJson(trimmed.slice(idx + 1)) as Record<string, unknown> | undefined;
  }
  if (!obj || typeof obj !== 'object') return {};
  const out: ParsedOutput = {};
  if (typeof obj.response === 'string') out.summary = obj.response;
  if (typeof obj.session_id === 'string') out.sessionId = obj.session_id;
  const err = obj.error as Record<string, unknown> | null | undefined;
  if (err && typeof err === 'object')
    out.error = `${textOf(err.type ?? 'Error')}: ${textOf(err.message ?? '')}${err.code !== undefined ? ` (code ${textOf(err.code)})` : ''}`;
  const models = ((obj.stats ?? {}) as Record<string, unknown>).models as Record<string, Record<string, unknown>> | undefined;
  if (models && typeof models === 'object') {
    let main: string | undefined;
    for (const [id, m] of Object.entries(models)) {
      out.model ??= id;
      const roles = m?.roles;
      if (main === undefined && roles && typeof roles === 'object' && 'main' in roles) main = id;
      const t = (m?.tokens ?? {}) as Record<string, unknown>;
      if (typeof t.prompt === 'number') out.tokensIn = (out.tokensIn ?? 0) + t.prompt;
      if (typeof t.candidates === 'number') out.tokensOut = (out.tokensOut ?? 0) + t.candidates;
      if (typeof t.cached === 'number' && t.cached > 0) out.cacheReadTokens = (out.cacheReadTokens ?? 0) + t.cached;
    }
    if (main !== undefined) out.model = main;
  }
  return out;
}

function parseOutput(format: CommandOutputFormat, stdout: string): ParsedOutput | undefined {
  if (format === 'codex-jsonl') return parseCodexJsonl(stdout);
  if (format === 'gemini-json') return parseGeminiJson(stdout);
  return undefined;
}

/** An agent that runs a configured executable. */
export class CommandAgent implements Agent {
  readonly provider: string;
  private readonly executable: string;
  private readonly args: string[];
  private readonly stdinMode: 'prompt' | 'json' | 'none';
  private readonly output: CommandOutputFormat;
  private readonly extraEnv: Record<string, string>;
  private readonly passEnv: string[];
  private readonly successExitCodes: number[];
  private readonly exitCodeKinds: Record<string, AgentErrorKind>;
  private readonly maxOutputChars: number;
  private readonly model: string | undefined;
  private readonly network: boolean | undefined;
  private readonly writablePaths: string[];
  private readonly stateDirs: string[];

  constructor(
    readonly name: string,
    config: CommandAgentConfig,
  ) {
    const where = `agent "${name}" (command)`;
    if (!config || typeof config !== 'object') throw new TypeError(`${where}: configuration must be an object`);
    const executable = stringOption(where, 'executable', config.executable);
    if (executable === undefined) throw new TypeError(`${where}: executable is required`);
    this.executable = executable;
    this.args = stringArrayOption(where, 'args', config.args, []);
    validateTemplate(where, this.args);
    this.stdinMode = enumOption(where, 'stdin', config.stdin, ['prompt', 'json', 'none'] as const, 'prompt');
    this.output = enumOption(where, 'output', config.output, ['text', 'codex-jsonl', 'gemini-json'] as const, 'text');
    this.provider = stringOption(where, 'provider', config.provider, 'command');
    this.model = stringOption(where, 'model', config.model);
    this.maxOutputChars = intOption(where, 'maxOutputChars', config.maxOutputChars, 1_000_000, 1000);
    const env = config.env ?? {};
    if (typeof env !== 'object' || Array.isArray(env) || !Object.values(env).every((v) => typeof v === 'string')) {
      throw new TypeError(`${where}: env must be an object of string values, got ${JSON.stringify(env)}`);
    }
    this.extraEnv = { ...env };
    this.passEnv = stringArrayOption(where, 'passEnv', config.passEnv, []);
    if (config.network !== undefined && typeof config.network !== 'boolean')
      throw new TypeError(`${where}: network must be true or false, got ${JSON.stringify(config.network)}`);
    this.network = config.network;
    this.writablePaths = stringArrayOption(where, 'writablePaths', config.writablePaths, []);
    this.stateDirs = stringArrayOption(where, 'stateDirs', config.stateDirs, []);
    for (const d of this.stateDirs) if (!d.startsWith('~/')) throw new TypeError(`${where}: stateDirs must be paths under ~/, got ${JSON.stringify(d)}`);
    const codes = config.successExitCodes ?? [0];
    if (!Array.isArray(codes) || codes.length === 0 || !codes.every((c) => Number.isInteger(c) && c >= 0 && c <= 255)) {
      throw new TypeError(`${where}: successExitCodes must be a non-empty array of integers 0-255, got ${JSON.stringify(config.successExitCodes)}`);
    }
    this.successExitCodes = [...codes];
    this.exitCodeKinds = {};
    for (const [code, kind] of Object.entries(config.exitCodeKinds ?? {})) {
      if (!/^\d{1,3}$/.test(code)) throw new TypeError(`${where}: exitCodeKinds key ${JSON.stringify(code)} is not an exit code`);
      if (!AGENT_ERROR_KINDS.includes(kind))
        throw new TypeError(`${where}: exitCodeKinds["${code}"] must be one of ${AGENT_ERROR_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
      this.exitCodeKinds[code] = kind;
    }
  }

  async run(task: AgentTaskInput, ctx: AgentRunContext): Promise<AgentResult> {
    const redact = createRedactor(secretEnvValues({ ...ctx.env, ...this.extraEnv }));
    if (ctx.signal.aborted) throw abortError(ctx.signal, this.provider);
    const needsPrompt = this.stdinMode === 'prompt' || this.args.some((a) => a.includes('{prompt}'));
    const prompt = needsPrompt ? buildPrompt(task, await loadRelevantFiles(task.cwd, task.relevantFiles)) : '';
    const values: Record<Placeholder, string> = {
      id: task.id,
      title: task.title,
      agentType: task.agentType,
      priority: task.priority ?? '',
      estimateHours: task.estimateHours === undefined ? '' : String(task.estimateHours),
      epicId: task.epic.id,
      epicTitle: task.epic.title,
      featureId: task.feature.id,
      featureTitle: task.feature.title,
      cwd: task.cwd,
      attempt: String(task.attempt),
      verify: task.verify ?? '',
      prompt,
    };
    const lines =
      this.output === 'codex-jsonl' && ctx.onOutput
        ? new LineSplitter((line) => {
            const p = codexProgress(line);
            if (p) ctx.onOutput?.('progress', redact(p) + '\n');
          })
        : undefined;
    const onStdout = (chunk: string): void => {
      ctx.onOutput?.('stdout', redact(chunk));
      lines?.push(chunk);
    };
    let args: string[];
    try {
      args = expandArgs(this.args, values);
    } catch (e) {
      // The task's text, not a passing condition: retrying changes nothing.
      throw new AgentError(`${this.provider}: ${redact(errorMessage(e))}`, 'fatal', this.provider);
    }
    const stateDirs = homePaths(this.stateDirs, ctx.env.HOME);
    await Promise.all(stateDirs.map((d) => mkdir(d, { recursive: true, mode: 0o700 }).catch(() => undefined))); // a HOME we may not write: the CLI says so itself
    let r: ProcessTreeResult;
    try {
      r = await runAgentProcess({
        command: this.executable,
        args,
        cwd: task.cwd,
        env: agentEnv(ctx.env, { ...pickEnv(ctx.env, this.passEnv), ...this.extraEnv, ...taskEnv(task) }, ctx.sandbox?.envAllow),
        sandbox: ctx.sandbox,
        overrides: { network: this.network, writable: [...homePaths(this.writablePaths, ctx.env.HOME), ...stateDirs] },
        stdin: this.stdinMode === 'prompt' ? prompt : this.stdinMode === 'json' ? JSON.stringify(task) : undefined,
        signal: ctx.signal,
        killGraceMs: ctx.killGraceMs,
        maxOutputChars: this.maxOutputChars,
        onStdout,
        onStderr: (c) => ctx.onOutput?.('stderr', redact(c)),
      });
    } catch (e) {
      if (e instanceof SpawnError) throw spawnFailure(e, this.provider, this.name, this.executable);
      if (e instanceof SandboxUnavailableError) throw new AgentError(`${this.provider}: ${e.message}`, 'config', this.provider);
      throw new AgentError(`${this.provider}: ${redact(errorMessage(e))}`, 'fatal', this.provider);
    }
    lines?.flush();
    const parsed = parseOutput(this.output, r.stdout);
    const fail = exitFailure(r, this.provider, redact, ctx.signal, {
      successExitCodes: this.successExitCodes,
      exitCodeKinds: this.exitCodeKinds,
      extraText: parsed?.error,
    });
    if (fail) throw fail;
    if (parsed?.error) {
      const guess = classifyFailureText(parsed.error);
      throw new AgentError(
        `${this.provider}: reported an error: ${tailOf(redact(parsed.error))}`,
        guess?.kind ?? 'transient',
        this.provider,
        guess?.retryAfterMs,
      );
    }
    if (parsed && parsed.summary === undefined) {
      throw new AgentError(
        `${this.provider}: malformed output: expected ${this.output} output with a final answer (${tailOf(redact(r.stdout), 200) || 'empty'})`,
        'transient',
        this.provider,
      );
    }
    const summary = parsed?.summary ?? (tailOf(r.stdout, 1000) || `${this.executable} exited with code ${r.exitCode}`);
    return {
      summary: redact(summary.trim()),
      exitCode: r.exitCode,
      stdout: redact(r.stdout),
      stderr: redact(r.stderr),
      tokensIn: parsed?.tokensIn,
      tokensOut: parsed?.tokensOut,
      cacheReadTokens: parsed?.cacheReadTokens,
      sessionId: parsed?.sessionId,
      model: parsed?.model ?? this.model,
    };
  }
}

/** `~/x` → `<home>/x`; other paths as given (relative ones are dropped: a sandbox path must be absolute). */
export function homePaths(paths: readonly string[], home: string | undefined): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (p === '~' || p.startsWith('~/')) {
      if (home) out.push(home + p.slice(1));
    } else if (p.startsWith('/')) out.push(p);
  }
  return out;
}

/** Options of the Codex CLI preset (defaults in brackets). */
export interface CodexPresetConfig {
  /** [`codex`] */
  executable?: string;
  /** `--model` [not passed]. */
  model?: string;
  /** `--sandbox` mode, e.g. `workspace-write` [`workspace-write`]. */
  sandbox?: string;
  /** Extra arguments placed before the prompt marker [none]. */
  extraArgs?: string[];
  env?: Record<string, string>;
}

/** `codex exec --json [--model m] --sandbox <mode> -C {cwd} [extra…] -` with the prompt on stdin, parsing its JSON lines. */
export function codexPreset(name: string, c: CodexPresetConfig = {}): CommandAgentConfig {
  const where = `agent "${name}" (codex)`;
  const model = stringOption(where, 'model', c.model);
  const args = ['exec', '--json'];
  if (model) args.push('--model', model);
  args.push('--sandbox', stringOption(where, 'sandbox', c.sandbox, 'workspace-write'), '-C', '{cwd}');
  args.push(...stringArrayOption(where, 'extraArgs', c.extraArgs, []), '-');
  return {
    executable: stringOption(where, 'executable', c.executable, 'codex'),
    args,
    stdin: 'prompt',
    output: 'codex-jsonl',
    provider: 'codex',
    model,
    env: c.env,
    passEnv: [...CODEX_CLI_ENV],
    // The CLI calls its API and keeps sessions under ~/.codex.
    network: true,
    stateDirs: ['~/.codex'],
  };
}

/** The named variables of `env` (those set). */
function pickEnv(env: Record<string, string | undefined>, names: readonly string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const k of names) if (env[k] !== undefined) out[k] = env[k];
  return out;
}

/** Proxy settings a CLI that calls its API honours. */
const PROXY_ENV = ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy'];

/** The Codex CLI's own credentials, state directory and endpoint (docs/agents.md). */
export const CODEX_CLI_ENV: readonly string[] = ['OPENAI_API_KEY', 'CODEX_API_KEY', 'CODEX_HOME', 'OPENAI_BASE_URL', ...PROXY_ENV];

/** The Gemini CLI's own credentials and endpoint (docs/agents.md). */
export const GEMINI_CLI_ENV: readonly string[] = [
  'GEMINI_API_KEY',
  'GOOGLE_API_KEY',
  'GOOGLE_GEMINI_BASE_URL',
  'GOOGLE_CLOUD_PROJECT',
  'GOOGLE_CLOUD_LOCATION',
  'GOOGLE_GENAI_USE_VERTEXAI',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'GEMINI_CLI_HOME',
  ...PROXY_ENV,
];

/** Options of the Gemini CLI preset (defaults in brackets). */
export interface GeminiPresetConfig {
  /** [`gemini`] */
  executable?: string;
  /** `--model` [not passed]. */
  model?: string;
  /** `--approval-mode`, e.g. `auto_edit`, `yolo` [not passed]. */
  approvalMode?: string;
  /**
   * `--skip-trust`: trust the task's working directory for this session [true]. The CLI refuses to run headless in a
   * folder it was never told to trust; the person chose this folder by configuring the agent for it.
   */
  trustWorkspace?: boolean;
  extraArgs?: string[];
  env?: Record<string, string>;
}

/**
 * `gemini [--model m] [--approval-mode x] [--skip-trust] [extra…] --output-format json -p {prompt}`; exit 41 = auth,
 * 42 = input error and 52 = config error (config), 53 = turn limit (fatal).
 */
export function geminiPreset(name: string, c: GeminiPresetConfig = {}): CommandAgentConfig {
  const where = `agent "${name}" (gemini)`;
  const model = stringOption(where, 'model', c.model);
  const approval = stringOption(where, 'approvalMode', c.approvalMode);
  const args: string[] = [];
  if (model) args.push('--model', model);
  if (approval) args.push('--approval-mode', approval);
  if (boolOption(where, 'trustWorkspace', c.trustWorkspace, true)) args.push('--skip-trust');
  args.push(...stringArrayOption(where, 'extraArgs', c.extraArgs, []), '--output-format', 'json', '-p', '{prompt}');
  return {
    executable: stringOption(where, 'executable', c.executable, 'gemini'),
    args,
    stdin: 'none',
    output: 'gemini-json',
    provider: 'gemini',
    model,
    env: c.env,
    passEnv: [...GEMINI_CLI_ENV],
    exitCodeKinds: { '41': 'auth', '42': 'config', '52': 'config', '53': 'fatal' },
    // The CLI calls its API and keeps settings and sessions under ~/.gemini.
    network: true,
    stateDirs: ['~/.gemini'],
  };
}
