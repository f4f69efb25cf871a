// A clearly-labelled simulation for demos and load tests: no process, no network, no file changes.
// Deterministic: duration and failure are drawn from a RNG seeded by (seed, task id, attempt), so a run's outcome does
// not depend on dispatch order. Zero-duration mode sets no timer and settles on the next turn of the event loop
// (setImmediate; the benchmark pushes ≥1,000 tasks/s through it). Not on a microtask: a plan of instant runs was one
// promise chain that starved the engine's own turns, so no progress reached the editor until the whole run was over
// (0 → 101 of 123 in one notification).
import {
  AgentError,
  AGENT_ERROR_KINDS,
  abortError,
  type Agent,
  type AgentErrorKind,
  type AgentResult,
  type AgentRunContext,
  type AgentTaskInput,
} from './agent';
import { enumOption, intOption, numberOption } from './agentOptions';

const PROVIDER = 'dry-run';

/**
 * Average duration of a task of the simulation a person gets without choosing one (no API key, no `default_agent`):
 * long enough to see a task go from running to done in the editor (1–3 s, see simulationPace), short enough to watch a
 * small plan run. `simulation.duration_ms` / `coditect.simulation.durationMs` change it. A dry-run asked for by name
 * (`--agent dry-run`, an `agents` entry) keeps its own `durationMs`, 0 by default (load tests, CI).
 */
export const SIMULATION_MS = 2000;

/** The per-task durations of a simulation averaging `averageMs`: from half to 1.5 times it (2000 → 1–3 s). */
export function simulationPace(averageMs: number): { minMs: number; maxMs: number } {
  if (!Number.isInteger(averageMs) || averageMs < 0) throw new RangeError(`simulation duration must be a non-negative integer of ms, got ${averageMs}`);
  return { minMs: Math.round(averageMs / 2), maxMs: Math.round(averageMs * 1.5) };
}

/** Options of the dry-run agent (defaults in brackets). */
export interface DryRunAgentConfig {
  /** Fixed duration in ms, or a `{ minMs, maxMs }` range drawn per attempt [0]. */
  durationMs?: number | { minMs: number; maxMs: number };
  /** Probability in [0, 1] that an attempt fails [0]. */
  failureRate?: number;
  /** Kind of the simulated failures [`transient`]. */
  failureKind?: AgentErrorKind;
  /** RNG seed [1]. */
  seed?: number;
}

/** FNV-1a 32-bit hash of a string. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The simulated agent. */
export class DryRunAgent implements Agent {
  readonly provider = PROVIDER;
  readonly simulated = true;
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly failureRate: number;
  private readonly failureKind: AgentErrorKind;
  private readonly seed: number;

  constructor(
    readonly name: string,
    config: DryRunAgentConfig = {},
  ) {
    const where = `agent "${name}" (dry-run)`;
    const d = config.durationMs;
    if (d !== undefined && typeof d === 'object' && d !== null) {
      this.minMs = intOption(where, 'durationMs.minMs', d.minMs, 0, 0, 86_400_000);
      this.maxMs = intOption(where, 'durationMs.maxMs', d.maxMs, this.minMs, 0, 86_400_000);
      if (this.maxMs < this.minMs) throw new TypeError(`${where}: durationMs.maxMs (${this.maxMs}) must be >= durationMs.minMs (${this.minMs})`);
    } else {
      this.minMs = this.maxMs = intOption(where, 'durationMs', d, 0, 0, 86_400_000);
    }
    this.failureRate = numberOption(where, 'failureRate', config.failureRate, 0, 0, 1);
    this.failureKind = enumOption(where, 'failureKind', config.failureKind, AGENT_ERROR_KINDS, 'transient');
    this.seed = intOption(where, 'seed', config.seed, 1, 0, 0xffffffff);
  }

  /** The duration and outcome this agent will simulate for an attempt (pure; exposed for tests and previews). */
  plan(taskId: string, attempt: number): { durationMs: number; fails: boolean } {
    const rnd = mulberry32(fnv1a(`${this.seed}:${taskId}:${attempt}`));
    const durationMs = this.minMs === this.maxMs ? this.minMs : this.minMs + Math.floor(rnd() * (this.maxMs - this.minMs + 1));
    const fails = this.failureRate > 0 && rnd() < this.failureRate;
    return { durationMs, fails };
  }

  run(task: AgentTaskInput, ctx: AgentRunContext): Promise<AgentResult> {
    if (ctx.signal.aborted) return Promise.reject(abortError(ctx.signal, PROVIDER));
    const { durationMs, fails } = this.plan(task.id, task.attempt);
    const settle = (): AgentResult => {
      if (fails) {
        throw new AgentError(
          `[dry-run] simulated ${this.failureKind} failure of task ${task.id} (attempt ${task.attempt})`,
          this.failureKind,
          PROVIDER,
          this.failureKind === 'rate_limited' ? 1000 : undefined,
        );
      }
      return {
        summary: `[dry-run] simulated: task ${task.id} "${task.title}" — nothing was executed`,
        exitCode: 0,
        tokensIn: 0,
        tokensOut: 0,
        costUsd: 0,
        model: 'dry-run',
      };
    };
    // Zero duration: no timer, no listener; settles once the event loop has had a turn (see the file comment).
    if (durationMs === 0)
      return new Promise<AgentResult>((resolve, reject) =>
        setImmediate(() => {
          try {
            resolve(settle());
          } catch (e) {
            reject(e as Error); // settle() throws AgentError only
          }
        }),
      );
    return new Promise<AgentResult>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortError(ctx.signal, PROVIDER));
      };
      const timer = setTimeout(() => {
        ctx.signal.removeEventListener('abort', onAbort);
        try {
          resolve(settle());
        } catch (e) {
          reject(e as Error); // settle() throws AgentError only
        }
      }, durationMs);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      ctx.onOutput?.('progress', `[dry-run] simulating ${durationMs} ms\n`);
    });
  }
}
