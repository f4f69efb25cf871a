// The daemon's HTTP API and web dashboard on loopback: the routes of src/protocol/httpApi.ts (each declared once there,
// dispatched here from that table), a Server-Sent Events stream of the engine's events, and the dashboard page the
// editor's webview shows. Node's own http server: the route table is the router, and what a framework would add
// (body parsing, limits) is a dozen lines here, kept strict: JSON only, 16 KiB, unknown fields refused.
// Every /api route needs the token; the page and its static files carry no plan data and are served without it.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { errorMessage } from '../../core/describe';
import { dashboardCsp, dashboardHtml, nonceFromBytes } from '../../protocol/dashboardHtml';
import {
  AUTH_SCHEME,
  bodyProblem,
  HTTP_ROUTES,
  type HttpRouteName,
  type HttpRoutes,
  matchRoute,
  MAX_BODY_BYTES,
  PROGRESS_SOCKET_PATH,
  type ReviewNoteBody,
  type RunTaskBody,
  type StatusResponse,
  type TaskDetailResponse,
} from '../../protocol/httpApi';
import type { EngineApi } from '../engineApi';
import type { Logger } from '../logger';
import { isLoopback } from './bind';
import { EventHub, type EventSink, type WireEvent } from './eventHub';
import { ProgressSocket } from './progressSocket';
import { tokenMatches } from './httpToken';

/** Options of serveHttp. */
export interface HttpServerOptions {
  engine: EngineApi;
  /** Address to bind: a loopback address (127.0.0.1 by default, ::1, localhost). */
  host?: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** The API token (see httpToken.ts). */
  token: string;
  logger: Logger;
  engineVersion: string;
  /** Folder of the page's bundles (main.js, webHost.js). Default: dist/webview beside the engine bundle. */
  webviewDir?: string;
  /** Folder of the style sheets (dashboard.css, web-theme.css). Default: media/ of the package. */
  mediaDir?: string;
  /** Most open connections at once (stream clients included); more are refused. Default 512. */
  maxConnections?: number;
  /** A stream client whose unsent data grows past this many bytes is cut off (it reconnects to a fresh snapshot). Default 8 MiB. */
  maxStreamBufferBytes?: number;
  /** Interval of the keep-alive comment on event streams, ms. Default 15000. */
  keepAliveMs?: number;
}

/** A listening server; `close()` is idempotent and ends every stream. */
export interface HttpServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port` */
  readonly url: string;
  /** Open event-stream clients. */
  readonly streamClients: number;
  close(): Promise<void>;
}

/** The static files the page needs, by URL path: nothing else on disk is reachable. */
const STATIC: Record<string, { dir: 'webview' | 'media'; file: string; type: string }> = {
  '/webview/main.js': { dir: 'webview', file: 'main.js', type: 'text/javascript; charset=utf-8' },
  '/webview/webHost.js': { dir: 'webview', file: 'webHost.js', type: 'text/javascript; charset=utf-8' },
  '/media/dashboard.css': { dir: 'media', file: 'dashboard.css', type: 'text/css; charset=utf-8' },
  '/media/web-theme.css': { dir: 'media', file: 'web-theme.css', type: 'text/css; charset=utf-8' },
};

/** Headers on every answer: nothing cached, nothing sniffed, no referrer, never framed. */
/**
 * How long a client cut off for falling behind may take to read what was already written to it (its closing comment
 * last) before its connection is dropped: as long as ws gives a WebSocket's closing handshake.
 */
export const LAGGARD_GRACE_MS = 30_000;

const BASE_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Starts the server; resolves once it listens. */
export async function serveHttp(opts: HttpServerOptions): Promise<HttpServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host)) {
    throw new RangeError(
      `the HTTP API binds to loopback only (127.0.0.1, ::1, localhost), got '${host}': the token would cross the network in clear; put a TLS proxy on 127.0.0.1 in front of it`,
    );
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65_535) throw new RangeError(`HTTP port must be 0..65535, got ${opts.port}`);
  const maxConnections = opts.maxConnections ?? 512;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new RangeError(`maxConnections must be a positive integer, got ${maxConnections}`);
  const maxBuffer = opts.maxStreamBufferBytes ?? 8 * 1024 * 1024;
  const webviewDir = opts.webviewDir ?? join(__dirname, 'webview');
  const mediaDir = opts.mediaDir ?? join(__dirname, '..', 'media');
  const { engine, logger } = opts;
  const hub = new EventHub({ engine });
  const streams = new Set<ServerResponse>();
  let port = opts.port;

  const allowedHosts = (): Set<string> =>
    new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host.includes(':') ? `[${host}]` : host}:${port}`]);
  const progress = new ProgressSocket({ hub, token: opts.token, logger, allowedHosts, maxBufferBytes: maxBuffer });

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...BASE_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // A page on another site that rebinds its name to 127.0.0.1 arrives with its own Host: refused.
    if (!allowedHosts().has(req.headers.host ?? '')) throw new HttpError(403, `Host '${req.headers.host ?? ''}' is not this server`);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (req.method === 'GET' && (path === '/' || path === '/index.html')) return servePage(res);
    if (req.method === 'GET' && path === '/healthz') return send(res, 200, { ok: true });
    if (Object.hasOwn(STATIC, path)) {
      if (req.method !== 'GET') throw new HttpError(405, `${req.method} is not allowed on ${path}`, { allow: 'GET' });
      return serveStatic(res, STATIC[path]);
    }
    const match = matchRoute(req.method ?? '', path);
    if (match.name === undefined) {
      if (match.pathExists) throw new HttpError(405, `${req.method} is not allowed on ${path}`);
      throw new HttpError(404, `no route ${req.method} ${path}`);
    }
    const header = req.headers.authorization ?? '';
    const presented = header.startsWith(`${AUTH_SCHEME} `) ? header.slice(AUTH_SCHEME.length + 1).trim() : undefined;
    if (!tokenMatches(opts.token, presented)) {
      logger.warn(`http: ${req.method} ${path} refused: ${presented === undefined ? 'no token' : 'wrong token'}`);
      throw new HttpError(
        401,
        `${presented === undefined ? 'this route needs' : 'wrong'} token: send 'Authorization: Bearer <token>' (the token is in .coditect/http-token)`,
        {
          'www-authenticate': AUTH_SCHEME,
        },
      );
    }
    const route = HTTP_ROUTES[match.name];
    const body = route.body === 'none' ? undefined : await readJsonBody(req);
    if (route.body !== 'none') {
      const problem = bodyProblem(route.body, body);
      if (problem) throw new HttpError(400, problem);
    }
    if (match.name === 'events') return openStream(req, res);
    const result = await call(match.name, match.id, body);
    if (req.method === 'POST') logger.info(`http: ${req.method} ${path} -> 200`);
    send(res, 200, result);
  };

  const taskOrThrow = async (id: string) => {
    const task = (await engine.snapshot()).tasks.find((t) => t.id === id);
    if (!task) throw new HttpError(404, `no task '${id}' in the plan`);
    return task;
  };

  /** Calls the engine for one route: what each answers is the table's result type (HttpRoutes). */
  const call = async (name: HttpRouteName, id: string | undefined, body: unknown): Promise<HttpRoutes[HttpRouteName]['result']> => {
    switch (name) {
      case 'status':
        return statusOf(engine, opts.engineVersion);
      case 'tasks': {
        const s = await engine.snapshot();
        return { tasks: s.tasks, counts: s.counts };
      }
      case 'task': {
        const task = await taskOrThrow(id!);
        const attempts = await engine.taskLog(id!);
        const detail: TaskDetailResponse = { task, attempts, logTail: logTail(attempts[0]) };
        return detail;
      }
      case 'start':
        return engine.start();
      case 'pause':
        return engine.pause();
      case 'resume':
        return engine.resume();
      case 'stop':
        return engine.stop();
      case 'runTask':
        await taskOrThrow(id!);
        return engine.runTask({ taskId: id!, agent: (body as RunTaskBody).agent });
      case 'retryTask':
        await taskOrThrow(id!);
        return { reset: await engine.retryTask(id!) };
      case 'cancelTask':
        await taskOrThrow(id!);
        return { cancelled: await engine.cancelTask(id!) };
      case 'reviews':
        return engine.reviews();
      case 'review':
        return reviewCall(id!, () => engine.showReview({ taskId: id! }));
      case 'acceptReview':
        return reviewCall(id!, () => engine.acceptReview(id!));
      case 'rejectReview':
        return reviewCall(id!, () => engine.rejectReview({ taskId: id!, ...noteOf(body) }));
      case 'retryReview':
        return reviewCall(id!, () => engine.retryReview({ taskId: id!, ...noteOf(body) }));
      case 'resolveConflicts':
        return reviewCall(id!, () => engine.resolveConflicts({ taskId: id!, ...noteOf(body) }));
      case 'events':
        throw new Error('the event stream is not a request');
    }
  };

  /** A review request for a task of the plan; the engine's refusals (nothing to review, running, read-only) are 409. */
  const reviewCall = async <T>(id: string, run: () => Promise<T>): Promise<T> => {
    await taskOrThrow(id);
    try {
      return await run();
    } catch (e) {
      if (e instanceof Error && e.name === 'ReviewError') throw new HttpError(409, e.message);
      throw e;
    }
  };
  const noteOf = (body: unknown): { note?: string } => {
    const note = (body as ReviewNoteBody).note;
    return note?.trim() ? { note } : {};
  };

  const openStream = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { ...BASE_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    let closed = false;
    let remove: (() => void) | undefined;
    const sink: EventSink = {
      send: (e: WireEvent) => {
        if (closed) return;
        // A client that does not read is cut off rather than held in memory; it reconnects to a fresh snapshot.
        if (res.writableLength > maxBuffer) {
          const behind = res.writableLength;
          logger.warn(`http: an event-stream client fell ${behind} bytes behind (limit ${maxBuffer}); disconnected`);
          // Said in the stream, after what it has not read yet: EventSource skips a comment and reconnects; a script sees why.
          res.write(`: disconnected: this client fell ${behind} bytes behind (limit ${maxBuffer}); reconnect for a fresh snapshot\n\n`);
          sink.close();
          // end() alone keeps the unread bytes for as long as the client does not read: give it a grace, then let go.
          setTimeout(() => res.destroy(), LAGGARD_GRACE_MS).unref();
          return;
        }
        res.write(e.sse);
      },
      close: () => {
        if (closed) return;
        closed = true;
        remove?.();
        streams.delete(res);
        res.end();
      },
    };
    streams.add(res);
    const added = hub.add(sink);
    remove = added;
    added.ready.catch((e: unknown) => logger.warn(`http: could not start an event stream: ${errorMessage(e)}`));
    req.on('close', () => sink.close());
  };

  const servePage = (res: ServerResponse): void => {
    const nonce = nonceFromBytes(randomBytes(18));
    const html = dashboardHtml({
      cspSource: "'self'",
      connectSource: "'self'",
      nonce,
      hostScriptUri: '/webview/webHost.js',
      scriptUri: '/webview/main.js',
      themeStyleUri: '/media/web-theme.css',
      styleUri: '/media/dashboard.css',
    });
    res.writeHead(200, {
      ...BASE_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      // The header repeats the page's policy and adds what a <meta> cannot say: never framed, no base URI, no forms.
      'content-security-policy': `${dashboardCsp("'self'", nonce, "'self'")}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
    });
    res.end(html);
  };

  const serveStatic = async (res: ServerResponse, f: (typeof STATIC)[string]): Promise<void> => {
    let data: Buffer;
    try {
      data = await readFile(join(f.dir === 'webview' ? webviewDir : mediaDir, f.file));
    } catch {
      throw new HttpError(404, `${f.file} is missing from this installation (npm run build makes it)`);
    }
    res.writeHead(200, { ...BASE_HEADERS, 'content-type': f.type, 'content-length': data.length });
    res.end(data);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (status === 500) logger.error(`http: ${req.method} ${req.url?.split('?')[0]}: ${errorMessage(e)}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // After an oversized body the rest of it is not read: the connection closes with the answer.
      const headers = { ...(e instanceof HttpError ? e.headers : {}), ...(status === 413 ? { connection: 'close' } : {}) };
      send(res, status, { error: errorMessage(e) }, headers);
      if (status === 413) res.on('finish', () => req.destroy());
    });
  });
  server.maxConnections = maxConnections;
  // Event streams live long; requests must arrive in time (slowloris), answers may take as long as the engine needs.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname === PROGRESS_SOCKET_PATH) return progress.upgrade(req, socket, head);
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  port = (server.address() as AddressInfo).port;
  const keepAlive = setInterval(() => {
    for (const r of streams) r.write(': keep-alive\n\n');
  }, opts.keepAliveMs ?? 15_000);
  keepAlive.unref();

  let closing: Promise<void> | undefined;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port,
    url: `http://${urlHost}:${port}`,
    get streamClients() {
      return streams.size + progress.size;
    },
    close: () =>
      (closing ??= new Promise<void>((done) => {
        clearInterval(keepAlive);
        progress.close();
        hub.close();
        server.close(() => done());
        for (const s of sockets) s.destroy();
      })),
  };
}

/** Reads a JSON body within MAX_BODY_BYTES: 413 when larger, 415 when not JSON, 400 when malformed; an empty body is `{}`. */
async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `the body is ${declared} bytes; at most ${MAX_BODY_BYTES} are accepted`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, `the body must be application/json, got '${type || 'no content-type'}'`);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (e) {
    throw new HttpError(400, `the body is not valid JSON: ${errorMessage(e)}`);
  }
}

/** `GET /api/status`: the plan's field names first, then the project's. */
export async function statusOf(engine: EngineApi, version: string): Promise<StatusResponse> {
  const s = await engine.snapshot();
  return {
    total_tasks: s.counts.total,
    completed: s.counts.completed,
    in_progress: s.counts.inProgress,
    pending: s.counts.pending,
    uptime: Math.floor(s.metrics.uptimeSeconds),
    tasklist: s.tasklistPath,
    state: s.state,
    simulated: s.simulated,
    readOnly: s.readOnly,
    counts: s.counts,
    active: s.active,
    breakers: s.breakers,
    metrics: s.metrics,
    spend: s.spend,
    engine: { pid: process.pid, version },
  };
}

const TAIL_LINES = 40;

/** The last lines of an attempt's output (stdout, then stderr). */
function logTail(a: { stdout?: string; stderr?: string } | undefined): string {
  if (!a) return '';
  const text = [a.stdout ?? '', a.stderr ?? ''].filter((t) => t.length > 0).join('\n');
  return text.split('\n').slice(-TAIL_LINES).join('\n');
}
