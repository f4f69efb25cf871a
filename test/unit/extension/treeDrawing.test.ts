import * as assert from 'node:assert/strict';
import { DRAW_HOLD_MAX_MS, ROOT_ASK_MS, ROOT_RETRIES, TreeDrawGate, type DrawTimers } from '../../../src/extension/treeDrawing';

/** Timers driven by the test: `advance` runs what is due, `turn` runs what was queued for after the current task. */
function manualTimers() {
  let now = 0;
  let seq = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  let soon: (() => void)[] = [];
  const timers: DrawTimers = {
    set: (fn, ms) => {
      due.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clear: (h) => void due.delete(h as number),
    soon: (fn) => void soon.push(fn),
  };
  return {
    timers,
    pending: () => due.size,
    turn(): void {
      const run = soon;
      soon = [];
      for (const fn of run) fn();
    },
    advance(ms: number): void {
      const until = now + ms;
      for (;;) {
        const next = [...due.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!next) break;
        due.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = until;
    },
  };
}

function setup(visible = true) {
  const clock = manualTimers();
  const fired: (string[] | undefined)[] = [];
  const view = { visible };
  const gate = new TreeDrawGate<string>({ fire: (n) => fired.push(n), visible: () => view.visible, nodeOf: (k) => k, timers: clock.timers });
  return { clock, fired, view, gate };
}

describe('editor: when the Tasks tree asks VS Code to redraw', () => {
  it('sends a refresh at once when no drawing pass is in progress', () => {
    const { gate, fired } = setup();
    gate.refresh(['task:T1']);
    assert.deepEqual(fired, [['task:T1']]);
  });

  it('holds refreshes while expanded groups wait for their children and sends them, merged, once the last is asked for', () => {
    const { gate, fired, clock } = setup();
    gate.asked(undefined);
    gate.expect('epic:E1');
    gate.refresh(['task:T1']);
    gate.refresh(['task:T2', 'task:T1']);
    assert.deepEqual(fired, [], 'nothing is redrawn in the middle of a pass');
    gate.asked('epic:E1');
    assert.deepEqual(fired, [], 'not inside the request VS Code is being answered');
    clock.turn();
    assert.deepEqual(fired, [['task:T1', 'task:T2']]);
  });

  it('a whole-tree refresh asked for while drawing replaces the held partial ones', () => {
    const { gate, fired, clock } = setup();
    gate.expect('epic:E1');
    gate.refresh(['task:T1']);
    gate.refresh(undefined);
    gate.refresh(['task:T2']);
    gate.asked('epic:E1');
    clock.turn();
    assert.deepEqual(fired, [undefined]);
  });

  it('does not wait for a group the person collapsed', () => {
    const { gate, fired, clock } = setup();
    gate.expect('epic:E1');
    gate.refresh(['task:T1']);
    gate.collapsed('epic:E1');
    clock.turn();
    assert.deepEqual(fired, [['task:T1']]);
    assert.equal(gate.isDrawing, false);
  });

  it('does not hold anything while the view is hidden (VS Code keeps refreshes for when it is shown)', () => {
    const { gate, fired } = setup(false);
    gate.expect('epic:E1');
    gate.refresh(['task:T1']);
    assert.deepEqual(fired, [['task:T1']]);
    assert.equal(gate.isDrawing, false);
  });

  it('sends what it holds when the view is hidden mid-pass', () => {
    const { gate, fired, view } = setup();
    gate.expect('epic:E1');
    gate.refresh(['task:T1']);
    view.visible = false;
    gate.visibilityChanged(false);
    assert.deepEqual(fired, [['task:T1']]);
  });

  it('past the hold bound, sends the held refresh with the groups whose children were never asked for', () => {
    const { gate, fired, clock } = setup();
    gate.expect('epic:E1');
    gate.expect('feature:F1');
    gate.refresh(['task:T1']);
    gate.asked('epic:E1');
    clock.advance(DRAW_HOLD_MAX_MS - 1);
    assert.deepEqual(fired, []);
    clock.advance(1);
    assert.deepEqual(fired, [['task:T1', 'feature:F1']], 'F1 was drawn expanded but its request was lost: it is redrawn');
    assert.equal(gate.isDrawing, false);
  });

  it('sends a whole-tree refresh again when the shown view does not ask for the root (its request was lost)', () => {
    const { gate, fired, clock } = setup();
    gate.refresh(undefined);
    assert.deepEqual(fired, [undefined]);
    clock.advance(ROOT_ASK_MS);
    assert.deepEqual(fired, [undefined, undefined], 'sent again');
    gate.asked(undefined);
    clock.advance(10 * ROOT_ASK_MS);
    assert.equal(fired.length, 2, 'answered: nothing more');
  });

  it('gives up after a few unanswered whole-tree refreshes, and starts counting again once the root is asked for', () => {
    const { gate, fired, clock } = setup();
    gate.refresh(undefined);
    for (let i = 0; i < ROOT_RETRIES + 3; i++) clock.advance(ROOT_ASK_MS);
    assert.equal(fired.length, 1 + ROOT_RETRIES);
    assert.equal(clock.pending(), 0, 'no timer left running');
    gate.asked(undefined);
    gate.refresh(undefined);
    clock.advance(ROOT_ASK_MS);
    assert.equal(fired.length, 1 + ROOT_RETRIES + 2);
  });

  it('a hidden view is not checked for its root request until it is shown', () => {
    const { gate, fired, clock, view } = setup(false);
    gate.refresh(undefined);
    clock.advance(5 * ROOT_ASK_MS);
    assert.equal(fired.length, 1);
    view.visible = true;
    gate.visibilityChanged(true);
    clock.advance(ROOT_ASK_MS);
    assert.equal(fired.length, 2, 'shown and still not asked: sent again');
  });

  it('sends nothing and leaves no timer after dispose', () => {
    const { gate, fired, clock } = setup();
    gate.refresh(undefined);
    gate.expect('epic:E1');
    gate.refresh(['task:T1']);
    gate.dispose();
    clock.advance(10 * DRAW_HOLD_MAX_MS);
    gate.refresh(['task:T2']);
    assert.deepEqual(fired, [undefined]);
    assert.equal(clock.pending(), 0);
  });
});
