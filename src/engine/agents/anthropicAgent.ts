// Agent on the Anthropic Messages API through the official SDK, with a tool-use loop over workspace tools confined
// to the task's cwd. One `run` is one attempt: the SDK's own retries are off (`maxRetries: 0`) because retrying
// belongs to the engine's resilience layer, which reads the AgentError kind and `retryAfterMs` set here.
// Invariant: the API key comes from `ctx.env.ANTHROPIC_API_KEY` only and never appears in any string this module
// produces (messages, causes, stacks, results, progress): everything outgoing passes through a redactor.
import { isDroppedConnection, RequestTimeoutError, timedFetch } from './timedFetch';
import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, AnthropicError } from '@anthropic-ai/sdk';
import {
  AgentError,
  abortError,
  withSpent,
  type Agent,
  type AgentErrorKind,
  type AgentResult,
  type AgentRunContext,
  type AgentSpend,
  type AgentTaskInput,
} from './agent';
import { boolOption, intOption, stringOption } from './agentOptions';
import { computeCostUsd, priceFor, validatePrices, type ModelPrice, type TokenUsage } from './pricing';
import { buildPrompt, loadRelevantFiles } from './prompt';
import { executeWorkspaceTool, workspaceToolDefinitions } from './workspaceTools';
import { createRedactor, secretEnvValues } from '../redact';

const PROVIDER = 'anthropic';

/** Options of an Anthropic API agent (all optional; defaults in brackets). */
export interface AnthropicAgentConfig {
  /** Model id [`claude-sonnet-5-5`]. */
  model?: string;
  /** `max_tokens` per request [8192]. */
  maxTokens?: number;
  /** Requests per attempt before giving up with a `fatal` error [25]. */
  maxTurns?: number;
  /** API base URL [`ctx.env.ANTHROPIC_BASE_URL`, else `https://api.anthropic.com`]. */
  baseURL?: string;
  /** Time limit of one HTTP request, from sending it to the last byte of the answer, in ms [600000]; exceeding it is `transient`. */
  requestTimeoutMs?: number;
  /** Once an answer has begun, the longest wait for its next byte, in ms [60000]; a stalled answer is `transient`. */
  idleTimeoutMs?: number;
  /** Offer the `run_command` tool (args array, no shell, cwd-confined) [false]. */
  enableRunCommand?: boolean;
  /** Time limit of one `run_command` in ms [120000]. */
  runCommandTimeoutMs?: number;
  /** Bytes a `read_file` returns before truncating [100000]. */
  maxReadBytes?: number;
  /** System prompt [a short one describing the tools and the working directory]. */
  systemPrompt?: string;
  /** Price overrides (USD per million tokens) keyed by model id, merged over DEFAULT_MODEL_PRICES. */
  prices?: Record<string, ModelPrice>;
}

export const DEFAULT_ANTHROPIC_MODEL = 'claude-sonnet-5-5';

const DEFAULT_SYSTEM_PROMPT = [
  'You are a software engineering agent working on one task of a larger project plan.',
  'You can only see and change files inside the working directory, through the tools you are given; paths are relative to it.',
  'Work carefully and make the smallest change that completes the task. When done, answer with the report the task asks for.',
].join('\n');

/** Milliseconds to wait from `retry-after-ms` or `retry-after` (seconds or HTTP date); undefined when absent or unparsable. */
export function parseRetryAfter(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const v = Number(ms);
    if (Number.isFinite(v) && v >= 0) return Math.round(v);
  }
  const ra = headers.get('retry-after');
  if (ra === null || ra.trim() === '') return undefined;
  const secs = Number(ra);
  if (Number.isFinite(secs) && secs >= 0) return Math.round(secs * 1000);
  const date = Date.parse(ra);
  if (!Number.isNaN(date)) return Math.max(0, date - now);
  return undefined;
}

/** Maps an HTTP status of the Messages API to an error kind (see docs/agents.md). */
export function kindForStatus(status: number): AgentErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 402 || status === 403) return 'auth';
  if (status === 400 || status === 404 || status === 413 || status === 422) return 'config';
  if (status === 408 || status === 409 || status === 499 || status >= 500) return 'transient';
  return 'fatal';
}

/** A copy of `e` safe to keep as a cause: same name and status, message and stack redacted, no headers or body. */
function sanitizedCause(e: unknown, redact: (s: string) => string): Error {
  const src = e instanceof Error ? e : new Error(String(e));
  const copy = new Error(redact(src.message));
  copy.name = src.name;
  copy.stack = redact(src.stack ?? `${src.name}: ${src.message}`);
  const status = (src as { status?: unknown }).status;
  if (typeof status === 'number') (copy as Error & { status?: number }).status = status;
  return copy;
}

/** Turns anything thrown by the SDK into a redacted AgentError. */
export function classifyAnthropicError(e: unknown, signal: AbortSignal, redact: (s: string) => string): AgentError {
  if (e instanceof AgentError) return e; // already classified and redacted
  const cause = sanitizedCause(e, redact);
  if (e instanceof APIUserAbortError || signal.aborted) return abortError(signal, PROVIDER, cause);
  if (e instanceof RequestTimeoutError) {
    return new AgentError(`anthropic: ${e.message}`, 'transient', PROVIDER, undefined, { cause });
  }
  if (isDroppedConnection(e) || isDroppedConnection((e as { cause?: unknown })?.cause)) {
    return new AgentError(`anthropic: the connection dropped mid-response (${redact(cause.message)}); retried as transient`, 'transient', PROVIDER, undefined, {
      cause,
    });
  }
  if (e instanceof APIConnectionTimeoutError) {
    return new AgentError('anthropic: request timed out (no response within requestTimeoutMs)', 'transient', PROVIDER, undefined, { cause });
  }
  if (e instanceof APIConnectionError) {
    return new AgentError(`anthropic: connection error: ${redact(e.message)}`, 'transient', PROVIDER, undefined, { cause });
  }
  if (e instanceof APIError && typeof e.status === 'number') {
    const status = e.status;
    const detail = redact(e.apiMessage ?? e.message);
    const type = e.type ? ` ${e.type}` : '';
    if (status === 429 && e.errorCode === 'enforced_spend_limit_reached') {
      return new AgentError(
        `anthropic: 429${type}: spend limit reached (${detail}); retrying will not help until the limit is raised`,
        'fatal',
        PROVIDER,
        undefined,
        { cause },
      );
    }
    const kind = kindForStatus(status);
    const retryAfterMs = kind === 'rate_limited' ? parseRetryAfter(e.headers) : undefined;
    return new AgentError(`anthropic: HTTP ${status}${type}: ${detail}`, kind, PROVIDER, retryAfterMs, { cause });
  }
  if (e instanceof SyntaxError) {
    return new AgentError(
      `anthropic: malformed response from the Messages API (body is not valid JSON: ${redact(e.message)})`,
      'transient',
      PROVIDER,
      undefined,
      { cause },
    );
  }
  if (e instanceof AnthropicError) {
    return new AgentError(`anthropic: client configuration error: ${redact(e.message)}`, 'config', PROVIDER, undefined, { cause });
  }
  return new AgentError(`anthropic: unexpected error: ${redact(cause.message)}`, 'fatal', PROVIDER, undefined, { cause });
}

interface CheckedMessage {
  content: Anthropic.ContentBlock[];
  stopReason: string | null;
  model?: string;
  usage: TokenUsage;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** Checks the shape of a Messages API response; throws a `transient` AgentError naming what is wrong. */
function checkMessage(raw: unknown): CheckedMessage {
  const bad = (what: string): AgentError => new AgentError(`anthropic: malformed response from the Messages API (${what})`, 'transient', PROVIDER);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw bad(`expected a message object, got ${typeof raw === 'string' ? 'text' : JSON.stringify(raw)?.slice(0, 40)}`);
  const m = raw as Record<string, unknown>;
  if (m.type !== undefined && m.type !== 'message') throw bad(`type is ${JSON.stringify(m.type)}, expected "message"`);
  if (!Array.isArray(m.content)) throw bad('content is not an array');
  for (const [i, b] of (m.content as unknown[]).entries()) {
    if (!b || typeof b !== 'object' || typeof (b as { type?: unknown }).type !== 'string') throw bad(`content[${i}] has no type`);
    const block = b as Record<string, unknown>;
    if (block.type === 'text' && typeof block.text !== 'string') throw bad(`content[${i}] text block without text`);
    if (block.type === 'tool_use' && (typeof block.id !== 'string' || typeof block.name !== 'string'))
      throw bad(`content[${i}] tool_use block without id or name`);
  }
  const usage = (m.usage ?? {}) as Record<string, unknown>;
  return {
    content: m.content as Anthropic.ContentBlock[],
    stopReason: typeof m.stop_reason === 'string' ? m.stop_reason : null,
    model: typeof m.model === 'string' ? m.model : undefined,
    usage: {
      inputTokens: num(usage.input_tokens),
      outputTokens: num(usage.output_tokens),
      cacheCreationInputTokens: num(usage.cache_creation_input_tokens),
      cacheReadInputTokens: num(usage.cache_read_input_tokens),
    },
  };
}

function describeToolCall(name: string, input: unknown): string {
  const i = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  if (name === 'run_command') return `run_command ${String(i.command)} ${Array.isArray(i.args) ? i.args.map(String).join(' ') : ''}`.trim();
  return typeof i.path === 'string' ? `${name} ${i.path}` : name;
}

/** The Anthropic Messages API agent. */
export class AnthropicAgent implements Agent {
  readonly provider = PROVIDER;
  private readonly model: string;
  private readonly maxTokens: number;
  private readonly maxTurns: number;
  private readonly requestTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly enableRunCommand: boolean;
  private readonly runCommandTimeoutMs: number;
  private readonly maxReadBytes: number;
  private readonly systemPrompt: string;
  private readonly prices: Record<string, ModelPrice>;
  private readonly baseURL: string | undefined;

  constructor(
    readonly name: string,
    config: AnthropicAgentConfig = {},
  ) {
    const where = `agent "${name}" (anthropic)`;
    this.model = stringOption(where, 'model', config.model, DEFAULT_ANTHROPIC_MODEL);
    this.maxTokens = intOption(where, 'maxTokens', config.maxTokens, 8192, 1, 1_000_000);
    this.maxTurns = intOption(where, 'maxTurns', config.maxTurns, 25, 1, 1000);
    this.requestTimeoutMs = intOption(where, 'requestTimeoutMs', config.requestTimeoutMs, 600_000, 1);
    this.idleTimeoutMs = intOption(where, 'idleTimeoutMs', config.idleTimeoutMs, 60_000, 1);
    this.enableRunCommand = boolOption(where, 'enableRunCommand', config.enableRunCommand, false);
    this.runCommandTimeoutMs = intOption(where, 'runCommandTimeoutMs', config.runCommandTimeoutMs, 120_000, 1);
    this.maxReadBytes = intOption(where, 'maxReadBytes', config.maxReadBytes, 100_000, 1);
    this.systemPrompt = stringOption(where, 'systemPrompt', config.systemPrompt, DEFAULT_SYSTEM_PROMPT);
    this.prices = validatePrices(config.prices, where);
    this.baseURL = stringOption(where, 'baseURL', config.baseURL);
    if (this.baseURL !== undefined && !/^https?:\/\//.test(this.baseURL))
      throw new TypeError(`${where}: baseURL must start with http:// or https://, got ${JSON.stringify(this.baseURL)}`);
  }

  async run(task: AgentTaskInput, ctx: AgentRunContext): Promise<AgentResult> {
    const apiKey = ctx.env.ANTHROPIC_API_KEY;
    const redact = createRedactor([apiKey, ...secretEnvValues(ctx.env)]);
    if (!apiKey) throw new AgentError('anthropic: ANTHROPIC_API_KEY is not set in the engine environment', 'auth', PROVIDER);
    try {
      return await this.attempt(task, ctx, apiKey, redact);
    } catch (e) {
      // Invariant: only AgentErrors leave `run`, and they are redacted.
      throw classifyAnthropicError(e, ctx.signal, redact);
    }
  }

  private async attempt(task: AgentTaskInput, ctx: AgentRunContext, apiKey: string, redact: (s: string) => string): Promise<AgentResult> {
    if (ctx.signal.aborted) throw abortError(ctx.signal, PROVIDER);
    const progress = (line: string): void => ctx.onOutput?.('progress', redact(line) + '\n');

    const client = new Anthropic({
      apiKey,
      authToken: null,
      baseURL: this.baseURL ?? ctx.env.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com',
      maxRetries: 0, // MUST stay 0: retries belong to the engine's resilience layer
      timeout: this.requestTimeoutMs,
      // The SDK's timeout ends at the response headers; this also bounds the body (total) and its stalls (idle).
      fetch: timedFetch(this.requestTimeoutMs, this.idleTimeoutMs),
      logLevel: 'off', // the SDK's debug log would print request details
      openTelemetry: false,
    });

    const files = await loadRelevantFiles(task.cwd, task.relevantFiles);
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: buildPrompt(task, files) }];
    const tools = workspaceToolDefinitions(this.enableRunCommand);
    const total: TokenUsage = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
    let model = this.model;
    let lastStop: string | null = null;
    let answered = false;
    // What the attempt has spent so far: on its result, and on its error when a later turn fails (those tokens were paid for too).
    const spent = (): AgentSpend | undefined => {
      if (!answered) return undefined;
      const price = priceFor(model, this.prices) ?? priceFor(this.model, this.prices);
      return {
        tokensIn: total.inputTokens + total.cacheCreationInputTokens + total.cacheReadInputTokens,
        tokensOut: total.outputTokens,
        cacheReadTokens: total.cacheReadInputTokens,
        cacheWriteTokens: total.cacheCreationInputTokens,
        costUsd: price ? computeCostUsd(total, price) : undefined,
        costEstimated: price ? true : undefined,
        model,
      };
    };

    try {
      for (let turn = 1; turn <= this.maxTurns; turn++) {
        progress(`turn ${turn}/${this.maxTurns}: asking ${this.model}`);
        let raw: unknown;
        try {
          raw = await client.messages.create(
            { model: this.model, max_tokens: this.maxTokens, system: this.systemPrompt, tools, messages },
            { signal: ctx.signal },
          );
        } catch (e) {
          throw classifyAnthropicError(e, ctx.signal, redact);
        }
        const msg = checkMessage(raw);
        total.inputTokens += msg.usage.inputTokens;
        total.outputTokens += msg.usage.outputTokens;
        total.cacheCreationInputTokens += msg.usage.cacheCreationInputTokens;
        total.cacheReadInputTokens += msg.usage.cacheReadInputTokens;
        answered = true;
        if (msg.model) model = msg.model;
        lastStop = msg.stopReason;
        ctx.onSpend?.(spent()!);
        messages.push({ role: 'assistant', content: msg.content as unknown as Anthropic.ContentBlockParam[] });

        if (msg.stopReason === 'tool_use') {
          const uses = msg.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
          if (uses.length === 0)
            throw new AgentError('anthropic: malformed response from the Messages API (stop_reason tool_use without a tool_use block)', 'transient', PROVIDER);
          const results: Anthropic.ToolResultBlockParam[] = [];
          for (const use of uses) {
            if (ctx.signal.aborted) throw abortError(ctx.signal, PROVIDER);
            progress(`tool ${describeToolCall(use.name, use.input)}`);
            const r = await executeWorkspaceTool(use.name, use.input, {
              root: task.cwd,
              allowRunCommand: this.enableRunCommand,
              maxReadBytes: this.maxReadBytes,
              runCommandTimeoutMs: this.runCommandTimeoutMs,
              env: ctx.env,
              sandbox: ctx.sandbox,
              signal: ctx.signal,
              killGraceMs: ctx.killGraceMs,
            });
            if (r.isError) progress(`tool ${use.name} error: ${r.content.slice(0, 200)}`);
            results.push({ type: 'tool_result', tool_use_id: use.id, content: redact(r.content), is_error: r.isError || undefined });
            // An agent that reaches for the plan, the config, the db or .git is not to be trusted with this task: the
            // write was refused, and the attempt fails now (not retried) so nothing it did counts as done.
            if (r.violation)
              throw new AgentError(`anthropic: the agent tried to change what the engine trusts (refused): ${redact(r.violation)}`, 'fatal', PROVIDER);
          }
          if (ctx.signal.aborted) throw abortError(ctx.signal, PROVIDER);
          messages.push({ role: 'user', content: results });
          continue;
        }
        if (msg.stopReason === 'pause_turn') continue; // the API asks for the same conversation back to continue
        if (msg.stopReason === 'refusal') throw new AgentError('anthropic: the model refused the task (stop_reason "refusal")', 'fatal', PROVIDER);
        if (msg.stopReason === 'model_context_window_exceeded')
          throw new AgentError('anthropic: the conversation exceeded the model context window', 'fatal', PROVIDER);

        const text = msg.content
          .filter((b): b is Anthropic.TextBlock => b.type === 'text')
          .map((b) => b.text)
          .join('\n')
          .trim();
        const cut = msg.stopReason === 'max_tokens' ? '\n[answer cut at max_tokens]' : '';
        return {
          summary: redact(text.length > 0 ? text + cut : `(the model finished without a text answer; stop_reason ${String(msg.stopReason)})`),
          stdout: redact(text),
          ...spent(),
        };
      }
      throw new AgentError(
        `anthropic: turn limit reached: the model was still working after ${this.maxTurns} requests (last stop_reason ${String(lastStop)}); raise maxTurns or split the task`,
        'fatal',
        PROVIDER,
      );
    } catch (e) {
      throw withSpent(classifyAnthropicError(e, ctx.signal, redact), spent());
    }
  }
}
