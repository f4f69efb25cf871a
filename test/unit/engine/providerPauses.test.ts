// What a restarted engine takes up of the providers' usage-limit pauses, and what is stored when one starts.
import * as assert from 'node:assert/strict';
import { pausesToKeep, pausesToRestore } from '../../../src/engine/providerPauses';

describe('providerPauses: usage-limit pauses outlive the engine', () => {
  it('restores the pauses still running, and ignores ones over or written in another shape', () => {
    const stored = {
      anthropic: { until: 2000, reason: 'usage limit' },
      openai: { until: 1000, reason: 'over exactly now' },
      google: { until: '3000', reason: 'until not a number' },
      other: null,
    };
    assert.deepEqual(pausesToRestore(stored, 1000), [{ provider: 'anthropic', until: 2000, reason: 'usage limit' }]);
    assert.deepEqual(pausesToRestore(undefined, 0), []);
    assert.deepEqual(pausesToRestore(42, 0), []);
  });

  it('stores a new pause beside the running ones, replacing the one of its provider and dropping the ones over', () => {
    const stored = { anthropic: { until: 500, reason: 'old' }, openai: { until: 5000, reason: 'still on' }, google: { until: 900, reason: 'over' } };
    assert.deepEqual(pausesToKeep(stored, { provider: 'anthropic', until: 8000, reason: 'again' }, 1000), {
      anthropic: { until: 8000, reason: 'again' },
      openai: { until: 5000, reason: 'still on' },
    });
    assert.deepEqual(pausesToKeep(undefined, { provider: 'x', until: 1, reason: 'r' }, 0), { x: { until: 1, reason: 'r' } });
  });
});
