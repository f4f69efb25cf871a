// A bounded retry of a database operation that failed with a fault worth waiting out (dbFault.ts: locked past the busy
// timeout, disk full, read-only): the plan's "retry with exponential backoff, max 5 retries" for database locks.
// Used where a one-shot operation must not fail on a lock another program holds for a while (the sync at start-up,
// `coditect sync`); a running engine's own writes wait without a bound instead (DbGate).
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { dbFaultOf, describeDbFault } from './dbFault';

/** Options of retryWhileBlocked. */
export interface RetryBlockedOptions {
  /** Database path (named in the messages). */
  dbPath: string;
  /** Retries after the first try. Default 5 (the plan's). */
  retries?: number;
  /** First backoff, ms; doubles each retry. Default 1000. */
  initialDelayMs?: number;
  /** Largest backoff, ms. Default 16000. */
  maxDelayMs?: number;
  /** Each retry: why, which retry, and how long it waits. */
  onRetry?(message: string): void;
}

/** Runs `fn`, retrying it on a database fault; the last fault is rethrown with its cause named. */
export async function retryWhileBlocked<T>(fn: () => Promise<T>, opts: RetryBlockedOptions): Promise<T> {
  const retries = opts.retries ?? 5;
  if (!Number.isInteger(retries) || retries < 0) throw new RangeError(`retries must be a non-negative integer, got ${String(retries)}`);
  const policy = retry(
    handleWhen((e) => dbFaultOf(e) !== undefined),
    {
      maxAttempts: retries,
      backoff: new ExponentialBackoff({ initialDelay: opts.initialDelayMs ?? 1000, maxDelay: opts.maxDelayMs ?? 16_000, exponent: 2 }),
    },
  );
  const sub = policy.onRetry((r) => {
    const fault = 'error' in r ? dbFaultOf(r.error) : undefined;
    if (fault) opts.onRetry?.(`${describeDbFault(fault, opts.dbPath)}; retry ${r.attempt}/${retries} in ${Math.round(r.delay)} ms`);
  });
  try {
    return await policy.execute(fn);
  } catch (e) {
    const fault = dbFaultOf(e);
    if (!fault) throw e;
    throw new Error(`${describeDbFault(fault, opts.dbPath)}; gave up after ${retries} retries`, { cause: e });
  } finally {
    sub.dispose();
  }
}
