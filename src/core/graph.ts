// The dependency graph of a task list: which task waits for which, what is ready, in which order to dispatch.
// Pure core: no I/O. Built once per parse; after that only statuses change, and they change INCREMENTALLY —
// `setStatus` touches the task and its direct dependents only (O(out-degree)), never the whole graph, because the
// engine calls it on every completion with thousands of tasks and a p99 dispatch budget of 10 ms.
//
// Invariants (checked by test/unit/core/graph.property.test.ts):
//   - the stored blocking edges form a DAG (an edge that would close a cycle is left out of the structure at build
//     time, and reported); every task ON a cycle is nevertheless held, and so is everything downstream of it;
//   - `remaining[i]` is the number of blocking dependencies of task i whose status is not completed/skipped;
//   - task i is in `ready` iff status is pending, remaining[i] === 0 and it has no hold of its own (external blocker,
//     cycle, unknown dependency);
//   - `stuckDeps[i]` is the number of blocking dependencies of task i that are stuck (see `isBlocked`), and
//     `blockedCount` the number of blocked tasks: "blocked" has ONE definition, here, and every view shows it.
// Everything structural (topological order, critical path, unblocks counts, dispatch rank) depends only on the
// edges, never on statuses, so it is computed lazily once and cached: the first ordering query after a build
// (readyIds, setStatus returning several ids, compareForDispatch, unblocksCount) pays for it — about 50 ms for
// 10,000 tasks with 30,000 edges — so the engine should ask for readyIds() right after rebuilding, off the hot path.
import {
  TERMINAL_STATUSES,
  priorityWeight,
  type PriorityWeights,
  type DependencySource,
  type DependencyType,
  type Diagnostic,
  type Priority,
  type TaskList,
  type TaskNode,
  type TaskStatus,
} from './model';

/** One dependency: `from` (the dependent) waits for `to` (the dependency) when `type` is `blocks`. */
export interface GraphEdge {
  from: string /* dependent */;
  to: string /* dependency */;
  type: DependencyType;
  source: DependencySource;
}

/** Why a task cannot go on without a person acting. */
export type BlockReason = 'external' | 'cycle' | 'unknown-dependency' | 'failed-dependency' | 'marked' | 'gate';

/**
 * A blocked task: not done, not running, not failed itself, and unable to become ready however long the engine waits,
 * because of a hold on itself (an external `Blocked by:`, a dependency cycle it is on, a dependency on an unknown id,
 * the status `blocked`) or on a task it (transitively) depends on (which may also have failed, timed out or been
 * cancelled).
 */
export interface Blockage {
  reason: BlockReason;
  /** Where the hold starts: the task itself, the failed/held task it waits on, or the first task of its cycle. */
  root: string;
  /** The blocking dependency it waits on when the hold is not its own. */
  via?: string;
  /** The sentence about the root (what a Stall says): `T1 failed`, `T3 is on the dependency cycle T3 → T4 → T3`. */
  cause: string;
  /** One sentence for people about this task: `waits on T2: T1 failed`, `T3 is blocked by "FDB cluster provisioned"`. */
  text: string;
}

/** One reason a plan cannot finish, and every task it holds. */
export interface Stall {
  reason: BlockReason;
  /** Where the hold starts (for a cycle: its first task in document order). */
  root: string;
  /** One sentence about the root: `T1 failed`, `T3 is on the dependency cycle T3 → T4 → T3`. */
  text: string;
  /** Every blocked task held by it, in document order. */
  holds: string[];
}

/** Options of DependencyGraph.fromTaskList. */
export interface GraphOptions {
  /**
   * The graph of the previous version of the plan. A blocking reference it already had counts as older than one it
   * did not, so when a cycle appears the reference reported (and offered for removal first) is the one just written.
   */
  previous?: DependencyGraph;
  /** Optional tasks (Kiro `[ ]*`) become ready like any other (config `run_optional`). Default false: never by themselves. */
  runOptional?: boolean;
  /**
   * Dispatch weight of each priority, higher first (the plan's `task_dispatcher.priority_weights`); a priority left
   * out weighs what PLAN_PRIORITY_WEIGHTS says. Default: the plan's weights, i.e. P0 > P1 > P2 > P3.
   */
  priorityWeights?: PriorityWeights;
  /**
   * Gated features (FeatureNode.gate) a person has approved (the audit trail's latest decision on them). A task that
   * waits for a gated feature from outside it is held, once the feature's tasks are done, until the feature is here
   * (or approveFeatureGate is called). Default: none approved.
   */
  approvedGates?: ReadonlySet<string>;
}

/** What the engine does with a task that may start (see TaskNode): run it, tick it (a group), or leave it to a person. */
const KIND_WORK = 0;
const KIND_GROUP = 1;
const KIND_OPTIONAL = 2;
const KIND_CRITERION = 3;

/** Own holds (statuses aside), by precedence. */
const HOLD_NONE = 0;
const HOLD_CYCLE = 1;
const HOLD_UNKNOWN = 2;
const HOLD_EXTERNAL = 3;
/** Waits for a gated feature not yet approved; it counts only once the task's dependencies are done (see refreshBlocked). */
const HOLD_GATE = 4;

/** Statuses that end an attempt chain without finishing the task: its dependents cannot go on. */
const FAILED_STATUSES: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['failed', 'timeout', 'cancelled']);

/** Hours assumed for a task without an estimate when computing the critical path. */
export const DEFAULT_ESTIMATE_HOURS = 1;

/** Target size (in 32-bit words) of one bitset chunk when counting transitive dependents: bounds memory to ~16 MB. */
const UNBLOCKS_CHUNK_WORDS = 1 << 22;

interface Candidate {
  from: number;
  to: number;
  type: DependencyType;
  source: DependencySource;
  /** 0-based line of the reference, for diagnostics. */
  line: number;
  /** Position in writing order. */
  seq: number;
  /** The previous version of the plan had this reference (see GraphOptions.previous). */
  known: boolean;
}

/** A dependency graph over one task list with incremental readiness bookkeeping. */
export class DependencyGraph {
  /** Problems found while building: unknown dependency ids and rejected cycles (self-dependencies included). */
  readonly diagnostics: Diagnostic[] = [];

  private readonly ids: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly tasks: TaskNode[] = [];
  private readonly status: TaskStatus[] = [];
  /** Negated dispatch weight of each task's effective priority: lower goes first. */
  private readonly prio: number[] = [];
  private readonly hours: number[] = [];
  /** Every accepted edge of task i (blocking and soft), in writing order. */
  private readonly outEdges: GraphEdge[][] = [];
  /** Every accepted edge pointing at task i, in the dependents' document order. */
  private readonly inEdges: GraphEdge[][] = [];
  /** Blocking dependencies (indices) of task i. */
  private readonly deps: number[][] = [];
  /** Blocking dependents (indices) of task i. */
  private readonly dependents: number[][] = [];
  /** Unfinished blocking dependencies of task i (see invariants above). */
  private readonly remaining: number[] = [];
  private readonly ready = new Set<number>();
  /** KIND_* of task i. */
  private readonly kind: number[] = [];
  /** Groups whose children are all done and that are still pending: the engine ticks them (see dueGroupIds). */
  private readonly due = new Set<number>();
  /** Every blocking reference of task i as written (accepted or not): what a later version compares against. */
  private readonly declared: number[][] = [];
  /** HOLD_* of task i regardless of status. */
  private hold!: Uint8Array;
  /** For a task on a cycle: the cycle to name (ids, first === last) and its first task (the stall's root). */
  private readonly cycleOf = new Map<number, { ids: string[]; leader: number }>();
  /** For a task with unknown blocking dependencies: their ids. */
  private readonly unknownOf = new Map<number, string[]>();
  /** Gated features (FeatureNode.gate) by id: their tasks, whether approved, and the tasks outside that wait for them. */
  private readonly featureGates = new Map<string, { title: string; line: number; members: number[]; approved: boolean; held: Set<number> }>();
  /** For a task waiting for gated features from outside them: those features' ids (approved or not). */
  private readonly gatedBy = new Map<number, string[]>();
  private stuckDeps!: Int32Array;
  private stuck!: Uint8Array;
  private blocked!: Uint8Array;
  private blockedTotal = 0;
  /** Tasks whose blocked flag changed since the last takeBlockedChanges() (undefined while building). */
  private flipped?: number[];

  // Lazily computed structural facts (statuses never affect them).
  private topo?: number[];
  private down?: Float64Array;
  private unblocks?: Int32Array;
  private rank?: Int32Array;

  private constructor() {}

  /**
   * Builds from a parsed list. Edges to unknown ids → `unknown-dependency` diagnostic (on the ref's line), not stored;
   * a blocking one holds its task. A blocking edge that would close a cycle is left out of the structure (so orders
   * stay defined) and a `dependency-cycle` error diagnostic on its line names the whole cycle with 1-based line
   * numbers (e.g. "T1 (line 4) → T2 (line 9) → T1"), with data `{cycle, edge: {from, to}, edges: [{from, to, line,
   * source}]}` (every edge of the cycle, 0-based lines) for quick fixes. Self-dependencies are reported the same way.
   * Every task on a cycle is held, and so is everything downstream of it. Edges are considered oldest first (those
   * `opts.previous` had, then the new ones), each group in document order, so the reference written last is the one
   * reported. `statuses` (e.g. from the database) override the statuses written in the list.
   */
  static fromTaskList(list: TaskList, statuses?: ReadonlyMap<string, TaskStatus>, opts: GraphOptions = {}): DependencyGraph {
    const g = new DependencyGraph();
    g.addNodes(list, statuses, opts.runOptional ?? false, opts.priorityWeights);
    const candidates = g.collectCandidates(opts.previous, reportedByParser(list));
    g.acceptEdges(candidates);
    g.collectFeatureGates(list, opts.approvedGates);
    g.initReadiness();
    g.initBlocked();
    return g;
  }

  // ---- construction -------------------------------------------------------------------------------------------

  private addNodes(list: TaskList, statuses: ReadonlyMap<string, TaskStatus> | undefined, runOptional: boolean, weights: PriorityWeights | undefined): void {
    const featurePrio = new Map<string, Priority | undefined>(list.features.map((f) => [f.id, f.priority]));
    const epicPrio = new Map<string, Priority | undefined>(list.epics.map((e) => [e.id, e.priority]));
    for (const t of list.tasks) {
      // Duplicate ids are the parser's diagnostic (`duplicate-id`); the first task with an id owns it here.
      if (this.index.has(t.id)) continue;
      this.index.set(t.id, this.ids.length);
      this.ids.push(t.id);
      this.tasks.push(t);
      this.status.push(statuses?.get(t.id) ?? t.status);
      this.kind.push(t.criterion ? KIND_CRITERION : t.group ? KIND_GROUP : t.optional && !runOptional ? KIND_OPTIONAL : KIND_WORK);
      // A task without a priority inherits its feature's, then its epic's, then P2.
      // Lower sorts first: the negated weight (the plan's weights keep P0 > P1 > P2 > P3).
      this.prio.push(-priorityWeight(t.priority ?? featurePrio.get(t.featureId) ?? epicPrio.get(t.epicId), weights));
      const h = t.estimateHours;
      this.hours.push(typeof h === 'number' && Number.isFinite(h) && h >= 0 ? h : DEFAULT_ESTIMATE_HOURS);
      this.outEdges.push([]);
      this.inEdges.push([]);
      this.deps.push([]);
      this.dependents.push([]);
      this.remaining.push(0);
      this.declared.push([]);
    }
  }

  /** Resolves references to indices in writing order, reporting unknown ids and self-dependencies, merging duplicates. */
  private collectCandidates(previous: DependencyGraph | undefined, parserSaid: ReadonlySet<string>): Candidate[] {
    const out: Candidate[] = [];
    const byPair = new Map<string, Candidate>();
    for (let i = 0; i < this.tasks.length; i++) {
      const t = this.tasks[i];
      for (const ref of t.dependsOn) {
        const j = this.index.get(ref.id);
        if (j === undefined) {
          if (ref.type === 'blocks') {
            let unknown = this.unknownOf.get(i);
            if (!unknown) this.unknownOf.set(i, (unknown = []));
            if (!unknown.includes(ref.id)) unknown.push(ref.id);
          }
          // The parser already reported this reference, with its column: one diagnostic per problem.
          if (parserSaid.has(`${t.id}\u0000${ref.id}`)) continue;
          this.diagnostics.push({
            line: ref.line,
            column: 0,
            severity: 'error',
            code: 'unknown-dependency',
            message:
              ref.type === 'blocks'
                ? `${t.id} depends on unknown task ${ref.id}; ${t.id} and the tasks that depend on it are held until the reference is fixed`
                : `${t.id} depends on unknown task ${ref.id}; the (soft) dependency is ignored`,
            data: { taskId: t.id, id: ref.id },
          });
          continue;
        }
        if (j === i) {
          if (ref.type === 'blocks' && !this.cycleOf.has(i)) {
            this.cycleOf.set(i, { ids: [t.id, t.id], leader: i });
            this.declared[i].push(i);
            if (!parserSaid.has(`${t.id}\u0000${t.id}`)) this.reportCycle([i, i], i, i, ref.line, [{ from: i, to: i, line: ref.line, source: ref.source }]);
          }
          continue;
        }
        // The same dependency written twice (e.g. explicit and implicit) is one edge; blocking wins over soft.
        const key = `${i}\u0000${j}`;
        const seen = byPair.get(key);
        if (seen) {
          if (seen.type === 'soft' && ref.type === 'blocks') {
            seen.type = 'blocks';
            seen.source = ref.source;
            seen.line = ref.line;
          }
          continue;
        }
        const c: Candidate = { from: i, to: j, type: ref.type, source: ref.source, line: ref.line, seq: out.length, known: false };
        byPair.set(key, c);
        out.push(c);
      }
    }
    for (const c of out) {
      if (c.type !== 'blocks') continue;
      this.declared[c.from].push(c.to);
      c.known = previous?.declares(this.ids[c.from], this.ids[c.to]) === true;
    }
    return out;
  }

  /**
   * Accepts every soft edge and every blocking edge that keeps the graph acyclic. Equivalent to adding the blocking
   * edges one by one, oldest first (then in writing order), and leaving out each one that closes a cycle — but fast: a
   * cycle lies inside one strongly connected component of the candidate graph, so only edges inside a non-trivial
   * component need the (component-local) reachability check; all others are accepted outright. Every task of a
   * non-trivial component is on a cycle and gets HOLD_CYCLE.
   */
  private acceptEdges(candidates: Candidate[]): void {
    const n = this.ids.length;
    const adj: number[][] = Array.from({ length: n }, () => []);
    for (const c of candidates) if (c.type === 'blocks') adj[c.from].push(c.to);
    const comp = stronglyConnectedComponents(adj);

    // Intra-component blocking edges, oldest first: the one that closes a cycle last is the newest reference.
    const intraEdges = candidates.filter((c) => c.type === 'blocks' && comp[c.from] === comp[c.to]);
    intraEdges.sort((a, b) => Number(a.known === false) - Number(b.known === false) || a.seq - b.seq);
    // Accepted intra-component blocking adjacency (dependency direction), for the sequential cycle check.
    const intra = new Map<number, number[]>();
    const left = new Set<Candidate>();
    const rejected: { c: Candidate; path: number[] }[] = [];
    for (const c of intraEdges) {
      const path = shortestPath(intra, c.to, c.from);
      if (path) {
        left.add(c);
        rejected.push({ c, path });
        continue;
      }
      let list = intra.get(c.from);
      if (!list) intra.set(c.from, (list = []));
      list.push(c.to);
    }
    // Report in writing order, each cycle through its own edges (so a quick fix can offer any of them).
    rejected.sort((a, b) => a.c.seq - b.c.seq);
    const edgeOf = new Map<string, Candidate>();
    for (const c of intraEdges) edgeOf.set(`${c.from}\u0000${c.to}`, c);
    for (const { c, path } of rejected) {
      const ring = [c.from, ...path];
      const edges = [];
      for (let k = 0; k + 1 < ring.length; k++) {
        const e = edgeOf.get(`${ring[k]}\u0000${ring[k + 1]}`)!;
        edges.push({ from: e.from, to: e.to, line: e.line, source: e.source });
      }
      const cycle = this.reportCycle(ring, c.from, c.to, c.line, edges);
      for (const k of ring) {
        if (this.cycleOf.has(k)) continue;
        this.cycleOf.set(k, { ids: cycle, leader: this.index.get(cycle[0])! });
      }
    }
    // Every member of a component with a cycle is on some cycle, even when no reported ring runs through it.
    if (rejected.length > 0) {
      const members = new Map<number, number[]>();
      for (const c of intraEdges) {
        for (const k of [c.from, c.to]) {
          let m = members.get(comp[k]);
          if (!m) members.set(comp[k], (m = []));
          if (!m.includes(k)) m.push(k);
        }
      }
      for (const m of members.values()) {
        m.sort((a, b) => a - b);
        const ids = [...m.map((k) => this.ids[k]), this.ids[m[0]]];
        for (const k of m) if (!this.cycleOf.has(k)) this.cycleOf.set(k, { ids, leader: m[0] });
      }
    }

    for (const c of candidates) {
      if (left.has(c)) continue;
      const e: GraphEdge = Object.freeze({ from: this.ids[c.from], to: this.ids[c.to], type: c.type, source: c.source });
      this.outEdges[c.from].push(e);
      this.inEdges[c.to].push(e);
      if (c.type === 'blocks') {
        this.deps[c.from].push(c.to);
        this.dependents[c.to].push(c.from);
      }
    }
  }

  /**
   * Reports the cycle `path` (indices, first === last, starting with the dependent of the reported edge), closed by
   * the reference from → to on `line`. Returns the cycle's ids as named (first task in document order first).
   */
  private reportCycle(
    path: number[],
    from: number,
    to: number,
    line: number,
    edges: { from: number; to: number; line: number; source: DependencySource }[],
  ): string[] {
    // Start the message at the task written first so the same cycle reads the same whichever edge closed it.
    const ring = path.slice(0, -1);
    let start = 0;
    for (let k = 1; k < ring.length; k++) if (ring[k] < ring[start]) start = k;
    const rotated = [...ring.slice(start), ...ring.slice(0, start)];
    rotated.push(rotated[0]);
    const cycle = rotated.map((i) => this.ids[i]);
    const text = rotated.map((i, k) => (k === rotated.length - 1 ? this.ids[i] : `${this.ids[i]} (line ${this.tasks[i].line + 1})`)).join(' → ');
    const members = ring.length === 1 ? this.ids[ring[0]] : `${ring.length} tasks on it`;
    this.diagnostics.push({
      line,
      column: 0,
      severity: 'error',
      code: 'dependency-cycle',
      message: `Dependency cycle: ${text}; ${members} and every task depending on ${ring.length === 1 ? 'it' : 'them'} are held until one of these dependencies is removed`,
      data: {
        cycle,
        edge: { from: this.ids[from], to: this.ids[to] },
        edges: edges.map((e) => ({ from: this.ids[e.from], to: this.ids[e.to], line: e.line, source: e.source })),
      },
    });
    return cycle;
  }

  /** Gated features and the tasks outside each that wait (blocking edges) for one of its tasks. */
  private collectFeatureGates(list: TaskList, approved: ReadonlySet<string> | undefined): void {
    for (const f of list.features) {
      if (f.gate) this.featureGates.set(f.id, { title: f.title, line: f.line, members: [], approved: approved?.has(f.id) === true, held: new Set() });
    }
    if (this.featureGates.size === 0) return;
    for (let i = 0; i < this.ids.length; i++) {
      const own = this.tasks[i].featureId;
      const gate = this.featureGates.get(own);
      if (gate && (this.kind[i] === KIND_WORK || this.kind[i] === KIND_GROUP)) gate.members.push(i);
      for (const d of this.deps[i]) {
        const f = this.tasks[d].featureId;
        const g = f === own ? undefined : this.featureGates.get(f);
        if (!g || g.held.has(i)) continue;
        g.held.add(i);
        let by = this.gatedBy.get(i);
        if (!by) this.gatedBy.set(i, (by = []));
        by.push(f);
      }
    }
  }

  /** The gated features task i waits for that are not approved yet. */
  private unapprovedGates(i: number): string[] {
    return (this.gatedBy.get(i) ?? []).filter((f) => !this.featureGates.get(f)!.approved);
  }

  private initReadiness(): void {
    for (let i = 0; i < this.ids.length; i++) {
      let r = 0;
      for (const d of this.deps[i]) if (!TERMINAL_STATUSES.has(this.status[d])) r++;
      this.remaining[i] = r;
      this.updateReady(i);
    }
  }

  /** Own holds, then stuck/blocked flags in topological order (dependencies first). */
  private initBlocked(): void {
    const n = this.ids.length;
    this.hold = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (this.cycleOf.has(i)) this.hold[i] = HOLD_CYCLE;
      else if (this.unknownOf.has(i)) this.hold[i] = HOLD_UNKNOWN;
      else if (this.tasks[i].blockers.length > 0) this.hold[i] = HOLD_EXTERNAL;
      else if (this.gatedBy.has(i) && this.unapprovedGates(i).length > 0) this.hold[i] = HOLD_GATE;
    }
    this.stuckDeps = new Int32Array(n);
    this.stuck = new Uint8Array(n);
    this.blocked = new Uint8Array(n);
    for (const i of this.topoOrder()) {
      let k = 0;
      for (const d of this.deps[i]) if (this.stuck[d]) k++;
      this.stuckDeps[i] = k;
      this.refreshBlocked(i);
    }
    // Readiness was computed before the holds were known: a task on a cycle or with an unknown dependency is not ready.
    for (const i of [...this.ready]) if (this.hold[i] !== HOLD_NONE) this.ready.delete(i);
    for (const i of [...this.due]) if (this.hold[i] !== HOLD_NONE) this.due.delete(i);
    this.flipped = [];
  }

  /** Recomputes blocked/stuck of one task from its status, own hold and stuckDeps; true when `stuck` changed. */
  private refreshBlocked(i: number): boolean {
    const s = this.status[i];
    const done = TERMINAL_STATUSES.has(s);
    const failed = FAILED_STATUSES.has(s);
    // A feature gate holds only once the feature's tasks are done: before that the task simply waits for them.
    const held = this.hold[i] !== HOLD_NONE && (this.hold[i] !== HOLD_GATE || this.remaining[i] === 0);
    const isBlocked = !done && !failed && s !== 'in_progress' && (s === 'blocked' || held || this.stuckDeps[i] > 0);
    if (isBlocked !== (this.blocked[i] === 1)) {
      this.blocked[i] = isBlocked ? 1 : 0;
      this.blockedTotal += isBlocked ? 1 : -1;
      this.flipped?.push(i);
    }
    const isStuck = failed || isBlocked;
    if (isStuck === (this.stuck[i] === 1)) return false;
    this.stuck[i] = isStuck ? 1 : 0;
    return true;
  }

  /** After task i's status changed: propagates stuck-ness downstream, touching only tasks whose flags change. */
  private propagateBlocked(i: number): void {
    if (!this.refreshBlocked(i)) return;
    // Monotone: one change makes dependents only more stuck, or only less, so no task flips twice.
    const work = [i];
    while (work.length > 0) {
      const k = work.pop()!;
      const delta = this.stuck[k] ? 1 : -1;
      for (const d of this.dependents[k]) {
        this.stuckDeps[d] += delta;
        if (this.refreshBlocked(d)) work.push(d);
      }
    }
  }

  // ---- queries ------------------------------------------------------------------------------------------------

  /** Every stored edge (blocking and soft), dependents in document order, each dependent's refs in writing order. */
  edges(): GraphEdge[] {
    return this.outEdges.flat();
  }

  /** Edges from `id` to what it depends on (blocking and soft), in writing order; [] for an unknown id. */
  dependenciesOf(id: string): GraphEdge[] {
    const i = this.index.get(id);
    return i === undefined ? [] : [...this.outEdges[i]];
  }

  /** Edges from tasks that depend on `id` (blocking and soft), in document order; [] for an unknown id. */
  dependentsOf(id: string): GraphEdge[] {
    const i = this.index.get(id);
    return i === undefined ? [] : [...this.inEdges[i]];
  }

  /** Current status of a task, or undefined for an unknown id. */
  statusOf(id: string): TaskStatus | undefined {
    const i = this.index.get(id);
    return i === undefined ? undefined : this.status[i];
  }

  /** Updates one status; returns the ids that became ready because of it (in dispatch order). O(out-degree). */
  setStatus(id: string, status: TaskStatus): string[] {
    const i = this.mustIndex(id, 'setStatus');
    const old = this.status[i];
    if (old === status) return [];
    this.status[i] = status;
    const became: number[] = [];

    const wasDone = TERMINAL_STATUSES.has(old);
    const isDone = TERMINAL_STATUSES.has(status);
    if (wasDone !== isDone) {
      // MUST keep `remaining` exact: every blocking dependent counts this task once.
      const delta = isDone ? -1 : 1;
      for (const d of this.dependents[i]) {
        this.remaining[d] += delta;
        if (this.updateReady(d)) became.push(d);
      }
    }
    if (this.updateReady(i)) became.push(i);
    this.propagateBlocked(i);
    // A feature gate's hold starts (or ends) when the last dependency of a task it holds is done (or reopened).
    if (wasDone !== isDone) for (const d of this.dependents[i]) if (this.hold[d] === HOLD_GATE) this.propagateBlocked(d);
    if (became.length > 1) {
      const rank = this.dispatchRank();
      became.sort((a, b) => rank[a] - rank[b]);
    }
    return became.map((k) => this.ids[k]);
  }

  /**
   * Would adding the blocking edge `from` → `to` (from depends on to) close a cycle? Returns the cycle as
   * `[from, to, …, from]`, or undefined when it would not (or when either id is unknown).
   */
  wouldCycle(from: string, to: string): string[] | undefined {
    const i = this.index.get(from);
    const j = this.index.get(to);
    if (i === undefined || j === undefined) return undefined;
    if (i === j) return [from, from];
    const path = shortestPath(this.deps, j, i);
    return path ? [from, ...path.map((k) => this.ids[k])] : undefined;
  }

  /**
   * Pending, every blocking dependency completed or skipped, no external blocker, not on a cycle, no unknown
   * dependency, and work the engine runs by itself (not a group, a criterion, or an optional task unless runOptional).
   */
  isReady(id: string): boolean {
    const i = this.index.get(id);
    return i !== undefined && this.ready.has(i);
  }

  /** Ready, or an optional task that would be ready: what a person may run by hand. Never a group or a criterion. */
  isRunnableByHand(id: string): boolean {
    const i = this.index.get(id);
    if (i === undefined) return false;
    return this.ready.has(i) || (this.kind[i] === KIND_OPTIONAL && this.canStart(i));
  }

  /** Groups still pending whose children (and other dependencies) are all done: the engine ticks them. */
  dueGroupIds(): string[] {
    return [...this.due].sort((a, b) => a - b).map((k) => this.ids[k]);
  }

  /** Why the engine never starts this task by itself (undefined: it does, once ready). */
  notRunBecause(id: string): string | undefined {
    const i = this.index.get(id);
    switch (i === undefined ? KIND_WORK : this.kind[i]) {
      case KIND_GROUP:
        return `${id} is a group: it is ticked when its subtasks are done`;
      case KIND_CRITERION:
        return `${id} is a criterion: a person checks it and ticks it`;
      case KIND_OPTIONAL:
        return `${id} is optional: it runs only when a person runs it (or with run_optional)`;
      default:
        return undefined;
    }
  }

  /** Every ready task, in dispatch order. O(r log r) for r ready tasks. */
  readyIds(): string[] {
    const rank = this.dispatchRank();
    return [...this.ready].sort((a, b) => rank[a] - rank[b]).map((k) => this.ids[k]);
  }

  /** Unfinished blocking dependencies of `id`, in writing order; [] for an unknown id. */
  waitingOn(id: string): string[] {
    const i = this.index.get(id);
    if (i === undefined) return [];
    return this.deps[i].filter((d) => !TERMINAL_STATUSES.has(this.status[d])).map((d) => this.ids[d]);
  }

  /**
   * The previous version's test (see GraphOptions.previous): did this plan have a blocking reference from `from` to
   * `to` (accepted or left out for closing a cycle)?
   */
  declares(from: string, to: string): boolean {
    const i = this.index.get(from);
    const j = this.index.get(to);
    return i !== undefined && j !== undefined && this.declared[i].includes(j);
  }

  /** Blocked (see Blockage): not done, not running, not failed, and unable to go on without a person. O(1). */
  isBlocked(id: string): boolean {
    const i = this.index.get(id);
    return i !== undefined && this.blocked[i] === 1;
  }

  /** Ids of the gated features (FeatureNode.gate), in document order. */
  gatedFeatureIds(): string[] {
    return [...this.featureGates.keys()];
  }

  /**
   * A gated feature waits for a person's approval: not approved, and every task of it the engine runs or ticks
   * (criteria and optional tasks aside) is completed or skipped. False for a feature without a gate.
   */
  featureGateWaiting(featureId: string): boolean {
    const g = this.featureGates.get(featureId);
    return g !== undefined && !g.approved && g.members.length > 0 && g.members.every((i) => TERMINAL_STATUSES.has(this.status[i]));
  }

  /** True when the feature has a gate and a person approved it. */
  featureGateApproved(featureId: string): boolean {
    return this.featureGates.get(featureId)?.approved === true;
  }

  /** Tasks outside a gated feature that wait for it (directly), in document order; [] for a feature without a gate. */
  featureGateHolds(featureId: string): string[] {
    const g = this.featureGates.get(featureId);
    return g ? [...g.held].sort((a, b) => a - b).map((i) => this.ids[i]) : [];
  }

  /**
   * A person approved a gated feature: the tasks it held go on. Returns the ids that became ready (dispatch order);
   * [] when the feature has no gate or was approved already. O(tasks it holds × their out-degree).
   */
  approveFeatureGate(featureId: string): string[] {
    const g = this.featureGates.get(featureId);
    if (!g || g.approved) return [];
    g.approved = true;
    const became: number[] = [];
    for (const i of g.held) {
      if (this.hold[i] !== HOLD_GATE || this.unapprovedGates(i).length > 0) continue;
      this.hold[i] = HOLD_NONE;
      if (this.updateReady(i)) became.push(i);
      this.propagateBlocked(i);
    }
    if (became.length > 1) {
      const rank = this.dispatchRank();
      became.sort((a, b) => rank[a] - rank[b]);
    }
    return became.map((k) => this.ids[k]);
  }

  /**
   * Ids whose blocked flag changed since the last call (a failure blocks everything downstream at once: views must
   * redraw those tasks too, not only the one whose status changed). Each id once, in no particular order.
   */
  takeBlockedChanges(): string[] {
    const out = [...new Set(this.flipped)].map((i) => this.ids[i]);
    this.flipped = [];
    return out;
  }

  /** Number of blocked tasks. O(1). */
  blockedCount(): number {
    return this.blockedTotal;
  }

  /** Why `id` is blocked, or undefined when it is not. O(length of the chain to the hold's root). */
  blockage(id: string): Blockage | undefined {
    const i = this.index.get(id);
    if (i === undefined || this.blocked[i] !== 1) return undefined;
    const own = this.ownBlockage(i);
    if (own) return own;
    let via = -1;
    for (let cur = i; ;) {
      const d = this.deps[cur].find((k) => this.stuck[k] === 1);
      if (d === undefined) return undefined; // unreachable while the invariants hold
      if (via < 0) via = d;
      const root = FAILED_STATUSES.has(this.status[d]) ? { reason: 'failed-dependency' as const, root: d } : this.ownRoot(d);
      if (root) {
        const cause = this.rootText(root.root);
        return { reason: root.reason, root: this.ids[root.root], via: this.ids[via], cause, text: `waits on ${this.ids[via]}: ${cause}` };
      }
      cur = d;
    }
  }

  /**
   * Every reason the plan cannot finish with what it holds: one Stall per root (a cycle is one root), holds in document
   * order, stalls ordered by their first held task. O(V + E).
   */
  stalls(): Stall[] {
    const n = this.ids.length;
    const rootOf = new Int32Array(n).fill(-1);
    const byRoot = new Map<number, Stall>();
    for (const i of this.topoOrder()) {
      if (this.blocked[i] !== 1) continue;
      const own = this.ownRoot(i);
      if (own) rootOf[i] = own.root;
      else {
        const d = this.deps[i].find((k) => this.stuck[k] === 1);
        if (d === undefined) continue;
        rootOf[i] = FAILED_STATUSES.has(this.status[d]) ? d : rootOf[d];
      }
    }
    for (let i = 0; i < n; i++) {
      const r = rootOf[i];
      if (r < 0) continue;
      let stall = byRoot.get(r);
      if (!stall) {
        const reason = FAILED_STATUSES.has(this.status[r]) ? 'failed-dependency' : this.ownRoot(r)!.reason;
        byRoot.set(r, (stall = { reason, root: this.ids[r], text: this.rootText(r), holds: [] }));
      }
      stall.holds.push(this.ids[i]);
    }
    return [...byRoot.values()];
  }

  /** The task's own hold, as a Blockage, or undefined. */
  private ownBlockage(i: number): Blockage | undefined {
    const own = this.ownRoot(i);
    return own && { reason: own.reason, root: this.ids[own.root], cause: this.rootText(own.root), text: this.rootText(own.root, i) };
  }

  /** A blocked task's own hold and the root it belongs to (a cycle's first task), or undefined when it has none. */
  private ownRoot(i: number): { reason: BlockReason; root: number } | undefined {
    switch (this.hold[i]) {
      case HOLD_CYCLE:
        return { reason: 'cycle', root: this.cycleOf.get(i)!.leader };
      case HOLD_UNKNOWN:
        return { reason: 'unknown-dependency', root: i };
      case HOLD_EXTERNAL:
        return { reason: 'external', root: i };
      case HOLD_GATE:
        if (this.remaining[i] === 0) return { reason: 'gate', root: i };
    }
    if (this.status[i] !== 'blocked') return undefined;
    // A gated task the engine set to blocked waits for a person's approval (docs/costs-and-gates.md#gates).
    return { reason: this.tasks[i].gate ? 'gate' : 'marked', root: i };
  }

  /** The sentence about a root: `T1 failed`, `T3 is blocked by "…"`; `self` (a cycle member) names itself in it. */
  private rootText(r: number, self = r): string {
    const s = this.status[r];
    if (FAILED_STATUSES.has(s)) return `${this.ids[r]} ${s === 'failed' ? 'failed' : s === 'timeout' ? 'timed out' : 'was cancelled'}`;
    switch (this.hold[r]) {
      case HOLD_CYCLE:
        return `${this.ids[self]} is on the dependency cycle ${this.cycleOf.get(self)!.ids.join(' → ')}`;
      case HOLD_UNKNOWN:
        return `${this.ids[r]} depends on unknown task${this.unknownOf.get(r)!.length === 1 ? '' : 's'} ${this.unknownOf.get(r)!.join(', ')}`;
      case HOLD_EXTERNAL:
        return `${this.ids[r]} is blocked by ${this.tasks[r].blockers.map((b) => JSON.stringify(b)).join(', ')}`;
      case HOLD_GATE:
        if (this.remaining[r] === 0) return `${this.ids[r]} waits for a person's approval of feature ${this.unapprovedGates(r).join(', ')} (Gate: review)`;
    }
    if (this.tasks[r].gate) return `${this.ids[r]} waits for a person's approval`;
    return `${this.ids[r]} is marked blocked`;
  }

  /** Every task, dependencies before dependents (blocking edges); ties broken by document order. */
  topologicalOrder(): string[] {
    return this.topoOrder().map((k) => this.ids[k]);
  }

  /**
   * The longest chain of blocking dependencies by `estimateHours` (1h when unknown), first task to last, over the
   * whole plan regardless of status. Ties go to the chain that starts earlier in the document.
   */
  criticalPath(): { ids: string[]; hours: number } {
    const down = this.downstreamHours();
    const n = this.ids.length;
    let best = -1;
    for (let i = 0; i < n; i++) {
      if (this.deps[i].length > 0) continue;
      if (best < 0 || this.hours[i] + down[i] > this.hours[best] + down[best]) best = i;
    }
    if (best < 0) return { ids: [], hours: 0 };
    const ids: string[] = [];
    const total = this.hours[best] + down[best];
    for (let cur = best; cur >= 0;) {
      ids.push(this.ids[cur]);
      let next = -1;
      for (const d of this.dependents[cur]) {
        const better = next < 0 || this.hours[d] + down[d] > this.hours[next] + down[next];
        const tieEarlier = next >= 0 && this.hours[d] + down[d] === this.hours[next] + down[next] && d < next;
        if (better || tieEarlier) next = d;
      }
      cur = next;
    }
    return { ids, hours: total };
  }

  /** Number of tasks that transitively depend on `id` through blocking edges (0 for an unknown id). */
  unblocksCount(id: string): number {
    const i = this.index.get(id);
    return i === undefined ? 0 : this.unblocksCounts()[i];
  }

  /**
   * Dispatch order comparator (negative: `a` goes first): effective priority P0>P1>P2>P3 (task, else feature, else
   * epic, else P2), then the task that unblocks more work — first the longest chain of hours waiting on it, then the
   * number of tasks transitively waiting on it — then document order. Throws for an unknown id.
   */
  compareForDispatch(a: string, b: string): number {
    const rank = this.dispatchRank();
    return rank[this.mustIndex(a, 'compareForDispatch')] - rank[this.mustIndex(b, 'compareForDispatch')];
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  private mustIndex(id: string, op: string): number {
    const i = this.index.get(id);
    if (i === undefined) throw new RangeError(`DependencyGraph.${op}: unknown task id "${id}"`);
    return i;
  }

  /** Pending with nothing left to wait for and no hold: it may start (or, for a group, be ticked). */
  private canStart(i: number): boolean {
    // `hold` is unset only while building (initBlocked then drops held tasks from `ready`).
    return this.status[i] === 'pending' && this.remaining[i] === 0 && this.tasks[i].blockers.length === 0 && (this.hold?.[i] ?? HOLD_NONE) === HOLD_NONE;
  }

  /** Re-evaluates one task's readiness; true when it just became ready. */
  private updateReady(i: number): boolean {
    const k = this.kind[i];
    if (k === KIND_GROUP) {
      if (this.canStart(i)) this.due.add(i);
      else this.due.delete(i);
    }
    const now = k === KIND_WORK && this.canStart(i);
    const was = this.ready.has(i);
    if (now === was) return false;
    if (now) this.ready.add(i);
    else this.ready.delete(i);
    return now;
  }

  /** Kahn's algorithm with a min-heap on document order, so the order is deterministic and reads like the file. */
  private topoOrder(): number[] {
    if (this.topo) return this.topo;
    const n = this.ids.length;
    const indeg = new Int32Array(n);
    for (let i = 0; i < n; i++) indeg[i] = this.deps[i].length;
    const heap = new MinHeap();
    for (let i = 0; i < n; i++) if (indeg[i] === 0) heap.push(i);
    const order: number[] = [];
    while (heap.size > 0) {
      const i = heap.pop();
      order.push(i);
      for (const d of this.dependents[i]) if (--indeg[d] === 0) heap.push(d);
    }
    // The blocking edges are a DAG by construction, so every task is ordered.
    this.topo = order;
    return order;
  }

  /** For each task, the longest chain of hours among the tasks waiting on it (its own hours excluded). */
  private downstreamHours(): Float64Array {
    if (this.down) return this.down;
    const order = this.topoOrder();
    const down = new Float64Array(this.ids.length);
    for (let k = order.length - 1; k >= 0; k--) {
      const i = order[k];
      let m = 0;
      for (const d of this.dependents[i]) m = Math.max(m, this.hours[d] + down[d]);
      down[i] = m;
    }
    this.down = down;
    return down;
  }

  /**
   * Transitive dependent counts via bitsets over reverse topological order: desc(i) = ∪ over dependents d of
   * ({d} ∪ desc(d)). Columns are processed in chunks so memory stays bounded (~16 MB) for any plan size;
   * time is O((V + E) · V / 32).
   */
  private unblocksCounts(): Int32Array {
    if (this.unblocks) return this.unblocks;
    const n = this.ids.length;
    const counts = new Int32Array(n);
    const order = this.topoOrder();
    const words = Math.max(1, Math.min(Math.ceil(n / 32), Math.floor(UNBLOCKS_CHUNK_WORDS / Math.max(1, n))));
    const chunk = words * 32;
    // Per row, the words that may be non-zero: [lo, hi) (empty: lo >= hi), stored packed from off[row]. A task's
    // descendants mostly sit near it in the document, so a row is mostly zeros: for the bench's 10,000 tasks the spans
    // hold 8% of the n × n/32 words, so OR-ing, counting and allocating only them made the ready-set build (npm run
    // bench, sync scenario: readySetMs) faster and its 12.5 MB bitset ~1 MB. Never more than whole rows.
    const lo = new Int32Array(n);
    const hi = new Int32Array(n);
    const off = new Int32Array(n);
    for (let c0 = 0; c0 < n; c0 += chunk) {
      const c1 = Math.min(n, c0 + chunk);
      let bits = new Uint32Array(Math.min(n * words, Math.max(1024, n)));
      let used = 0;
      lo.fill(words);
      hi.fill(0);
      for (let k = order.length - 1; k >= 0; k--) {
        const i = order[k];
        const deps = this.dependents[i];
        let a = words;
        let b = 0;
        for (const d of deps) {
          if (lo[d] < hi[d]) {
            if (lo[d] < a) a = lo[d];
            if (hi[d] > b) b = hi[d];
          }
          if (d >= c0 && d < c1) {
            const w = (d - c0) >>> 5;
            if (w < a) a = w;
            if (w + 1 > b) b = w + 1;
          }
        }
        lo[i] = a;
        hi[i] = b;
        if (a >= b) continue;
        if (used + (b - a) > bits.length) {
          const grown = new Uint32Array(Math.max(bits.length * 2, used + (b - a)));
          grown.set(bits.subarray(0, used));
          bits = grown;
        }
        off[i] = used;
        // Word w of row i is bits[row + w], for w in [a, b).
        const row = used - a;
        used += b - a;
        for (const d of deps) {
          const drow = off[d] - lo[d];
          for (let w = lo[d]; w < hi[d]; w++) bits[row + w] |= bits[drow + w];
          if (d >= c0 && d < c1) {
            const bit = d - c0;
            bits[row + (bit >>> 5)] |= 1 << (bit & 31);
          }
        }
        let count = 0;
        for (let w = a; w < b; w++) count += popcount(bits[row + w]);
        counts[i] += count;
      }
    }
    this.unblocks = counts;
    return counts;
  }

  /** Position of each task in the static dispatch order (see compareForDispatch). */
  private dispatchRank(): Int32Array {
    if (this.rank) return this.rank;
    const down = this.downstreamHours();
    const unblocks = this.unblocksCounts();
    const order = this.ids.map((_, i) => i);
    order.sort((a, b) => this.prio[a] - this.prio[b] || down[b] - down[a] || unblocks[b] - unblocks[a] || a - b);
    const rank = new Int32Array(this.ids.length);
    order.forEach((i, r) => (rank[i] = r));
    this.rank = rank;
    return rank;
  }
}

/** `taskId\0id` of every unknown dependency and self-dependency the parser reported (with better columns than ours). */
function reportedByParser(list: TaskList): Set<string> {
  const out = new Set<string>();
  for (const d of list.diagnostics) {
    if (d.code !== 'unknown-dependency' && d.code !== 'self-dependency') continue;
    const taskId = d.data?.taskId;
    const id = d.code === 'self-dependency' ? taskId : d.data?.id;
    if (typeof taskId === 'string' && typeof id === 'string') out.add(`${taskId}\u0000${id}`);
  }
  return out;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Breadth-first shortest path from `start` to `goal` along `adj`, as `[start, …, goal]`, or undefined. */
function shortestPath(adj: ReadonlyMap<number, number[]> | number[][], start: number, goal: number): number[] | undefined {
  const next = (i: number): number[] => (Array.isArray(adj) ? adj[i] : adj.get(i)) ?? [];
  const parent = new Map<number, number>([[start, -1]]);
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    const cur = queue[q];
    if (cur === goal) {
      const path: number[] = [];
      for (let k = cur; k !== -1; k = parent.get(k)!) path.push(k);
      return path.reverse();
    }
    for (const nb of next(cur)) {
      if (!parent.has(nb)) {
        parent.set(nb, cur);
        queue.push(nb);
      }
    }
  }
  return undefined;
}

/** Tarjan's algorithm, iterative (plans can have chains thousands of tasks deep). Returns a component id per node. */
function stronglyConnectedComponents(adj: number[][]): Int32Array {
  const n = adj.length;
  const idx = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const comp = new Int32Array(n).fill(-1);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const callStack: number[] = [];
  const edgePos = new Int32Array(n);
  let counter = 0;
  let compCount = 0;
  for (let root = 0; root < n; root++) {
    if (idx[root] !== -1) continue;
    callStack.push(root);
    idx[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (callStack.length > 0) {
      const v = callStack[callStack.length - 1];
      if (edgePos[v] < adj[v].length) {
        const w = adj[v][edgePos[v]++];
        if (idx[w] === -1) {
          idx[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          callStack.push(w);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v], idx[w]);
        }
        continue;
      }
      callStack.pop();
      if (callStack.length > 0) {
        const parent = callStack[callStack.length - 1];
        low[parent] = Math.min(low[parent], low[v]);
      }
      if (low[v] === idx[v]) {
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          comp[w] = compCount;
        } while (w !== v);
        compCount++;
      }
    }
  }
  return comp;
}

/** Binary min-heap of numbers (document indices). */
class MinHeap {
  private readonly a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  push(x: number): void {
    const a = this.a;
    a.push(x);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (a[p] <= a[i]) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): number {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}
