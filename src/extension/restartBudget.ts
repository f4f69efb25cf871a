// How often a crashed engine may be restarted before the editor gives up and asks the person. Plain Node.

export interface RestartBudgetOptions {
  /** Restarts allowed inside the window; default 5. */
  max?: number;
  /** Sliding window in ms; default 180000 (3 minutes). */
  windowMs?: number;
}

/** A sliding-window budget: at most `max` restarts in any `windowMs`. */
export class RestartBudget {
  readonly max: number;
  readonly windowMs: number;
  private readonly stamps: number[] = [];

  constructor(opts: RestartBudgetOptions = {}) {
    this.max = opts.max ?? 5;
    this.windowMs = opts.windowMs ?? 180_000;
    if (!Number.isInteger(this.max) || this.max < 0) throw new RangeError(`RestartBudget max must be a non-negative integer, got ${opts.max}`);
    if (!Number.isFinite(this.windowMs) || this.windowMs <= 0) throw new RangeError(`RestartBudget windowMs must be a positive number, got ${opts.windowMs}`);
  }

  /** Takes one restart from the budget at time `now`; false when the budget is spent. */
  tryConsume(now: number): boolean {
    while (this.stamps.length > 0 && now - this.stamps[0] >= this.windowMs) this.stamps.shift();
    if (this.stamps.length >= this.max) return false;
    this.stamps.push(now);
    return true;
  }

  /** Restarts used in the window ending at `now`. */
  used(now: number): number {
    return this.stamps.filter((t) => now - t < this.windowMs).length;
  }

  /** Forgets past restarts (after a person restarts the engine by hand). */
  reset(): void {
    this.stamps.length = 0;
  }
}
