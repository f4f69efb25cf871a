// A local stand-in for the Gemini API (`POST /v1beta/models/<model>:streamGenerateContent?alt=sse`, plus the plain
// `:generateContent` the CLI's model router calls first) that the Gemini CLI speaks when `GOOGLE_GEMINI_BASE_URL`
// points here. Scripted per test: the main turns answer with text or a function call (one of the CLI's own tools,
// e.g. write_file) with usage; a key can be refused with the API's own error JSON (400 API_KEY_INVALID). The router's
// calls are answered without spending the script. Records every request.
import * as http from 'node:http';
import { closeServer, listenLocal, readRequest } from './localHttp';
import type { RecordedRequest } from './messagesApiServer';

interface Usage {
  promptTokenCount: number;
  candidatesTokenCount: number;
  cachedContentTokenCount?: number;
}

/** One scripted answer of a main (streamed) turn. */
export type GeminiStep = { kind: 'text'; text: string; usage: Usage } | { kind: 'call'; name: string; args: Record<string, unknown>; usage: Usage };

/** The model the router is told to pick (its answer is JSON with a reasoning and a choice). */
const ROUTER_ANSWER = JSON.stringify({ reasoning: 'scripted', model_choice: 'pro' });

export class FakeGeminiApi {
  readonly requests: RecordedRequest[] = [];
  /** Keys answered with 400 API_KEY_INVALID, as the real API answers an unknown key. */
  readonly refusedKeys = new Set<string>();
  private readonly script: GeminiStep[] = [];
  private server: http.Server | undefined;

  enqueue(...steps: GeminiStep[]): this {
    this.script.push(...steps);
    return this;
  }

  get remaining(): number {
    return this.script.length;
  }

  /** The streamed (main-turn) requests, in order. */
  get turns(): RecordedRequest[] {
    return this.requests.filter((r) => r.url.includes(':streamGenerateContent'));
  }

  /** Starts on 127.0.0.1:0; resolves with the base URL to put in GOOGLE_GEMINI_BASE_URL. */
  async start(): Promise<string> {
    const server = http.createServer((req, res) => {
      void readRequest(req).then((recorded) => {
        const url = recorded.url;
        this.requests.push(recorded);
        const json = (status: number, o: unknown): void => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(o));
        };
        const key = String(req.headers['x-goog-api-key'] ?? '');
        if (this.refusedKeys.has(key)) {
          json(400, {
            error: {
              code: 400,
              message: 'API key not valid. Please pass a valid API key.',
              status: 'INVALID_ARGUMENT',
              details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }],
            },
          });
          return;
        }
        const m = /^\/v1beta\/models\/([^:/?]+):(streamGenerateContent|generateContent|countTokens)/.exec(url);
        if (req.method !== 'POST' || !m) {
          json(404, { error: { code: 404, message: `no route ${req.method} ${url}`, status: 'NOT_FOUND' } });
          return;
        }
        const model = m[1]!;
        if (m[2] === 'countTokens') {
          json(200, { totalTokens: 10 });
          return;
        }
        if (m[2] === 'generateContent') {
          json(200, candidate(model, { text: ROUTER_ANSWER }, { promptTokenCount: 3, candidatesTokenCount: 2 }));
          return;
        }
        const step = this.script.shift();
        if (!step) {
          json(500, { error: { code: 500, message: 'fake server: script exhausted', status: 'INTERNAL' } });
          return;
        }
        const part = step.kind === 'text' ? { text: step.text } : { functionCall: { name: step.name, args: step.args } };
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`data: ${JSON.stringify(candidate(model, part, step.usage))}\r\n\r\n`);
      });
    });
    this.server = server;
    return `${await listenLocal(server)}`;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    await closeServer(s);
  }
}

function candidate(model: string, part: Record<string, unknown>, usage: Usage): Record<string, unknown> {
  return {
    candidates: [{ content: { role: 'model', parts: [part] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { ...usage, totalTokenCount: usage.promptTokenCount + usage.candidatesTokenCount },
    modelVersion: model,
  };
}
