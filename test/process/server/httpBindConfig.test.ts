// The config's http.bind with the real CLI: a daemon started without --http serves its HTTP API where the config says;
// a non-loopback address in the config is refused before anything starts, naming the key and the value.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, removeWorkspace, runCli, tempWorkspace } from '../cli/cliHarness';
import { http } from './httpKit';

const PLAN = '# Plan\n\n- [ ] T001 Write the notes\n';
const config = (bind: string) => JSON.stringify({ default_agent: 'sim', agents: { sim: { kind: 'dry-run', durationMs: 60_000 } }, http: { bind } });

describe('http.bind in the config (real daemon)', function () {
  this.timeout(120_000);
  let dir: string | undefined;
  before(() => ensureBuilt());
  afterEach(async () => {
    if (!dir) return;
    await runCli(['daemon', 'stop', 'PLAN.md'], dir);
    removeWorkspace(dir);
    dir = undefined;
  });

  it('a daemon started without --http serves its API at the configured address', async () => {
    dir = tempWorkspace({ 'PLAN.md': PLAN, 'config.json': config('127.0.0.1:0') });
    const start = await runCli(['daemon', 'start', 'PLAN.md', '--config', 'config.json', '--metrics-port', '0', '--json'], dir);
    assert.equal(start.code, 0, start.stderr);
    const { http: base } = JSON.parse(start.stdout) as { http?: string };
    assert.match(base ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await http(`${base}/healthz`)).status, 200);
    assert.ok(existsSync(join(dir, '.coditect/http-token')));
  });

  it('refuses a non-loopback http.bind before anything starts, naming the key and the value', async () => {
    dir = tempWorkspace({ 'PLAN.md': PLAN, 'config.json': config('0.0.0.0:8787') });
    const start = await runCli(['daemon', 'start', 'PLAN.md', '--config', 'config.json', '--metrics-port', '0'], dir);
    assert.notEqual(start.code, 0);
    assert.match(start.stderr, /http\.bind.*loopback only.*'0\.0\.0\.0'/s);
    assert.ok(!existsSync(join(dir, '.coditect/http-token')), 'no token made for a server that never started');
  });
});
