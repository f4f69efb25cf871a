// Chooses what starts next. Ready tasks wait in one lane per agent type, each a binary heap in dispatch order
// (graph.compareForDispatch: P0 > P1 > P2 > P3, then unblocks-most, then document order). Picking looks only at the
// head of each lane whose type may start now (its per-type limit and its provider's breaker/pause allow it), so a
// lane held back by its limit never blocks other types, and a pick costs O(lanes + log n) however many tasks wait.
//
// Invariant: a task id is in at most one lane at a time; `remove` is lazy (stale heap entries are skipped by
// generation), so removing and re-adding never duplicates a task.

interface Entry {
  id: string;
  gen: number;
}

class Lane {
  readonly heap: Entry[] = [];
  constructor(readonly type: string) {}
}

/** A ready task the dispatcher picked. */
export interface Pick {
  taskId: string;
  agentType: string;
}

/** Ready tasks by agent type, in dispatch order. */
export class ReadyLanes {
  private readonly lanes = new Map<string, Lane>();
  private readonly members = new Map<string, { type: string; gen: number }>();
  private gen = 0;

  /** `compare(a, b)` < 0 when task `a` goes before `b` (graph.compareForDispatch). */
  constructor(private compare: (a: string, b: string) => number) {}

  /** Number of ready tasks waiting. */
  get size(): number {
    return this.members.size;
  }

  /** Replaces the ordering (a new graph) and empties every lane. */
  reset(compare: (a: string, b: string) => number): void {
    this.compare = compare;
    this.lanes.clear();
    this.members.clear();
  }

  has(taskId: string): boolean {
    return this.members.has(taskId);
  }

  /** Agent type a waiting task is queued under. */
  typeOf(taskId: string): string | undefined {
    return this.members.get(taskId)?.type;
  }

  /** Waiting tasks per agent type. */
  depthByType(): Map<string, number> {
    const out = new Map<string, number>();
    for (const m of this.members.values()) out.set(m.type, (out.get(m.type) ?? 0) + 1);
    return out;
  }

  /** Queues a ready task under `agentType` (moving it if it was queued under another type). */
  add(taskId: string, agentType: string): void {
    const cur = this.members.get(taskId);
    if (cur && cur.type === agentType) return;
    const gen = ++this.gen;
    this.members.set(taskId, { type: agentType, gen });
    let lane = this.lanes.get(agentType);
    if (!lane) this.lanes.set(agentType, (lane = new Lane(agentType)));
    this.push(lane.heap, { id: taskId, gen });
  }

  /** Takes a task out (it started, was cancelled, stopped being ready). */
  remove(taskId: string): boolean {
    return this.members.delete(taskId);
  }

  /** Every waiting id in dispatch order (for views; O(n log n)). */
  ordered(): string[] {
    return [...this.members.keys()].sort(this.compare);
  }

  /**
   * Removes and returns the first task in dispatch order among the lanes whose type `mayStart` allows, or undefined.
   * `mayStart` is asked at most once per lane.
   */
  next(mayStart: (agentType: string) => boolean): Pick | undefined {
    let best: Lane | undefined;
    let bestId: string | undefined;
    for (const lane of this.lanes.values()) {
      const head = this.head(lane);
      if (head === undefined) {
        this.lanes.delete(lane.type);
        continue;
      }
      if (bestId !== undefined && this.compare(head, bestId) >= 0) continue;
      if (!mayStart(lane.type)) continue;
      best = lane;
      bestId = head;
    }
    if (!best || bestId === undefined) return undefined;
    this.pop(best.heap);
    this.members.delete(bestId);
    return { taskId: bestId, agentType: best.type };
  }

  /** First task of a lane in dispatch order, dropping stale entries. */
  private head(lane: Lane): string | undefined {
    const h = lane.heap;
    while (h.length > 0) {
      const top = h[0];
      const m = this.members.get(top.id);
      if (m && m.gen === top.gen) return top.id;
      this.pop(h);
    }
    return undefined;
  }

  private less(a: Entry, b: Entry): boolean {
    return this.compare(a.id, b.id) < 0;
  }

  private push(h: Entry[], e: Entry): void {
    h.push(e);
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  private pop(h: Entry[]): void {
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l], h[m])) m = l;
      if (r < h.length && this.less(h[r], h[m])) m = r;
      if (m === i) break;
      [h[m], h[i]] = [h[i], h[m]];
      i = m;
    }
  }
}
