// Per-model token prices used to compute `costUsd` where a provider reports tokens but no cost: Anthropic API attempts,
// and the engine's estimate for CLIs that report usage only (Codex `turn.completed`). USD per million tokens, from the
// providers' published pricing pages; override or extend with the config's `prices` (every agent) or an Anthropic
// agent's own `prices` option. An unknown model gets no cost rather than a wrong one. A cost computed from this table
// is marked estimated on its attempt row (docs/costs-and-gates.md).

/** Price of one model in USD per million tokens. Cache prices default to 1.25× (write) and 0.1× (read) of input. */
export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
  cacheWritePerMTok?: number;
  cacheReadPerMTok?: number;
}

/** Published list prices (USD / MTok). Keys are model ids; dated snapshots (`<id>-YYYYMMDD`) use their id's price. */
export const DEFAULT_MODEL_PRICES: Readonly<Record<string, ModelPrice>> = Object.freeze({
  'claude-fable-5-1': { inputPerMTok: 10, outputPerMTok: 50 },
  'claude-opus-5-5': { inputPerMTok: 4, outputPerMTok: 20 },
  'claude-opus-5': { inputPerMTok: 5, outputPerMTok: 25 },
  'claude-sonnet-5-5': { inputPerMTok: 2, outputPerMTok: 10 },
  'claude-sonnet-5': { inputPerMTok: 2, outputPerMTok: 10 },
  'claude-opus-4-6': { inputPerMTok: 5, outputPerMTok: 25 },
  'claude-opus-4-5': { inputPerMTok: 5, outputPerMTok: 25 },
  'claude-sonnet-4-6': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-sonnet-4-5': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-haiku-4-5': { inputPerMTok: 1, outputPerMTok: 5 },
  // OpenAI models the Codex CLI runs. Writing the prompt cache is not charged (input price); cached input is.
  'gpt-5': { inputPerMTok: 1.25, outputPerMTok: 10, cacheWritePerMTok: 1.25, cacheReadPerMTok: 0.125 },
  'gpt-5-codex': { inputPerMTok: 1.25, outputPerMTok: 10, cacheWritePerMTok: 1.25, cacheReadPerMTok: 0.125 },
  'gpt-5.1': { inputPerMTok: 1.25, outputPerMTok: 10, cacheWritePerMTok: 1.25, cacheReadPerMTok: 0.125 },
  'gpt-5.1-codex': { inputPerMTok: 1.25, outputPerMTok: 10, cacheWritePerMTok: 1.25, cacheReadPerMTok: 0.125 },
  'gpt-5-mini': { inputPerMTok: 0.25, outputPerMTok: 2, cacheWritePerMTok: 0.25, cacheReadPerMTok: 0.025 },
  'gpt-5-nano': { inputPerMTok: 0.05, outputPerMTok: 0.4, cacheWritePerMTok: 0.05, cacheReadPerMTok: 0.005 },
  'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8, cacheWritePerMTok: 2, cacheReadPerMTok: 0.5 },
  o3: { inputPerMTok: 2, outputPerMTok: 8, cacheWritePerMTok: 2, cacheReadPerMTok: 0.5 },
  'o4-mini': { inputPerMTok: 1.1, outputPerMTok: 4.4, cacheWritePerMTok: 1.1, cacheReadPerMTok: 0.275 },
});

/** Token counts of one or more Messages API calls. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
}

/** The price of `model`: exact id, else `<id>-YYYYMMDD` snapshot of a known id; overrides win over the defaults. */
export function priceFor(model: string, overrides?: Readonly<Record<string, ModelPrice>>): ModelPrice | undefined {
  const table = { ...DEFAULT_MODEL_PRICES, ...(overrides ?? {}) };
  if (table[model]) return table[model];
  const m = /^(.*)-\d{8}$/.exec(model);
  return m && table[m[1]!] ? table[m[1]!] : undefined;
}

/** Cost in USD of `usage` at `price`, rounded to 1e-6. */
export function computeCostUsd(usage: TokenUsage, price: ModelPrice): number {
  const write = price.cacheWritePerMTok ?? price.inputPerMTok * 1.25;
  const read = price.cacheReadPerMTok ?? price.inputPerMTok * 0.1;
  const usd =
    (usage.inputTokens * price.inputPerMTok +
      usage.outputTokens * price.outputPerMTok +
      usage.cacheCreationInputTokens * write +
      usage.cacheReadInputTokens * read) /
    1_000_000;
  return Math.round(usd * 1e6) / 1e6;
}

/** Checks a price table from configuration; the error names the bad model and field. */
export function validatePrices(prices: unknown, where: string): Record<string, ModelPrice> {
  if (prices === undefined) return {};
  if (!prices || typeof prices !== 'object' || Array.isArray(prices)) throw new TypeError(`${where}: prices must be an object keyed by model id`);
  const out: Record<string, ModelPrice> = {};
  for (const [model, p] of Object.entries(prices as Record<string, unknown>)) {
    const price = p as Partial<ModelPrice> | null;
    for (const f of ['inputPerMTok', 'outputPerMTok'] as const) {
      const v = price?.[f];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        throw new TypeError(`${where}: prices["${model}"].${f} must be a number >= 0, got ${JSON.stringify(v)}`);
    }
    for (const f of ['cacheWritePerMTok', 'cacheReadPerMTok'] as const) {
      const v = price?.[f];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0))
        throw new TypeError(`${where}: prices["${model}"].${f} must be a number >= 0, got ${JSON.stringify(v)}`);
    }
    out[model] = price as ModelPrice;
  }
  return out;
}
