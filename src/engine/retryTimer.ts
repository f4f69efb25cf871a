// One pending retry with exponential backoff: schedule() arms the timer once (later calls while armed fold into it),
// each firing doubles the next delay up to the cap, reset() goes back to the first delay after a success.
// Used to wait out a database that cannot take writes (dbGate.ts); small on purpose, so no caller keeps its own
// timer maps.

/** Options of RetryTimer. */
export interface RetryTimerOptions {
  /** First delay, ms. Default 250. */
  initialMs?: number;
  /** Largest delay, ms. Default 8000. */
  maxMs?: number;
  /** What runs when the timer fires. */
  onFire(): void;
}

/** A single-shot timer with exponential backoff (see the file comment). */
export class RetryTimer {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private nextMs: number;
  private timer?: NodeJS.Timeout;
  private disposed = false;

  constructor(private readonly opts: RetryTimerOptions) {
    this.initialMs = opts.initialMs ?? 250;
    this.maxMs = opts.maxMs ?? 8000;
    for (const [k, v] of [
      ['initialMs', this.initialMs],
      ['maxMs', this.maxMs],
    ] as const)
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`RetryTimer: ${k} must be a non-negative number of ms, got ${String(v)}`);
    if (this.maxMs < this.initialMs) throw new RangeError(`RetryTimer: maxMs (${this.maxMs}) must be ≥ initialMs (${this.initialMs})`);
    this.nextMs = this.initialMs;
  }

  /** True while a firing is pending. */
  get armed(): boolean {
    return this.timer !== undefined;
  }

  /** The delay the next schedule() will wait, ms. */
  get delayMs(): number {
    return this.nextMs;
  }

  /** Arms the timer with the current delay (no-op while armed or after dispose); the delay after it doubles. */
  schedule(): void {
    if (this.timer || this.disposed) return;
    const ms = this.nextMs;
    this.nextMs = Math.min(this.maxMs, Math.max(1, this.nextMs * 2));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.opts.onFire();
    }, ms);
  }

  /** Back to the first delay (after the thing retried succeeded); a pending firing stays armed. */
  reset(): void {
    this.nextMs = this.initialMs;
  }

  /** Cancels a pending firing and refuses new ones. Idempotent. */
  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
