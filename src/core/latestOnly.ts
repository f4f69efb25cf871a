// "Latest only": a refresh asked for while one is under way is not run beside it, nor dropped, but folded into one
// more run after it, so what is held at the end reflects the last ask (the editor's ReviewStore and the daemon page's
// review list both ask again on every event that may have changed it, often in bursts). Pure: no I/O, no timers.

/**
 * Wraps `job`: a call while a run is under way marks it to run once more after (any number of calls, one more run)
 * and returns the promise of that whole run, which resolves after the last run it folded in. A job that throws ends
 * the run, the calls folded into it with it, and rejects its promise; the next call starts a new run.
 */
export function latestOnly(job: () => Promise<void>): () => Promise<void> {
  let inFlight: Promise<void> | undefined;
  let again = false;
  return () => {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    const run = async (): Promise<void> => {
      do {
        again = false;
        await job();
      } while (again);
    };
    inFlight = run().finally(() => {
      inFlight = undefined;
      again = false;
    });
    return inFlight;
  };
}
