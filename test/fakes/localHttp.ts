// What every local API fake does the same way: read a request whole and record it (JSON body parsed when it is
// JSON), listen on 127.0.0.1:0, and close dropping kept-alive connections.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordedRequest } from './messagesApiServer';

/** Reads `req` to its end; the body parsed as JSON, or the text when it is not JSON. */
export function readRequest(req: http.IncomingMessage): Promise<RecordedRequest> {
  return new Promise((resolve) => {
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
      resolve({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    });
  });
}

/** Listens on 127.0.0.1 at a free port; resolves with `http://127.0.0.1:PORT`. */
export async function listenLocal(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes `server` (if any), dropping kept-alive connections so close() does not wait for them. */
export async function closeServer(server: http.Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
