// Notifications (docs/costs-and-gates.md#notifications) against a real local HTTP server and real child processes:
// what arrives, in what order, what is retried, and what a failed delivery says (never the webhook's address).
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { NotifyConfig } from '../../../src/engine/config';
import { Notifier, type NotifyEvent } from '../../../src/engine/notify/notifier';
import { createRedactor } from '../../../src/engine/redact';

interface Received {
  url: string;
  body: NotifyEvent;
  type?: string;
}

/** A webhook server answering each request with the next status of `statuses` (then 204); `hang`: never answers. */
async function webhook(statuses: number[] = [], hang = false): Promise<{ server: Server; base: string; received: Received[]; requests: () => number }> {
  const received: Received[] = [];
  let requests = 0;
  const server = createServer((req: IncomingMessage, res) => {
    requests++;
    let data = '';
    req.on('data', (d: Buffer) => (data += d.toString()));
    req.on('end', () => {
      if (hang) return;
      const status = statuses.shift() ?? 204;
      if (status < 300) received.push({ url: req.url ?? '', body: JSON.parse(data) as NotifyEvent, type: req.headers['content-type'] });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, requests: () => requests };
}

describe('Notifier', () => {
  let server: Server | undefined;
  let dir: string;
  const warnings: string[] = [];
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'coditect-notify-'));
    warnings.length = 0;
  });
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  function notifier(config: Partial<NotifyConfig>) {
    return new Notifier({
      config: () => ({ timeoutMs: 2000, retries: 3, ...config }),
      plan: '/work/PLAN.md',
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
      redact: createRedactor(['sk-ant-secret-123']),
      warn: (m) => warnings.push(m),
      now: () => Date.parse('2026-12-03T06:00:00Z'),
      retryDelayMs: () => 1,
    });
  }

  it('POSTs each event as JSON, in order, with secrets scrubbed; close waits for the queue', async () => {
    const w = await webhook();
    server = w.server;
    const n = notifier({ webhook: `${w.base}/hooks/T0KEN` });
    n.send({ kind: 'gate_waiting', taskId: 'T1', message: "T1 waits for a person's approval: Review the key sk-ant-secret-123" });
    n.send({ kind: 'done', message: 'all 3 tasks are done' });
    await n.close();
    assert.deepEqual(
      w.received.map((r) => [r.url, r.type, r.body]),
      [
        [
          '/hooks/T0KEN',
          'application/json',
          {
            kind: 'gate_waiting',
            taskId: 'T1',
            message: "T1 waits for a person's approval: Review the key ***",
            plan: '/work/PLAN.md',
            at: '2026-12-03T06:00:00.000Z',
          },
        ],
        ['/hooks/T0KEN', 'application/json', { kind: 'done', message: 'all 3 tasks are done', plan: '/work/PLAN.md', at: '2026-12-03T06:00:00.000Z' }],
      ],
    );
    assert.deepEqual(warnings, []);
    n.send({ kind: 'done', message: 'after close' });
    assert.equal(n.backlog, 0, 'a closed notifier takes no more events');
  });

  it('retries a server error and a rate limit, then delivers', async () => {
    const w = await webhook([500, 429]);
    server = w.server;
    const n = notifier({ webhook: `${w.base}/x` });
    n.send({ kind: 'stalled', message: 'the plan cannot finish' });
    await n.close();
    assert.equal(w.requests(), 3);
    assert.equal(w.received.length, 1);
    assert.deepEqual(warnings, []);
  });

  it('gives up after its retries with a warning that names the cause and never the address; a refusal is not retried', async () => {
    const w = await webhook([503, 503, 503, 503, 401]);
    server = w.server;
    const n = notifier({ webhook: `${w.base}/hooks/T0KEN`, retries: 3 });
    n.send({ kind: 'paused', message: 'dispatch paused' });
    n.send({ kind: 'done', message: 'done' });
    await n.close();
    assert.equal(w.requests(), 5, 'four tries of the first, one of the refused second');
    assert.deepEqual(warnings, ['notify.webhook: the paused event was not delivered: HTTP 503', 'notify.webhook: the done event was not delivered: HTTP 401']);
    assert.ok(!warnings.join('').includes('T0KEN'));
  });

  it('a server that never answers is given up on after the timeout', async () => {
    const w = await webhook([], true);
    server = w.server;
    const n = notifier({ webhook: `${w.base}/x`, timeoutMs: 150, retries: 1 });
    n.send({ kind: 'done', message: 'done' });
    await n.close();
    assert.equal(w.requests(), 2);
    assert.deepEqual(warnings, ['notify.webhook: the done event was not delivered: no answer within 150 ms']);
  });

  it('runs the command without a shell, the event as JSON on stdin; only the kinds asked for', async () => {
    const out = path.join(dir, 'events.jsonl');
    const script = `process.stdin.on('data', (d) => require('fs').appendFileSync(${JSON.stringify(out)}, d))`;
    const n = notifier({ command: [process.execPath, '-e', script, '$(touch pwned)'], events: ['usage_limit'] });
    n.send({ kind: 'done', message: 'not asked for' });
    n.send({
      kind: 'usage_limit',
      provider: 'claude-code',
      until: '2026-12-03T07:00:00.000Z',
      message: 'provider claude-code paused until 07:00 (usage limit)',
    });
    await n.close();
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l) as NotifyEvent),
      [
        {
          kind: 'usage_limit',
          provider: 'claude-code',
          until: '2026-12-03T07:00:00.000Z',
          message: 'provider claude-code paused until 07:00 (usage limit)',
          plan: '/work/PLAN.md',
          at: '2026-12-03T06:00:00.000Z',
        },
      ],
    );
    assert.throws(() => readFileSync(path.join(dir, 'pwned')), /ENOENT/, 'no shell saw the arguments');
    assert.deepEqual(warnings, []);
  });

  it('a failing, missing or hanging command is a warning with its exit, error or timeout; the next event still goes', async () => {
    const n = notifier({ command: [process.execPath, '-e', 'console.error("bad token sk-ant-secret-123"); process.exit(3)'] });
    n.send({ kind: 'done', message: 'done' });
    await n.close();
    assert.deepEqual(warnings, [`notify.command (${process.execPath}): the done event: exited 3: bad token ***`]);

    warnings.length = 0;
    const missing = notifier({ command: [path.join(dir, 'no-such-program')] });
    missing.send({ kind: 'done', message: 'done' });
    await missing.close();
    assert.match(warnings[0], /no-such-program\): the done event: spawn .*ENOENT/);

    warnings.length = 0;
    const out = path.join(dir, 'second');
    const hang = notifier({
      command: [
        process.execPath,
        '-e',
        `const fs = require('fs'); if (fs.existsSync(${JSON.stringify(out)})) fs.writeFileSync(${JSON.stringify(out)}, 'ran'); else { fs.writeFileSync(${JSON.stringify(out)}, ''); setInterval(() => {}, 1000); }`,
      ],
      timeoutMs: 300,
    });
    hang.send({ kind: 'stalled', message: 'first' });
    hang.send({ kind: 'done', message: 'second' });
    await hang.close();
    assert.deepEqual(warnings, [`notify.command (${process.execPath}): the stalled event: still running after 300 ms: killed`]);
    assert.equal(readFileSync(out, 'utf8'), 'ran', 'the second event ran after the first was killed');
  });
});
