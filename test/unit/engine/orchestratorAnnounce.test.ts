// A coordinator of workers tells its remote runner the plan's agent types when it loads a plan or a configuration,
// before that load's dispatch pass (the workers start those queues meanwhile; test/process/queue/announce.test.ts has
// the real redis-server and worker). Here: which types are told, and that each is told once.
import { strict as assert } from 'node:assert';
import type { RemoteRunner } from '../../../src/engine/attemptLaunch';
import type { AttemptReport } from '../../../src/engine/executor';
import { taskList } from '../core/taskListBuilder';
import { harness, type Harness } from './orchestratorKit';

/** A remote runner that records what it is told; it is never asked to run (the plans here are never started). */
function recordingRemote(): RemoteRunner & { told: string[] } {
  const told: string[] = [];
  return {
    told,
    announce: (agentType) => void told.push(agentType),
    run: (): Promise<AttemptReport> => Promise.reject(new Error('not started: nothing may run')),
  };
}

describe('Orchestrator: agent types announced to a remote runner at load', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  // No keyword or epic routing: a task naming no type goes to the default type, `runner`.
  const config = { agent_mappings: {}, epic_fallbacks: {}, fallback_agent_type: 'runner' };

  it('tells the routed type of each ready task and the named type of each unfinished task, once each, before any start', () => {
    const remote = recordingRemote();
    const list = taskList([
      { id: 'A', agent: 'alpha' },
      { id: 'B', agent: 'beta', deps: ['A'] },
      { id: 'C' },
      { id: 'D', agent: 'alpha' },
      { id: 'E', deps: ['A'] },
      { id: 'F', agent: 'gamma', status: 'completed' },
    ]);
    h = harness(list, { remote, config });
    // E is blocked and names no type: it is told when it becomes ready (its type, runner, is told by C already).
    assert.deepEqual([...remote.told].sort(), ['alpha', 'beta', 'runner']);
    // The same plan again (a sync that changed nothing of the types): nothing told twice.
    h.orch.setPlan(list);
    assert.equal(remote.told.length, 3, remote.told.join(', '));
  });

  it('a plan reload or a configuration that brings a new type tells it, and only it', () => {
    const remote = recordingRemote();
    const list = taskList([
      { id: 'A', agent: 'alpha' },
      { id: 'B', deps: ['A'] },
    ]);
    h = harness(list, { remote, config });
    assert.deepEqual(remote.told, ['alpha']);
    h.orch.setPlan(
      taskList([
        { id: 'A', agent: 'alpha' },
        { id: 'B', deps: ['A'] },
        { id: 'C', agent: 'delta', deps: ['A'] },
      ]),
    );
    assert.deepEqual(remote.told, ['alpha', 'delta']);
    // agent_priority_overrides names B's type: a blocked task's named type is told at the configuration's load.
    h.orch.setConfig({ ...h.config, agentPriorityOverrides: { B: 'epsilon' } });
    assert.deepEqual(remote.told, ['alpha', 'delta', 'epsilon']);
  });
});
