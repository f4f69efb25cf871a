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
    const vals = secretEnvValues({ ANTHROPIC_API_KEY: 'k1', GH_TOKEN: 't1', DB_PASSWORD: 'p1', PATH: '/bin', HOME: '/home/x', EMPTY_KEY: '', PWD: '/w' });
    assert.deepEqual(vals.sort(), ['k1', 'p1', 't1']);
  });

  it('finds every secret-looking env value: DB_PASS, the password inside DATABASE_URL and proxy URLs', () => {
    const env = {
      DB_PASS: 'correct-horse-battery',
      DATABASE_URL: 'postgres://app:s3cr%40t-pw-9876@db.internal:5432/prod',
      HTTPS_PROXY: 'http://proxyuser:proxy-pass-4321@proxy:3128',
      SESSION_COOKIE: 'cookie-value-123456',
      PWD: '/home/person/project',
    };
    const r = createRedactor(secretEnvValues(env));
    const text = `connect ${env.DATABASE_URL} pw=s3cr@t-pw-9876 db=${env.DB_PASS} via ${env.HTTPS_PROXY} c=${env.SESSION_COOKIE} in ${env.PWD}`;
    const out = r(text);
    for (const secret of ['correct-horse-battery', 's3cr%40t-pw-9876', 's3cr@t-pw-9876', 'proxy-pass-4321', 'cookie-value-123456']) {
      assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
    }
    assert.match(out, /postgres:\/\/app:\*\*\*@db\.internal:5432\/prod/, 'user and host stay readable');
    assert.match(out, /in \/home\/person\/project$/, 'PWD is a directory, not a secret');
    // URL credentials in any text, registered or not.
    assert.equal(createRedactor([])('git clone https://bot:ghs-unregistered-pw@git.example/x'), 'git clone https://bot:***@git.example/x');
  });

  it('leaves no tail of a key wrapped across output lines, registered or only recognised by its shape', () => {
    const key = 'sk-ant-api03-WRAPPEDKEYabcdefghijklmnop0123456789';
    const registered = createRedactor([key, 'plain-secret-value-42']);
    for (const text of [
      `key: ${key.slice(0, 20)}\n${key.slice(20)}\nnext line`,
      `key: ${key.slice(0, 10)}\r\n    ${key.slice(10, 30)}\n${key.slice(30)} end`,
      `pw plain-secret\n-value-42 end`,
    ]) {
      const out = registered(text);
      for (const part of [key.slice(20), key.slice(30), 'value-42', key.slice(-12)]) assert.ok(!out.includes(part), `${JSON.stringify(out)} keeps ${part}`);
    }
    const shapeOnly = createRedactor([])(`key ${key.slice(0, 25)}\n${key.slice(25)}\nrest`);
    assert.ok(!shapeOnly.includes(key.slice(25)), shapeOnly);
  });
});
