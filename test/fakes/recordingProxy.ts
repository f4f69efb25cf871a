// A local HTTP(S) proxy that lets nothing through and records every attempt: agent CLIs under test get it as
// HTTPS_PROXY/HTTP_PROXY (with NO_PROXY for the local fakes), so a test can assert that nothing tried to reach the
// network (telemetry, update checks, plugin sync) — not only that nothing got there.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One refused attempt: the method and the target (`host:port` for CONNECT, the URL otherwise). */
export interface ProxyAttempt {
  method: string;
  target: string;
}

export class RecordingProxy {
  readonly attempts: ProxyAttempt[] = [];
  private server: http.Server | undefined;

  /** Starts on 127.0.0.1:0; resolves with the proxy URL. */
  async start(): Promise<string> {
    const server = http.createServer((req, res) => {
      this.attempts.push({ method: req.method ?? '', target: req.url ?? '' });
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('test proxy: no network in tests\n');
    });
    server.on('connect', (req: http.IncomingMessage, socket) => {
      this.attempts.push({ method: 'CONNECT', target: req.url ?? '' });
      socket.on('error', () => undefined); // a client that resets the refused tunnel is no error of ours
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
