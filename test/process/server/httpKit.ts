// Real HTTP against a running daemon: requests with or without the token, and an event-stream reader that waits for
// an event by predicate (no sleeps: it resolves when the event arrives, or fails naming what it saw).
import { request } from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = unknown>(): T;
}

export interface RequestOptions {
  method?: string;
  token?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

/** One request; resolves with the whole answer. */
export function http(url: string, o: RequestOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...(o.headers ?? {}) };
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    if (o.body !== undefined) {
      headers['content-length'] = Buffer.byteLength(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const req = request(url, { method: o.method ?? 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body) as T }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

export interface SseEvent {
  event: string;
  data: unknown;
  /** Bytes of the data line (for the load test's figures). */
  size: number;
}

/** An open `GET /api/events`: events as they arrive, and a waiter. */
export class EventStream {
  readonly events: SseEvent[] = [];
  status = 0;
  private buffer = '';
  private waiters: { pred: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void; from: number }[] = [];
  private closeReq: () => void = () => undefined;
  ended = false;

  static open(url: string, token: string): Promise<EventStream> {
    const s = new EventStream();
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
        s.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (d: string) => s.feed(d));
        res.on('end', () => (s.ended = true));
        res.on('error', () => (s.ended = true));
        resolve(s);
      });
      s.closeReq = () => req.destroy();
      req.on('error', reject);
      req.end();
    });
  }

  /** Resolves with the first event (from index `from` on) matching `pred`; rejects after `timeoutMs`. */
  next(pred: (e: SseEvent) => boolean, timeoutMs = 30_000, from = 0): Promise<SseEvent> {
    const hit = this.events.slice(from).find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (e: SseEvent) => (clearTimeout(timer), resolve(e)), from };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no matching event within ${timeoutMs} ms; got: ${this.events.map((e) => e.event).join(', ')}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  close(): void {
    this.closeReq();
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data === '') continue; // retry: and keep-alive comments
      const e: SseEvent = { event, data: JSON.parse(data), size: data.length };
      this.events.push(e);
      for (const w of [...this.waiters]) {
        if (w.pred(e)) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve(e);
        }
      }
    }
  }
}
