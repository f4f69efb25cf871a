// One attempt's spend as the ledger counts it: validated figures, and a cost estimated from the price table where an
// agent reports tokens but no cost (marked estimated), never a guessed one for an unknown model.
import * as assert from 'node:assert/strict';
import { attemptSpendOf, estimateCostUsd, validatedSpend } from '../../../src/engine/spend/attemptSpend';
import { formatUsd, spendText } from '../../../src/protocol/spend';

describe('attempt spend', () => {
  it('keeps a reported cost as reported, and estimates one from tokens × the price table when none was reported', () => {
    assert.deepEqual(attemptSpendOf({ model: 'claude-opus-5', tokensIn: 10, tokensOut: 2, costUsd: 0.3 }), {
      model: 'claude-opus-5',
      tokensIn: 10,
      tokensOut: 2,
      costUsd: 0.3,
      costEstimated: false,
    });
    // gpt-5: input 1.25, cached 0.125, output 10 USD / MTok; 1,000,000 input of which 400,000 cached.
    const est = attemptSpendOf({ model: 'gpt-5', tokensIn: 1_000_000, cacheReadTokens: 400_000, tokensOut: 100_000 });
    assert.equal(est.costUsd, 0.6 * 1.25 + 0.4 * 0.125 + 0.1 * 10);
    assert.equal(est.costEstimated, true);
    // Dated snapshots use their model's price; an override in the config wins.
    assert.equal(estimateCostUsd({ model: 'claude-sonnet-4-5-20250929', tokensIn: 1_000_000 }), 3);
    assert.equal(estimateCostUsd({ model: 'gpt-5', tokensIn: 1_000_000 }, { 'gpt-5': { inputPerMTok: 2, outputPerMTok: 8 } }), 2);
    // No model, no tokens or no price: no cost rather than a wrong one.
    assert.equal(attemptSpendOf({ tokensIn: 100 }).costUsd, undefined);
    assert.equal(attemptSpendOf({ model: 'mystery-1', tokensIn: 100 }).costUsd, undefined);
    assert.equal(attemptSpendOf({ model: 'gpt-5' }).costUsd, undefined);
    assert.deepEqual(attemptSpendOf(undefined), { costEstimated: false });
  });

  it('drops implausible figures instead of summing them', () => {
    const v = validatedSpend({ tokensIn: -5, tokensOut: 1.5, costUsd: Number.NaN, cacheReadTokens: 3 });
    assert.deepEqual([v.tokensIn, v.tokensOut, v.costUsd], [undefined, undefined, undefined]);
    assert.equal(validatedSpend({ tokensIn: 1e308 }).tokensIn, undefined);
    assert.equal(validatedSpend({ costUsd: -1 }).costUsd, undefined);
    // A cache count larger than the prompt it is part of is not one.
    const c = validatedSpend({ tokensIn: 10, cacheReadTokens: 11 });
    assert.deepEqual([c.tokensIn, c.cacheReadTokens], [10, undefined]);
  });

  it('writes money one way: cents, four decimals below a cent, ~ for estimates', () => {
    assert.equal(formatUsd(0), '$0.00');
    assert.equal(formatUsd(0.00042), '$0.0004');
    assert.equal(formatUsd(12.345), '$12.35');
    assert.equal(formatUsd(1234.5, true), '~$1,235');
    assert.equal(
      spendText({ costUsd: 1.5, estimatedUsd: 0.5, attempts: 3, tokensIn: 45_100, tokensOut: 3200, cacheReadTokens: 0, cacheWriteTokens: 0, unpriced: 1 }),
      '$1.50 (~$0.50 estimated) · 3 attempts · 45.1k tokens in, 3.2k out · 1 without a price',
    );
  });
});
