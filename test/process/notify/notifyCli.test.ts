// Notifications through the built CLI (dry-run agents) to a real local webhook server: `coditect run` announces a
// pause_after hold and, on a later run, the end of the plan; a gate that waits and the stall it causes are announced
// too. Each run's deliveries have arrived when it exits (the engine waits for them before closing).
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliEnv, ensureBuilt, removeWorkspace, runCli, tempWorkspace } from '../cli/cliHarness';

const PLAN = `# Plan

## E001: Core

### F001.01: Bus

- [ ] **T001.001** Provision the bus (P0, 2h)
- [ ] **T001.002** Publisher (P0, 4h)
  - Gate: review
  - Depends on: T001.001
- [ ] **T001.003** Consumer (P1, 3h)
  - Depends on: T001.002
`;

describe('notifications (built bundle, dry-run agents, real webhook server)', function () {
  this.timeout(120_000);
  let dir: string;
  let server: Server;
  let url: string;
  const events: { kind: string; message: string; taskId?: string }[] = [];
  before(async () => {
    ensureBuilt();
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        events.push(JSON.parse(body) as (typeof events)[number]);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/s3cret`;
  });
  after(() => new Promise((r) => server.close(r)));
  afterEach(() => dir && removeWorkspace(dir));

  it('run announces the pause_after hold, the waiting gate and the stall, and the end once approved', async () => {
    dir = tempWorkspace({ 'TASKLIST.md': PLAN });
    const config = (extra: object) => writeFileSync(join(dir, 'config.json'), JSON.stringify({ notify: { webhook: url }, ...extra }));
    const env = cliEnv({});
    const run = (...more: string[]) => runCli(['run', 'TASKLIST.md', '--config', 'config.json', '--agent', 'dry-run', '--concurrency', '1', ...more], dir, env);

    config({ pause_after: { tasks: 1 } });
    assert.equal((await run()).code, 1);
    assert.deepEqual(
      events.splice(0).map((e) => [e.kind, e.message]),
      [['paused', 'dispatch paused: pause_after: 1 task completed since the last look; done: T001.001; 0 failed']],
    );

    config({});
    assert.equal((await run()).code, 1);
    assert.deepEqual(
      events.splice(0).map((e) => [e.kind, e.taskId]),
      [
        ['gate_waiting', 'T001.002'],
        ['stalled', undefined],
      ],
    );

    const approve = await runCli(['approve', 'TASKLIST.md', 'T001.002', '--config', 'config.json'], dir, env);
    assert.equal(approve.code, 0, approve.stderr);
    const last = await run();
    assert.equal(last.code, 0, last.stderr.slice(-2000));
    assert.deepEqual(
      events.splice(0).map((e) => [e.kind, e.message]),
      [['done', 'all 3 tasks are done']],
    );
  });
});
