// fetch with two limits per HTTP request, for API agents: a TOTAL deadline from the request to the last byte of the
// body, and an IDLE limit once the response has begun (no byte for that long). The SDK's own `timeout` did not stop a
// response that drips a byte at a time, nor one that stalls after its headers.
// Invariant: every timer is cleared when the body ends, errors, is cancelled, or the caller aborts.

/** The limit that stopped a request; agents classify it as transient. */
export class RequestTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestTimeoutError';
  }
}

/** A fetch for the SDK's `fetch` option applying `totalMs` and `idleMs` (see the file comment). */
export function timedFetch(totalMs: number, idleMs: number, base: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const ac = new AbortController();
    const outer = init?.signal ?? undefined;
    const onAbort = (): void => ac.abort(outer?.reason);
    if (outer?.aborted) onAbort();
    else outer?.addEventListener('abort', onAbort, { once: true });
    let idle: NodeJS.Timeout | undefined;
    const total = setTimeout(() => ac.abort(new RequestTimeoutError(`no complete response within ${totalMs} ms (requestTimeoutMs)`)), totalMs);
    const armIdle = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => ac.abort(new RequestTimeoutError(`the response stalled: no data for ${idleMs} ms (idleTimeoutMs)`)), idleMs);
    };
    const cleanup = (): void => {
      clearTimeout(total);
      clearTimeout(idle);
      outer?.removeEventListener('abort', onAbort);
    };
    const ours = (e: unknown): unknown => (ac.signal.reason instanceof RequestTimeoutError ? ac.signal.reason : e);
    let res: Response;
    try {
      res = await base(input, { ...init, signal: ac.signal });
    } catch (e) {
      cleanup();
      throw ours(e);
    }
    if (!res.body) {
      cleanup();
      return res;
    }
    armIdle();
    const reader = res.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            cleanup();
            ctrl.close();
            return;
          }
          armIdle();
          ctrl.enqueue(value);
        } catch (e) {
          cleanup();
          ctrl.error(ours(e));
        }
      },
      cancel(reason) {
        cleanup();
        return reader.cancel(reason);
      },
    });
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/** True when `e` is a connection that broke after the response began (reset, closed mid-body): worth a retry. */
export function isDroppedConnection(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : (e as NodeJS.ErrnoException).code;
  if (code && ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED', 'ETIMEDOUT'].includes(code)) return true;
  return /^(terminated|other side closed|socket hang up|premature close)/i.test(e.message);
}
