// The address of the Redis the coordinator and its workers share: checked once here for the config (`queue.url`),
// the environment (REDIS_HOST / REDIS_PORT, as the plan's deployment sets them) and `coditect worker --redis`.
// A Redis URL may carry a password: every message shows the URL masked (`redis://:***@host:6379`), never as given.

/** `url` with its password (and user) replaced, for messages and logs. */
export function maskRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // Not a URL: anything before the last `@` (after a scheme) may be a secret.
    const at = url.lastIndexOf('@');
    if (at < 0) return url;
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? '';
    return `${scheme}***${url.slice(at)}`;
  }
}

/** Why `text` is not a Redis URL this engine connects to, or undefined when it is. */
export function redisUrlProblem(text: string): string | undefined {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return `expected a redis:// or rediss:// URL (e.g. redis://127.0.0.1:6379), got ${JSON.stringify(maskRedisUrl(text))}`;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    return `expected a redis:// or rediss:// URL, got ${JSON.stringify(maskRedisUrl(text))} (scheme ${u.protocol.replace(/:$/, '')})`;
  if (u.hostname === '') return `expected a host in the Redis URL, got ${JSON.stringify(maskRedisUrl(text))}`;
  if (u.pathname !== '' && u.pathname !== '/' && !/^\/\d{1,2}$/.test(u.pathname))
    return `expected a database number after the host (e.g. /0), got ${JSON.stringify(maskRedisUrl(text))}`;
  return undefined;
}

/**
 * The Redis URL from the plan's deployment variables: REDIS_HOST, REDIS_PORT (default 6379), REDIS_PASSWORD. Undefined
 * without REDIS_HOST; a bad port is an error naming it.
 */
export function redisUrlFromEnv(env: Record<string, string | undefined>): { url?: string; problem?: string } {
  const host = env.REDIS_HOST?.trim();
  if (!host) return {};
  const port = env.REDIS_PORT?.trim() || '6379';
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65_535)
    return { problem: `REDIS_PORT: expected a port 1..65535, got ${JSON.stringify(port)}` };
  if (!/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(host)) return { problem: `REDIS_HOST: expected a host name or address, got ${JSON.stringify(host)}` };
  const password = env.REDIS_PASSWORD;
  return { url: `redis://${password ? `:${encodeURIComponent(password)}@` : ''}${host}:${port}` };
}
