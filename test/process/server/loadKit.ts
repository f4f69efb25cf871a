// Many stream clients of one daemon at once (#12: 200 event-stream clients and a few /ws/progress sockets during a
// run), for the load test and `npm run bench -- --clients`. A client keeps a digest of the events it receives between
// two marks instead of the events themselves (200 copies of a run's events would not fit), so clients can be compared
// with each other exactly, plus each recorded event's arrival time and the bytes it read. One client may keep its
// events for a detailed check. A client can also stall: it stops reading after the response headers, as a frozen
// browser tab does, and reads again only when told to.
import { createHash } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { PROGRESS_PROTOCOL } from '../../../src/protocol/httpApi';

/** A mark in the stream: an event name and its data (JSON text, as sent). */
export type EventMark = (event: string, data: string) => boolean;

export interface LoadClientOptions {
  kind: 'sse' | 'ws';
  /** `http://127.0.0.1:PORT` of the daemon. */
  base: string;
  token: string;
  /** Recording starts at the first event for which `start` holds (inclusive)… */
  start: EventMark;
  /** …and ends at the first one after it for which `stop` holds (inclusive). */
  stop: EventMark;
  /** Keep every event received (name and data), not only the digest. */
  keep?: boolean;
  /** Stop reading once the response (or upgrade) arrived; `resume()` reads again. */
  stalled?: boolean;
}

/** How a client's connection ended. */
export interface ClientEnd {
  /** WebSocket close code; undefined for an event stream. */
  code?: number;
  reason?: string;
  /** The last bytes read (an event stream's closing comment). */
  tail: string;
}

export class LoadClient {
  /** Events from the start mark to the stop mark. */
  recorded = 0;
  /** Everything read, bytes. */
  bytes = 0;
  /** performance.now() at each recorded event's arrival. */
  readonly arrivals: number[] = [];
  /** With `keep`: every event received, from the first (the whole plan) on. */
  readonly kept: { event: string; data: string }[] = [];
  /** Resolves once the whole plan (the first event) arrived; for a stalled client, once the server answered. */
  readonly ready: Promise<void>;
  /** Resolves at the stop mark. */
  readonly stopped: Promise<void>;
  /** Resolves when the connection ends, whoever ends it. */
  readonly ended: Promise<ClientEnd>;
  isEnded = false;
  private readonly hash = createHash('sha256');
  private state: 'before' | 'recording' | 'after' = 'before';
  private gotFirst = false;
  private tailText = '';
  private buffer = '';
  private readyResolve!: () => void;
  private stopResolve!: () => void;
  private endResolve!: (e: ClientEnd) => void;
  private res: IncomingMessage | undefined;
  private ws: WebSocket | undefined;
  private closeReq: () => void = () => undefined;
  private waiters: { mark: EventMark; resolve: () => void }[] = [];

  constructor(private readonly o: LoadClientOptions) {
    this.ready = new Promise((r) => (this.readyResolve = r));
    this.stopped = new Promise((r) => (this.stopResolve = r));
    this.ended = new Promise((r) => (this.endResolve = r));
  }

  /** Opens the connection; resolves once the server answered (status 200 / the upgrade), rejects otherwise. */
  open(): Promise<void> {
    return this.o.kind === 'sse' ? this.openSse() : this.openWs();
  }

  /** The digest of the recorded events (names and data, in order). */
  digest(): string {
    return this.hash.copy().digest('hex');
  }

  /** Resolves at the first event (from now on) for which `mark` holds. */
  until(mark: EventMark): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ mark, resolve }));
  }

  /** A stalled client reads again. */
  resume(): void {
    this.res?.resume();
    this.ws?.resume();
  }

  close(): void {
    this.closeReq();
  }

  private onEvent(event: string, data: string): void {
    if (this.o.keep) this.kept.push({ event, data });
    if (!this.gotFirst) {
      this.gotFirst = true;
      this.readyResolve();
    }
    if (this.state === 'before' && this.o.start(event, data)) this.state = 'recording';
    if (this.state === 'recording') {
      this.recorded++;
      this.arrivals.push(performance.now());
      this.hash.update(event).update('\n').update(data).update('\n');
      if (this.recorded > 1 && this.o.stop(event, data)) {
        this.state = 'after';
        this.stopResolve();
      }
    }
    if (this.waiters.length) {
      const hit = this.waiters.filter((w) => w.mark(event, data));
      if (hit.length) {
        this.waiters = this.waiters.filter((w) => !hit.includes(w));
        for (const w of hit) w.resolve();
      }
    }
  }

  private read(text: string): void {
    this.bytes += Buffer.byteLength(text);
    this.tailText = (this.tailText + text).slice(-512);
  }

  private finish(end: Omit<ClientEnd, 'tail'>): void {
    if (this.isEnded) return;
    this.isEnded = true;
    this.endResolve({ ...end, tail: this.tailText });
  }

  private openSse(): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = request(`${this.o.base}/api/events`, { headers: { authorization: `Bearer ${this.o.token}`, accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`GET /api/events answered ${res.statusCode}`));
          res.resume();
          return;
        }
        this.res = res;
        res.setEncoding('utf8');
        res.on('data', (d: string) => this.feed(d));
        res.on('end', () => this.finish({}));
        res.on('close', () => this.finish({}));
        res.on('error', () => this.finish({}));
        if (this.o.stalled) {
          res.pause();
          this.readyResolve();
        }
        resolve();
      });
      this.closeReq = () => req.destroy();
      req.on('error', (e) => {
        reject(e);
        this.finish({});
      });
      req.end();
    });
  }

  /** Splits the stream into events: `event: NAME` + `data: JSON`, a blank line after each; comment lines skipped. */
  private feed(chunk: string): void {
    this.read(chunk);
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = '';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data = line.slice(6);
      }
      if (event) this.onEvent(event, data);
    }
  }

  private openWs(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${this.o.base.replace(/^http/, 'ws')}/ws/progress`, [PROGRESS_PROTOCOL], {
        headers: { authorization: `Bearer ${this.o.token}` },
      });
      this.ws = ws;
      this.closeReq = () => ws.terminate();
      ws.on('open', () => {
        if (this.o.stalled) {
          ws.pause();
          this.readyResolve();
        }
        resolve();
      });
      ws.on('unexpected-response', (_req, res) => reject(new Error(`/ws/progress answered ${res.statusCode}`)));
      ws.on('error', (e) => reject(e));
      ws.on('message', (raw: Buffer) => {
        const text = raw.toString('utf8');
        this.read(text);
        // The frame is `{"event":NAME,"data":JSON}` around the same JSON text the event stream sends.
        const m = /^\{"event":"([^"]+)","data":/.exec(text);
        if (m) this.onEvent(m[1], text.slice(m[0].length, -1));
      });
      ws.on('close', (code, reason) => this.finish({ code, reason: reason.toString() }));
    });
  }
}

/** Resident and peak resident memory of a process, MB (Linux /proc). */
export function memoryOf(pid: number, readFile: (p: string) => string): { rssMb: number; peakMb: number } {
  const status = readFile(`/proc/${pid}/status`);
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** Marks: a `state:changed` to `state`. */
export const stateIs =
  (state: string): EventMark =>
  (event, data) =>
    event === 'state:changed' && data.includes(`"state":"${state}"`);
