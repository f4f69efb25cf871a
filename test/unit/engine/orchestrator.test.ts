import { strict as assert } from 'node:assert';
import { defaultSandboxPolicy } from '../../../src/engine/agents/sandbox';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { AgentError } from '../../../src/engine/agents/agent';
import { DryRunAgent } from '../../../src/engine/agents/dryRunAgent';
import { CommandAgent } from '../../../src/engine/agents/commandAgent';
import { becomesDead } from '../../fakes/agentTestKit';
import { parseTaskList } from '../../../src/core/parser';
import { taskList, type TaskSpec } from '../core/taskListBuilder';
import { MemoryStore } from './memoryStore';
import { ScriptedAgent, collect, harness, nextEvent, type Harness } from './orchestratorKit';

describe('Orchestrator', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  describe('dispatch order', () => {
    it('runs a realistic DAG with the dry-run agent: every task starts only after its dependencies completed', async () => {
      const specs: TaskSpec[] = [
        { id: 'T1' },
        { id: 'T2', deps: ['T1'] },
        { id: 'T3', deps: ['T1'] },
        { id: 'T4', deps: ['T2', 'T3'] },
        { id: 'T5' },
        { id: 'T6', deps: ['T5', 'T4'] },
        { id: 'T7', deps: ['T6'], status: 'pending' },
        { id: 'T8', status: 'completed' },
        { id: 'T9', deps: ['T8'] },
      ];
      const list = taskList(specs);
      h = harness(list, { agent: new DryRunAgent('dry-run', { durationMs: { minMs: 0, maxMs: 3 }, seed: 7 }), config: { max_concurrent_agents: 3 } });
      const violations: string[] = [];
      const started: string[] = [];
      h.orch.on('task:started', ({ taskId }) => {
        started.push(taskId);
        for (const d of specs.find((s) => s.id === taskId)!.deps ?? []) {
          if (h!.store.status(d as string) !== 'completed') violations.push(`${taskId} started before ${d as string}`);
        }
      });
      h.orch.start();
      await h.orch.idle();
      assert.deepEqual(violations, []);
      assert.equal(started.length, 8, 'T8 was already completed');
      for (const s of specs) assert.equal(h.store.status(s.id), 'completed', s.id);
      for (const [id, n] of h.store.completions) assert.equal(n, 1, `${id} completed once`);
      assert.equal(h.orch.counts().completed, 9);
      assert.equal(h.orch.state(), 'running');
    });

    it("task_dispatcher.batch_size: a pass starts at most that many; the next batch follows on the event loop's next turn", async () => {
      const agent = new ScriptedAgent('s', 'scripted', () => 'hold');
      h = harness(taskList([{ id: 'A' }, { id: 'B' }, { id: 'C' }, { id: 'D' }, { id: 'E' }]), {
        agent,
        config: { max_concurrent_agents: 5, task_dispatcher: { batch_size: 2 } },
      });
      h.orch.start();
      assert.equal(h.orch.active().length, 2, 'the first batch');
      await new Promise((r) => setImmediate(r));
      assert.equal(h.orch.active().length, 4, 'the second batch');
      await new Promise((r) => setImmediate(r));
      assert.equal(h.orch.active().length, 5, 'the rest');
      for (const id of ['A', 'B', 'C', 'D', 'E']) (await agent.started(id)).finish();
      await h.orch.idle();
    });

    it('priority weights from a reloaded config reorder the waiting tasks', async () => {
      const agent = new ScriptedAgent('s', 'scripted', () => 'hold');
      h = harness(
        taskList([
          { id: 'HOLD', priority: 'P0' },
          { id: 'P0', priority: 'P0' },
          { id: 'P3', priority: 'P3' },
        ]),
        { agent, config: { max_concurrent_agents: 1 } },
      );
      h.orch.start();
      const hold = await agent.started('HOLD');
      h.orch.setConfig({ ...h.config, dispatch: { priority_weights: { P3: 1000 } } });
      hold.finish();
      const next = await nextEvent(h.orch, 'task:started');
      assert.equal(next.taskId, 'P3', 'P3 weighs 1000 now, P0 its plan weight 100');
      (await agent.started('P3')).finish();
      (await agent.started('P0')).finish();
      await h.orch.idle();
    });

    it('a dependency cycle typed into a running plan holds every task on it and downstream; nothing on it ever starts', async () => {
      // The example plan's T010.008 ← T010.009 ← T010.010, then `T010.010` added to T010.008's dependencies.
      const before = taskList([{ id: 'G' }, { id: 'T8', deps: ['G'] }, { id: 'T9', deps: ['T8'] }, { id: 'T10', deps: ['T9'] }, { id: 'X' }]);
      const agent = new ScriptedAgent('s', 'scripted', () => 'hold');
      h = harness(before, { agent, config: { max_concurrent_agents: 4 } });
      h.orch.start();
      const g = await agent.started('G');
      await agent.started('X');
      const after = taskList([{ id: 'G' }, { id: 'T8', deps: ['G', 'T10'] }, { id: 'T9', deps: ['T8'] }, { id: 'T10', deps: ['T9'] }, { id: 'X' }]);
      h.orch.setPlan(after);
      g.finish();
      (await agent.started('X')).finish();
      await h.orch.idle();
      assert.deepEqual(agent.startedIds().sort(), ['G', 'X'], 'no task of the cycle was dispatched');
      for (const id of ['T8', 'T9', 'T10']) {
        assert.equal(h.store.status(id), 'pending', id);
        assert.match(h.orch.runTask(id).reason ?? '', /is on the dependency cycle T8 → T10 → T9 → T8/);
      }
      assert.equal(h.orch.counts().blocked, 3);
    });

    it('orders by priority, then by how much work a task unblocks, then document order', async () => {
      const list = taskList([
        { id: 'A', priority: 'P3' },
        { id: 'B', priority: 'P1' },
        { id: 'C', priority: 'P0' },
        { id: 'D', priority: 'P1' },
        { id: 'E', priority: 'P2', deps: ['D'] },
        { id: 'F' },
      ]);
      const agent = new ScriptedAgent('s', 'p', () => ({ summary: 'ok' }));
      h = harness(list, { agent, config: { max_concurrent_agents: 1 } });
      h.orch.start();
      await h.orch.idle();
      // C (P0); then D before B (both P1, D unblocks E); then the P2s E and F in document order; then A (P3).
      assert.deepEqual(agent.startedIds(), ['C', 'D', 'B', 'E', 'F', 'A']);
    });

    it('starts a dependent the moment its dependency completes (event-driven, no polling)', async () => {
      const agent = new ScriptedAgent('s', 'p');
      h = harness(taskList([{ id: 'A' }, { id: 'B', deps: ['A'] }]), { agent });
      h.orch.start();
      const a = await agent.started('A');
      assert.deepEqual(agent.startedIds(), ['A']);
      const bStarted = nextEvent(h.orch, 'task:started', (p) => p.taskId === 'B');
      a.finish('A built the thing');
      const ev = await bStarted;
      assert.equal(ev.attempt, 1);
      const b = await agent.started('B');
      assert.deepEqual(b.input.dependencies, [{ id: 'A', title: 'Task A', resultSummary: 'A built the thing' }]);
      b.finish();
      await h.orch.idle();
      assert.equal(h.store.status('B'), 'completed');
    });

    it('starts tasks added by a new plan and keeps running tasks running', async () => {
      const agent = new ScriptedAgent('s', 'p');
      const list1 = taskList([{ id: 'A' }]);
      h = harness(list1, { agent });
      h.orch.start();
      const a = await agent.started('A');
      const list2 = taskList([{ id: 'A' }, { id: 'N1' }, { id: 'N2', deps: ['A'] }]);
      h.store.addTasks(list2);
      const n1 = nextEvent(h.orch, 'task:started', (p) => p.taskId === 'N1');
      h.orch.setPlan(list2);
      await n1;
      assert.equal(h.store.status('A'), 'in_progress');
      a.finish();
      (await agent.started('N1')).finish();
      (await agent.started('N2')).finish();
      await h.orch.idle();
      assert.deepEqual(
        ['A', 'N1', 'N2'].map((id) => h!.store.status(id)),
        ['completed', 'completed', 'completed'],
      );
    });

    it('routes through the config maps and records the rule on the attempt row', async () => {
      const list = taskList([
        { id: 'T1', title: 'Deploy the cluster with terraform' },
        { id: 'T2', title: 'Write something', agent: 'qa-bot' },
        { id: 'T3', title: 'Ponder' },
      ]);
      const types: string[] = [];
      h = harness(list, {
        agent: (t) => {
          types.push(t);
          return new ScriptedAgent(t, 'p', () => ({ summary: 'ok' }));
        },
        config: { agent_priority_overrides: { T3: 'thinker' } },
      });
      h.orch.start();
      await h.orch.idle();
      const rows = new Map(h.store.attemptRows.map((a) => [a.taskId, a]));
      assert.equal(rows.get('T1')!.agent, 'devops-engineer');
      assert.equal(rows.get('T1')!.routeRule, 'keyword');
      assert.equal(rows.get('T2')!.agent, 'qa-bot');
      assert.equal(rows.get('T2')!.routeRule, 'task-override');
      assert.equal(rows.get('T3')!.agent, 'thinker');
      assert.equal(rows.get('T3')!.routeRule, 'config-override');
    });
  });

  describe('groups, optional tasks, criteria', () => {
    const KIRO = [
      '# Plan',
      '',
      '- [ ] 1. Importer',
      '  - [ ] 1.1 Read rows',
      '  - [ ] 1.2 Convert rows',
      '  - [ ]* 1.3 Unit tests',
      '- [ ]* 2. Benchmark',
      '- [ ] 3. Release ⏸️ BLOCKED: waiting on legal',
      '',
      '## Definition of Done',
      '',
      '- [ ] Docs updated',
      '',
    ].join('\n');

    it('runs the subtasks, ticks the group after them, and never starts a group, an optional task, a criterion or a BLOCKED task by itself', async () => {
      const list = parseTaskList(KIRO);
      const agent = new ScriptedAgent('s', 'p', () => ({ summary: 'ok' }));
      h = harness(list, { agent });
      const changes = collect(h.orch, 'task:statusChanged');
      h.orch.start();
      await h.orch.idle();
      assert.deepEqual(agent.runs.map((r) => r.input.id).sort(), ['1.1', '1.2']);
      const done = changes.filter((c) => c.status === 'completed').map((c) => c.taskId);
      assert.deepEqual(done.slice(-1), ['1'], `the group is ticked last: ${done.join(', ')}`);
      assert.equal(h.store.status('1'), 'completed');
      const criterion = list.tasks.find((t) => t.criterion)!.id;
      for (const id of ['1.3', '2', '3', criterion]) assert.equal(h.store.status(id), 'pending', id);
      assert.match(h.orch.runTask('1').reason ?? '', /is completed/);
      assert.deepEqual(h.orch.runTask(criterion), { started: false, reason: `${criterion} is a criterion: a person checks it and ticks it` });
      assert.deepEqual(h.orch.runTask('3'), { started: false, reason: '3 is blocked by "waiting on legal"' });
      assert.deepEqual(h.orch.runTask('2'), { started: true }, 'a person may run an optional task');
      await h.orch.idle();
      assert.equal(h.store.status('2'), 'completed');
    });

    it('a group is not run by hand; with dispatch.run_optional the optional tasks run by themselves', async () => {
      const list = parseTaskList(KIRO);
      const agent = new ScriptedAgent('s', 'p', () => ({ summary: 'ok' }));
      h = harness(list, { agent, config: { dispatch: { run_optional: true } } });
      assert.deepEqual(h.orch.runTask('1'), { started: false, reason: '1 is a group: it is ticked when its subtasks are done' });
      h.orch.start();
      await h.orch.idle();
      assert.deepEqual(agent.runs.map((r) => r.input.id).sort(), ['1.1', '1.2', '1.3', '2']);
    });
  });

  describe('limits', () => {
    it('a type held by its limit does not hold back other types', async () => {
      const a = new ScriptedAgent('a', 'pa');
      const b = new ScriptedAgent('b', 'pb');
      const list = taskList([
        { id: 'A1', agent: 'a', priority: 'P0' },
        { id: 'A2', agent: 'a', priority: 'P0' },
        { id: 'B1', agent: 'b', priority: 'P3' },
      ]);
      h = harness(list, { agent: (t) => (t === 'a' ? a : b), config: { max_concurrent_agents: 2, agent_limits: { max_per_type: { a: 1 } } } });
      h.orch.start();
      await a.started('A1');
      await b.started('B1');
      assert.deepEqual(a.startedIds(), ['A1']);
      (await a.started('A1')).finish();
      (await a.started('A2')).finish();
      (await b.started('B1')).finish();
      await h.orch.idle();
    });
    it('tasks naming the same file never run at once: the later one waits for the first to finish, others go on', async () => {
      const agent = new ScriptedAgent('s', 'p');
      const list = parseTaskList(
        [
          '# Plan',
          '- [ ] T001 Create the User model in src/models/user.py',
          '- [ ] T002 Add validation to src/models/user.py',
          '- [ ] T003 Write the guide',
          '  - Files: docs/',
          '- [ ] T004 Document the API in docs/api.md',
          '- [ ] T005 Add the CLI in src/cli/main.py',
        ].join('\n'),
      );
      h = harness(list, { agent, config: { max_concurrent_agents: 4 } });
      h.orch.start();
      const t1 = await agent.started('T001');
      const t3 = await agent.started('T003');
      const t5 = await agent.started('T005');
      assert.deepEqual(agent.startedIds().sort(), ['T001', 'T003', 'T005'], 'a free slot is not given to a task sharing a file');
      assert.deepEqual(h.orch.runTask('T002'), { started: false, reason: 'T002 waits for T001 (in progress): both name src/models/user.py' });
      assert.deepEqual(h.orch.runNext(), { started: false, reason: 'T002 waits for T001 (in progress): both name src/models/user.py' });
      const t2Started = nextEvent(h.orch, 'task:started', (p) => p.taskId === 'T002');
      t1.finish();
      await t2Started;
      assert.equal(h.store.status('T001'), 'completed');
      assert.ok(!agent.startedIds().includes('T004'), 'T004 still waits for T003 (docs/ holds docs/api.md)');
      const t4Started = nextEvent(h.orch, 'task:started', (p) => p.taskId === 'T004');
      t3.finish();
      await t4Started;
      t5.finish();
      (await agent.started('T002')).finish();
      (await agent.started('T004')).finish();
      await h.orch.idle();
      assert.equal(agent.maxRunning, 3);
    });

    it('a per-type limit of 0 holds that type back without keeping the run busy', async () => {
      const agent = new ScriptedAgent('s', 'p', () => ({ summary: 'ok' }));
      h = harness(taskList([{ id: 'A', agent: 'risky' }, { id: 'B' }]), { agent, config: { agent_limits: { max_per_type: { risky: 0 } } } });
      h.orch.start();
      await h.orch.idle();
      assert.deepEqual(agent.startedIds(), ['B']);
      assert.equal(h.store.status('A'), 'pending');
      assert.deepEqual(h.orch.runTask('A'), { started: false, reason: 'the limit of 0 running risky agents is reached' });
    });
  });

  describe('failures', () => {
    it('retries transient failures with exponential backoff, then completes; retry count kept in the store', async () => {
      let calls = 0;
      const agent = new ScriptedAgent('s', 'p', () =>
        ++calls <= 2 ? new AgentError('HTTP 500 from upstream', 'transient', 'p') : { summary: 'third time lucky' },
      );
      h = harness(taskList([{ id: 'T1' }]), { agent, config: { retry: { max_attempts: 3, initial_delay_ms: 5, max_delay_ms: 40, jitter: 'none' } } });
      const retrying = collect(h.orch, 'task:retrying');
      h.orch.start();
      await nextEvent(h.orch, 'task:completed');
      assert.deepEqual(
        retrying.map((r) => r.delayMs),
        [5, 10],
      );
      assert.ok(retrying.every((r) => !r.rateLimited));
      assert.equal(h.store.rows.get('T1')!.retryCount, 2);
      assert.deepEqual(
        h.store.attemptsOf('T1').map((a) => [a.attempt, a.end?.outcome]),
        [
          [1, 'failed'],
          [2, 'failed'],
          [3, 'completed'],
        ],
      );
      assert.match(h.store.attemptsOf('T1')[0].end!.error!, /retry 1\/3 in 5ms: HTTP 500/);
      assert.equal(h.store.attemptsOf('T1')[0].end!.errorKind, 'transient');
    });

    it("tells each attempt what the task's earlier attempts left: a retry the last error, a first attempt after a released one its error", async () => {
      let calls = 0;
      const agent = new ScriptedAgent('s', 'p', (input) =>
        input.id === 'T1' && ++calls === 1 ? new AgentError('HTTP 500 from upstream', 'transient', 'p') : { summary: 'ok' },
      );
      const list = taskList([{ id: 'T1' }, { id: 'T2' }, { id: 'T3' }]);
      const store = MemoryStore.fromList(list);
      // T2's attempt 1 was released unfinished by an engine that stopped: the next one keeps its number and is told why.
      const old = store.recordAttemptStart({ taskId: 'T2', agent: 'x', attempt: 1, startedAt: 1 });
      store.recordAttemptEnd(old, { outcome: 'released', endedAt: 2, error: 'interrupted: the engine stopped' });
      h = harness(list, { agent, store, config: { retry: { max_attempts: 3, initial_delay_ms: 1, max_delay_ms: 1, jitter: 'none' } } });
      h.orch.start();
      await h.orch.idle();
      const inputs = agent.runs.map((r) => [r.input.id, r.input.attempt, r.input.previousError]).sort((a, b) => String(a).localeCompare(String(b)));
      assert.equal(inputs.length, 4);
      assert.deepEqual(inputs[0], ['T1', 1, undefined]);
      assert.equal(inputs[1][0], 'T1');
      assert.equal(inputs[1][1], 2);
      assert.match(String(inputs[1][2]), /HTTP 500 from upstream/);
      assert.deepEqual(inputs[2], ['T2', 1, 'interrupted: the engine stopped']);
      assert.deepEqual(inputs[3], ['T3', 1, undefined]);
    });

    it('gives up after the retry budget with a reason counting the attempts', async () => {
      const agent = new ScriptedAgent('s', 'p', () => new AgentError('connection reset', 'transient', 'p'));
      h = harness(taskList([{ id: 'T1' }, { id: 'T2', deps: ['T1'] }]), {
        agent,
        config: { retry: { max_attempts: 1, initial_delay_ms: 1, max_delay_ms: 1 } },
      });
      h.orch.start();
      const failed = await nextEvent(h.orch, 'task:failed');
      assert.match(failed.reason, /gave up after 2 attempts \(1 retries allowed\): connection reset/);
      await h.orch.idle();
      assert.equal(h.store.status('T1'), 'failed');
      assert.equal(h.store.status('T2'), 'pending', 'a dependent of a failed task never starts');
      assert.deepEqual(agent.startedIds(), ['T1', 'T1']);
    });

    it('fails fast on an auth error: one attempt, a clear reason, no retry', async () => {
      const agent = new ScriptedAgent('s', 'p', () => new AgentError('invalid x-api-key', 'auth', 'p'));
      h = harness(taskList([{ id: 'T1' }]), { agent, config: { retry: { max_attempts: 5, initial_delay_ms: 1, max_delay_ms: 1 } } });
      const retrying = collect(h.orch, 'task:retrying');
      h.orch.start();
      const failed = await nextEvent(h.orch, 'task:failed');
      assert.match(failed.reason, /authentication failed \(not retried.*invalid x-api-key/);
      assert.equal(failed.errorKind, 'auth');
      await h.orch.idle();
      assert.equal(retrying.length, 0);
      assert.equal(h.store.attemptsOf('T1').length, 1);
      assert.equal(h.store.status('T1'), 'failed');
    });

    it('an agent type whose agent cannot be built fails its tasks with the configuration error', async () => {
      h = harness(taskList([{ id: 'T1', agent: 'broken' }, { id: 'T2' }]), {
        agent: (t) => {
          if (t === 'broken') throw new TypeError('agent "broken": unknown kind "nope"');
          return new ScriptedAgent(t, 'p', () => ({ summary: 'ok' }));
        },
      });
      h.orch.start();
      await h.orch.idle();
      assert.equal(h.store.status('T1'), 'failed');
      assert.match(h.store.attemptsOf('T1')[0].end!.error!, /configuration error.*unknown kind "nope"/);
      assert.equal(h.store.status('T2'), 'completed');
    });

    it('a verified task completes only when its Verify command passes in the task cwd, with the output logged', async () => {
      const list = taskList([{ id: 'T1' }]);
      list.tasks[0].verify = 'test -f built.txt && echo "verify saw $(cat built.txt)"';
      let cwdSeen = '';
      const agent = new ScriptedAgent('s', 'p', (input) => {
        cwdSeen = input.cwd;
        writeFileSync(path.join(input.cwd, 'built.txt'), 'artefact');
        return { summary: 'built' };
      });
      h = harness(list, { agent });
      h.orch.start();
      await h.orch.idle();
      assert.equal(cwdSeen, h.cwd);
      assert.equal(h.store.status('T1'), 'completed');
      const row = h.store.attemptsOf('T1')[0];
      assert.equal(row.end!.outcome, 'completed');
      assert.match(row.end!.verifyOutput!, /verify saw artefact/);
    });

    it('a failing verification is a failed attempt; failing the same way twice is not retried further', async () => {
      const list = taskList([{ id: 'T1' }]);
      list.tasks[0].verify = 'echo "3 tests failed in $RANDOM ms"; exit 3';
      const agent = new ScriptedAgent('s', 'p', () => ({ summary: 'claims done' }));
      h = harness(list, { agent, config: { retry: { max_attempts: 5, initial_delay_ms: 1, max_delay_ms: 2 } } });
      h.orch.start();
      const failed = await nextEvent(h.orch, 'task:failed');
      assert.match(failed.reason, /verification failed the same way twice/);
      assert.match(failed.reason, /exited 3/);
      await h.orch.idle();
      const rows = h.store.attemptsOf('T1');
      assert.equal(rows.length, 2, 'retried once, then stopped');
      assert.deepEqual(
        rows.map((r) => r.end!.outcome),
        ['verify_failed', 'verify_failed'],
      );
      assert.match(rows[0].end!.verifyOutput!, /3 tests failed/);
      assert.equal(h.store.status('T1'), 'failed');
    });

    it('a timeout kills the agent process tree and records timeout', async () => {
      const list = taskList([{ id: 'T1' }]);
      list.tasks[0].timeoutMinutes = 0.002; // 120 ms
      const agent = new CommandAgent('sleeper', { executable: 'sh', args: ['-c', 'echo $$ > agent.pid; sleep 30'] });
      // Unsandboxed: `$$` is a host pid only outside a PID namespace (sandbox.test.ts covers the sandboxed kill).
      h = harness(list, { agent, config: { timeouts: { kill_grace_ms: 200 } }, sandbox: (cwd) => defaultSandboxPolicy(cwd, { mode: 'off' }) });
      h.orch.start();
      const ev = await nextEvent(h.orch, 'task:timeout');
      assert.match(ev.reason, /timed out after 120ms/);
      await h.orch.idle();
      assert.equal(h.store.status('T1'), 'timeout');
      const row = h.store.attemptsOf('T1')[0];
      assert.equal(row.end!.outcome, 'timeout');
      assert.equal(row.end!.errorKind, 'timeout');
      const pid = Number(readFileSync(path.join(h.cwd, 'agent.pid'), 'utf8'));
      assert.ok(await becomesDead(pid), 'the agent process was killed');
    });

    it('abandons an agent that ignores the abort, so a timeout always frees its slot', async () => {
      const list = taskList([
        { id: 'T1', agent: 'deaf-type' },
        { id: 'T2', agent: 'other' },
      ]);
      list.tasks[0].timeoutMinutes = 0.0005; // 30 ms
      const deaf = { name: 'deaf', provider: 'deaf', run: () => new Promise<never>(() => undefined) };
      const ok = new ScriptedAgent('ok', 'ok', () => ({ summary: 'ok' }));
      h = harness(list, {
        agent: (t) => (t === 'deaf-type' ? deaf : ok),
        config: { max_concurrent_agents: 1, timeouts: { kill_grace_ms: 10 } },
        abandonMarginMs: 20,
      });
      h.orch.start();
      const ev = await nextEvent(h.orch, 'task:timeout');
      assert.match(ev.reason, /did not stop within 30ms of the abort; abandoned/);
      await h.orch.idle();
      assert.equal(h.store.status('T1'), 'timeout');
      assert.equal(h.store.status('T2'), 'completed', 'the freed slot ran the next task');
    });

    it('timeouts come from the task, else its agent type, else the default', async () => {
      const list = taskList([{ id: 'T1', agent: 'slowpoke' }]);
      const agent = new ScriptedAgent('s', 'p');
      h = harness(list, { agent, config: { timeouts: { default_minutes: 600, per_agent_type: { slowpoke: 0.001 } } } });
      h.orch.start();
      const ev = await nextEvent(h.orch, 'task:timeout');
      assert.match(ev.reason, /timed out after 60ms/);
      assert.ok((await agent.started('T1')).aborted);
    });
  });

  describe('stalls', () => {
    it('says it is stalled, and why, when nothing can move while tasks are not done; a person acting ends it', async () => {
      const agent = new ScriptedAgent('s', 'scripted', (input) => (input.id === 'A' ? new AgentError('bad key', 'auth', 'scripted') : { summary: 'ok' }));
      const list = taskList([{ id: 'A' }, { id: 'B', deps: ['A'] }, { id: 'C', blockers: ['Infra ready'] }, { id: 'D' }, { id: 'E', agent: 'frozen' }]);
      h = harness(list, { agent, config: { agent_limits: { max_per_type: { frozen: 0 } } } });
      const states = collect(h.orch, 'state:changed');
      h.orch.start();
      await h.orch.idle();
      assert.equal(h.orch.state(), 'stalled');
      assert.deepEqual(
        states.map((s) => s.state),
        ['running', 'stalled'],
      );
      assert.deepEqual(h.orch.stalls(), [
        { reason: 'failed-dependency', root: 'A', text: 'A failed', holds: ['B'] },
        { reason: 'external', root: 'C', text: 'C is blocked by "Infra ready"', holds: ['C'] },
        { reason: 'limit', root: 'frozen', text: 'agent type frozen may not run (agent_limits.max_per_type is 0)', holds: ['E'] },
      ]);
      const said = h.orch.activity().find((a) => a.message.startsWith('stalled:'));
      assert.ok(said, 'the activity log says so');
      assert.match(said.message, /A failed \(holds 1 task\); C is blocked by "Infra ready" \(holds 1 task\); agent type frozen may not run/);
      assert.equal(h.orch.counts().blocked, 2);
      // Pause and resume keep telling the truth.
      h.orch.pause();
      assert.equal(h.orch.state(), 'paused');
      h.orch.resume();
      assert.equal(h.orch.state(), 'stalled');
      // A person resets A: something can run again, so the run is no longer stalled (and stalls again when A fails again).
      const back = nextEvent(h.orch, 'state:changed', (s) => s.state === 'running');
      assert.equal(h.orch.retry('A'), true);
      await back;
      await h.orch.idle();
      assert.equal(h.orch.state(), 'stalled');
    });

    it('a plan that finishes is not stalled', async () => {
      h = harness(taskList([{ id: 'A' }, { id: 'B', deps: ['A'] }]));
      h.orch.start();
      await h.orch.idle();
      assert.equal(h.orch.state(), 'running');
      assert.deepEqual(h.orch.stalls(), []);
    });
  });

  describe('control', () => {
    it('cancel aborts the running agent and records cancelled', async () => {
      const agent = new ScriptedAgent('s', 'p');
      h = harness(taskList([{ id: 'T1' }, { id: 'T2', deps: ['T1'] }]), { agent });
      h.orch.start();
      const run = await agent.started('T1');
      const cancelled = nextEvent(h.orch, 'task:cancelled');
      assert.equal(await h.orch.cancel('T1'), true);
      assert.ok(run.aborted);
      assert.equal((await cancelled).taskId, 'T1');
      assert.equal(h.store.status('T1'), 'cancelled');
      assert.equal(h.store.attemptsOf('T1')[0].end!.outcome, 'cancelled');
      assert.equal(await h.orch.cancel('T2'), false, 'T2 is not running');
      await h.orch.idle();
      assert.equal(h.store.status('T2'), 'pending');
    });

    it('pause stops new starts while running tasks finish; resume starts them again', async () => {
      const agent = new ScriptedAgent('s', 'p');
      h = harness(taskList([{ id: 'A' }, { id: 'B' }]), { agent, config: { max_concurrent_agents: 1 } });
      const states = collect(h.orch, 'state:changed');
      h.orch.start();
      const a = await agent.started('A');
      assert.equal(h.orch.pause(), 'paused');
      a.finish();
      await h.orch.idle(); // paused: nothing more can start
      assert.equal(h.store.status('A'), 'completed');
      assert.deepEqual(agent.startedIds(), ['A']);
      assert.equal(h.store.status('B'), 'pending');
      const bStarted = nextEvent(h.orch, 'task:started', (p) => p.taskId === 'B');
      assert.equal(h.orch.resume(), 'running');
      await bStarted;
      (await agent.started('B')).finish();
      await h.orch.idle();
      assert.deepEqual(
        states.map((s) => s.state),
        ['running', 'paused', 'running'],
      );
    });

    it('stop lets running tasks finish within the grace, then releases the rest to pending with the retry count kept', async () => {
      const agent = new ScriptedAgent('s', 'p');
      const list = taskList([{ id: 'QUICK' }, { id: 'SLOW' }, { id: 'NEXT' }]);
      const store = MemoryStore.fromList(list, { SLOW: { retryCount: 2 } });
      h = harness(list, { agent, store, config: { max_concurrent_agents: 2 } });
      h.orch.start();
      const quick = await agent.started('QUICK');
      const slow = await agent.started('SLOW');
      h.orch.on('state:changed', ({ state }) => {
        if (state === 'stopping') quick.finish();
      });
      await h.orch.stop(50);
      assert.equal(h.orch.state(), 'idle');
      assert.equal(h.store.status('QUICK'), 'completed');
      assert.ok(slow.aborted);
      assert.equal(h.store.status('SLOW'), 'pending');
      assert.equal(h.store.rows.get('SLOW')!.retryCount, 2);
      assert.equal(h.store.attemptsOf('SLOW')[0].attempt, 3);
      assert.equal(h.store.attemptsOf('SLOW')[0].end!.outcome, 'released');
      assert.equal(h.store.status('NEXT'), 'pending', 'nothing new started while stopping');
      assert.deepEqual(agent.startedIds(), ['QUICK', 'SLOW']);
      // Starting again picks the released task up where it was.
      const restarted = nextEvent(h.orch, 'task:started', (p) => p.taskId === 'SLOW');
      h.orch.start();
      assert.equal((await restarted).attempt, 3, 'a release does not count as a retry');
      const again = agent.runs.filter((r) => r.input.id === 'SLOW');
      assert.equal(again.length, 2);
      again[1].finish();
      (await agent.started('NEXT')).finish();
      await h.orch.idle();
      assert.equal(h.store.status('SLOW'), 'completed');
    });

    it('runTask starts one ready task on request and says why it cannot start others', async () => {
      const agent = new ScriptedAgent('s', 'p');
      const list = taskList([{ id: 'A' }, { id: 'B', deps: ['A'] }, { id: 'C', blockers: ['Infra ready'] }, { id: 'D', status: 'completed' }]);
      h = harness(list, { agent, config: { max_concurrent_agents: 1 } });
      assert.deepEqual(h.orch.runTask('B'), { started: false, reason: 'B is waiting on A' });
      assert.deepEqual(h.orch.runTask('C'), { started: false, reason: 'C is blocked by "Infra ready"' });
      assert.deepEqual(h.orch.runTask('D'), { started: false, reason: 'D is completed' });
      assert.deepEqual(h.orch.runTask('Z'), { started: false, reason: 'unknown task Z' });
      assert.deepEqual(h.orch.runTask('A', 'special-agent'), { started: true });
      const run = await agent.started('A');
      assert.equal(run.input.agentType, 'special-agent');
      assert.deepEqual(h.orch.runTask('A'), { started: false, reason: 'A is already running' });
      assert.equal(h.orch.state(), 'idle', 'a manual run does not start orchestration');
      run.finish();
      await h.orch.idle();
      assert.equal(h.store.status('B'), 'pending', 'not started: orchestration is not running');
      assert.equal(h.store.attemptsOf('A')[0].routeRule, 'manual');
      assert.deepEqual(h.orch.runNext(), { started: true, taskId: 'B' });
      (await agent.started('B')).finish();
      await h.orch.idle();
    });

    it('retry, retryFailed and markTask change statuses through the store and dispatch what became ready', async () => {
      let fail = true;
      const agent = new ScriptedAgent('s', 'p', () => (fail ? new AgentError('bad key', 'auth', 'p') : { summary: 'ok' }));
      const list = taskList([{ id: 'A' }, { id: 'B', deps: ['A'] }, { id: 'C' }]);
      h = harness(list, { agent, config: { max_concurrent_agents: 1 } });
      const changes = collect(h.orch, 'task:statusChanged');
      h.orch.start();
      await h.orch.idle();
      assert.equal(h.store.status('A'), 'failed');
      assert.equal(h.store.status('C'), 'failed');
      fail = false;
      assert.equal(h.orch.retry('B'), false, 'B is pending, nothing to retry');
      assert.deepEqual(h.orch.retryFailed().sort(), ['A', 'C']);
      await h.orch.idle();
      assert.deepEqual(
        ['A', 'B', 'C'].map((id) => h!.store.status(id)),
        ['completed', 'completed', 'completed'],
      );
      assert.ok(changes.some((c) => c.taskId === 'A' && c.previous === 'failed' && c.status === 'pending'));
      assert.ok(changes.some((c) => c.taskId === 'B' && c.status === 'completed'));
    });

    it('marking a running task done stops its agent and sets the status; its dependents start', async () => {
      const agent = new ScriptedAgent('s', 'p');
      h = harness(taskList([{ id: 'A' }, { id: 'B', deps: ['A'] }]), { agent });
      h.orch.start();
      const a = await agent.started('A');
      const bStarted = nextEvent(h.orch, 'task:started', (p) => p.taskId === 'B');
      assert.equal(await h.orch.markTask('A', 'completed'), true);
      assert.ok(a.aborted);
      assert.equal(h.store.status('A'), 'completed');
      assert.equal(h.store.attemptsOf('A')[0].end!.outcome, 'released');
      await bStarted;
      (await agent.started('B')).finish();
      await h.orch.idle();
      assert.equal(h.store.completions.get('A'), undefined, 'a person completed A, not an agent');
    });

    it('reopening a completed dependency holds back its queued dependents', async () => {
      const agent = new ScriptedAgent('s', 'p');
      const list = taskList([
        { id: 'A', status: 'completed', priority: 'P3' },
        { id: 'B', deps: ['A'], priority: 'P1' },
        { id: 'X', priority: 'P0' },
      ]);
      h = harness(list, { agent, config: { max_concurrent_agents: 1 } });
      h.orch.start();
      const x = await agent.started('X');
      // B waits in the queue for the slot X holds; a person reopens A meanwhile.
      assert.equal(await h.orch.markTask('A', 'pending'), true);
      x.finish();
      const a = await agent.started('A');
      assert.deepEqual(agent.startedIds(), ['X', 'A'], 'B did not start before A completed again');
      a.finish();
      (await agent.started('B')).finish();
      await h.orch.idle();
      assert.equal(h.store.status('B'), 'completed');
    });

    it('streams live, redacted output of running attempts to listeners', async () => {
      const env = { PATH: process.env.PATH, SERVICE_TOKEN: 'tok-1234567890' };
      const list = taskList([{ id: 'T1' }]);
      // The agent is given the token on purpose (its own `env`): the engine's environment never reaches it.
      const agent = new CommandAgent('echoer', {
        executable: 'sh',
        args: ['-c', 'echo "working with $SERVICE_TOKEN"'],
        env: { SERVICE_TOKEN: env.SERVICE_TOKEN },
      });
      h = harness(list, { agent, env });
      const chunks: string[] = [];
      h.orch.on('task:output', (o) => chunks.push(`${o.taskId}:${o.stream}:${o.chunk}`));
      h.orch.start();
      await h.orch.idle();
      assert.equal(h.store.status('T1'), 'completed');
      assert.ok(
        chunks.some((c) => c.startsWith('T1:stdout:working with ***')),
        JSON.stringify(chunks),
      );
      assert.ok(!chunks.join('').includes('tok-1234567890'));
    });

    it('close is idempotent and stops everything', async () => {
      const agent = new ScriptedAgent('s', 'p');
      h = harness(taskList([{ id: 'A' }]), { agent, config: { shutdown_grace_ms: 0 } });
      h.orch.start();
      await agent.started('A');
      const p1 = h.orch.close();
      const p2 = h.orch.close();
      assert.equal(p1, p2);
      await p1;
      assert.equal(h.store.status('A'), 'pending');
      assert.equal(h.orch.start(), 'idle');
      assert.deepEqual(h.orch.runTask('A'), { started: false, reason: 'the orchestrator is closed' });
    });
  });

  describe('lifecycle', () => {
    it('announces a checkpoint once when a feature and then its epic complete', async () => {
      const features = [
        { id: 'F1', idExplicit: true, epicId: 'E1', title: 'One', line: 1 },
        { id: 'F2', idExplicit: true, epicId: 'E1', title: 'Two', line: 2 },
      ];
      const list = taskList(
        [
          { id: 'A', featureId: 'F1', epicId: 'E1' },
          { id: 'B', featureId: 'F1', epicId: 'E1', deps: ['A'] },
          { id: 'C', featureId: 'F2', epicId: 'E1', deps: ['B'] },
        ],
        { epics: [{ id: 'E1', idExplicit: true, title: 'Epic', line: 0 }], features },
      );
      h = harness(list);
      const checkpoints = collect(h.orch, 'checkpoint:reached');
      h.orch.start();
      await h.orch.idle();
      assert.deepEqual(checkpoints, [
        { kind: 'feature', id: 'F1', title: 'One' },
        { kind: 'feature', id: 'F2', title: 'Two' },
        { kind: 'epic', id: 'E1', title: 'Epic' },
      ]);
    });

    it('applies a new config at run time: a higher limit starts more tasks at once', async () => {
      const agent = new ScriptedAgent('s', 'p');
      h = harness(taskList([{ id: 'A' }, { id: 'B' }, { id: 'C' }]), { agent, config: { max_concurrent_agents: 1 } });
      h.orch.start();
      await agent.started('A');
      assert.equal(agent.runs.length, 1);
      const cStarted = nextEvent(h.orch, 'task:started', (p) => p.taskId === 'C');
      h.orch.setConfig({ ...h.config, maxConcurrentAgents: 3 });
      await cStarted;
      assert.deepEqual(agent.startedIds(), ['A', 'B', 'C']);
      for (const r of agent.runs) r.finish();
      await h.orch.idle();
    });

    it('recovers tasks a dead engine left in progress, keeping their retry count, and runs them', async () => {
      const list = taskList([{ id: 'A' }, { id: 'B', deps: ['A'] }]);
      const store = MemoryStore.fromList(list, { A: { status: 'in_progress', retryCount: 1, leaseOwner: 'dead-engine', leaseExpiresAt: Date.now() + 60_000 } });
      store.recordAttemptStart({ taskId: 'A', agent: 'general-purpose', attempt: 2, startedAt: Date.now() - 1000 });
      const agent = new ScriptedAgent('s', 'p', () => ({ summary: 'ok' }));
      h = harness(list, { agent, store });
      h.orch.start();
      await h.orch.idle();
      assert.equal(agent.runs.length, 0, 'nothing is ready while A looks in progress');
      assert.deepEqual(h.orch.recover(), ['A']);
      await h.orch.idle();
      assert.deepEqual(agent.startedIds(), ['A', 'B']);
      assert.equal(agent.runs[0].input.attempt, 2, 'the recovered attempt is not counted as a retry');
      assert.equal(store.attemptsOf('A')[0].end!.outcome, 'released');
      assert.equal(store.status('B'), 'completed');
    });
  });

  describe('leases', () => {
    it('heartbeats renew the leases of running tasks', async () => {
      const agent = new ScriptedAgent('s', 'p');
      const list = taskList([{ id: 'A' }]);
      const store = MemoryStore.fromList(list);
      const renewed = new Promise<number>((resolve) => {
        const real = store.renewLeases.bind(store);
        store.renewLeases = (owner, leaseMs, now) => {
          const n = real(owner, leaseMs, now);
          if (n > 0) resolve(store.rows.get('A')!.leaseExpiresAt! - now);
          return n;
        };
      });
      h = harness(list, { agent, store, config: { lease: { ms: 5000, heartbeat_ms: 10 } } });
      h.orch.start();
      await agent.started('A');
      assert.equal(await renewed, 5000);
      assert.equal(store.rows.get('A')!.leaseOwner, h.owner);
      (await agent.started('A')).finish();
      await h.orch.idle();
      assert.equal(store.rows.get('A')!.leaseOwner, undefined, 'finishing clears the lease');
    });

    it('a result arriving after the lease was lost is not recorded, and the task never completes twice', async () => {
      const agent = new ScriptedAgent('s', 'p');
      h = harness(taskList([{ id: 'A' }]), { agent });
      h.orch.start();
      const first = await agent.started('A');
      // Another engine start (holding the lock) recovered the task meanwhile.
      assert.deepEqual(h.store.recoverLeases('other-engine', Date.now()), ['A']);
      const second = nextEvent(h.orch, 'task:started', (p) => p.taskId === 'A');
      first.finish('late result');
      await second;
      assert.equal(h.store.completions.get('A'), undefined, 'the late result was dropped');
      assert.ok(h.orch.activity().some((e) => /lease was lost/.test(e.message)));
      const late = h.store.attemptsOf('A')[0].end!;
      assert.equal(late.outcome, 'released');
      assert.match(late.error!, /lease was lost before the attempt ended; its result was discarded/);
      agent.runs[1].finish('fresh result');
      await h.orch.idle();
      assert.equal(h.store.completions.get('A'), 1);
      assert.equal(h.store.rows.get('A')!.resultSummary, 'fresh result');
    });
  });

  describe('providers', () => {
    it('opens the breaker after N consecutive failures, half-opens after the cool-down with one probe, closes on success', async () => {
      let healthy = false;
      const agent = new ScriptedAgent('s', 'flaky', (_input, run) => (healthy ? 'hold' : (run.fail('transient', 'HTTP 503'), 'hold')));
      const list = taskList([{ id: 'T1' }, { id: 'T2' }, { id: 'T3' }, { id: 'T4' }, { id: 'T5' }]);
      h = harness(list, {
        agent,
        config: { max_concurrent_agents: 3, retry: { max_attempts: 0 }, circuit_breaker: { failure_threshold: 2, cooldown_ms: 40 } },
      });
      const breaker = collect(h.orch, 'breaker:changed');
      const opened = nextEvent(h.orch, 'breaker:changed', (c) => c.state === 'open');
      h.orch.start();
      await opened;
      // Three started at once (all failing); the breaker opened on the second failure; the rest wait.
      assert.equal(h.orch.breakers().flaky, 'open');
      const startedWhileOpen = agent.runs.length;
      assert.equal(startedWhileOpen, 3);
      healthy = true;
      await nextEvent(h.orch, 'breaker:changed', (c) => c.state === 'half_open');
      const probe = await agent.started('T4');
      assert.equal(agent.runs.length, 4, 'exactly one probe while half-open');
      assert.equal(h.orch.breakers().flaky, 'half_open');
      const closed = nextEvent(h.orch, 'breaker:changed', (c) => c.state === 'closed');
      probe.finish();
      await closed;
      (await agent.started('T5')).finish();
      await h.orch.idle();
      assert.deepEqual(
        breaker.map((c) => c.state),
        ['open', 'half_open', 'closed'],
      );
      assert.equal(h.store.status('T4'), 'completed');
      assert.equal(h.store.status('T5'), 'completed');
    });

    it('a task that fails transiently every time, alone behind the breaker, ends failed: free probes are bounded', async () => {
      // Its own attempt fails like an outage would; as the only ready task it is the probe each time the breaker
      // half-opens. Unbounded free probes kept the breaker cycling and the run from ever ending.
      const agent = new ScriptedAgent('s', 'flaky', () => new AgentError('HTTP 503', 'transient', 'flaky'));
      h = harness(taskList([{ id: 'T1' }]), {
        agent,
        config: { retry: { max_attempts: 2, initial_delay_ms: 1, max_delay_ms: 2 }, circuit_breaker: { failure_threshold: 1, cooldown_ms: 2 } },
      });
      h.orch.start();
      await h.orch.idle();
      assert.equal(h.store.status('T1'), 'failed');
      const outcomes = h.store.attemptsOf('T1').map((a) => a.end!.outcome);
      assert.equal(outcomes.filter((o) => o === 'released').length, 2, `two free probes (max_attempts), then charged: ${outcomes.join(',')}`);
      assert.equal(outcomes.filter((o) => o === 'failed').length, 3, `the first attempt and two retries: ${outcomes.join(',')}`);
    });

    it('a 429 pauses that provider for retry-after without spending the task retries', async () => {
      let calls = 0;
      const limited = new ScriptedAgent('a', 'limited', () =>
        ++calls === 1 ? new AgentError('429 Too Many Requests', 'rate_limited', 'limited', 60) : { summary: 'ok' },
      );
      const other = new ScriptedAgent('b', 'other');
      const list = taskList([
        { id: 'L1', agent: 'a' },
        { id: 'L2', agent: 'a' },
        { id: 'O1', agent: 'b' },
      ]);
      h = harness(list, { agent: (t) => (t === 'a' ? limited : other), config: { max_concurrent_agents: 1, retry: { max_attempts: 0 } } });
      const retrying = nextEvent(h.orch, 'task:retrying');
      h.orch.start();
      const r = await retrying;
      assert.equal(r.rateLimited, true);
      assert.equal(r.delayMs, 60);
      assert.equal(h.orch.breakers().limited, 'paused');
      // The paused provider's tasks wait; another provider's task uses the slot meanwhile.
      const o1 = await other.started('O1');
      assert.deepEqual(limited.startedIds(), ['L1']);
      o1.finish();
      await h.orch.idle();
      assert.equal(h.store.status('L1'), 'completed');
      assert.equal(h.store.rows.get('L1')!.retryCount, 0, 'the rate limit did not spend a retry (max_attempts 0)');
      assert.deepEqual(
        h.store.attemptsOf('L1').map((a) => [a.attempt, a.end!.outcome]),
        [
          [1, 'released'],
          [1, 'completed'],
        ],
      );
      assert.equal(h.orch.breakers().limited, 'closed');
    });
    it('a lone rate-limited task waits for the pause to end and runs again: the run does not go idle meanwhile', async () => {
      let calls = 0;
      const limited = new ScriptedAgent('a', 'limited', () =>
        ++calls === 1 ? new AgentError('429 Too Many Requests', 'rate_limited', 'limited', 30) : { summary: 'ok' },
      );
      h = harness(taskList([{ id: 'L1', agent: 'a' }]), { agent: () => limited, config: { retry: { max_attempts: 0 } } });
      const retrying = nextEvent(h.orch, 'task:retrying');
      h.orch.start();
      // Asked before the attempt fails: the pause's own state change used to resolve it while the task was mid-settle.
      const idle = h.orch.idle();
      assert.equal((await retrying).rateLimited, true);
      await idle;
      assert.equal(calls, 2, 'idle only once the task ran again after the pause');
      assert.equal(h.store.status('L1'), 'completed');
      assert.equal(h.store.rows.get('L1')!.retryCount, 0);
    });
  });

  describe('secrets', () => {
    it('stores usage only when it is a plausible figure: no negative, fractional or 1e308 tokens, no NaN cost', async () => {
      const usages = [
        { tokensIn: -5, tokensOut: 1e308, costUsd: Number.NaN },
        { tokensIn: 1.5, tokensOut: -1, costUsd: -0.01 },
        { tokensIn: 1200, tokensOut: 345, costUsd: 0.0123 },
      ];
      let n = 0;
      const agent = new ScriptedAgent('s', 'p', () => ({ summary: 'ok', ...usages[n++] }));
      h = harness(taskList([{ id: 'T1' }, { id: 'T2' }, { id: 'T3' }]), { agent, config: { max_concurrent_agents: 1 } });
      h.orch.start();
      await h.orch.idle();
      const ends = ['T1', 'T2', 'T3'].map((id) => h!.store.attemptsOf(id)[0].end!);
      assert.deepEqual(
        ends.map((e) => [e.tokensIn, e.tokensOut, e.costUsd]),
        [
          [undefined, undefined, undefined],
          [undefined, undefined, undefined],
          [1200, 345, 0.0123],
        ],
      );
    });

    it('never records the API key in attempt rows, events or activity', async () => {
      const key = 'sk-ant-api03-SECRETSECRETSECRET';
      const env = { PATH: process.env.PATH, ANTHROPIC_API_KEY: key, MY_TOKEN: 'tok_abcdefghij' };
      let n = 0;
      const agent = new ScriptedAgent('s', 'p', () =>
        ++n === 1
          ? new AgentError(`upstream said: bad key ${key} / tok_abcdefghij`, 'transient', 'p')
          : { summary: `used ${key}`, stdout: `env has ${key} and tok_abcdefghij`, stderr: `warn ${key}` },
      );
      const list = taskList([{ id: 'T1' }]);
      // MY_TOKEN is not passed to the Verify command at all; the literal value in its output is redacted.
      list.tasks[0].verify = `echo "verify sees [$MY_TOKEN]" tok_abcdefghij`;
      h = harness(list, { agent, env, config: { retry: { initial_delay_ms: 1, max_delay_ms: 1 } } });
      const seen: string[] = [];
      for (const ev of ['task:retrying', 'task:completed', 'activity:appended', 'task:started'] as const) h.orch.on(ev, (p) => seen.push(JSON.stringify(p)));
      h.orch.start();
      await h.orch.idle();
      assert.equal(h.store.status('T1'), 'completed');
      const everything = JSON.stringify(h.store.attemptRows) + JSON.stringify([...h.store.rows.values()]) + seen.join('\n') + JSON.stringify(h.orch.activity());
      assert.ok(!everything.includes(key), 'API key leaked');
      assert.ok(!everything.includes('tok_abcdefghij'), 'token leaked');
      assert.match(JSON.stringify(h.store.attemptRows), /bad key \*\*\*/);
      assert.match(h.store.attemptsOf('T1')[1].end!.verifyOutput!, /verify sees \[\] \*\*\*/);
    });
  });
});
