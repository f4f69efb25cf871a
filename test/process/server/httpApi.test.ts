// The daemon's HTTP API, for real: `coditect daemon start --http 127.0.0.1:0` as a real process, real HTTP requests,
// a real event stream. Reads, commands, the stream's snapshot-then-increments, and every refusal (no token, wrong
// token, foreign Host, oversized, malformed, unknown fields, wrong method) with nothing changed by a refused request.
import { strict as assert } from 'node:assert';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { StatusResponse, TaskDetailResponse } from '../../../src/protocol/httpApi';
import type { PlanSnapshot, TaskView } from '../../../src/protocol/views';
import type { StateChangedParams, TasksChangedParams } from '../../../src/protocol/engineProtocol';
import { generateTaskList } from '../../bench/generatePlan';
import { ensureBuilt, removeWorkspace, runCli, tempWorkspace } from '../cli/cliHarness';
import WebSocket from 'ws';
import { PROGRESS_PROTOCOL, PROGRESS_TOKEN_PROTOCOL_PREFIX, type ProgressFrame } from '../../../src/protocol/httpApi';
import { EventStream, http } from './httpKit';

// One agent at a time, each task a minute long: a task stays running while the test steers the engine.
const CONFIG = {
  default_agent: 'sim',
  agents: { sim: { kind: 'dry-run', durationMs: 60_000 } },
  max_concurrent_agents: 1,
  shutdown_grace_ms: 500,
};

describe('daemon HTTP API (real daemon, real HTTP)', function () {
  this.timeout(120_000);
  let dir: string;
  let base: string;
  let token: string;

  before(async () => {
    ensureBuilt();
    const { text } = generateTaskList({ tasks: 12, tasksPerFeature: 4, featuresPerEpic: 3, seed: 5, chainProbability: 0 });
    dir = tempWorkspace({ 'PLAN-TASKLIST.md': text, 'config.json': JSON.stringify(CONFIG) });
    const start = await runCli(
      ['daemon', 'start', 'PLAN-TASKLIST.md', '--config', 'config.json', '--metrics-port', '0', '--http', '127.0.0.1:0', '--json'],
      dir,
    );
    assert.equal(start.code, 0, start.stderr);
    const started = JSON.parse(start.stdout) as { http: string };
    assert.match(started.http, /^http:\/\/127\.0\.0\.1:\d+$/);
    base = started.http;
    token = readFileSync(join(dir, '.coditect/http-token'), 'utf8').trim();
  });

  after(async () => {
    if (dir) {
      const stop = await runCli(['daemon', 'stop', 'PLAN-TASKLIST.md'], dir);
      assert.equal(stop.code, 0, stop.stderr);
      const log = readFileSync(join(dir, '.coditect/logs/engine.log'), 'utf8');
      assert.ok(!log.includes(token), 'the token never reaches the daemon log');
      assert.match(log, /http: POST \/api\/control\/pause -> 200/);
      removeWorkspace(dir);
    }
  });

  it('keeps its token in a 0600 file and tells where the dashboard is', async () => {
    assert.equal(statSync(join(dir, '.coditect/http-token')).mode & 0o777, 0o600);
    assert.ok(token.length >= 32);
    const status = await runCli(['daemon', 'status', 'PLAN-TASKLIST.md'], dir);
    assert.match(status.stdout, new RegExp(`dashboard ${base}/#token=<the contents of .*http-token>`));
    assert.ok(!status.stdout.includes(token), 'the CLI names the token file, never the token');
    const health = await http(`${base}/healthz`);
    assert.equal(health.status, 200);
  });

  it('answers reads with the token, and only with it', async () => {
    const none = await http(`${base}/api/status`);
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    assert.match(none.json<{ error: string }>().error, /needs.*token/);
    const wrong = await http(`${base}/api/status`, { token: `${token.slice(0, -1)}x` });
    assert.equal(wrong.status, 401);
    const foreign = await http(`${base}/api/status`, { token, headers: { host: 'evil.example:80' } });
    assert.equal(foreign.status, 403, 'a rebinding page arrives with its own Host');

    const status = await http(`${base}/api/status`, { token });
    assert.equal(status.status, 200, status.body);
    assert.equal(status.headers['cache-control'], 'no-store');
    assert.equal(status.headers['access-control-allow-origin'], undefined, 'no CORS');
    const s = status.json<StatusResponse>();
    assert.equal(s.total_tasks, 12);
    assert.equal(s.completed + s.in_progress + s.pending + s.counts.failed + s.counts.skipped + s.counts.blocked + s.counts.timeout + s.counts.cancelled, 12);
    assert.ok(s.uptime >= 0 && s.engine.pid > 0);
    assert.equal(s.state, 'running');

    const tasks = (await http(`${base}/api/tasks`, { token })).json<{ tasks: TaskView[] }>();
    assert.equal(tasks.tasks.length, 12);
    const running = await runningTask(base, token);
    const detail = await http(`${base}/api/tasks/${encodeURIComponent(running.id)}`, { token });
    assert.equal(detail.status, 200, detail.body);
    const d = detail.json<TaskDetailResponse>();
    assert.equal(d.task.id, running.id);
    assert.equal(typeof d.logTail, 'string');
    assert.ok(Array.isArray(d.attempts));

    const missing = await http(`${base}/api/tasks/NOPE.1`, { token });
    assert.equal(missing.status, 404);
    assert.match(missing.json<{ error: string }>().error, /no task 'NOPE.1'/);
    assert.equal((await http(`${base}/api/nothing`, { token })).status, 404);
    assert.equal((await http(`${base}/api/control/pause`, { token })).status, 405, 'GET on a POST route');
  });

  it('streams the whole plan first, then the increments a command causes', async () => {
    const refused = await EventStream.open(`${base}/api/events`, 'not-the-token-at-all-not-the-token');
    assert.equal(refused.status, 401);
    refused.close();

    const stream = await EventStream.open(`${base}/api/events`, token);
    try {
      assert.equal(stream.status, 200);
      const first = await stream.next(() => true);
      assert.equal(first.event, 'plan:changed', 'the first event is the whole plan');
      assert.equal((first.data as { snapshot: PlanSnapshot }).snapshot.tasks.length, 12);

      const paused = await http(`${base}/api/control/pause`, { method: 'POST', token });
      assert.equal(paused.status, 200, paused.body);
      assert.equal(paused.json<{ state: string }>().state, 'paused');
      const ev = await stream.next((e) => e.event === 'state:changed' && (e.data as StateChangedParams).state === 'paused');
      assert.equal((ev.data as StateChangedParams).state, 'paused');

      const running = (await http(`${base}/api/tasks`, { token })).json<{ tasks: TaskView[] }>().tasks.find((t) => t.status === 'in_progress');
      assert.ok(running, 'one task runs while paused');
      const cancelled = await http(`${base}/api/tasks/${encodeURIComponent(running.id)}/cancel`, { method: 'POST', token, body: '{}' });
      assert.equal(cancelled.status, 200, cancelled.body);
      assert.deepEqual(cancelled.json(), { cancelled: true });
      await stream.next(
        (e) => e.event === 'tasks:changed' && (e.data as TasksChangedParams).tasks.some((t) => t.id === running.id && t.status === 'cancelled'),
      );

      const retried = await http(`${base}/api/tasks/${encodeURIComponent(running.id)}/retry`, { method: 'POST', token });
      assert.deepEqual(retried.json(), { reset: true });
      await stream.next((e) => e.event === 'tasks:changed' && (e.data as TasksChangedParams).tasks.some((t) => t.id === running.id && t.status === 'pending'));

      const run = await http(`${base}/api/tasks/${encodeURIComponent(running.id)}/run`, { method: 'POST', token, body: JSON.stringify({ agent: 'sim' }) });
      assert.equal(run.status, 200, run.body);
      assert.equal(run.json<{ started: boolean }>().started, true, run.body);
      await stream.next(
        (e) => e.event === 'tasks:changed' && (e.data as TasksChangedParams).tasks.some((t) => t.id === running.id && t.status === 'in_progress'),
      );
    } finally {
      stream.close();
    }
  });

  it("/ws/progress (the plan's WebSocket) sends the whole plan, then the increments; only to the token, from this server's pages", async () => {
    const wsUrl = `${base.replace('http', 'ws')}/ws/progress`;
    /** Opens a socket; resolves with its frames reader, or with the HTTP status it was refused with. */
    const open = (o: WebSocket.ClientOptions & { protocols?: string[] } = {}) =>
      new Promise<{ ws?: WebSocket; status?: number; frames: ProgressFrame[]; next(pred: (f: ProgressFrame) => boolean): Promise<ProgressFrame> }>(
        (resolve, reject) => {
          const frames: ProgressFrame[] = [];
          const waiters: { pred: (f: ProgressFrame) => boolean; done: (f: ProgressFrame) => void }[] = [];
          const next = (pred: (f: ProgressFrame) => boolean) =>
            new Promise<ProgressFrame>((done) => {
              const hit = frames.find(pred);
              if (hit) done(hit);
              else waiters.push({ pred, done });
            });
          const ws = new WebSocket(wsUrl, o.protocols ?? [], o);
          ws.on('message', (raw) => {
            const f = JSON.parse((raw as Buffer).toString('utf8')) as ProgressFrame;
            frames.push(f);
            for (const w of [...waiters]) {
              if (!w.pred(f)) continue;
              waiters.splice(waiters.indexOf(w), 1);
              w.done(f);
            }
          });
          ws.on('open', () => resolve({ ws, frames, next }));
          ws.on('unexpected-response', (_req, res) => {
            resolve({ status: res.statusCode, frames, next });
            ws.terminate();
          });
          ws.on('error', (e) => reject(e));
        },
      );

    assert.equal((await open()).status, 401, 'no token');
    assert.equal((await open({ headers: { authorization: 'Bearer not-the-token-at-all-not-the-token' } })).status, 401);
    assert.equal((await open({ headers: { authorization: `Bearer ${token}`, origin: 'https://evil.example' } })).status, 403, "another site's page");
    assert.equal((await open({ headers: { authorization: `Bearer ${token}`, host: 'evil.example:80' } })).status, 403, 'a rebinding name');

    // A browser cannot set Authorization on a WebSocket: the token rides in a subprotocol, never echoed back.
    const browser = await open({ protocols: [PROGRESS_PROTOCOL, `${PROGRESS_TOKEN_PROTOCOL_PREFIX}${token}`], headers: { origin: base } });
    assert.ok(browser.ws, `refused: ${browser.status}`);
    assert.equal(browser.ws.protocol, PROGRESS_PROTOCOL);
    const first = await browser.next(() => true);
    assert.equal(first.event, 'plan:changed', 'the first frame is the whole plan');
    assert.equal((first.data as { snapshot: PlanSnapshot }).snapshot.tasks.length, 12);

    const script = await open({ headers: { authorization: `Bearer ${token}` } });
    assert.ok(script.ws);
    await script.next((f) => f.event === 'plan:changed');
    // Both clients see the increments a command causes; the engine is left as it was found (the next test needs it).
    const state = (await http(`${base}/api/status`, { token })).json<StatusResponse>().state;
    const order = state === 'paused' ? (['resume', 'pause'] as const) : (['pause', 'resume'] as const);
    for (const command of order) {
      const changed = (f: ProgressFrame) =>
        f.event === 'state:changed' && ((f.data as StateChangedParams).state === 'paused') === (command === 'pause') && !seen.has(f);
      const seen = new Set([...browser.frames, ...script.frames]);
      assert.equal((await http(`${base}/api/control/${command}`, { method: 'POST', token })).status, 200);
      await Promise.all([browser.next(changed), script.next(changed)]);
    }
    browser.ws.close();
    // The socket only speaks: a client frame over 4 KiB closes it (1009, message too big), as docs/server.md says.
    const closed = new Promise<number>((done) => script.ws!.once('close', (code) => done(code)));
    script.ws.send('x'.repeat(5000));
    assert.equal(await closed, 1009);
  });

  it('refuses bad requests with the right status and changes nothing', async () => {
    const state = async (): Promise<string> => (await http(`${base}/api/status`, { token })).json<StatusResponse>().state;
    const before = await state();
    const post = (path: string, o: { token?: string; body?: string | Buffer; headers?: Record<string, string> }) =>
      http(`${base}${path}`, { method: 'POST', ...o });

    const cases: [string, Promise<{ status: number; body: string }>, number, RegExp][] = [
      ['no token', post('/api/control/resume', {}), 401, /token/],
      ['wrong token', post('/api/control/resume', { token: 'x'.repeat(43) }), 401, /wrong token/],
      ['oversized', post('/api/control/resume', { token, body: Buffer.alloc(64 * 1024, 0x20) }), 413, /at most 16384/],
      ['malformed JSON', post('/api/control/resume', { token, body: '{"a":' }), 400, /not valid JSON/],
      [
        'not JSON',
        post('/api/control/resume', { token, body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        415,
        /application\/json/,
      ],
      ['unknown field', post('/api/control/resume', { token, body: '{"force":true}' }), 400, /unknown field\(s\) "force"/],
      ['array body', post('/api/control/resume', { token, body: '[]' }), 400, /JSON object/],
      ['bad agent name', post('/api/tasks/T001.001/run', { token, body: '{"agent":"a b; rm"}' }), 400, /"agent" must be/],
      ['unknown task', post('/api/tasks/T999.999/retry', { token }), 404, /no task/],
    ];
    for (const [what, p, status, error] of cases) {
      const r = await p;
      assert.equal(r.status, status, `${what}: ${r.body}`);
      assert.match((JSON.parse(r.body) as { error: string }).error, error, what);
    }
    assert.equal(await state(), before, 'no refused request changed the engine');
    assert.equal(before, 'paused');
  });

  it('serves the dashboard page with a strict policy and a fresh nonce', async () => {
    const a = await http(`${base}/`);
    const b = await http(`${base}/`);
    assert.equal(a.status, 200);
    const csp = String(a.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-[A-Za-z0-9+/=]{24}'/);
    assert.match(csp, /connect-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.ok(!/unsafe-inline|unsafe-eval/.test(csp));
    const nonce = (html: string) => /nonce="([^"]+)"/.exec(html)?.[1];
    assert.notEqual(nonce(a.body), nonce(b.body), 'a new nonce per page load');
    assert.match(a.body, /<script nonce="[^"]+" src="\/webview\/webHost.js"><\/script>\n<script nonce="[^"]+" src="\/webview\/main.js">/);
    assert.ok(!a.body.includes(token), 'the page carries no token');
    assert.equal((await http(`${base}/webview/main.js`)).status, 200);
    assert.equal((await http(`${base}/media/dashboard.css`)).status, 200);
    assert.equal((await http(`${base}/media/../package.json`)).status, 404, 'nothing else on disk is reachable');
  });
});

/** The task running now: from the stream's snapshot, or the first increment that starts one. */
async function runningTask(base: string, token: string): Promise<TaskView> {
  const stream = await EventStream.open(`${base}/api/events`, token);
  try {
    const first = await stream.next(() => true);
    const now = (first.data as { snapshot: PlanSnapshot }).snapshot.tasks.find((t) => t.status === 'in_progress');
    if (now) return now;
    const ev = await stream.next((e) => e.event === 'tasks:changed' && (e.data as TasksChangedParams).tasks.some((t) => t.status === 'in_progress'));
    return (ev.data as TasksChangedParams).tasks.find((t) => t.status === 'in_progress')!;
  } finally {
    stream.close();
  }
}
