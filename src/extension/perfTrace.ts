// The extension's own timestamps for the workbench bench (#15, test/e2e/bigPlanBench.ts): when the extension host's
// environment names a file in CODITECT_PERF_TRACE, each stamp appends one JSON line to it
// (`{"at": epoch ms, "what": …, …fields}`), so the bench can lay the extension's steps (the plan in the store, each
// CodeLens request and its duration, each redraw asked of VS Code, the dashboard's handshake) beside what the page
// showed when. Unset (every other window), a stamp is one comparison and nothing else.
import { appendFileSync } from 'node:fs';

const file = process.env.CODITECT_PERF_TRACE || undefined;

/** Whether stamps are written (callers skip work that only a stamp needs). */
export const tracing = file !== undefined;

/** Milliseconds since the epoch, with the sub-millisecond part (comparable with a page's `timeOrigin + now()`). */
export const traceNow = (): number => performance.timeOrigin + performance.now();

/** Appends one stamp; never throws (a trace must not change what it measures beyond its own cost). */
export function stamp(what: string, fields?: Record<string, unknown>): void {
  if (file === undefined) return;
  try {
    appendFileSync(file, `${JSON.stringify({ at: Math.round(traceNow() * 10) / 10, what, ...fields })}\n`);
  } catch {
    // the bench's file went away: nothing to do
  }
}

/** While tracing: a stamp each time the extension host's event loop was held for over 100 ms (what a request waited behind). */
if (file !== undefined) {
  let last = traceNow();
  setInterval(() => {
    const now = traceNow();
    if (now - last > 150) stamp('exthost:blocked', { ms: Math.round(now - last - 50), since: Math.round(last * 10) / 10 });
    last = now;
  }, 50).unref();
}

/**
 * While tracing with CODITECT_PERF_PROFILE set to a file: a CPU profile of the whole extension host (every extension
 * in it, not only this one) from activation for CODITECT_PERF_PROFILE_MS (default 60 s), written as a .cpuprofile.
 */
const profileFile = process.env.CODITECT_PERF_PROFILE || undefined;
if (file !== undefined && profileFile !== undefined) {
  void import('node:inspector').then(({ Session }) => {
    const session = new Session();
    session.connect();
    const post = (method: string, params?: object): Promise<unknown> =>
      new Promise((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
    void post('Profiler.enable')
      .then(() => post('Profiler.setSamplingInterval', { interval: 1000 }))
      .then(() => post('Profiler.start'))
      .then(() => {
        stamp('exthost:profiling');
        setTimeout(
          () =>
            void post('Profiler.stop')
              .then((r) => {
                appendFileSync(profileFile, JSON.stringify((r as { profile: unknown }).profile));
                stamp('exthost:profiled');
              })
              .catch(() => undefined)
              .finally(() => session.disconnect()),
          Number(process.env.CODITECT_PERF_PROFILE_MS) || 60_000,
        ).unref();
      })
      .catch(() => undefined);
  });
}
