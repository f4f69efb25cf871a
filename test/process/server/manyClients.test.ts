// Many clients of one daemon (#12): 200 event-stream clients and 4 /ws/progress sockets on a real daemon while a plan
// of dry-run tasks runs, plus clients that stop reading. Correctness, not speed (the figures are in
// `npm run bench -- --clients`): every client gets every increment in the same order as every other, over either
// transport, and they add up to the plan as the API reports it; a client that stops reading holds no one up, and once
// it is too far behind it is cut off with a clear close while the others go on; the daemon's memory stays bounded.
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlanPatchedParams, TasksChangedParams } from '../../../src/protocol/engineProtocol';
import type { PlanSnapshot, TaskView } from '../../../src/protocol/views';
import { generateTaskList } from '../../bench/generatePlan';
import { ensureBuilt, removeWorkspace, runCli, tempWorkspace } from '../cli/cliHarness';
import { http } from './httpKit';
import { LoadClient, memoryOf, stateIs } from './loadKit';
import { LAGGING_CLOSE_CODE } from '../../../src/engine/http/progressSocket';

const TASKS = 300;
const SSE_CLIENTS = 200;
const WS_CLIENTS = 4;
// Eight short dry-run tasks at a time: a few seconds of steady increments.
const CONFIG = {
  default_agent: 'sim',
  agents: { sim: { kind: 'dry-run', durationMs: { minMs: 5, maxMs: 40 } } },
  max_concurrent_agents: 8,
  shutdown_grace_ms: 500,
};
const PLAN = 'PLAN-TASKLIST.md';
const HOLDING_PLAN = '# Generated plan\n\n## E000: Setup\n\n- [x] **T000.001** Nothing to run yet (P2, 1h)\n';
/** The first event of the run: the whole plan, once the real one is written. */
const planWritten = (event: string, data: string): boolean => event === 'plan:changed' && data.includes('"id":"T001.001"');

describe('the daemon with many stream clients (real daemon, 200 event streams and 4 WebSockets)', function () {
  this.timeout(300_000);
  let dir: string;
  let base: string;
  let token: string;
  let pid: number;
  const clients: LoadClient[] = [];
  const post = async (path: string): Promise<void> => {
    const r = await http(`${base}${path}`, { method: 'POST', token });
    assert.equal(r.status, 200, r.body);
  };

  before(async () => {
    ensureBuilt();
    // The daemon starts on a plan with nothing to do; the test writes the real one once every client listens (a
    // daemon told to pause right after its start had already run all of it on a fast day).
    dir = tempWorkspace({ [PLAN]: HOLDING_PLAN, 'config.json': JSON.stringify(CONFIG) });
    const start = await runCli(['daemon', 'start', PLAN, '--config', 'config.json', '--metrics-port', '0', '--http', '127.0.0.1:0', '--json'], dir);
    assert.equal(start.code, 0, start.stderr);
    ({ http: base, pid } = JSON.parse(start.stdout) as { http: string; pid: number });
    token = readFileSync(join(dir, '.coditect/http-token'), 'utf8').trim();
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  after(async () => {
    if (dir) {
      await runCli(['daemon', 'stop', PLAN], dir);
      removeWorkspace(dir);
    }
  });

  it('every client gets every increment of the run, in the same order, over either transport; a stalled client holds no one up', async () => {
    const marks = { start: planWritten, stop: stateIs('paused') };
    const reference = new LoadClient({ kind: 'sse', base, token, ...marks, keep: true });
    const sse = [reference, ...Array.from({ length: SSE_CLIENTS - 1 }, () => new LoadClient({ kind: 'sse', base, token, ...marks }))];
    const ws = Array.from({ length: WS_CLIENTS }, () => new LoadClient({ kind: 'ws', base, token, ...marks }));
    // A browser tab that froze: it connected and reads nothing more.
    const stalled = [
      new LoadClient({ kind: 'sse', base, token, ...marks, stalled: true }),
      new LoadClient({ kind: 'ws', base, token, ...marks, stalled: true }),
    ];
    clients.push(...sse, ...ws, ...stalled);
    await Promise.all(clients.map((c) => c.open()));
    await Promise.all(clients.map((c) => c.ready));
    const before = memoryOf(pid, (p) => readFileSync(p, 'utf8'));

    const { text } = generateTaskList({ tasks: TASKS, tasksPerFeature: 10, featuresPerEpic: 5, seed: 12, chainProbability: 0.3 });
    const written = reference.until(planWritten);
    writeFileSync(join(dir, PLAN), text);
    await written;
    const snapshot = (JSON.parse(reference.kept.find((e) => planWritten(e.event, e.data))!.data) as { snapshot: PlanSnapshot }).snapshot;
    const total = snapshot.tasks.length;
    assert.equal(total, TASKS);
    await reference.until((event, data) => event === 'tasks:changed' && (JSON.parse(data) as TasksChangedParams).counts.done === total);
    // The end mark every client must reach: the pause after the last task.
    await post('/api/control/pause');
    const live = [...sse, ...ws];
    await Promise.all(live.map((c) => c.stopped));
    const after = memoryOf(pid, (p) => readFileSync(p, 'utf8'));

    // The same events in the same order for everyone, over both transports.
    const digest = reference.digest();
    assert.ok(reference.recorded > total, `the run sent ${reference.recorded} events for ${total} tasks`);
    for (const [i, c] of live.entries()) {
      assert.equal(
        c.recorded,
        reference.recorded,
        `client ${i} (${i < SSE_CLIENTS ? 'event stream' : 'WebSocket'}) got ${c.recorded} of ${reference.recorded} events`,
      );
      assert.equal(c.digest(), digest, `client ${i} got the same events in the same order`);
    }
    // In order: each task moves forward only (never back from completed), and the increments applied to the whole
    // plan the client started from give the plan the API reports at the end.
    const state = new Map<string, TaskView['status']>(snapshot.tasks.map((t) => [t.id, t.status]));
    for (const { event, data } of reference.kept.slice(reference.kept.findIndex((e) => planWritten(e.event, e.data)) + 1)) {
      if (event === 'plan:changed') for (const t of (JSON.parse(data) as { snapshot: PlanSnapshot }).snapshot.tasks) state.set(t.id, t.status);
      // A re-read of the plan sends the tasks it changed (statuses included) as a patch.
      if (event === 'plan:patched') for (const t of (JSON.parse(data) as PlanPatchedParams).tasks) state.set(t.id, t.status);
      if (event !== 'tasks:changed') continue;
      for (const t of (JSON.parse(data) as TasksChangedParams).tasks) {
        assert.notEqual(state.get(t.id), 'completed', `${t.id} changed after it completed (to ${t.status})`);
        state.set(t.id, t.status);
      }
    }
    const api = (await http(`${base}/api/tasks`, { token })).json<{ tasks: TaskView[] }>();
    assert.deepEqual(
      [...state].sort(),
      api.tasks.map((t) => [t.id, t.status] as [string, TaskView['status']]).sort(),
      'the increments add up to the plan the API reports',
    );
    assert.ok(
      api.tasks.every((t) => t.status === 'completed'),
      'the whole plan ran',
    );

    // The stalled clients did not hold the others up (they all finished above) and, under the limit, are still connected.
    for (const c of stalled) assert.equal(c.isEnded, false, 'a stalled client under the limit stays connected');
    console.log(
      `      ${reference.recorded} events to ${live.length} clients (${(reference.bytes / 1e6).toFixed(1)} MB each); daemon RSS ${before.rssMb.toFixed(0)} → ${after.rssMb.toFixed(0)} MB, peak ${after.peakMb.toFixed(0)} MB`,
    );
    // Bounded: what 200 clients cost the daemon is their sockets' buffers, not a copy of each event per client (each
    // event is encoded once: 152 MB peak here, 254 MB when every client got its own copy).
    assert.ok(after.peakMb < 320, `daemon peak RSS ${after.peakMb.toFixed(0)} MB`);
  });

  it('a client that stops reading is cut off once 8 MiB behind, with a clear close; the others go on', async () => {
    const all = { start: () => true, stop: () => false };
    const fast = [new LoadClient({ kind: 'sse', base, token, ...all }), new LoadClient({ kind: 'ws', base, token, ...all })];
    const stalled = [new LoadClient({ kind: 'sse', base, token, ...all, stalled: true }), new LoadClient({ kind: 'ws', base, token, ...all, stalled: true })];
    clients.push(...fast, ...stalled);
    await Promise.all(clients.map((c) => c.open()));
    await Promise.all(clients.map((c) => c.ready));
    const log = join(dir, '.coditect/logs/engine.log');
    const cutOffs = (): number => (readFileSync(log, 'utf8').match(/fell \d+ bytes behind \(limit 8388608\); disconnected/g) ?? []).length;
    const cutBefore = cutOffs();

    // A person adds and removes an epic at the end of the plan while clients watch: a change of the plan's groups
    // sends every client the whole plan again (about 0.2 MB here; an edit that keeps the groups sends only a patch),
    // so a client that reads nothing falls behind by that much per edit.
    const plan = join(dir, PLAN);
    const text = readFileSync(plan, 'utf8');
    let edits = 0;
    while (cutOffs() < cutBefore + 2) {
      assert.ok(edits < 400, `after ${edits} edits (${(fast[0].bytes / 1e6).toFixed(1)} MB sent to each client) the stalled clients are still connected`);
      edits++;
      const seen = Promise.all(fast.map((c) => c.until((event) => event === 'plan:changed')));
      writeFileSync(plan, edits % 2 ? `${text}\n## E999: Extra epic (edit ${edits})\n` : text);
      await seen;
    }
    // The others got every edit and are still connected.
    for (const c of fast) assert.equal(c.isEnded, false, 'a reading client stays connected');

    // The stalled clients, reading again, find what they had been sent, then why they were cut off.
    for (const c of stalled) c.resume();
    const [sseEnd, wsEnd] = await Promise.all(stalled.map((c) => c.ended));
    assert.match(sseEnd.tail, /: disconnected: this client fell \d+ bytes behind \(limit 8388608\); reconnect for a fresh snapshot\n\n$/);
    assert.equal(wsEnd.code, LAGGING_CLOSE_CODE);
    assert.match(wsEnd.reason ?? '', /^fell \d+ bytes behind; reconnect for a fresh snapshot$/);
    const mem = memoryOf(pid, (p) => readFileSync(p, 'utf8'));
    console.log(
      `      ${edits} edits (${(fast[0].bytes / 1e6).toFixed(1)} MB to each client) cut both stalled clients off; daemon RSS ${mem.rssMb.toFixed(0)} MB, peak ${mem.peakMb.toFixed(0)} MB`,
    );
  });
});
