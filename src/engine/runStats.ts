// This run's statistics, as the views and the metrics page show them: attempts finished (completed, failed, and how
// long the completed ones took), completions in the trailing hour, and the throughput chart's samples. Kept apart
// from the runtime so the arithmetic is tested on its own with an injected clock; the runtime only tells it what
// happened.
import type { AttemptOutcome, MetricsView, PlanCounts } from '../protocol/views';
import { remainingOf } from '../protocol/presentation';

/** Throughput samples kept for the chart: one a minute while idle (12 h), one per THROUGHPUT_ACTIVE_MS while tasks finish. */
export const THROUGHPUT_SAMPLES = 720;
/**
 * Least time between two throughput samples while tasks finish. The chart's series is the engine's (every metrics
 * refresh replaces the page's own): sampled only once a minute, a run of a few minutes drew two or three points.
 */
export const THROUGHPUT_ACTIVE_MS = 5_000;
/** Time between two throughput samples while nothing moves. */
export const THROUGHPUT_IDLE_MS = 60_000;
const HOUR_MS = 3_600_000;

/** Options of RunStats. */
export interface RunStatsOptions {
  /** The clock (epoch ms); the run starts at its first reading. */
  now: () => number;
  /** The plan's counts now (a throughput sample reads them). */
  counts: () => PlanCounts;
}

/** Counts of this run and the throughput samples; close() stops its timers. */
export class RunStats {
  private readonly startedAt: number;
  private readonly finished = { completed: 0, failed: 0, totalMs: 0 };
  /** Epoch ms of each completion in the last hour: tasks/hour is counted over it, never extrapolated. */
  private readonly completedAt: number[] = [];
  private readonly throughput: MetricsView['throughput'] = [];
  private sampledAt = 0;
  private idleTimer?: NodeJS.Timeout;
  /** A sample due THROUGHPUT_ACTIVE_MS after the last one, set when the counts moved since. */
  private soonTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly opts: RunStatsOptions) {
    this.startedAt = opts.now();
  }

  /** Takes a first sample and then one every THROUGHPUT_IDLE_MS (the plan must be readable from now on). */
  start(): void {
    if (this.closed || this.idleTimer) return;
    this.sample();
    this.idleTimer = setInterval(() => this.sample(), THROUGHPUT_IDLE_MS);
    this.idleTimer.unref();
  }

  /**
   * An attempt finished. Released and cancelled attempts are neither: the task was given back or a person stopped it,
   * so they count against no success rate.
   */
  attemptFinished(outcome: AttemptOutcome, durationMs: number): void {
    if (outcome === 'completed') {
      this.finished.completed++;
      this.finished.totalMs += durationMs;
      this.completedAt.push(this.opts.now());
    } else if (outcome !== 'released' && outcome !== 'cancelled') this.finished.failed++;
  }

  /** The counts moved: samples at most every THROUGHPUT_ACTIVE_MS while they do (the last move included). */
  countsMoved(c: PlanCounts): void {
    const last = this.throughput[this.throughput.length - 1];
    if (this.soonTimer || this.closed || (last && last.completed === c.done && last.remaining === remainingOf(c))) return;
    const wait = Math.max(0, this.sampledAt + THROUGHPUT_ACTIVE_MS - this.opts.now());
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      this.sample();
    }, wait);
    this.soonTimer.unref();
  }

  /** One throughput sample now; the oldest goes past THROUGHPUT_SAMPLES. */
  sample(): void {
    if (this.closed) return;
    const now = this.opts.now();
    this.sampledAt = now;
    const c = this.opts.counts();
    this.throughput.push({ at: new Date(now).toISOString(), completed: c.done, remaining: remainingOf(c) });
    if (this.throughput.length > THROUGHPUT_SAMPLES) this.throughput.shift();
  }

  /** The run's metrics as the views show them. */
  view(): MetricsView {
    const attempts = this.finished.completed + this.finished.failed;
    return {
      tasksPerHour: this.completionsInLastHour(),
      avgCompletionMs: this.finished.completed ? this.finished.totalMs / this.finished.completed : 0,
      successRate: attempts ? this.finished.completed / attempts : null,
      uptimeSeconds: (this.opts.now() - this.startedAt) / 1000,
      throughput: [...this.throughput],
    };
  }

  /** Stops sampling. Idempotent. */
  close(): void {
    this.closed = true;
    clearInterval(this.idleTimer);
    clearTimeout(this.soonTimer);
    this.idleTimer = undefined;
    this.soonTimer = undefined;
  }

  /** Tasks completed in the trailing hour (during the first hour: since the run started). A count, not a projection. */
  private completionsInLastHour(): number {
    const since = this.opts.now() - HOUR_MS;
    let drop = 0;
    while (drop < this.completedAt.length && this.completedAt[drop] <= since) drop++;
    if (drop) this.completedAt.splice(0, drop);
    return this.completedAt.length;
  }
}
