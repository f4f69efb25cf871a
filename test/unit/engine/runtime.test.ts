// The composed engine (EngineRuntime) in-process, on a real file and a real SQLite database: what the editor and the
// CLI see through EngineApi — snapshot, increments, metrics, write-back to the markdown, close.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/engine/logger';
import { enginePaths } from '../../../src/engine/paths';
import { EngineRuntime, type RuntimeOptions } from '../../../src/engine/runtime';
import { followPlan } from './followPlan';
import type { TasksChangedParams } from '../../../src/protocol/engineProtocol';
import type { PlanSnapshot } from '../../../src/protocol/views';
import { metricsOf } from '../../../src/protocol/webviewProtocol';

const PLAN = `# Plan

## E001: Core

### F001.01: Bus

- [ ] **T001.001** Provision the message bus (P0, 2h)
- [ ] **T001.002** Publisher service (P1, 4h)
  - Depends on: T001.001
- [ ] **T001.003** Consumer service (P1, 4h)
  - Depends on: T001.001
`;

describe('EngineRuntime (in-process, real file and database)', function () {
  this.timeout(30_000);
  let dir: string;
  let logs: string[];
  const logger = () =>
    createLogger({
      stream: new Writable({
        write(chunk, _enc, cb) {
          logs.push(String(chunk));
          cb();
        },
      }),
      level: 'debug',
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coditect-runtime-'));
    logs = [];
    writeFileSync(join(dir, 'TASKLIST.md'), PLAN);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  /** The engine on the test's TASKLIST.md with simulated agents, not watching; `opts` adds to the defaults. */
  const openEngine = (opts: Partial<RuntimeOptions> = {}) =>
    EngineRuntime.open({
      paths: enginePaths(join(dir, 'TASKLIST.md')),
      watch: false,
      env: {},
      logger: logger(),
      engineVersion: 'test',
      agentOverride: 'dry-run',
      ...opts,
    });

  it('runs the plan to completion: increments, truthful metrics, ticked markdown, idempotent close', async () => {
    const secret = 'sk-ant-test-secret-value-123456';
    const rt = await openEngine({ env: { SOME_API_TOKEN: secret } });
    const first = rt.snapshot();
    assert.equal(first.simulated, true);
    assert.equal(first.counts.total, 3);
    assert.equal(first.counts.ready, 1);
    assert.equal(first.metrics.successRate, null, 'no attempt finished yet: no rate is claimed');
    assert.deepEqual(first.tasks.find((t) => t.id === 'T001.002')!.waitingOn, ['T001.001']);

    const changed: TasksChangedParams[] = [];
    // Increments are coalesced per tick, so the last one may follow idle(): wait for it by event, not by time.
    const allDone = new Promise<void>((resolve) =>
      rt.on('tasks:changed', (p) => {
        changed.push(p);
        if (p.counts.completed === 3) resolve();
      }),
    );
    rt.start();
    await rt.idle();
    await allDone;
    const snap = rt.snapshot();
    assert.equal(snap.counts.completed, 3);
    assert.equal(snap.metrics.tasksPerHour, 3, 'three completions counted, not projected from uptime');
    assert.equal(snap.metrics.successRate, 1);
    // The dashboard's refresh (`coditect/metrics`) gets the snapshot's figures without the plan.
    const { uptimeSeconds: _u1, ...m } = rt.planMetrics().metrics;
    const { uptimeSeconds: _u2, ...fromSnapshot } = snap.metrics;
    assert.deepEqual(m, fromSnapshot);
    const pm = rt.planMetrics();
    const sm = metricsOf(snap);
    assert.deepEqual([pm.spend, pm.providerPauses, pm.kpis?.dispatchSamples], [sm.spend, sm.providerPauses, sm.kpis?.dispatchSamples]);
    assert.ok(changed.length > 0 && changed.at(-1)!.counts.completed === 3, 'increments carried the final counts');
    assert.ok(changed.flatMap((c) => c.tasks).some((t) => t.id === 'T001.003' && t.status === 'completed'));
    // Group progress travels with the change, counted by the engine (one rule of done) for the views to show as is.
    const lastGroups = changed.at(-1)!.groups;
    assert.ok(lastGroups.length > 0, 'the increment names the groups of its tasks');
    for (const g of lastGroups)
      assert.deepEqual(
        [g.done, g.total],
        [
          snap[g.kind === 'epic' ? 'epics' : 'features'].find((x) => x.id === g.id)!.done,
          snap[g.kind === 'epic' ? 'epics' : 'features'].find((x) => x.id === g.id)!.total,
        ],
      );
    assert.equal(snap.counts.done, 3);
    for (const t of snap.tasks) assert.equal(t.lastRun?.outcome, 'completed');
    // The dry-run's work is labelled as such wherever a task view goes: simulated, with its summary.
    for (const t of snap.tasks) {
      assert.equal(t.lastRun?.simulated, true, `${t.id} ran on the simulation`);
      assert.match(t.lastRun?.summary ?? '', /^\[dry-run\] simulated: task T001\.00\d .* nothing was executed$/);
    }
    assert.equal(rt.taskLog('T001.001')[0].simulated, true);

    await rt.close();
    await rt.close();
    const md = readFileSync(join(dir, 'TASKLIST.md'), 'utf8');
    assert.equal(md, PLAN.replace(/- \[ \]/g, '- [x]'), 'only the checkboxes changed');
    assert.ok(!logs.join('').includes(secret), 'the secret in the environment never reached a log line');
  });

  it('a task reopened after the run is pending in the views and unticked in the markdown, its dependencies left ticked', async () => {
    // The editor's "Reopen" after a run: what the integration suite saw stay ticked for 90 s with the views reading
    // the orchestrator's plan (f7f5f01). Here the whole way: markTask, the increment, the write-back to the file.
    const tasklist = join(dir, 'TASKLIST.md');
    const rt = await openEngine();
    try {
      const done = new Promise<void>((resolve) => rt.on('tasks:changed', (p) => p.counts.completed === 3 && resolve()));
      rt.start();
      await rt.idle();
      await done;
      await rt.stop();
      const reopened = new Promise<TasksChangedParams['tasks'][number]>((resolve) =>
        rt.on('tasks:changed', (p) => {
          const t = p.tasks.find((x) => x.id === 'T001.003');
          if (t?.status === 'pending') resolve(t);
        }),
      );
      assert.equal(await rt.markTask({ taskId: 'T001.003', status: 'pending' }), true);
      const view = await reopened;
      assert.equal(view.ready, true, 'its dependency is done: it is ready again');
      assert.equal(rt.snapshot().counts.completed, 2);
    } finally {
      await rt.close(); // settles the write-back
    }
    const expected = PLAN.replace(/- \[ \]/g, '- [x]').replace('- [x] **T001.003**', '- [ ] **T001.003**');
    assert.equal(readFileSync(tasklist, 'utf8'), expected, 'only T001.003 is unticked again');
  });

  it("a client's listener that throws is logged, and the run and the other listeners go on", async () => {
    const rt = await openEngine();
    try {
      rt.on('tasks:changed', () => {
        throw new Error('client broke');
      });
      const done = new Promise<void>((resolve) => rt.on('tasks:changed', (p) => p.counts.completed === 3 && resolve()));
      rt.start();
      await rt.idle();
      await done;
      assert.match(logs.join(''), /a listener of tasks:changed threw: client broke/);
    } finally {
      await rt.close();
    }
  });

  it('a failure blocks everything after it at once, in the increments and the snapshot, and the engine says it is stalled', async () => {
    // T001.001 fails its Verify (not retried): T001.002 and T001.003 wait on it and can never start.
    writeFileSync(join(dir, 'TASKLIST.md'), PLAN.replace('(P0, 2h)', '(P0, 2h)\n  - Verify: exit 3'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ retry: { max_attempts: 0 } }));
    const rt = await openEngine({ configPath: join(dir, 'config.json') });
    try {
      const views = new Map<string, TasksChangedParams['tasks'][number]>();
      const blockedSeen = new Promise<void>((resolve) =>
        rt.on('tasks:changed', (p) => {
          for (const t of p.tasks) views.set(t.id, t);
          if (views.get('T001.002')?.blocked && views.get('T001.003')?.blocked) resolve();
        }),
      );
      const stalled = new Promise<void>((resolve) => rt.on('state:changed', (e) => e.state === 'stalled' && resolve()));
      rt.start();
      await rt.idle();
      await Promise.all([blockedSeen, stalled]);
      assert.deepEqual(views.get('T001.003')!.blocked, {
        reason: 'failed-dependency',
        root: 'T001.001',
        via: 'T001.001',
        cause: 'T001.001 failed',
        text: 'waits on T001.001: T001.001 failed',
      });
      const snap = rt.snapshot();
      assert.equal(snap.state, 'stalled');
      assert.deepEqual([snap.counts.failed, snap.counts.blocked, snap.counts.pending], [1, 2, 0]);
      assert.deepEqual(rt.stalls(), [{ reason: 'failed-dependency', root: 'T001.001', text: 'T001.001 failed', holds: ['T001.002', 'T001.003'] }]);
    } finally {
      await rt.close();
    }
  });

  it('a saved edit that changes no database column (a Gate: line, lines moved down) still reaches the running plan', async () => {
    // In VS Code the file watcher often read such a save before the editor's text arrived; the text was then skipped
    // as synced and the engine went on without the gate, the views with the old lines (#15).
    const tasklist = join(dir, 'TASKLIST.md');
    const rt = await openEngine({ watch: true });
    try {
      const line = (s: { tasks: { id: string; line: number }[] }, id: string) => s.tasks.find((t) => t.id === id)!.line;
      const before = rt.snapshot();
      assert.equal(before.tasks.find((t) => t.id === 'T001.001')!.gate, undefined);
      const changed = new Promise<PlanSnapshot>((resolve, reject) => {
        const timer = setTimeout(() => {
          off();
          reject(new Error(`no plan change showed T001.001 as a gate within 10 s of the save; logs:\n${logs.join('')}`));
        }, 10_000);
        // The change arrives as a patch of the plan the client has (only what changed): applied, it is the new plan.
        const off = followPlan(rt, (plan) => {
          if (plan.tasks.find((t) => t.id === 'T001.001')?.gate !== 'review') return;
          clearTimeout(timer);
          off();
          resolve(plan);
        });
      });
      writeFileSync(tasklist, PLAN.replace('(P0, 2h)\n', '(P0, 2h)\n  - Gate: review\n'));
      const after = await changed;
      assert.equal(line(after, 'T001.001'), line(before, 'T001.001'));
      assert.equal(line(after, 'T001.002'), line(before, 'T001.002') + 1, 'the tasks below the new line moved down');
      assert.deepEqual(rt.snapshot().tasks, after.tasks, 'the snapshot asked for later is the same plan');
    } finally {
      await rt.close();
    }
  });

  it('the views read the plan the engine runs: with dispatch.run_optional an optional task shows ready, as it is run', async () => {
    // One live plan (#13): the views had their own copy of the statuses and the graph, built without run_optional, so a
    // task the engine was about to start by itself was shown as not ready.
    writeFileSync(join(dir, 'TASKLIST.md'), `${PLAN}- [ ]* **T001.004** Optional load test (P2)\n`);
    mkdirSync(join(dir, '.coditect'), { recursive: true });
    writeFileSync(join(dir, '.coditect', 'config.json'), JSON.stringify({ dispatch: { run_optional: true } }));
    const rt = await openEngine();
    try {
      const snap = rt.snapshot();
      const optional = snap.tasks.find((t) => t.id === 'T001.004')!;
      assert.equal(optional.kind, 'optional');
      assert.equal(optional.ready, true);
      assert.equal(snap.counts.ready, 1, 'counts leave optional tasks apart, as before');
      rt.start();
      await rt.idle();
      assert.equal(rt.snapshot().tasks.find((t) => t.id === 'T001.004')!.status, 'completed', 'and the engine ran it');
    } finally {
      await rt.close();
    }
  });

  it('read-only (untrusted workspace): shows the plan, starts nothing, never writes the markdown', async () => {
    // A task without an id would normally get one written into its line on the first sync.
    writeFileSync(join(dir, 'TASKLIST.md'), `${PLAN}- [ ] Write the runbook (P2)\n`);
    const before = readFileSync(join(dir, 'TASKLIST.md'), 'utf8');
    const rt = await openEngine({ readOnly: true });
    try {
      assert.equal(rt.snapshot().readOnly, true);
      assert.match(rt.start().message ?? '', /untrusted/);
      const r = await rt.runTask({ taskId: 'T001.001' });
      assert.equal(r.started, false);
      assert.match(r.reason ?? '', /untrusted/);
      assert.equal(rt.snapshot().counts.inProgress, 0);
      assert.equal(rt.snapshot().counts.total, 4, 'the task without an id is shown');
    } finally {
      await rt.close();
    }
    assert.equal(readFileSync(join(dir, 'TASKLIST.md'), 'utf8'), before, 'not a byte of the markdown changed');
  });
});
