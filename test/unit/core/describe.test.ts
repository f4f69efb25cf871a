import * as assert from 'node:assert/strict';
import { errorMessage, textOf } from '../../../src/core/describe';

describe('errorMessage / textOf', () => {
  it("gives an Error's message, and a thrown non-Error as text instead of undefined", () => {
    assert.equal(errorMessage(new TypeError('bad value')), 'bad value');
    assert.equal(errorMessage('plain string'), 'plain string');
    assert.equal(errorMessage({ code: 'EPIPE', errno: -32 }), '{"code":"EPIPE","errno":-32}');
    assert.equal(errorMessage(undefined), 'undefined');
    assert.equal(errorMessage(null), 'null');
  });

  it('never prints [object Object], and survives values JSON cannot hold', () => {
    assert.equal(textOf({ model: 'x' }), '{"model":"x"}');
    assert.equal(textOf(['a', 1]), '["a",1]');
    assert.equal(textOf(42), '42');
    assert.equal(textOf(10n), '10');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(textOf(cyclic), '[unserialisable object]');
    assert.equal(textOf(null), 'null');
  });
});
