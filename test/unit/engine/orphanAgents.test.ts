// orphansOf: a starting engine stops only the agents an earlier run of THIS database left running.
import * as assert from 'node:assert/strict';
import type { MarkedProcess } from '../../../src/engine/agents/orphans';
import { orphanText, orphansOf, type AttemptRunRow } from '../../../src/engine/orphanAgents';

const mark = (pid: number, runId: string, attemptId: number, command = ''): MarkedProcess => ({ pid, pgid: pid, runId, attemptId, command });

describe('orphansOf: which marked processes a starting engine stops', () => {
  it("stops an earlier run's agents of this database, never its own, another workspace's, or a mark that names another run", () => {
    const rows = new Map<number, AttemptRunRow>([
      [1, { taskId: 'T1', attempt: 2, runId: 'old-run' }],
      [2, { taskId: 'T2', attempt: 1, runId: 'me' }],
      [3, { taskId: 'T3', attempt: 1, runId: 'old-run' }],
    ]);
    const found = orphansOf(
      [
        mark(101, 'old-run', 1, 'claude -p'), // an earlier run's attempt row here: stopped
        mark(102, 'me', 2), // this run's own
        mark(103, 'other-run', 3), // row 3 is old-run's: the mark belongs to another database's row 3
        mark(104, 'old-run', 99), // no such row here: another workspace
      ],
      'me',
      (id) => rows.get(id),
    );
    assert.deepEqual(
      found.map((o) => [o.process.pid, o.taskId, o.attempt]),
      [[101, 'T1', 2]],
    );
    assert.equal(orphanText(found[0]), 'T1 attempt 2 (pid 101 claude -p)');
    assert.equal(orphanText({ ...found[0], process: mark(7, 'x', 1) }), 'T1 attempt 2 (pid 7)');
  });
});
