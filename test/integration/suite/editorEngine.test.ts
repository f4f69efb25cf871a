import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { coditect } from '../editorHelpers';

describe('editor: the engine child process', function () {
  this.timeout(90_000);

  it('restarts the engine after it is killed, and the tree comes back', async () => {
    const api = await coditect();
    const before = api.engine.pid!;
    const tasks = api.store.tasks().length;
    const initialized = new Promise<void>((resolve) => {
      const off = api.engine.events.on('engine:initialized', () => {
        off();
        resolve();
      });
    });
    process.kill(before, 'SIGKILL');
    await initialized;
    assert.equal(api.engine.lifecycle, 'running');
    assert.notEqual(api.engine.pid, before, 'a new process');
    assert.equal(api.store.tasks().length, tasks);
    assert.ok(api.tree.getChildren().length > 0);
  });

  it('restarts on demand (CODITECT: Restart Engine)', async () => {
    const api = await coditect();
    const before = api.engine.pid!;
    const pid = await vscode.commands.executeCommand<number>('coditect.restartEngine');
    assert.ok(pid && pid !== before);
    assert.equal(api.engine.lifecycle, 'running');
  });
});
