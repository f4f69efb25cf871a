// The pool's limits under load: 500 tasks with dependencies, four agent types, attempts overlapping. Two seconds of
// dispatching, so it runs in `npm run test:stress`; orchestrator.test.ts holds the same limits on a few tasks.
import { strict as assert } from 'node:assert';
import { taskList, type TaskSpec } from '../core/taskListBuilder';
import { ScriptedAgent, harness, type Harness } from './orchestratorKit';

describe('Orchestrator limits under load', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it('never exceeds the global and per-type limits under load (500 tasks with dependencies)', async () => {
    const types = ['alpha', 'beta', 'gamma', 'delta'];
    const specs: TaskSpec[] = [];
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 500; i++) {
      const deps = i > 10 && rnd() < 0.5 ? [`T${Math.floor(rnd() * i)}`] : [];
      specs.push({ id: `T${i}`, agent: types[i % 4], deps, priority: (['P0', 'P1', 'P2', 'P3'] as const)[Math.floor(rnd() * 4)] });
    }
    const list = taskList(specs);
    const limits: Record<string, number> = { alpha: 2, beta: 3, gamma: 1 };
    const perType = new Map<string, number>();
    let running = 0;
    let maxRunning = 0;
    const maxPerType = new Map<string, number>();
    const violations: string[] = [];
    const agents = new Map(
      types.map((t) => [
        t,
        new ScriptedAgent(t, `prov-${t}`, (input, run) => {
          running++;
          perType.set(t, (perType.get(t) ?? 0) + 1);
          maxRunning = Math.max(maxRunning, running);
          maxPerType.set(t, Math.max(maxPerType.get(t) ?? 0, perType.get(t)!));
          if (running > 8) violations.push(`global ${running} at ${input.id}`);
          if (limits[t] !== undefined && perType.get(t)! > limits[t]) violations.push(`${t} ${perType.get(t)} at ${input.id}`);
          // Finish on a later turn of the event loop, so many attempts overlap.
          setImmediate(() => {
            running--;
            perType.set(t, perType.get(t)! - 1);
            run.finish();
          });
          return 'hold';
        }),
      ]),
    );
    h = harness(list, { agent: (t) => agents.get(t)!, config: { max_concurrent_agents: 8, agent_limits: { max_per_type: limits } } });
    h.orch.start();
    await h.orch.idle();
    assert.deepEqual(violations, []);
    assert.equal(h.orch.counts().completed, 500);
    assert.ok(h.store.maxInProgress <= 8, `store saw ${h.store.maxInProgress} in progress`);
    assert.equal(maxRunning, 8, 'the pool was used to its global limit');
    assert.equal(maxPerType.get('alpha'), 2);
    assert.equal(maxPerType.get('gamma'), 1);
    for (const [id, n] of h.store.completions) assert.equal(n, 1, id);
  });
});
