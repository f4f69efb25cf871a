// What one attempt spent, as the ledger records it: the agent's own figures (validated: a provider's -5 or 1e308 is
// dropped, never summed), and a cost estimated from the price table where the agent reported tokens but no cost
// (Codex, Gemini, any command that prints usage). One place for both, so the attempt row, the metrics, the budgets
// and `coditect cost` all see the same figure.
import type { AgentSpend } from '../agents/agent';
import { computeCostUsd, priceFor, type ModelPrice } from '../agents/pricing';

/** Most tokens one attempt can plausibly use; more is a provider's (or CLI's) garbage, not a figure to store. */
export const MAX_ATTEMPT_TOKENS = 1e10;
/** Most one attempt can plausibly cost, USD. */
export const MAX_ATTEMPT_COST_USD = 1e6;

/** A token count as reported, or undefined when it is not a plausible count (negative, fractional, huge, NaN). */
export function validTokens(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_ATTEMPT_TOKENS ? n : undefined;
}

/** A cost as reported, or undefined when not a finite amount in [0, MAX_ATTEMPT_COST_USD]. */
export function validCost(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= MAX_ATTEMPT_COST_USD ? n : undefined;
}

/** The spend of one attempt, every figure validated; `costEstimated` when the cost was computed here (or by the agent from a table). */
export interface AttemptSpend {
  model?: string;
  tokensIn?: number;
  tokensOut?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  costUsd?: number;
  costEstimated: boolean;
  sessionId?: string;
}

/** The usage figures of `s` with every implausible one dropped (see validTokens/validCost). */
export function validatedSpend<T extends AgentSpend>(s: T): T {
  const out = { ...s };
  for (const k of ['tokensIn', 'tokensOut', 'cacheReadTokens', 'cacheWriteTokens'] as const) {
    if (k in out) out[k] = validTokens(out[k]);
  }
  if ('costUsd' in out) out.costUsd = validCost(out.costUsd);
  // A cache count larger than the input it is part of is not a count of it.
  const cache = (out.cacheReadTokens ?? 0) + (out.cacheWriteTokens ?? 0);
  if (out.tokensIn !== undefined && cache > out.tokensIn) {
    out.cacheReadTokens = undefined;
    out.cacheWriteTokens = undefined;
  }
  return out;
}

/**
 * The ledger's figures of an attempt from what its agent reported (its result, or the spend on its error): validated,
 * and priced from `prices` over the shipped table when the agent gave tokens and a model but no cost (then marked
 * estimated). A model with no price gets no cost rather than a wrong one.
 */
export function attemptSpendOf(reported: AgentSpend | undefined, prices?: Readonly<Record<string, ModelPrice>>): AttemptSpend {
  if (!reported) return { costEstimated: false };
  const s = validatedSpend(reported);
  const out: AttemptSpend = { costEstimated: s.costUsd !== undefined && s.costEstimated === true };
  if (s.model) out.model = s.model;
  if (s.tokensIn !== undefined) out.tokensIn = s.tokensIn;
  if (s.tokensOut !== undefined) out.tokensOut = s.tokensOut;
  if (s.cacheReadTokens !== undefined) out.cacheReadTokens = s.cacheReadTokens;
  if (s.cacheWriteTokens !== undefined) out.cacheWriteTokens = s.cacheWriteTokens;
  if (s.sessionId) out.sessionId = s.sessionId;
  if (s.costUsd !== undefined) {
    out.costUsd = s.costUsd;
    return out;
  }
  const estimate = estimateCostUsd(s, prices);
  if (estimate !== undefined) {
    out.costUsd = estimate;
    out.costEstimated = true;
  }
  return out;
}

/** Cost of the reported tokens at the model's price, or undefined without a model, tokens or a price. */
export function estimateCostUsd(s: AgentSpend, prices?: Readonly<Record<string, ModelPrice>>): number | undefined {
  if (!s.model || (s.tokensIn === undefined && s.tokensOut === undefined)) return undefined;
  const price = priceFor(s.model, prices);
  if (!price) return undefined;
  const read = s.cacheReadTokens ?? 0;
  const write = s.cacheWriteTokens ?? 0;
  return computeCostUsd(
    {
      inputTokens: Math.max(0, (s.tokensIn ?? 0) - read - write),
      outputTokens: s.tokensOut ?? 0,
      cacheReadInputTokens: read,
      cacheCreationInputTokens: write,
    },
    price,
  );
}
