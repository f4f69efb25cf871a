import * as assert from 'node:assert/strict';
import { createRedactor, secretEnvValues } from '../../../src/engine/redact';

describe('redact', () => {
  it('replaces registered secrets, longest first, wherever they appear', () => {
    const r = createRedactor(['hunter2-password', 'hunter2-password-extended', undefined]);
    assert.equal(r('a hunter2-password-extended b hunter2-password c'), 'a *** b *** c');
  });

  it('replaces common key shapes even when not registered', () => {
    const r = createRedactor([]);
    assert.equal(r('key sk-ant-api03-AbC_dEf-123 end'), 'key *** end');
    assert.equal(r('Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345'), 'Authorization: Bearer ***');
    assert.equal(r('token ghp_abcdefghijklmnopqrstuvwxyz0123456789'), 'token ***');
  });

  it('leaves ordinary text and very short secrets alone', () => {
    const r = createRedactor(['abc']);
    assert.equal(r('abc def'), 'abc def');
    assert.equal(r(''), '');
  });

  it('secretEnvValues picks values of key/token/secret/password variables only', () => {
    const vals = secretEnvValues({ ANTHROPIC_API_KEY: 'k1', GH_TOKEN: 't1', DB_PASSWORD: 'p1', PATH: '/bin', HOME: '/home/x', EMPTY_KEY: '' });
    assert.deepEqual(vals.sort(), ['k1', 'p1', 't1']);
  });
});
