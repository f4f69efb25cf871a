// One engine per plan, many clients (#12 item 1), with real processes: an editor's engine process (`engine.js
// --stdio`, spoken to over JSON-RPC as the extension does) started while a daemon — or another window's engine — owns
// the plan attaches to that owner instead of failing on its lock: same snapshot, same events, its commands act on the
// owner. When the owner dies, the attached process takes the plan over in place (no new process to start), or — when
// another attached client was faster — attaches to that one; either way it tells its client (`coditect/ownerChanged`).
import { strict as assert } from 'node:assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import {
  Exit,
  Initialize,
  type InitializeResult,
  OwnerChanged,
  type OwnerChangedParams,
  PauseOrchestration,
  PROTOCOL_VERSION,
  Ready,
  ResumeOrchestration,
  Shutdown,
  StartOrchestration,
  StateChanged,
  type StateChangedParams,
} from '../../../src/protocol/engineProtocol';
import { generateTaskList } from '../../bench/generatePlan';
import { cliEnv, ensureBuilt, removeWorkspace, ROOT, runCli, tempWorkspace } from '../cli/cliHarness';

// One agent at a time, each task a minute long: the owner is busy for the whole test.
const CONFIG = {
  default_agent: 'sim',
  agents: { sim: { kind: 'dry-run', durationMs: 60_000 } },
  max_concurrent_agents: 1,
  shutdown_grace_ms: 300,
  lease: { ms: 2000, heartbeat_ms: 500 },
};

/** How long an engine may take from `shutdown` to its exit (its grace for running tasks is 300 ms here). */
const STOP_BOUND_MS = 15_000;

/** An engine process as the editor starts it, with its JSON-RPC connection. */
interface EditorEngine {
  child: ChildProcess;
  connection: MessageConnection;
  exited: Promise<number | null>;
  stderr: () => string;
  /** Resolves with the next `coditect/ownerChanged` and when it arrived (ms since the epoch). */
  ownerChanged(): Promise<{ params: OwnerChangedParams; at: number }>;
  init(dir: string): Promise<InitializeResult>;
  stop(): Promise<void>;
}

async function startEditorEngine(): Promise<EditorEngine> {
  const child = spawn(process.execPath, [join(ROOT, 'dist/engine.js'), '--stdio'], { env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const ready = new Promise<void>((r) => connection.onNotification(Ready.type, () => r()));
  let ownerWaiters: ((v: { params: OwnerChangedParams; at: number }) => void)[] = [];
  connection.onNotification(OwnerChanged.type, (params) => {
    const at = Date.now();
    for (const w of ownerWaiters.splice(0)) w({ params, at });
  });
  connection.listen();
  await ready;
  return {
    child,
    connection,
    exited,
    stderr: () => err,
    // Fails at once, with the engine's log, if the process exits before telling its client (no 2-minute timeout).
    ownerChanged: () =>
      new Promise((r, reject) => {
        ownerWaiters = [...ownerWaiters, r];
        void exited.then((code) => reject(new Error(`engine pid ${child.pid} exited (${code}) before coditect/ownerChanged:\n${err}`)));
      }),
    init: (dir) =>
      connection.sendRequest(Initialize.type, {
        protocolVersion: PROTOCOL_VERSION,
        workspaceRoot: dir,
        tasklistPath: join(dir, 'PLAN-TASKLIST.md'),
        configPath: join(dir, 'config.json'),
        readOnly: false,
        clientAppliesEdits: true,
      }),
    // Bounded: an engine that never answers its shutdown fails the test with its log instead of hanging the suite
    // (a hung child keeps mocha from exiting, and the whole CI run with it).
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), STOP_BOUND_MS)));
      // The process may exit on its own meanwhile; a request written to it then never settles (vscode-jsonrpc).
      const stopped = Promise.race([
        exited,
        (async () => {
          await connection.sendRequest(Shutdown.type).catch(() => undefined);
          await connection.sendNotification(Exit.type).catch(() => undefined);
          await exited;
        })(),
      ]);
      const how = await Promise.race([stopped, bound]);
      clearTimeout(timer);
      connection.dispose();
      if (how === 'hung') {
        child.kill('SIGKILL');
        await exited;
        throw new Error(`engine pid ${child.pid} did not exit within ${STOP_BOUND_MS} ms of shutdown + exit:\n${err}`);
      }
    },
  };
}

function workspace(): string {
  const { text } = generateTaskList({ tasks: 8, tasksPerFeature: 4, featuresPerEpic: 2, seed: 4, chainProbability: 0 });
  return tempWorkspace({ 'PLAN-TASKLIST.md': text, 'config.json': JSON.stringify(CONFIG) });
}

describe('one engine per plan: later clients attach (real processes)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const engines: EditorEngine[] = [];
  before(() => ensureBuilt());
  afterEach(async () => {
    // Every engine is stopped (each one bounded and killed if it hangs); a hang is still reported as a failure.
    const results = await Promise.allSettled(engines.splice(0).map((e) => e.stop()));
    const hung = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    assert.deepEqual(hung, [], hung.join('\n\n'));
  });
  after(async () => {
    for (const d of dirs) {
      await runCli(['daemon', 'stop', 'PLAN-TASKLIST.md'], d);
      removeWorkspace(d);
    }
  });

  it('an editor engine started while the daemon runs attaches to it; when the daemon dies, it takes the plan over in place', async () => {
    const dir = workspace();
    dirs.push(dir);
    const start = await runCli(['daemon', 'start', 'PLAN-TASKLIST.md', '--config', 'config.json', '--metrics-port', '0', '--json'], dir);
    assert.equal(start.code, 0, start.stderr);
    const daemonPid = (JSON.parse(start.stdout) as { pid: number }).pid;

    const editor = await startEditorEngine();
    engines.push(editor);
    const init = await editor.init(dir);
    assert.deepEqual(init.attachedTo && { pid: init.attachedTo.pid, kind: init.attachedTo.kind }, { pid: daemonPid, kind: 'daemon' }, editor.stderr());
    assert.equal(init.snapshot.tasks.length, 8, 'the owner’s plan');
    assert.match(editor.stderr(), new RegExp(`attached to the engine of pid ${daemonPid} \\(daemon\\)`));

    // Its commands act on the daemon, and the daemon's events reach it.
    const paused = new Promise<StateChangedParams>((r) => editor.connection.onNotification(StateChanged.type, (p) => p.state === 'paused' && r(p)));
    assert.equal((await editor.connection.sendRequest(PauseOrchestration.type)).state, 'paused');
    await paused;
    const status = await runCli(['status', 'PLAN-TASKLIST.md', '--json'], dir);
    assert.equal((JSON.parse(status.stdout) as { state: string; daemon: { pid: number } }).state, 'paused', 'the daemon itself paused');
    assert.equal((await editor.connection.sendRequest(ResumeOrchestration.type)).state, 'running');

    // The owner dies: the attached process opens the plan itself and tells its client; it does not exit.
    const changed = editor.ownerChanged();
    const killedAt = Date.now();
    process.kill(daemonPid, 'SIGKILL');
    const { params, at } = await changed;
    const takeoverMs = at - killedAt;
    assert.equal(params.attachedTo, undefined, `it owns the plan now:\n${editor.stderr()}`);
    assert.equal(params.snapshot.tasks.length, 8);
    assert.match(editor.stderr(), /went away; this engine takes the plan over/);
    assert.match(editor.stderr(), /took the plan over: this engine owns it now/);
    assert.equal(editor.child.exitCode, null, 'the same process goes on');
    // It serves the plan (idle, as an editor's engine starts): its commands act, the CLI reads through its socket.
    assert.equal((await editor.connection.sendRequest(StartOrchestration.type)).state, 'running');
    assert.equal((await editor.connection.sendRequest(PauseOrchestration.type)).state, 'paused');
    const after = await runCli(['status', 'PLAN-TASKLIST.md', '--json'], dir);
    assert.equal(after.code, 0, after.stderr);
    const read = JSON.parse(after.stdout) as { state: string; daemon: { pid: number } };
    assert.deepEqual([read.state, read.daemon.pid], ['paused', editor.child.pid], 'the CLI attaches to the engine that took over');
    assert.ok(takeoverMs < 30_000, `took over in ${takeoverMs} ms`);
    console.log(`      takeover after the owner was killed: ${takeoverMs} ms (in the attached process: lock takeover + open + control socket)`);
  });

  it('two clients attached to the daemon: when it dies, one takes the plan over and the other re-attaches to it', async () => {
    const dir = workspace();
    dirs.push(dir);
    const start = await runCli(['daemon', 'start', 'PLAN-TASKLIST.md', '--config', 'config.json', '--metrics-port', '0', '--json'], dir);
    assert.equal(start.code, 0, start.stderr);
    const daemonPid = (JSON.parse(start.stdout) as { pid: number }).pid;
    const a = await startEditorEngine();
    const b = await startEditorEngine();
    engines.push(a, b);
    for (const e of [a, b]) assert.equal((await e.init(dir)).attachedTo?.pid, daemonPid, e.stderr());

    const changes = Promise.all([a.ownerChanged(), b.ownerChanged()]);
    const killedAt = Date.now();
    process.kill(daemonPid, 'SIGKILL');
    const [ca, cb] = await changes;
    const owners = [ca, cb].filter((c) => c.params.attachedTo === undefined);
    assert.equal(owners.length, 1, `exactly one owns the plan:\n${a.stderr()}\n${b.stderr()}`);
    const [owner, other] = ca.params.attachedTo === undefined ? [a, b] : [b, a];
    const otherChange = ca.params.attachedTo === undefined ? cb : ca;
    assert.equal(otherChange.params.attachedTo?.pid, owner.child.pid, 'the other attached to the one that took over');
    assert.equal(otherChange.params.attachedTo?.kind, 'engine');
    assert.equal(otherChange.params.snapshot.tasks.length, 8);
    assert.deepEqual([a.child.exitCode, b.child.exitCode], [null, null], 'neither process exits');
    // The re-attached one acts on the new owner (idle, as an editor's engine starts), and both hear its events.
    const seen = (e: EditorEngine) => new Promise<void>((r) => e.connection.onNotification(StateChanged.type, (p) => p.state === 'running' && r()));
    const running = Promise.all([seen(owner), seen(other)]);
    assert.equal((await other.connection.sendRequest(StartOrchestration.type)).state, 'running');
    await running;
    console.log(`      owner killed → one owns: ${owners[0].at - killedAt} ms; the other re-attached: ${otherChange.at - killedAt} ms`);
  });

  it('a second window attaches to the first window’s engine; the CLI reads through it; closing the first hands the plan over to the second', async () => {
    const dir = workspace();
    dirs.push(dir);
    const first = await startEditorEngine();
    engines.push(first);
    const own = await first.init(dir);
    assert.equal(own.attachedTo, undefined, first.stderr());

    const second = await startEditorEngine();
    engines.push(second);
    const attached = await second.init(dir);
    assert.deepEqual(attached.attachedTo && { pid: attached.attachedTo.pid, kind: attached.attachedTo.kind }, { pid: first.child.pid, kind: 'engine' });

    // Both see the same events for a command from either (a window's engine starts idle: the second one starts it).
    const seen = (e: EditorEngine, state: string) => new Promise<void>((r) => e.connection.onNotification(StateChanged.type, (p) => p.state === state && r()));
    const running = Promise.all([seen(first, 'running'), seen(second, 'running')]);
    assert.equal((await second.connection.sendRequest(StartOrchestration.type)).state, 'running');
    await running;
    const paused = Promise.all([seen(first, 'paused'), seen(second, 'paused')]);
    await first.connection.sendRequest(PauseOrchestration.type);
    await paused;

    const status = await runCli(['status', 'PLAN-TASKLIST.md', '--json'], dir);
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { state: string }).state, 'paused', 'the CLI reads through the owner instead of failing on its lock');

    const handed = second.ownerChanged();
    await first.stop();
    assert.equal((await handed).params.attachedTo, undefined, second.stderr());
    const third = await startEditorEngine();
    engines.push(third);
    const taken = await third.init(dir);
    assert.deepEqual(taken.attachedTo && { pid: taken.attachedTo.pid, kind: taken.attachedTo.kind }, { pid: second.child.pid, kind: 'engine' });
  });

  it('the owner and an attached window shut down at the same moment (two windows closed at once): both exit, neither waits on the other', async () => {
    // The race: the attached one's detach request is in flight on the owner's control socket when the owner closes it
    // (or its takeover begins as its own shutdown arrives). Repeated, because it is a race.
    const dir = workspace();
    dirs.push(dir);
    for (let round = 0; round < 6; round++) {
      const owner = await startEditorEngine();
      assert.equal((await owner.init(dir)).attachedTo, undefined, owner.stderr());
      const attached = await startEditorEngine();
      assert.equal((await attached.init(dir)).attachedTo?.pid, owner.child.pid, attached.stderr());
      // Both stops at once; each is bounded and fails the test with the engine's log if it hangs.
      const order = round % 2 === 0 ? [owner, attached] : [attached, owner];
      const results = await Promise.allSettled(order.map((e) => e.stop()));
      assert.deepEqual(
        results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'exited')),
        ['exited', 'exited'],
        `round ${round}`,
      );
      assert.deepEqual([owner.child.exitCode, attached.child.exitCode], [0, 0], `round ${round}: both exit cleanly`);
    }
    // Nothing was left holding the plan: a new window owns it.
    const next = await startEditorEngine();
    engines.push(next);
    assert.equal((await next.init(dir)).attachedTo, undefined, next.stderr());
  });

  it('coditect run while the daemon runs follows it as a client: starts it, prints its activity, ends with its outcome; the daemon goes on', async () => {
    // One task at a time, 1-2 s each: still running when the pause arrives, however slow the machine is.
    const { text } = generateTaskList({ tasks: 8, tasksPerFeature: 4, featuresPerEpic: 2, seed: 6, chainProbability: 0.4 });
    const cfg = { ...CONFIG, agents: { sim: { kind: 'dry-run', durationMs: { minMs: 1000, maxMs: 2000 } } } };
    const dir = tempWorkspace({ 'PLAN-TASKLIST.md': text, 'config.json': JSON.stringify(cfg) });
    dirs.push(dir);
    const start = await runCli(['daemon', 'start', 'PLAN-TASKLIST.md', '--config', 'config.json', '--metrics-port', '0', '--json'], dir);
    assert.equal(start.code, 0, start.stderr);
    const daemonPid = (JSON.parse(start.stdout) as { pid: number }).pid;
    assert.equal((await runCli(['pause', 'PLAN-TASKLIST.md'], dir)).code, 0);

    const run = await runCli(['run', 'PLAN-TASKLIST.md', '--json'], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`attached to the engine of pid ${daemonPid} that already runs`));
    assert.match(run.stderr, /completed\s+T\d+\.\d+/, `the owner’s activity, printed as a local run prints its own:\n${run.stderr}`);
    const summary = JSON.parse(run.stdout) as { outcome: string; counts: { done: number; total: number } };
    assert.equal(summary.outcome, 'completed');
    assert.equal(summary.counts.done, 8);
    const status = await runCli(['daemon', 'status', 'PLAN-TASKLIST.md', '--json'], dir);
    assert.equal((JSON.parse(status.stdout) as { running: boolean; pid: number }).pid, daemonPid, 'the daemon goes on');
  });
});
