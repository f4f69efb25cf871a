// Failure handling, built on cockatiel: what happens after a failed attempt (retry with exponential backoff and
// jitter, fail fast, release on a rate limit), and, per agent provider, a circuit breaker plus a rate-limit pause
// that decide whether the dispatcher may start work for that provider at all.
//
// The retry is a DECISION, not a loop around the agent: a task waiting for its backoff holds no executor slot, so
// the dispatcher keeps other work flowing, and the wait survives a restart as `pending` with its retry count kept.
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  decorrelatedJitterGenerator,
  handleWhen,
  type CircuitBreakerPolicy,
  type GeneratorFn,
  type IExponentialBackoffOptions,
} from 'cockatiel';
import type { AgentErrorKind } from './agents/agent';
import type { BreakerState } from '../protocol/views';
import { formatSpan } from '../protocol/presentation';
import type { OrchestratorConfig } from './config';
import type { JitterKind } from './config/fileSchema';

// ---- retry decisions ------------------------------------------------------------------------------------------

/** Why an attempt did not complete, as the decision needs it. */
export interface AttemptFailure {
  /** AgentError kind, `verify` when the agent finished but the Verify command failed, `budget` when the task's budget stopped it. */
  kind: AgentErrorKind | 'verify' | 'budget';
  /** Redacted, human-readable reason. */
  message: string;
  /** rate_limited: how long the provider asked us to wait. */
  retryAfterMs?: number;
  /** verify: a fingerprint of the failure (exit code + output), to spot the same failure twice. */
  verifySignature?: string;
}

/** What to do with a task after a failed attempt. */
export type RetryDecision =
  /** Back to pending, retry count + 1, not dispatched before `delayMs`. */
  | { action: 'retry'; delayMs: number; reason: string }
  /**
   * Back to pending with the retry count unchanged (rate limit: the provider is paused instead). `usageLimit`: the
   * provider's usage limit or quota, not a short rate limit (the pause is long, shown and kept across a restart).
   */
  | { action: 'release'; pauseMs: number; reason: string; usageLimit: boolean }
  /** Final: the task ends in `status`. */
  | { action: 'fail'; status: 'failed' | 'timeout' | 'cancelled'; reason: string };

/** Retry settings (from OrchestratorConfig.retry). */
export interface RetrySettings {
  /** Retries after the first attempt. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  jitter: JitterKind;
  /** Growth factor of the delay per retry (the plan's `retry_backoff_base`). Default 2: 1, 2, 4, 8, 16 s. */
  backoffBase?: number;
}

/**
 * initialDelay × exponent^attempts, capped: cockatiel's own no/half/full-jitter generators compute 2^attempts and
 * ignore `exponent` (only its decorrelated one reads it), which left the plan's `retry_backoff_base` without effect.
 */
const exponential = (attempts: number | undefined, o: IExponentialBackoffOptions<number>): [number, number] => {
  const n = attempts ?? 0;
  return [Math.min(o.maxDelay, o.initialDelay * o.exponent ** n), n + 1];
};
const noJitter: GeneratorFn<number> = (attempts, o) => exponential(attempts, o);
const halfJitter: GeneratorFn<number> = (attempts, o) => {
  const [d, next] = exponential(attempts, o);
  return [Math.floor((d + Math.random() * d) / 2), next];
};
const fullJitter: GeneratorFn<number> = (attempts, o) => {
  const [d, next] = exponential(attempts, o);
  return [Math.floor(Math.random() * d), next];
};

const GENERATORS: Record<JitterKind, GeneratorFn<unknown>> = {
  none: noJitter as GeneratorFn<unknown>,
  half: halfJitter as GeneratorFn<unknown>,
  full: fullJitter as GeneratorFn<unknown>,
  decorrelated: decorrelatedJitterGenerator as GeneratorFn<unknown>,
};

/** Per-task retry policy: exponential backoff with jitter, only for transient failures. */
export class RetryPolicy {
  private readonly backoff: ExponentialBackoff<unknown>;

  constructor(
    readonly settings: RetrySettings,
    private readonly defaultPauseMs = 30_000,
    private readonly usageLimitPauseMs = 18_000_000,
  ) {
    if (!Number.isInteger(settings.maxAttempts) || settings.maxAttempts < 0)
      throw new RangeError(`retry.maxAttempts: expected an integer ≥0, got ${settings.maxAttempts}`);
    if (!(settings.initialDelayMs >= 0)) throw new RangeError(`retry.initialDelayMs: expected ≥0, got ${settings.initialDelayMs}`);
    if (!(settings.maxDelayMs >= settings.initialDelayMs))
      throw new RangeError(`retry.maxDelayMs: expected ≥ initialDelayMs (${settings.initialDelayMs}), got ${settings.maxDelayMs}`);
    if (settings.backoffBase !== undefined && !(settings.backoffBase >= 1 && settings.backoffBase <= 10))
      throw new RangeError(`retry.backoffBase: expected 1..10, got ${settings.backoffBase}`);
    if (!GENERATORS[settings.jitter])
      throw new RangeError(`retry.jitter: expected one of ${Object.keys(GENERATORS).join(', ')}, got ${JSON.stringify(settings.jitter)}`);
    this.backoff = new ExponentialBackoff({
      generator: GENERATORS[settings.jitter],
      initialDelay: settings.initialDelayMs,
      maxDelay: settings.maxDelayMs,
      exponent: settings.backoffBase ?? 2,
    });
  }

  /** Builds the policy of a config. */
  static fromConfig(config: OrchestratorConfig): RetryPolicy {
    return new RetryPolicy(config.retry, config.rateLimit.defaultPauseMs, config.rateLimit.usageLimitPauseMs);
  }

  /** Backoff before retry number `retry` (1-based): initial · 2^(retry-1), capped, with the configured jitter. */
  delayFor(retry: number): number {
    let b = this.backoff.next();
    for (let i = 1; i < retry; i++) b = b.next(undefined);
    return Math.max(0, Math.round(b.duration));
  }

  /**
   * Decides after a failed attempt. `retryCount` is the task's count BEFORE this attempt; `previousVerifySignature`
   * the fingerprint of the task's last verification failure, if any.
   */
  decide(failure: AttemptFailure, retryCount: number, previousVerifySignature?: string): RetryDecision {
    const m = failure.message;
    switch (failure.kind) {
      case 'rate_limited': {
        const given = failure.retryAfterMs !== undefined && failure.retryAfterMs >= 0 ? failure.retryAfterMs : undefined;
        const usageLimit = isUsageLimit(m, given);
        const pauseMs = given ?? (usageLimit ? this.usageLimitPauseMs : this.defaultPauseMs);
        if (usageLimit)
          return {
            action: 'release',
            pauseMs,
            usageLimit,
            reason: `usage limit reached; the provider is paused ${formatSpan(pauseMs)}${given === undefined ? ' (no reset time given: rate_limit.usage_limit_pause_ms)' : ''} without spending a retry: ${m}`,
          };
        return { action: 'release', pauseMs, usageLimit, reason: `rate limited by the provider; paused ${formatSpan(pauseMs)} without spending a retry: ${m}` };
      }
      case 'auth':
        return { action: 'fail', status: 'failed', reason: `authentication failed (not retried: fix the credentials, then retry): ${m}` };
      case 'config':
        return { action: 'fail', status: 'failed', reason: `configuration error (not retried: fix the configuration, then retry): ${m}` };
      case 'fatal':
        return { action: 'fail', status: 'failed', reason: `failed for a reason a retry will not fix: ${m}` };
      case 'timeout':
        return { action: 'fail', status: 'timeout', reason: m };
      case 'cancelled':
        return { action: 'fail', status: 'cancelled', reason: m };
      case 'budget':
        return { action: 'fail', status: 'failed', reason: `${m} (not retried: raise budget.per_task_usd, then retry)` };
      case 'verify':
        if (failure.verifySignature !== undefined && failure.verifySignature === previousVerifySignature) {
          return { action: 'fail', status: 'failed', reason: `verification failed the same way twice (not retried): ${m}` };
        }
        return this.retryOrGiveUp(retryCount, `verification failed: ${m}`);
      case 'transient':
      default:
        return this.retryOrGiveUp(retryCount, m);
    }
  }

  private retryOrGiveUp(retryCount: number, m: string): RetryDecision {
    if (retryCount >= this.settings.maxAttempts) {
      return {
        action: 'fail',
        status: 'failed',
        reason: `gave up after ${retryCount + 1} attempt${retryCount === 0 ? '' : 's'} (${this.settings.maxAttempts} retries allowed): ${m}`,
      };
    }
    const delayMs = this.delayFor(retryCount + 1);
    return { action: 'retry', delayMs, reason: `retry ${retryCount + 1}/${this.settings.maxAttempts} in ${formatSpan(delayMs)}: ${m}` };
  }
}

/** A rate-limit wait at least this long is a usage limit (a quota window), not a burst limit. */
export const USAGE_LIMIT_MIN_PAUSE_MS = 5 * 60_000;

/** A usage limit or quota (a subscription window, a spend cap), told by its words or by how long it asks us to wait. */
export function isUsageLimit(message: string, retryAfterMs: number | undefined): boolean {
  return (
    /usage limit|spend limit|quota|resource[_ ]exhausted|(?:5-hour|hourly|daily|weekly|session) limit|\bresets?\s+(?:at\s+)?\d/i.test(message) ||
    (retryAfterMs !== undefined && retryAfterMs >= USAGE_LIMIT_MIN_PAUSE_MS)
  );
}

// ---- provider gates: circuit breaker + rate-limit pause -------------------------------------------------------

/** Failure kinds that count against a provider's breaker: the provider (or our access to it) is broken. */
export const BREAKER_FAILURE_KINDS: ReadonlySet<string> = new Set<AgentErrorKind>(['transient', 'auth', 'config', 'timeout']);

/** Injectable timers, for tests that need them. */
export interface GateTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): { unref?(): unknown } | number;
  clearTimeout(handle: unknown): void;
}

const realTimers: GateTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Options of ProviderGates. */
export interface ProviderGateOptions {
  /** Consecutive failures that open a provider's breaker. */
  failureThreshold: number;
  /** Open → half-open after this long (cockatiel `halfOpenAfter`). */
  cooldownMs: number;
  /** Which errors count as provider failures. Default: AgentErrors of BREAKER_FAILURE_KINDS. */
  isFailure?(e: unknown): boolean;
  timers?: Partial<GateTimers>;
}

interface Gate {
  policy: CircuitBreakerPolicy;
  openedAt?: number;
  cooldownTimer?: unknown;
  probing: boolean;
  pausedUntil?: number;
  /** Why it is paused (`usage limit`, `rate limited`). */
  pauseReason?: string;
  pauseTimer?: unknown;
  last: BreakerState;
  dispose(): void;
}

/** A change of a provider's gate state. */
export interface GateChange {
  provider: string;
  state: BreakerState;
  previous: BreakerState;
}

function defaultIsFailure(e: unknown): boolean {
  const kind = (e as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' && BREAKER_FAILURE_KINDS.has(kind);
}

/**
 * One cockatiel circuit breaker (ConsecutiveBreaker) per provider, plus a rate-limit pause. The dispatcher asks
 * `canDispatch` before it starts a task, calls `begin` when it does (marking the single half-open probe), and runs the
 * agent through `execute` so the breaker sees the outcome. `onChange` fires on every visible state change — in
 * particular when dispatch becomes possible again (cool-down over, probe succeeded, pause ended).
 */
export class ProviderGates {
  private readonly gates = new Map<string, Gate>();
  private readonly listeners = new Set<(c: GateChange) => void>();
  private readonly timers: GateTimers;
  private readonly isFailure: (e: unknown) => boolean;
  private failureThreshold: number;
  private cooldownMs: number;
  private disposed = false;

  constructor(opts: ProviderGateOptions) {
    if (!Number.isInteger(opts.failureThreshold) || opts.failureThreshold < 1)
      throw new RangeError(`circuit_breaker.failure_threshold: expected an integer ≥1, got ${opts.failureThreshold}`);
    if (!(opts.cooldownMs >= 0)) throw new RangeError(`circuit_breaker.cooldown_ms: expected ≥0, got ${opts.cooldownMs}`);
    this.failureThreshold = opts.failureThreshold;
    this.cooldownMs = opts.cooldownMs;
    this.isFailure = opts.isFailure ?? defaultIsFailure;
    this.timers = { ...realTimers, ...opts.timers };
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onChange(listener: (c: GateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** New threshold and cool-down (config reload); breakers created from now on use them, open ones keep their timer. */
  reconfigure(failureThreshold: number, cooldownMs: number): void {
    if (failureThreshold === this.failureThreshold && cooldownMs === this.cooldownMs) return;
    this.failureThreshold = failureThreshold;
    this.cooldownMs = cooldownMs;
    // A closed breaker carries nothing worth keeping but its failure count; rebuild those so the new threshold applies.
    for (const [provider, g] of this.gates) {
      if (g.policy.state === CircuitState.Closed && !g.probing && g.pausedUntil === undefined) {
        g.dispose();
        this.gates.delete(provider);
      }
    }
  }

  /** Visible state: `paused` (429) over the breaker's closed / open / half_open (cool-down over or probe running). */
  state(provider: string): BreakerState {
    const g = this.gates.get(provider);
    return g ? this.computeState(g) : 'closed';
  }

  /** State of every provider seen so far. */
  states(): Record<string, BreakerState> {
    const out: Record<string, BreakerState> = {};
    for (const [p, g] of this.gates) out[p] = this.computeState(g);
    return out;
  }

  /** May the dispatcher start a task for `provider` now? Half-open allows exactly one probe at a time. */
  canDispatch(provider: string): boolean {
    const g = this.gates.get(provider);
    if (!g) return true;
    if (this.isPaused(g)) return false;
    switch (g.policy.state) {
      case CircuitState.Closed:
        return true;
      case CircuitState.Open:
        return !g.probing && this.cooledDown(g);
      default:
        return false; // half-open with the probe in flight, or isolated
    }
  }

  /**
   * Marks a dispatch to `provider`; when it is the half-open probe, no other task goes until it settles. Returns true
   * for the probe: its failure is the provider's, not the task's (it spends no retry).
   */
  begin(provider: string): boolean {
    const g = this.gate(provider);
    if (g.policy.state === CircuitState.Open && this.cooledDown(g)) g.probing = true;
    return g.probing;
  }

  /**
   * Ends the half-open probe `begin` marked for an attempt that never ran (its dispatch was rolled back): nothing is
   * learnt of the provider, so the breaker stays open and cooled down, and the next dispatch to it is the probe.
   */
  endProbe(provider: string): void {
    const g = this.gate(provider);
    if (!g.probing) return;
    g.probing = false;
    this.emitIfChanged(provider, g);
  }

  /**
   * Runs `fn` (one agent attempt) through the provider's breaker. Throws BrokenCircuitError if the breaker is open
   * and not cooled down (a caller that skipped `canDispatch`). MUST be paired with a prior `begin`.
   */
  async execute<T>(provider: string, fn: () => Promise<T>): Promise<T> {
    const g = this.gate(provider);
    if (g.policy.state === CircuitState.Open && !this.cooledDown(g)) throw new BrokenCircuitError(`circuit breaker of ${provider} is open`);
    try {
      return await g.policy.execute(() => fn());
    } finally {
      if (g.probing) {
        g.probing = false;
        this.emitIfChanged(provider, g);
      }
    }
  }

  /**
   * Pauses dispatch to `provider` for `ms` (HTTP 429 / retry-after, a usage limit until its reset); a longer pause wins
   * over a shorter one. `reason` is shown with it. Returns the end of the pause in force (epoch ms on the gates' clock).
   */
  pause(provider: string, ms: number, reason = 'rate limited'): number {
    if (this.disposed) return this.timers.now();
    const g = this.gate(provider);
    const until = this.timers.now() + Math.max(0, ms);
    if (g.pausedUntil !== undefined && g.pausedUntil >= until) return g.pausedUntil;
    g.pausedUntil = until;
    g.pauseReason = reason;
    if (g.pauseTimer !== undefined) this.timers.clearTimeout(g.pauseTimer);
    g.pauseTimer = this.unref(
      this.timers.setTimeout(
        () => {
          g.pauseTimer = undefined;
          g.pausedUntil = undefined;
          g.pauseReason = undefined;
          this.emitIfChanged(provider, g);
        },
        // setTimeout fires at once beyond 2^31-1 ms (24.8 days); the cap keeps a long pause a pause.
        Math.min(Math.max(0, ms), 2_147_483_647),
      ),
    );
    this.emitIfChanged(provider, g);
    return until;
  }

  /** Providers paused right now: until when (epoch ms) and why. */
  pauses(): { provider: string; until: number; reason: string }[] {
    const out: { provider: string; until: number; reason: string }[] = [];
    for (const [provider, g] of this.gates) if (this.isPaused(g)) out.push({ provider, until: g.pausedUntil!, reason: g.pauseReason ?? 'rate limited' });
    return out;
  }

  /** Ends a provider's pause now (e.g. a person says go). */
  unpause(provider: string): void {
    const g = this.gates.get(provider);
    if (!g || g.pausedUntil === undefined) return;
    if (g.pauseTimer !== undefined) this.timers.clearTimeout(g.pauseTimer);
    g.pauseTimer = undefined;
    g.pausedUntil = undefined;
    this.emitIfChanged(provider, g);
  }

  /** Clears every timer and listener. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const g of this.gates.values()) g.dispose();
    this.gates.clear();
    this.listeners.clear();
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  private isPaused(g: Gate): boolean {
    return g.pausedUntil !== undefined && this.timers.now() < g.pausedUntil;
  }

  private cooledDown(g: Gate): boolean {
    return g.openedAt !== undefined && this.timers.now() - g.openedAt >= this.cooldownMs;
  }

  private computeState(g: Gate): BreakerState {
    if (this.isPaused(g)) return 'paused';
    switch (g.policy.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.Open:
        return this.cooledDown(g) ? 'half_open' : 'open';
      case CircuitState.HalfOpen:
        return 'half_open';
      default:
        return 'open';
    }
  }

  private gate(provider: string): Gate {
    let g = this.gates.get(provider);
    if (g) return g;
    // halfOpenAfter 0: cockatiel would admit a probe at once; the cool-down is enforced here, on our clock (injectable),
    // by canDispatch/execute, so cockatiel's own Date.now() reading never disagrees with the state we show.
    const policy = circuitBreaker(
      handleWhen((e) => this.isFailure(e)),
      {
        halfOpenAfter: 0,
        breaker: new ConsecutiveBreaker(this.failureThreshold),
      },
    );
    const subs = [
      policy.onBreak(() => {
        const gate = this.gates.get(provider);
        if (!gate) return;
        // cockatiel stamps its own openedAt with Date.now() right before this event; ours follows the same instant.
        gate.openedAt = this.timers.now();
        this.scheduleCooldownEnd(provider, gate, this.cooldownMs);
      }),
      policy.onReset(() => {
        const gate = this.gates.get(provider);
        if (gate) gate.openedAt = undefined;
      }),
      policy.onStateChange(() => {
        const gate = this.gates.get(provider);
        if (gate) this.emitIfChanged(provider, gate);
      }),
    ];
    g = {
      policy,
      probing: false,
      last: 'closed',
      dispose: () => {
        for (const s of subs) s.dispose();
        if (g!.cooldownTimer !== undefined) this.timers.clearTimeout(g!.cooldownTimer);
        if (g!.pauseTimer !== undefined) this.timers.clearTimeout(g!.pauseTimer);
        g!.cooldownTimer = g!.pauseTimer = undefined;
      },
    };
    this.gates.set(provider, g);
    return g;
  }

  /** Emits the half_open change when the cool-down is over (re-arming if a timer fired a little early). */
  private scheduleCooldownEnd(provider: string, g: Gate, ms: number): void {
    if (g.cooldownTimer !== undefined) this.timers.clearTimeout(g.cooldownTimer);
    g.cooldownTimer = this.unref(
      this.timers.setTimeout(() => {
        g.cooldownTimer = undefined;
        if (this.disposed || this.gates.get(provider) !== g) return;
        if (g.policy.state === CircuitState.Open && !this.cooledDown(g)) {
          this.scheduleCooldownEnd(provider, g, Math.max(1, this.cooldownMs - (this.timers.now() - (g.openedAt ?? 0))));
          return;
        }
        this.emitIfChanged(provider, g);
      }, ms),
    );
  }

  private emitIfChanged(provider: string, g: Gate): void {
    if (this.disposed) return;
    const state = this.computeState(g);
    if (state === g.last) return;
    const previous = g.last;
    g.last = state;
    for (const l of [...this.listeners]) l({ provider, state, previous });
  }

  private unref<H>(h: H): H {
    (h as { unref?(): unknown }).unref?.();
    return h;
  }
}

/** True when `e` is cockatiel's error for a call refused by an open breaker. */
export function isBrokenCircuit(e: unknown): boolean {
  return e instanceof BrokenCircuitError;
}
