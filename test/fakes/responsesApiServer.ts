// A local stand-in for the OpenAI Responses API (POST /v1/responses, streamed as server-sent events) that the Codex
// CLI speaks when a `model_providers` entry points it here. Scripted per test: text answers with usage
// (`response.created`, `response.output_item.added`, `response.output_text.delta`, `response.output_item.done`,
// `response.completed`) and HTTP errors with the API's error JSON. Records every request.
import * as http from 'node:http';
import { closeServer, listenLocal, readRequest } from './localHttp';
import type { RecordedRequest } from './messagesApiServer';

/** One scripted answer. */
export type ResponsesStep =
  | { kind: 'text'; text: string; usage: { input_tokens: number; output_tokens: number; cached_tokens?: number } }
  /** A call of one of the CLI's function tools (e.g. Codex's `exec_command` with `{ cmd }`); the CLI answers it in its next request. */
  | { kind: 'call'; name: string; arguments: Record<string, unknown>; usage: { input_tokens: number; output_tokens: number; cached_tokens?: number } }
  | { kind: 'error'; status: number; type: string; message: string; code?: string };

let seq = 0;

export class FakeResponsesApi {
  readonly requests: RecordedRequest[] = [];
  private readonly script: ResponsesStep[] = [];
  private server: http.Server | undefined;

  enqueue(...steps: ResponsesStep[]): this {
    this.script.push(...steps);
    return this;
  }

  get remaining(): number {
    return this.script.length;
  }

  /** Starts on 127.0.0.1:0; resolves with the base URL to configure (`…/v1`). */
  async start(): Promise<string> {
    const server = http.createServer((req, res) => {
      void readRequest(req).then((recorded) => {
        this.requests.push(recorded);
        const step = this.script.shift();
        if (req.method !== 'POST' || !req.url?.startsWith('/v1/responses') || !step) {
          res.writeHead(step ? 404 : 500, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({ error: { message: step ? `no route ${req.method} ${req.url}` : 'fake server: script exhausted', type: 'invalid_request_error' } }),
          );
          return;
        }
        if (step.kind === 'error') {
          res.writeHead(step.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: step.message, type: step.type, code: step.code ?? null, param: null } }));
          return;
        }
        const id = `resp_fake_${++seq}`;
        const item =
          step.kind === 'text'
            ? {
                type: 'message',
                id: `msg_fake_${seq}`,
                role: 'assistant',
                status: 'completed',
                content: [{ type: 'output_text', text: step.text, annotations: [] }],
              }
            : {
                type: 'function_call',
                id: `fc_fake_${seq}`,
                call_id: `call_fake_${seq}`,
                name: step.name,
                arguments: JSON.stringify(step.arguments),
                status: 'completed',
              };
        const usage = {
          input_tokens: step.usage.input_tokens,
          input_tokens_details: { cached_tokens: step.usage.cached_tokens ?? 0 },
          output_tokens: step.usage.output_tokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: step.usage.input_tokens + step.usage.output_tokens,
        };
        const delta =
          item.type === 'message'
            ? { type: 'response.output_text.delta', item_id: item.id, output_index: 0, content_index: 0, delta: (step as { text: string }).text }
            : { type: 'response.function_call_arguments.delta', item_id: item.id, output_index: 0, delta: item.arguments };
        const events = [
          { type: 'response.created', response: { id, object: 'response', status: 'in_progress', output: [] } },
          {
            type: 'response.output_item.added',
            output_index: 0,
            item: item.type === 'message' ? { ...item, status: 'in_progress', content: [] } : { ...item, arguments: '', status: 'in_progress' },
          },
          delta,
          { type: 'response.output_item.done', output_index: 0, item },
          { type: 'response.completed', response: { id, object: 'response', status: 'completed', output: [item], usage } },
        ];
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const e of events) res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
        res.end();
      });
    });
    this.server = server;
    return `${await listenLocal(server)}/v1`;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    await closeServer(s);
  }
}
