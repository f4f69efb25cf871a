// When the Tasks tree may ask VS Code to redraw, and how it notices a redraw VS Code lost. Pure (no `vscode`): the
// provider tells it what it handed out and what VS Code asked for; it decides when a refresh goes out.
//
// Why this exists: VS Code 1.100's tree (TreeDataSource.getChildren in workbench/browser/parts/views/treeView.ts)
// batches the children requests of one macrotask into one call to the extension host, indexed by position. Two
// drawing passes that overlap share or steal each other's batch:
// - a refresh started while a pass still waits for an expanded group's children hands one pass's children to the
//   other's parents (#15: F001.02's tasks drawn under E002);
// - a whole-tree refresh whose root request joins a batch with a group's request is sent as the handle '0', which the
//   extension host does not know: the root gets no children and the tree stays empty until the next whole-tree
//   refresh (CI, stop 20: the first-run Tasks view showed no epics for two minutes on a loaded machine, while the
//   CodeLens of the same plan worked).
// So refreshes wait until the pass in progress has asked for every group it was told is expanded, and a whole-tree
// refresh the view did not answer with a root request is sent again.

/** Timer functions (injected in tests, so that time is driven by the test and not waited for). */
export interface DrawTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
  /** After the current macrotask (VS Code hands a batch's answers out before it starts another pass). */
  soon(fn: () => void): void;
}

const NODE_TIMERS: DrawTimers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
  soon: (fn) => void setImmediate(fn),
};

/**
 * Longest a refresh waits, while the view is shown, for VS Code to ask for the children of the groups it was told are
 * expanded. A bound, not a delay: a pass that completes flushes at once. Past it, the groups never asked for are
 * redrawn with the held refresh (their request was lost in someone else's batch).
 */
export const DRAW_HOLD_MAX_MS = 3000;
/** How long a shown view has to ask for the root after a whole-tree refresh before the refresh is sent again. */
export const ROOT_ASK_MS = 2000;
/** How many times in a row an unanswered whole-tree refresh is sent again. */
export const ROOT_RETRIES = 3;

export interface TreeDrawGateOptions<N> {
  /** Sends a refresh to VS Code (the provider's onDidChangeTreeData): undefined redraws the whole tree. */
  fire(nodes: N[] | undefined): void;
  /** Whether the view is shown now (VS Code asks for nothing while it is hidden, and redraws when shown). */
  visible(): boolean;
  /** The node a group key names, to redraw a group whose children were never asked for. */
  nodeOf(key: string): N;
  timers?: DrawTimers;
}

export class TreeDrawGate<N> {
  private readonly timers: DrawTimers;
  /** Groups handed to VS Code as expanded whose children it has not asked for yet: a drawing pass is in progress. */
  private readonly drawing = new Set<string>();
  /** Refreshes asked for while VS Code was drawing: 'all' for the whole tree. */
  private held?: Set<N> | 'all';
  private holdTimer?: unknown;
  /** A whole-tree refresh went out and the root has not been asked for since. */
  private rootPending = false;
  private rootTimer?: unknown;
  private rootRetriesLeft = ROOT_RETRIES;
  private disposed = false;

  constructor(private readonly opts: TreeDrawGateOptions<N>) {
    this.timers = opts.timers ?? NODE_TIMERS;
  }

  /** True while VS Code has not yet asked for the children of every group it was told is expanded. */
  get isDrawing(): boolean {
    return this.drawing.size > 0;
  }

  /** A group was handed out expanded: VS Code will ask for its children before its drawing is done. */
  expect(key: string): void {
    this.drawing.add(key);
  }

  /** VS Code asked for the children of `key` (undefined: the root). Once every expected group is, held refreshes go out. */
  asked(key: string | undefined): void {
    if (key === undefined) {
      this.rootPending = false;
      this.rootRetriesLeft = ROOT_RETRIES;
      this.clearRootTimer();
      return;
    }
    this.settled(key);
  }

  /** The person collapsed the group: VS Code asks nothing of it. */
  collapsed(key: string): void {
    this.settled(key);
  }

  /** The view was shown or hidden. */
  visibilityChanged(visible: boolean): void {
    if (!visible) {
      // A hidden view asks for nothing: waiting would only delay what VS Code keeps for when it is shown again.
      this.clearRootTimer();
      if (this.held) this.flush(false);
    } else if (this.rootPending) this.armRootCheck();
  }

  /** Redraws `nodes` (undefined: the whole tree), once VS Code has finished the pass it is drawing. */
  refresh(nodes: N[] | undefined): void {
    if (this.disposed) return;
    if (this.drawing.size === 0 && !this.held) {
      this.send(nodes);
      return;
    }
    if (nodes === undefined || this.held === 'all') this.held = 'all';
    else {
      this.held ??= new Set();
      for (const n of nodes) this.held.add(n);
    }
    if (!this.opts.visible()) {
      this.flush(false);
      return;
    }
    this.holdTimer ??= this.timers.set(() => this.flush(true), DRAW_HOLD_MAX_MS);
  }

  dispose(): void {
    this.disposed = true;
    if (this.holdTimer !== undefined) this.timers.clear(this.holdTimer);
    this.holdTimer = undefined;
    this.clearRootTimer();
  }

  private settled(key: string): void {
    if (!this.drawing.delete(key) || this.drawing.size > 0 || !this.held) return;
    this.timers.soon(() => {
      if (this.drawing.size === 0 && this.held) this.flush(false);
    });
  }

  /** Sends what is held. `timedOut`: groups still expected were never asked for and are redrawn too. */
  private flush(timedOut: boolean): void {
    if (this.holdTimer !== undefined) this.timers.clear(this.holdTimer);
    this.holdTimer = undefined;
    let held = this.held;
    this.held = undefined;
    if (timedOut && held !== 'all' && this.drawing.size > 0 && this.opts.visible()) {
      held ??= new Set();
      for (const key of this.drawing) held.add(this.opts.nodeOf(key));
    }
    this.drawing.clear();
    if (held === 'all') this.send(undefined);
    else if (held && held.size > 0) this.send([...held]);
  }

  private send(nodes: N[] | undefined): void {
    if (this.disposed) return;
    if (nodes === undefined) {
      this.rootPending = true;
      this.armRootCheck();
    }
    this.opts.fire(nodes);
  }

  private armRootCheck(): void {
    this.clearRootTimer();
    if (!this.opts.visible()) return; // VS Code redraws a hidden view when it is shown, and the check starts then
    this.rootTimer = this.timers.set(() => {
      this.rootTimer = undefined;
      if (!this.rootPending || !this.opts.visible() || this.rootRetriesLeft === 0) return;
      this.rootRetriesLeft--;
      this.refresh(undefined);
    }, ROOT_ASK_MS);
  }

  private clearRootTimer(): void {
    if (this.rootTimer !== undefined) this.timers.clear(this.rootTimer);
    this.rootTimer = undefined;
  }
}
