// The engine's one live plan: the parsed list indexed by id, the dependency graph carrying the live statuses, the
// paths held by tasks in progress (file-aware scheduling), and per-feature/per-epic counts of unfinished tasks (so
// "this feature just completed" is O(1) per change, not a scan of the epic). The orchestrator owns it and makes every
// status change through `setStatus`; the views (planView.ts) read it.
import { FileClaims } from '../core/fileClaims';
import { DependencyGraph } from '../core/graph';
import { countsInProgress, type EpicNode, type FeatureNode, type PriorityWeights, type TaskList, type TaskNode, type TaskStatus } from '../core/model';
import { countsAsDone } from '../core/progress';
import type { PlanCounts } from '../protocol/views';
import { countTasks, pathsOf } from './planView';

/** A feature or epic whose last unfinished task just finished. */
export interface GroupCompleted {
  kind: 'feature' | 'epic';
  id: string;
  title: string;
}

/** Result of a status change. */
export interface StatusChange {
  previous: TaskStatus;
  /** Tasks that became ready because of it, in dispatch order. */
  nowReady: string[];
  /** Features/epics that became complete because of it. */
  completedGroups: GroupCompleted[];
}

export class PlanState {
  readonly graph: DependencyGraph;
  readonly byId = new Map<string, TaskNode>();
  readonly epics = new Map<string, EpicNode>();
  readonly features = new Map<string, FeatureNode>();
  /** Paths held by the tasks in progress (src/core/fileClaims.ts): claimed and released by `setStatus`. */
  readonly claims = new FileClaims();
  private readonly openInFeature = new Map<string, number>();
  private readonly openInEpic = new Map<string, number>();
  /** Tasks not completed or skipped (criteria and optional tasks aside: the plan is done without them). */
  private open = 0;

  /**
   * `statuses` (the database's) override the statuses written in the list; `previous` is the graph of the plan
   * before; `runOptional` lets optional tasks run by themselves (config `run_optional`).
   */
  constructor(
    readonly list: TaskList,
    statuses: ReadonlyMap<string, TaskStatus>,
    previous?: DependencyGraph,
    runOptional = false,
    priorityWeights?: PriorityWeights,
    approvedGates?: ReadonlySet<string>,
  ) {
    this.graph = DependencyGraph.fromTaskList(list, statuses, { previous, runOptional, priorityWeights, approvedGates });
    for (const e of list.epics) this.epics.set(e.id, e);
    for (const f of list.features) this.features.set(f.id, f);
    for (const t of list.tasks) {
      if (this.byId.has(t.id)) continue; // duplicate ids: the first one owns the id (as in the graph)
      this.byId.set(t.id, t);
      if (this.status(t.id) === 'in_progress') this.claims.claim(t.id, this.pathsOf(t.id));
      if (countsInProgress(t) && !countsAsDone({ status: this.status(t.id) })) {
        this.open++;
        this.openInFeature.set(t.featureId, (this.openInFeature.get(t.featureId) ?? 0) + 1);
        this.openInEpic.set(t.epicId, (this.openInEpic.get(t.epicId) ?? 0) + 1);
      }
    }
  }

  /** Current status (the graph's). */
  status(id: string): TaskStatus {
    return this.graph.statusOf(id) ?? 'pending';
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The paths `id` names (its `Files:` lines, the paths in its title); none for an unknown id. */
  pathsOf(id: string): string[] {
    const node = this.byId.get(id);
    return node ? pathsOf(this.list, node) : [];
  }

  /** Changes a status in the graph, the file claims and the group counts. */
  setStatus(id: string, status: TaskStatus): StatusChange {
    const previous = this.status(id);
    const nowReady = this.graph.setStatus(id, status);
    if (status === 'in_progress') this.claims.claim(id, this.pathsOf(id));
    else this.claims.release(id);
    const completedGroups: GroupCompleted[] = [];
    // A group completes by the same rule of done its progress figures use.
    const wasDone = countsAsDone({ status: previous });
    const isDone = countsAsDone({ status });
    const t = this.byId.get(id);
    if (t && countsInProgress(t) && wasDone !== isDone) {
      const d = isDone ? -1 : 1;
      this.open += d;
      const f = (this.openInFeature.get(t.featureId) ?? 0) + d;
      const e = (this.openInEpic.get(t.epicId) ?? 0) + d;
      this.openInFeature.set(t.featureId, f);
      this.openInEpic.set(t.epicId, e);
      if (isDone && f === 0) completedGroups.push({ kind: 'feature', id: t.featureId, title: this.features.get(t.featureId)?.title ?? t.featureId });
      if (isDone && e === 0) completedGroups.push({ kind: 'epic', id: t.epicId, title: this.epics.get(t.epicId)?.title ?? t.epicId });
    }
    return { previous, nowReady, completedGroups };
  }

  /** Tasks per epic: how many there are and how many are done (completed or skipped), in document order. O(epics). */
  epicProgress(): { epic: string; total: number; done: number }[] {
    const total = new Map<string, number>();
    for (const t of this.byId.values()) total.set(t.epicId, (total.get(t.epicId) ?? 0) + 1);
    return [...total].map(([epic, n]) => ({ epic, total: n, done: n - (this.openInEpic.get(epic) ?? 0) }));
  }

  /** Number of tasks not completed or skipped. O(1). */
  openCount(): number {
    return this.open;
  }

  /** Counts by status (see countTasks). O(n). */
  counts(): PlanCounts {
    return countTasks(this.graph, this.byId.keys(), this.byId);
  }

  /** Ids with one of `statuses`, in document order. */
  idsWithStatus(statuses: ReadonlySet<TaskStatus>): string[] {
    const out: string[] = [];
    for (const id of this.byId.keys()) if (statuses.has(this.status(id))) out.push(id);
    return out;
  }
}
