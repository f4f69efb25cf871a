import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { errorMessage } from '../../../src/core/describe';
import type { TaskView } from '../../../src/protocol/views';
import { coditect, storeUntil } from '../editorHelpers';

// Runs last (files load in name order): it runs the whole plan and leaves it done. Putting the plan back for the suites
// after it (reopening every task) was not reliable: after an instant run, reopening eight tasks left their ticks in
// the file for 90 s while the engine called them pending (seen 2 full runs in 8; reported in #15's notes). It starts
// from what the suites before it left (some tasks run, orchestration maybe on) by reopening what agents completed.

describe('editor: progress reaches the views as it happens', function () {
  this.timeout(180_000);

  it('a run of instant simulated tasks reaches the status bar, tree and dashboard step by step, not in one jump at the end', async () => {
    const api = await coditect();
    await vscode.commands.executeCommand('coditect.stop');
    await storeUntil(api, () => api.store.snapshot!.state === 'idle', 'nothing orchestrates before the run');
    const earlier = api.store
      .tasks()
      .filter((t) => t.status === 'completed' && t.lastRun)
      .map((t) => t.id);
    for (const id of earlier) await vscode.commands.executeCommand('coditect.reopenTask', id);
    await storeUntil(api, () => earlier.every((id) => api.store.task(id)?.status === 'pending'), `${earlier.join(', ')} reopened`);
    const cfg = vscode.workspace.getConfiguration('coditect');
    // A dry-run chosen by name takes no time at all (durationMs 0): the case where the engine's turns were starved.
    await cfg.update('agents.default', 'dry-run', vscode.ConfigurationTarget.Global);
    api.engine.pushSettings(); // in order before Start on the same pipe, whenever the configuration event comes
    const before = new Set(
      api.store
        .tasks()
        .filter((t) => t.status !== 'completed' && t.status !== 'skipped')
        .map((t) => t.id),
    );
    // What the status bar and tree read (the store's updates) and what the dashboard is sent (the client's events).
    const storeDone: number[] = [api.store.snapshot!.counts.done];
    const sentDone: number[] = [api.store.snapshot!.counts.done];
    const note = (seen: number[], done: number): void => {
      if (seen[seen.length - 1] !== done) seen.push(done);
    };
    const offs = [
      api.store.events.on('tasks:updated', () => note(storeDone, api.store.snapshot!.counts.done)),
      // A whole snapshot (the editor's sync of the engine's own ticks re-plans) redraws the same views and may carry
      // the last step: CI once saw the final completion arrive that way (8 seen, 9 done).
      api.store.events.on('plan:replaced', () => note(storeDone, api.store.snapshot!.counts.done)),
      api.engine.events.on('tasks:changed', (p) => note(sentDone, p.counts.done)),
      // The dashboard is sent the plan's re-reads too (the editor's sync of the engine's own ticks): as a patch, or whole
      // when its groups moved. Both carry the counts, and CI saw steps arrive that way (done went 2 → 4 → 8 by
      // tasks:changed alone, while the store, fed by all three, saw every step).
      api.engine.events.on('plan:patched', (p) => note(sentDone, p.counts.done)),
      api.engine.events.on('plan:changed', (p) => note(sentDone, p.snapshot.counts.done)),
    ];
    try {
      await vscode.commands.executeCommand('coditect.start');
      await storeUntil(
        api,
        () => ['stalled', 'idle'].includes(api.store.snapshot!.state) && api.store.tasks().every((t) => t.status !== 'in_progress' && !t.ready),
        'the run is over: nothing running, nothing ready',
      ).catch((e: unknown) => {
        const s = api.store.snapshot!;
        const ids = (f: (t: TaskView) => boolean): string =>
          s.tasks
            .filter(f)
            .map((t) => t.id)
            .join(', ') || 'none';
        throw new Error(
          `${errorMessage(e)}; state ${s.state}, running ${ids((t) => t.status === 'in_progress')}, ready ${ids((t) => t.ready)}; done went ${storeDone.join(' → ')}`,
        );
      });
      const ran = [...before].filter((id) => api.store.task(id)?.status === 'completed');
      assert.ok(ran.length >= 5, `the run completed several tasks (${ran.join(', ')})`);
      // The plan's waves (what each completion readies) are at least three: each must show as its own step. Before
      // the fix the engine sent one notification at the very end (0 → 101 of 123 on the example plan).
      assert.ok(storeDone.length >= 4, `the status bar and tree saw done go ${storeDone.join(' → ')}`);
      assert.ok(sentDone.length >= 4, `the dashboard was sent done going ${sentDone.join(' → ')}`);
      assert.equal(storeDone[storeDone.length - 1], api.store.snapshot!.counts.done);
    } finally {
      offs.forEach((off) => off());
      await vscode.commands.executeCommand('coditect.stop');
      await storeUntil(api, () => api.store.snapshot!.state === 'idle', 'the orchestration is stopped');
      await cfg.update('agents.default', undefined, vscode.ConfigurationTarget.Global);
      api.engine.pushSettings();
    }
  });
});
