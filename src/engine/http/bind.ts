// Where the daemon's HTTP API listens: `--http HOST:PORT` or the config's `http.bind`, checked the same way for both
// (loopback only: the token would cross the network in clear). Pure; the config schema checks with it too.
import { isIP } from 'node:net';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/** True for an address that only this machine can reach. */
export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
}

/** Parses `HOST:PORT`, `[v6]:PORT` or `PORT` (host 127.0.0.1); throws naming the bad value. */
export function parseBind(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65_535) throw new RangeError(`--http expects HOST:PORT (e.g. 127.0.0.1:8787) or PORT, got '${value}'`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

/** Why `value` cannot be the HTTP API's address, or undefined when it can. */
export function bindProblem(value: string): string | undefined {
  let host: string;
  try {
    host = parseBind(value).host;
  } catch {
    return `expected HOST:PORT on loopback (127.0.0.1:8787, [::1]:8787, localhost:8787) or a PORT, got '${value}'`;
  }
  return isLoopback(host) ? undefined : `the HTTP API binds to loopback only (127.0.0.1, ::1, localhost), got '${host}'`;
}
