import * as assert from 'node:assert/strict';
import { RestartBudget } from '../../../src/extension/restartBudget';

describe('engine restart budget', () => {
  it('allows 5 restarts in 3 minutes, then refuses until the window slides', () => {
    const b = new RestartBudget();
    for (let i = 0; i < 5; i++) assert.equal(b.tryConsume(i * 1000), true, `restart ${i + 1}`);
    assert.equal(b.tryConsume(10_000), false);
    assert.equal(b.used(10_000), 5);
    // The first restart (t=0) leaves the window at t=180000.
    assert.equal(b.tryConsume(180_000), true);
    assert.equal(b.tryConsume(180_001), false);
  });

  it('starts over after a reset (a person restarted it by hand)', () => {
    const b = new RestartBudget({ max: 1, windowMs: 1000 });
    assert.equal(b.tryConsume(0), true);
    assert.equal(b.tryConsume(1), false);
    b.reset();
    assert.equal(b.tryConsume(2), true);
  });

  it('rejects bad options naming the value', () => {
    assert.throws(() => new RestartBudget({ max: -1 }), /max must be a non-negative integer, got -1/);
    assert.throws(() => new RestartBudget({ windowMs: 0 }), /windowMs must be a positive number, got 0/);
  });
});
