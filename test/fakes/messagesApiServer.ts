// A local stand-in for the Anthropic Messages API (POST /v1/messages) on 127.0.0.1:0, driven by a script of turns.
// Speaks the real response shapes — a message with text/tool_use content blocks, stop_reason and usage; with
// `"stream": true` the documented server-sent events (`message_start`, `content_block_start`/`_delta`/`_stop`,
// `message_delta` with usage, `message_stop`, `ping`, and `error` mid-stream); error JSON with `type: "error"` — so
// agents are exercised through the REAL SDK and the REAL Claude Code CLI. Records every request, and checks what the
// client sends back: every tool_use of the previous turn MUST be answered by a tool_result with its id (recorded in
// `failures` otherwise), and a step may carry its own check of the request (`expect`).
import * as http from 'node:http';
import { closeServer, listenLocal, readRequest } from './localHttp';

export interface FakeUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export type FakeBlock = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown };

/** How a streamed answer is delivered. */
export interface StreamShape {
  /** Pause between events, ms (a slow stream) [0]. */
  delayMs?: number;
  /** After this many events the stream stops sending and stays open (a stalled stream) [never]. */
  stallAfterEvents?: number;
  /** After this many events an `error` event (e.g. overloaded_error) ends the stream [never]. */
  errorAfterEvents?: number;
  errorType?: string;
}

/** A check of a request; returns a problem to record in `failures`, or undefined when the request is right. */
export type RequestCheck = (req: RecordedRequest) => string | undefined;

/** One scripted answer. */
export type FakeStep =
  | { kind: 'message'; content: FakeBlock[]; stop_reason: string; usage: FakeUsage; model?: string; stream?: StreamShape; expect?: RequestCheck }
  | {
      kind: 'error';
      status: number;
      errorType: string;
      message: string;
      headers?: Record<string, string>;
      details?: Record<string, unknown>;
      expect?: RequestCheck;
    }
  | { kind: 'raw'; status: number; body: string; contentType: string; expect?: RequestCheck }
  | { kind: 'hang'; expect?: RequestCheck }
  /** A 200 JSON answer whose body drips `bytesPerTick` bytes every `intervalMs` (a slowly dripping response). */
  | { kind: 'drip'; text: string; intervalMs: number; bytesPerTick?: number; expect?: RequestCheck }
  /** A 200 JSON answer that sends its headers and half its body, then `afterHeaders`: drops the socket or stalls. */
  | { kind: 'cut'; text: string; then: 'drop' | 'stall'; expect?: RequestCheck };

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body (loosely typed: tests dig into it). */
  body: any;
}

/** A tool_result block as a client sends it back. */
export interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content: unknown;
  is_error?: boolean;
}

let seq = 0;

/** A text answer ending the conversation. */
export function textTurn(
  text: string,
  usage: FakeUsage = { input_tokens: 10, output_tokens: 5 },
  extra: Partial<Extract<FakeStep, { kind: 'message' }>> = {},
): FakeStep {
  return { kind: 'message', content: [{ type: 'text', text }], stop_reason: 'end_turn', usage, ...extra };
}

/** A turn that calls tools (`stop_reason: "tool_use"`), optionally with leading text. */
export function toolTurn(
  calls: { name: string; input: unknown }[],
  usage: FakeUsage = { input_tokens: 10, output_tokens: 5 },
  text?: string,
  extra: Partial<Extract<FakeStep, { kind: 'message' }>> = {},
): FakeStep {
  const content: FakeBlock[] = text ? [{ type: 'text', text }] : [];
  for (const c of calls) content.push({ type: 'tool_use', id: `toolu_fake_${++seq}`, name: c.name, input: c.input });
  return { kind: 'message', content, stop_reason: 'tool_use', usage, ...extra };
}

/** 429 rate_limit_error with the given headers (e.g. `retry-after`). */
export function rateLimited(headers: Record<string, string> = { 'retry-after': '7' }): FakeStep {
  return { kind: 'error', status: 429, errorType: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit', headers };
}

/**
 * A subscription usage limit as the API reports it: 429 with the unified rate-limit headers saying "rejected" and
 * when the window resets (epoch seconds).
 */
export function usageLimited(resetEpochSeconds: number): FakeStep {
  return {
    kind: 'error',
    status: 429,
    errorType: 'rate_limit_error',
    message: 'This request would exceed your account\u2019s rate limit. Please try again later.',
    headers: {
      'anthropic-ratelimit-unified-status': 'rejected',
      'anthropic-ratelimit-unified-reset': String(resetEpochSeconds),
      'retry-after': String(Math.max(0, Math.round(resetEpochSeconds - Date.now() / 1000))),
    },
  };
}

/** An API error with its documented type. */
export function apiError(status: number, errorType: string, message: string): FakeStep {
  return { kind: 'error', status, errorType, message };
}

/** A 200 whose body is not valid JSON although it says it is. */
export function malformedJson(): FakeStep {
  return { kind: 'raw', status: 200, body: '{"id":"msg_x","type":"message","content":[{"type":"te', contentType: 'application/json' };
}

/** The tool_result blocks of the request's last user message. */
export function toolResultsOf(req: RecordedRequest): ToolResultBlock[] {
  const messages = req.body?.messages;
  if (!Array.isArray(messages)) return [];
  const last = messages[messages.length - 1];
  if (!last || last.role !== 'user' || !Array.isArray(last.content)) return [];
  return last.content.filter((b: { type?: string }) => b?.type === 'tool_result');
}

/** The text of a tool_result's content (a string, or text blocks). */
export function toolResultText(block: ToolResultBlock): string {
  if (typeof block.content === 'string') return block.content;
  if (Array.isArray(block.content)) return block.content.map((b: { text?: unknown }) => (typeof b?.text === 'string' ? b.text : '')).join('');
  return '';
}

/** A check that the request answers the previous turn's tool call with a result matching `pattern` (and `isError`). */
export function expectToolResult(pattern: RegExp, opts: { isError?: boolean } = {}): RequestCheck {
  return (req) => {
    const results = toolResultsOf(req);
    const hit = results.find((r) => pattern.test(toolResultText(r)) && (opts.isError === undefined || (r.is_error === true) === opts.isError));
    if (hit) return undefined;
    const seen = results.map((r) => `${r.is_error ? '[error] ' : ''}${toolResultText(r).slice(0, 300)}`).join(' | ') || 'no tool_result';
    return `expected a tool_result${opts.isError === undefined ? '' : opts.isError ? ' with is_error' : ' without is_error'} matching ${pattern}, got: ${seen}`;
  };
}

/** A fake Messages API server. */
export class FakeMessagesApi {
  readonly requests: RecordedRequest[] = [];
  /** Problems found in what clients sent (unanswered tool calls, failed `expect` checks). Tests assert it is empty. */
  readonly failures: string[] = [];
  private readonly script: FakeStep[] = [];
  private server: http.Server | undefined;
  private waiters: { n: number; resolve: () => void }[] = [];
  private readonly hanging = new Set<http.ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** tool_use ids answered with and not yet seen answered; the conversation that carries them MUST answer them. */
  private openToolUses: string[] = [];

  /** Appends steps to the script; each request consumes one. */
  enqueue(...steps: FakeStep[]): this {
    this.script.push(...steps);
    return this;
  }

  get remaining(): number {
    return this.script.length;
  }

  /** Resolves once `n` requests have arrived (no sleeping in tests). */
  waitForRequests(n: number): Promise<void> {
    if (this.requests.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  /** The Claude Code session id of each request (its `x-claude-code-session-id` header), in order. */
  sessionIds(): (string | undefined)[] {
    return this.requests.map((r) => {
      const h = r.headers['x-claude-code-session-id'];
      return Array.isArray(h) ? h[0] : h;
    });
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    return listenLocal(this.server);
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const r of this.hanging) r.destroy();
    this.hanging.clear();
    const s = this.server;
    this.server = undefined;
    await closeServer(s);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    void readRequest(req).then((recorded) => {
      this.requests.push(recorded);
      this.waiters = this.waiters.filter((w) => (this.requests.length >= w.n ? (w.resolve(), false) : true));
      if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
        return this.sendError(res, 404, 'not_found_error', `fake server: no route ${req.method} ${req.url}`);
      }
      this.checkToolResults(recorded);
      const step = this.script.shift();
      if (!step) {
        this.failures.push(`request ${this.requests.length}: script exhausted`);
        return this.sendError(res, 500, 'api_error', 'fake server: script exhausted');
      }
      const problem = step.expect?.(recorded);
      if (problem) this.failures.push(`request ${this.requests.length}: ${problem}`);
      // An error answer leaves the calls open: the client's retry of the same request MUST still answer them.
      if (step.kind === 'message') this.openToolUses.push(...step.content.flatMap((b) => (b.type === 'tool_use' ? [b.id] : [])));
      switch (step.kind) {
        case 'message': {
          const b = recorded.body as { model?: string; stream?: boolean };
          const message = {
            id: `msg_fake_${++seq}`,
            type: 'message',
            role: 'assistant',
            model: step.model ?? b.model ?? 'claude-sonnet-5-5',
            content: step.content,
            stop_reason: step.stop_reason,
            stop_sequence: null,
            usage: { cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...step.usage },
          };
          if (b.stream === true) return this.stream(res, message, step.stream ?? {});
          res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_fake_${seq}` });
          res.end(JSON.stringify(message));
          return;
        }
        case 'error':
          return this.sendError(res, step.status, step.errorType, step.message, step.headers, step.details);
        case 'raw':
          res.writeHead(step.status, { 'content-type': step.contentType });
          res.end(step.body);
          return;
        case 'hang':
          this.hang(res);
          return;
        case 'drip':
        case 'cut': {
          const full = JSON.stringify({
            id: `msg_fake_${++seq}`,
            type: 'message',
            role: 'assistant',
            model: 'claude-sonnet-5-5',
            content: [{ type: 'text', text: step.text }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: 10, output_tokens: 5 },
          });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(full)) });
          if (step.kind === 'cut') {
            res.write(full.slice(0, Math.floor(full.length / 2)));
            if (step.then === 'drop') res.socket?.destroy();
            else this.hang(res);
            return;
          }
          this.hang(res); // closed by close() if the client never gives up
          let at = 0;
          const tick = (): void => {
            if (res.destroyed) return;
            const part = full.slice(at, (at += step.bytesPerTick ?? 1));
            if (at >= full.length) return void res.end(part);
            res.write(part);
            setTimeout(tick, step.intervalMs).unref();
          };
          tick();
          return;
        }
      }
    });
  }

  /**
   * Every tool_use the server answered with MUST come back as a tool_result with its id in the next request of the
   * same conversation: the request that carries that assistant turn. A request that does not carry it belongs to
   * another conversation (a subagent the tool call started) and leaves the call open.
   */
  private checkToolResults(req: RecordedRequest): void {
    if (this.openToolUses.length === 0) return;
    const messages: { role?: string; content?: unknown }[] = Array.isArray(req.body?.messages) ? req.body.messages : [];
    type Block = { type?: string; id?: string; tool_use_id?: string };
    const blocks = (role: string, type: string): Block[] =>
      messages.flatMap((m) => (m.role === role && Array.isArray(m.content) ? (m.content as Block[]).filter((b) => b?.type === type) : []));
    const carried = new Set(blocks('assistant', 'tool_use').map((b) => b.id));
    if (!this.openToolUses.some((id) => carried.has(id))) return;
    const answered = new Set(blocks('user', 'tool_result').map((b) => b.tool_use_id));
    const missing = this.openToolUses.filter((id) => !answered.has(id));
    if (missing.length > 0) this.failures.push(`request ${this.requests.length}: no tool_result for ${missing.join(', ')}`);
    this.openToolUses = [];
  }

  private hang(res: http.ServerResponse): void {
    this.hanging.add(res);
    res.on('close', () => this.hanging.delete(res));
  }

  /** The message as the documented event stream: start, one start/delta/stop per block, delta with usage, stop. */
  private stream(
    res: http.ServerResponse,
    message: { content: FakeBlock[]; usage: FakeUsage; stop_reason: string } & Record<string, unknown>,
    shape: StreamShape,
  ): void {
    const events: [string, unknown][] = [];
    const { content, usage, stop_reason, ...head } = message;
    events.push([
      'message_start',
      { type: 'message_start', message: { ...head, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } },
    ]);
    events.push(['ping', { type: 'ping' }]);
    content.forEach((block, index) => {
      if (block.type === 'text') {
        events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }]);
        // Two deltas, so clients really assemble the text.
        const mid = Math.ceil(block.text.length / 2);
        for (const part of [block.text.slice(0, mid), block.text.slice(mid)]) {
          if (part) events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: part } }]);
        }
      } else {
        events.push([
          'content_block_start',
          { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } },
        ]);
        const json = JSON.stringify(block.input ?? {});
        const mid = Math.ceil(json.length / 2);
        for (const part of [json.slice(0, mid), json.slice(mid)]) {
          events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } }]);
        }
      }
      events.push(['content_block_stop', { type: 'content_block_stop', index }]);
    });
    events.push(['message_delta', { type: 'message_delta', delta: { stop_reason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }]);
    events.push(['message_stop', { type: 'message_stop' }]);

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_fake_${seq}` });
    let i = 0;
    const next = (): void => {
      if (res.destroyed) return;
      if (shape.stallAfterEvents !== undefined && i >= shape.stallAfterEvents) return this.hang(res);
      if (shape.errorAfterEvents !== undefined && i >= shape.errorAfterEvents) {
        const type = shape.errorType ?? 'overloaded_error';
        res.end(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message: type === 'overloaded_error' ? 'Overloaded' : type } })}\n\n`);
        return;
      }
      if (i >= events.length) return void res.end();
      const [name, data] = events[i++]!;
      res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      if (shape.delayMs) {
        const t = setTimeout(() => {
          this.timers.delete(t);
          next();
        }, shape.delayMs);
        this.timers.add(t);
      } else next();
    };
    next();
  }

  private sendError(
    res: http.ServerResponse,
    status: number,
    type: string,
    message: string,
    headers: Record<string, string> = {},
    details?: Record<string, unknown>,
  ): void {
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_fake_err_${++seq}`, ...headers });
    res.end(JSON.stringify({ type: 'error', error: { type, message, ...(details ? { details } : {}) }, request_id: `req_fake_err_${seq}` }));
  }
}
