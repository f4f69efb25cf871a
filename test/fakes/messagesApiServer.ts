// A local stand-in for the Anthropic Messages API (POST /v1/messages) on 127.0.0.1:0, driven by a script of turns.
// Speaks the real response shapes (message with text/tool_use content blocks, stop_reason, usage; error JSON with
// `type: "error"`), so the agent is exercised through the REAL SDK. Records every request for assertions.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export type FakeBlock = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown };

/** One scripted answer. */
export type FakeStep =
  | { kind: 'message'; content: FakeBlock[]; stop_reason: string; usage: FakeUsage; model?: string }
  | { kind: 'error'; status: number; errorType: string; message: string; headers?: Record<string, string>; details?: Record<string, unknown> }
  | { kind: 'raw'; status: number; body: string; contentType: string }
  | { kind: 'hang' };

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body (loosely typed: tests dig into it). */
  body: any;
}

let seq = 0;

/** A text answer ending the conversation. */
export function textTurn(text: string, usage: FakeUsage = { input_tokens: 10, output_tokens: 5 }): FakeStep {
  return { kind: 'message', content: [{ type: 'text', text }], stop_reason: 'end_turn', usage };
}

/** A turn that calls tools (`stop_reason: "tool_use"`), optionally with leading text. */
export function toolTurn(calls: { name: string; input: unknown }[], usage: FakeUsage = { input_tokens: 10, output_tokens: 5 }, text?: string): FakeStep {
  const content: FakeBlock[] = text ? [{ type: 'text', text }] : [];
  for (const c of calls) content.push({ type: 'tool_use', id: `toolu_fake_${++seq}`, name: c.name, input: c.input });
  return { kind: 'message', content, stop_reason: 'tool_use', usage };
}

/** 429 rate_limit_error with the given headers (e.g. `retry-after`). */
export function rateLimited(headers: Record<string, string> = { 'retry-after': '7' }): FakeStep {
  return { kind: 'error', status: 429, errorType: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit', headers };
}

/** An API error with its documented type. */
export function apiError(status: number, errorType: string, message: string): FakeStep {
  return { kind: 'error', status, errorType, message };
}

/** A 200 whose body is not valid JSON although it says it is. */
export function malformedJson(): FakeStep {
  return { kind: 'raw', status: 200, body: '{"id":"msg_x","type":"message","content":[{"type":"te', contentType: 'application/json' };
}

/** A fake Messages API server. */
export class FakeMessagesApi {
  readonly requests: RecordedRequest[] = [];
  private readonly script: FakeStep[] = [];
  private server: http.Server | undefined;
  private waiters: { n: number; resolve: () => void }[] = [];
  private readonly hanging = new Set<http.ServerResponse>();

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

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.hanging.clear();
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      this.waiters = this.waiters.filter((w) => (this.requests.length >= w.n ? (w.resolve(), false) : true));
      if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
        return this.sendError(res, 404, 'not_found_error', `fake server: no route ${req.method} ${req.url}`);
      }
      const step = this.script.shift();
      if (!step) return this.sendError(res, 500, 'api_error', 'fake server: script exhausted');
      switch (step.kind) {
        case 'message': {
          const b = body as { model?: string };
          const payload = {
            id: `msg_fake_${++seq}`,
            type: 'message',
            role: 'assistant',
            model: step.model ?? b.model ?? 'claude-sonnet-5-5',
            content: step.content,
            stop_reason: step.stop_reason,
            stop_sequence: null,
            usage: { cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...step.usage },
          };
          res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_fake_${seq}` });
          res.end(JSON.stringify(payload));
          return;
        }
        case 'error':
          return this.sendError(res, step.status, step.errorType, step.message, step.headers, step.details);
        case 'raw':
          res.writeHead(step.status, { 'content-type': step.contentType });
          res.end(step.body);
          return;
        case 'hang':
          this.hanging.add(res);
          res.on('close', () => this.hanging.delete(res));
          return;
      }
    });
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
