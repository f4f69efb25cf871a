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

  it('a key saved with "Later" stays pending until the engine restarts, and the restart takes it', async () => {
    const api = await coditect();
    const seen: (string | undefined)[] = [];
    const off = api.engine.events.on('key:changed', (p) => seen.push(p.pending));
    try {
      api.engine.noteKeyChange('saved');
      assert.equal(api.engine.keyChange, 'saved');
      await vscode.commands.executeCommand<number>('coditect.restartEngine');
      assert.equal(api.engine.keyChange, undefined, 'the new engine read the key as it is now');
      assert.deepEqual(seen, ['saved', undefined]);
    } finally {
      off();
    }
  });

  it('stops restarting after 5 crashes within 3 minutes, and a person can restart it', async () => {
    const api = await coditect();
    const ev = api.engine.events;
    let restarts = 0;
    const offRestart = ev.on('engine:initialized', () => restarts++);
    const failed = new Promise<void>((resolve) => {
      const off = ev.on('lifecycle:changed', (p) => {
        if (p.lifecycle === 'failed') {
          off();
          resolve();
        }
      });
    });
    let gaveUp = false;
    void failed.then(() => (gaveUp = true));
    // Kill every engine as soon as it is up, until the client gives up.
    for (let i = 0; i < 10 && !gaveUp; i++) {
      const next = new Promise<void>((resolve) => {
        const off = ev.on('engine:initialized', () => {
          off();
          resolve();
        });
      });
      process.kill(api.engine.pid!, 'SIGKILL');
      await Promise.race([next, failed]);
    }
    offRestart();
    assert.equal(api.engine.lifecycle, 'failed');
    assert.ok(restarts <= 5, `restarted ${restarts} times`);
    assert.match(api.engine.failure ?? '', /crashed 5 times within 3 minutes/);
    assert.equal(api.engine.pid, undefined);

    const pid = await vscode.commands.executeCommand<number>('coditect.restartEngine');
    assert.ok(pid);
    assert.equal(api.engine.lifecycle, 'running');
  });
});
