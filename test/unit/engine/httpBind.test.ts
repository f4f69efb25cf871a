import { strict as assert } from 'node:assert';
import { bindProblem, isLoopback, parseBind } from '../../../src/engine/http/bind';
import { parseConfig } from '../../../src/engine/config';

describe('HTTP bind address', () => {
  it('parses HOST:PORT, [v6]:PORT and PORT', () => {
    assert.deepEqual(parseBind('127.0.0.1:8787'), { host: '127.0.0.1', port: 8787 });
    assert.deepEqual(parseBind('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseBind('8787'), { host: '127.0.0.1', port: 8787 });
    assert.deepEqual(parseBind('localhost:80'), { host: 'localhost', port: 80 });
  });

  it('names a bad value', () => {
    for (const bad of ['', '127.0.0.1', '127.0.0.1:99999', 'a:b', ':80', '::1:80'])
      assert.throws(() => parseBind(bad), new RegExp(`got '${bad.replace(/[.[\]]/g, '\\$&')}'`), bad);
  });

  it('knows loopback from the rest', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) assert.ok(isLoopback(h), h);
    for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.com', '128.0.0.1']) assert.ok(!isLoopback(h), h);
  });

  it('the config key http.bind is checked the same way, its error naming the key and the value', () => {
    assert.equal(bindProblem('127.0.0.1:8787'), undefined);
    assert.equal(bindProblem('8787'), undefined);
    assert.match(bindProblem('0.0.0.0:8787')!, /loopback only .*got '0\.0\.0\.0'/);
    assert.match(bindProblem('nonsense')!, /got 'nonsense'/);
    assert.throws(() => parseConfig({ http: { bind: '10.0.0.1:80' } }, 'cfg.json'), /http\.bind.*loopback only.*'10\.0\.0\.1'/s);
    assert.throws(() => parseConfig({ http: { bind: '127.0.0.1:8787', tls: true } }, 'cfg.json'), /tls/);
    assert.equal(parseConfig({ http: { bind: '127.0.0.1:8787' } }, 'cfg.json').http.bind, '127.0.0.1:8787');
  });
});
