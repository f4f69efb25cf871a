// An editor that restarts its engine right after a status change: the engine's last write-back, made while it shuts
// down, must still go through the editor's open document (`coditect/applyEdits`), not into the file behind it. Behind
// it, the editor kept showing the old text until it reloaded the file, and an edit saved before that reload was refused
// as a conflict (the failed-task integration suite's restart, CI run of 49b73fd). Real processes: the built engine
// (`engine.js --stdio`) and a JSON-RPC client in the editor's place that applies every edit to its buffer and saves it.
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApplyEdits, type ApplyEditsParams, DocumentChanged, Exit, MarkTask, Shutdown } from '../../../src/protocol/engineProtocol';
import { generateTaskList } from '../../bench/generatePlan';
import { ensureBuilt, removeWorkspace, tempWorkspace } from '../cli/cliHarness';
import { initializeAsEditor, spawnStdioEngine } from './stdioEngine';

const PLAN = 'PLAN-TASKLIST.md';

describe('shutdown: the last write-back goes through the editor that has the plan open (real engine process)', function () {
  this.timeout(60_000);
  let dir: string | undefined;
  before(() => ensureBuilt());
  afterEach(() => {
    if (dir) removeWorkspace(dir);
    dir = undefined;
  });

  it('a status changed just before shutdown reaches the open document as an edit, and the engine writes no file behind it', async () => {
    const { text, ids } = generateTaskList({ tasks: 4, tasksPerFeature: 2, featuresPerEpic: 2, seed: 7, chainProbability: 0, crossProbability: 0 });
    dir = tempWorkspace({ [PLAN]: text, 'config.json': JSON.stringify({ agents: { sim: { kind: 'dry-run' } }, default_agent: 'sim' }) });
    const plan = join(dir, PLAN);
    const engine = spawnStdioEngine();
    const { child, connection, exited } = engine;
    // The editor's buffer, saved after each edit (as the extension saves a clean document it edited).
    let buffer = text;
    const asked: ApplyEditsParams[] = [];
    connection.onRequest(ApplyEdits.type, (p) => {
      asked.push(p);
      const lines = buffer.split('\n');
      if (p.edits.some((e) => lines[e.line] !== e.expected)) return { outcome: 'stale' as const };
      for (const e of p.edits) lines[e.line] = e.text;
      buffer = lines.join('\n');
      writeFileSync(plan, buffer);
      return { outcome: 'applied' as const };
    });
    try {
      await initializeAsEditor(engine, dir, plan);
      await connection.sendNotification(DocumentChanged.type, { path: plan, text, version: 1 });
      const id = ids[0];
      assert.deepEqual(await connection.sendRequest(MarkTask.type, { taskId: id, status: 'skipped' }), { changed: true });
      // At once: the write-back waits ~200 ms for the rest of a burst, so the engine is shutting down when it writes.
      await connection.sendRequest(Shutdown.type);
      await connection.sendNotification(Exit.type);
      await exited;

      const skipLine = new RegExp(`^- \\[x\\] \\*\\*${id.replace('.', '\\.')}\\*\\*.*\`status:skipped\`$`, 'm');
      assert.ok(
        asked.some((p) => p.edits.some((e) => skipLine.test(e.text))),
        `the editor was asked to tick ${id} (asked ${asked.length}: ${JSON.stringify(asked.map((p) => p.edits.map((e) => e.text)))})`,
      );
      assert.match(buffer, skipLine, 'the open document shows the skip');
      assert.equal(readFileSync(plan, 'utf8'), buffer, 'the file is the document as the editor saved it, nothing written behind it');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      connection.dispose();
    }
  });
});
