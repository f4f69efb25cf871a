// The one interface every agent implements; the dispatcher codes against exactly this and nothing else.
// An agent runs ONE attempt of ONE task: retries, circuit breaking and timeouts belong to the engine's
// resilience layer, which reads `AgentError.kind` (and `retryAfterMs`) to decide what to do next.
import type { SandboxPolicy } from './sandbox';
import type { Priority } from '../../core/model';
import type { AttemptUsage } from '../../protocol/engineProtocol';

/** What an agent is told about the task it runs: the task, its place in the plan, and what its dependencies produced. */
export interface AgentTaskInput {
  id: string;
  title: string;
  agentType: string;
  priority?: Priority;
  estimateHours?: number;
  epic: { id: string; title: string };
  feature: { id: string; title: string };
  /** Results of the completed dependencies (not the whole plan). */
  dependencies: { id: string; title: string; resultSummary?: string }[];
  /** Acceptance command from the task's `Verify:` sub-bullet; run by the engine after the agent, shown to the agent as the goal. */
  verify?: string;
  /** Working directory of the attempt; file tools are confined to it. */
  cwd: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Paths relative to `cwd` whose (small) contents go into the prompt. */
  relevantFiles?: string[];
  /**
   * Set on a retry when an earlier attempt of this task with the same agent type left a session: agents that can
   * continue a session (Claude Code `--resume`) do so. `priorCostUsd` is what that session had cost so far, so an
   * agent that reports a session's running total can report this attempt's own share.
   */
  resume?: { sessionId: string; priorCostUsd?: number };
  /**
   * The id a new session of this attempt takes (Claude Code `--session-id`), given by the engine to agents that can
   * take one (Agent.presetsSessions) and recorded on the attempt's row when it starts: an attempt the engine never
   * saw end (a crash, a kill) leaves its session behind for the next attempt to resume.
   */
  newSessionId?: string;
  /** Why the previous attempt did not complete (redacted, capped), for the prompt of a retry. */
  previousError?: string;
}

/** What the engine hands an agent for one attempt. */
export interface AgentRunContext {
  /** Aborted on cancel/timeout: the agent MUST stop and kill its process tree. */
  signal: AbortSignal;
  /** Environment for children, secrets included. MUST never be logged. */
  env: Record<string, string | undefined>;
  /** Live output; `progress` carries short human-readable lines (tool calls, turns). */
  onOutput?(stream: 'stdout' | 'stderr' | 'progress', chunk: string): void;
  /**
   * What the attempt has spent so far (running totals, not increments), when the agent learns it mid-attempt (after
   * each model turn). The engine prices it and stops an attempt that takes its task over budget (docs/costs-and-gates.md).
   */
  onSpend?(spent: AgentSpend): void;
  /** SIGTERM → SIGKILL grace in ms. Default 5000. */
  killGraceMs?: number;
  /**
   * What the attempt's processes and file tools may touch (writable cwd; plan, `.coditect/`, db, `.git/` protected).
   * Every process an agent starts MUST go through `runAgentProcess` with it. Default: `defaultSandboxPolicy(task.cwd)`.
   */
  sandbox?: SandboxPolicy;
}

/**
 * Why an attempt failed, which decides what the engine does next:
 * `transient` retry with backoff; `rate_limited` retry after `retryAfterMs`; `auth` and `config` stop (a person must fix
 * something); `fatal` the attempt failed for a reason retrying will not fix; `timeout`/`cancelled` the signal fired.
 */
export type AgentErrorKind = 'transient' | 'rate_limited' | 'auth' | 'config' | 'fatal' | 'timeout' | 'cancelled';

export const AGENT_ERROR_KINDS: readonly AgentErrorKind[] = ['transient', 'rate_limited', 'auth', 'config', 'fatal', 'timeout', 'cancelled'];

/** What a failed attempt had used when it stopped, when the agent knows (tokens and cost are measured, not guessed). */
export type AgentSpend = Pick<
  AgentResult,
  'tokensIn' | 'tokensOut' | 'cacheReadTokens' | 'cacheWriteTokens' | 'costUsd' | 'costEstimated' | 'sessionId' | 'model'
>;

/** The only error an agent's `run` throws. Its message, stack and cause are free of secrets. */
export class AgentError extends Error {
  /** What the attempt had spent (and the session it left) before it failed, when known. */
  readonly spent?: AgentSpend;
  constructor(
    message: string,
    readonly kind: AgentErrorKind,
    readonly provider: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown; spent?: AgentSpend },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentError';
    if (options?.spent) this.spent = options.spent;
  }
}

/** `e` with what the attempt had spent attached (unless it carries a spend already). */
export function withSpent(e: AgentError, spent: AgentSpend | undefined): AgentError {
  if (e.spent || !spent) return e;
  return new AgentError(e.message, e.kind, e.provider, e.retryAfterMs, { cause: e.cause, spent });
}

/** True when `e` is an AgentError (also across module copies, by shape). */
export function isAgentError(e: unknown): e is AgentError {
  return (
    e instanceof AgentError ||
    (e instanceof Error &&
      e.name === 'AgentError' &&
      typeof (e as Partial<AgentError>).kind === 'string' &&
      typeof (e as Partial<AgentError>).provider === 'string')
  );
}

/** What a successful attempt produced. */
export interface AgentResult extends AttemptUsage {
  /** Short human-readable outcome; becomes the dependency `resultSummary` of dependent tasks. */
  summary: string;
  exitCode?: number | null;
  stdout?: string;
  stderr?: string;
  sessionId?: string;
}

/** One configured agent. `run` resolves with the result or throws an AgentError. */
export interface Agent {
  readonly name: string;
  readonly provider: string;
  /** True for the dry-run simulator: the UI must say plainly that nothing real ran. */
  readonly simulated?: boolean;
  /** It starts a new session under the id it is given (AgentTaskInput.newSessionId) and resumes sessions by id. */
  readonly presetsSessions?: boolean;
  run(task: AgentTaskInput, ctx: AgentRunContext): Promise<AgentResult>;
}

/** The AgentError for a fired signal: `timeout` when the abort reason is a TimeoutError, else `cancelled`. */
export function abortError(signal: AbortSignal, provider: string, cause?: unknown): AgentError {
  const reason: unknown = signal.reason;
  const isTimeout = reason instanceof Error && reason.name === 'TimeoutError';
  const kind: AgentErrorKind = isTimeout ? 'timeout' : 'cancelled';
  return new AgentError(
    isTimeout ? `${provider}: attempt timed out and was stopped` : `${provider}: attempt was cancelled and stopped`,
    kind,
    provider,
    undefined,
    cause === undefined ? undefined : { cause },
  );
}
