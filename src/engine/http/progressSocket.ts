// `/ws/progress`, the plan's WebSocket: the event stream of `GET /api/events` (the hub's snapshot, then increments)
// for clients that speak WebSocket (the plan's dashboard sketch, Grafana's live panels, scripts). Same rules as every
// route: loopback Host only, the token (header, or a subprotocol for browsers), a bounded send buffer per client.
// A client's own frames are ignored: this socket only speaks.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { AUTH_SCHEME, PROGRESS_PROTOCOL, PROGRESS_TOKEN_PROTOCOL_PREFIX } from '../../protocol/httpApi';
import type { Logger } from '../logger';
import type { EventHub, EventSink, WireEvent } from './eventHub';
import { tokenMatches } from './httpToken';

export interface ProgressSocketOptions {
  hub: EventHub;
  token: string;
  logger: Logger;
  /** The Host header values this server answers to (DNS rebinding: anything else is refused). */
  allowedHosts(): Set<string>;
  /** A client further behind than this many bytes is disconnected (it reconnects to a fresh snapshot). */
  maxBufferBytes: number;
  /** Bound on a client's frame, bytes: the socket reads nothing, so anything big is a misuse. Default 4096. */
  maxPayloadBytes?: number;
}

/** Close code of a client cut off for falling behind: 1013, try again later (it reconnects to a fresh snapshot). */
export const LAGGING_CLOSE_CODE = 1013;

/** The upgrade handler of `/ws/progress` and its clients; `close()` is idempotent and ends every client. */
export class ProgressSocket {
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<WebSocket>();
  private closed = false;

  constructor(private readonly opts: ProgressSocketOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: opts.maxPayloadBytes ?? 4096,
      // The token subprotocol is never echoed: a browser that offered it is answered with the plain protocol name.
      handleProtocols: (offered) =>
        offered.has(PROGRESS_PROTOCOL) || [...offered].some((p) => p.startsWith(PROGRESS_TOKEN_PROTOCOL_PREFIX)) ? PROGRESS_PROTOCOL : false,
    });
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes an HTTP upgrade for `/ws/progress`, or refuses it with a plain HTTP status (nothing is upgraded then). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: number, text: string, extra = ''): void => {
      this.opts.logger.warn(`http: upgrade ${req.url?.split('?')[0] ?? ''} refused: ${status} ${text}`);
      const body = JSON.stringify({ error: text });
      socket.end(
        `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Service Unavailable'}\r\n` +
          `connection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`,
      );
    };
    if (this.closed) return refuse(503, 'the server is closing');
    const hosts = this.opts.allowedHosts();
    if (!hosts.has(req.headers.host ?? '')) return refuse(403, `Host '${req.headers.host ?? ''}' is not this server`);
    // A page of another site may open a WebSocket to loopback (no CORS for WebSockets): its Origin says so.
    const origin = req.headers.origin;
    if (origin !== undefined && !hosts.has(hostOfOrigin(origin))) return refuse(403, `Origin '${origin}' is not this server`);
    const presented = presentedToken(req);
    if (!tokenMatches(this.opts.token, presented)) {
      return refuse(
        401,
        `${presented === undefined ? 'this socket needs' : 'wrong'} token: send 'Authorization: Bearer <token>' or the subprotocol '${PROGRESS_TOKEN_PROTOCOL_PREFIX}<token>'`,
        `www-authenticate: ${AUTH_SCHEME}\r\n`,
      );
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const ws of [...this.clients]) ws.terminate();
    this.clients.clear();
    this.wss.close();
  }

  private serve(ws: WebSocket): void {
    if (this.closed) {
      ws.terminate();
      return;
    }
    this.clients.add(ws);
    let remove: (() => void) | undefined;
    let ended = false;
    const end = (code: number, reason: string): void => {
      if (ended) return;
      ended = true;
      remove?.();
      this.clients.delete(ws);
      ws.close(code, reason);
    };
    const sink: EventSink = {
      send: (e: WireEvent) => {
        if (ended) return;
        if (ws.bufferedAmount > this.opts.maxBufferBytes) {
          const behind = ws.bufferedAmount;
          this.opts.logger.warn(`http: a /ws/progress client fell ${behind} bytes behind (limit ${this.opts.maxBufferBytes}); disconnected`);
          // 1013 (try again later), after what it has not read yet; ws drops the socket if the handshake does not end in 30 s.
          end(LAGGING_CLOSE_CODE, `fell ${behind} bytes behind; reconnect for a fresh snapshot`);
          return;
        }
        // Encoded once for every client; a text frame, as the page's JSON.parse expects.
        ws.send(e.ws, { binary: false });
      },
      close: () => end(1001, 'server going away'),
    };
    const added = this.opts.hub.add(sink);
    remove = added;
    added.ready.catch(() => undefined); // the hub closed the sink already; the client sees the close
    ws.on('close', () => {
      ended = true;
      remove?.();
      this.clients.delete(ws);
    });
    ws.on('error', () => ws.terminate());
  }
}

/** The token of an upgrade request: the Authorization header, else a `coditect.bearer.<token>` subprotocol. */
function presentedToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization ?? '';
  if (header.startsWith(`${AUTH_SCHEME} `)) return header.slice(AUTH_SCHEME.length + 1).trim();
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const carrier = offered.find((p) => p.startsWith(PROGRESS_TOKEN_PROTOCOL_PREFIX));
  return carrier?.slice(PROGRESS_TOKEN_PROTOCOL_PREFIX.length);
}

/** `host:port` of an Origin header (`http://127.0.0.1:8787` → `127.0.0.1:8787`); '' when it is not a URL. */
function hostOfOrigin(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return '';
  }
}
