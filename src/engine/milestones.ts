// The plan's orchestrator_state rows this run writes: a heartbeat every health_check_interval (its health check and
// the uptime KPI's source), and a checkpoint when a feature or an epic completes or the completed count reaches a new
// multiple of checkpoint_interval_tasks, with a git tag when the config asks. Kept apart from the runtime so the
// counting rules are tested with an injected clock and store.
import type { MetricsView, PlanCounts } from '../protocol/views';
import { errorMessage } from '../core/describe';
import type { OrchestratorSnapshot, TaskStorePort } from './ports';

/** Days heartbeat rows stay in orchestrator_state (7 days at the plan's 30 s interval: about 20,000 rows). */
export const HEARTBEAT_RETENTION_DAYS = 7;
const DAY_MS = 86_400_000;

/** A milestone reached: a feature or epic completed, or a multiple of the interval of completed tasks. */
export interface Milestone {
  kind: 'feature' | 'epic' | 'tasks';
  id: string;
  title: string;
}

/** The config keys the milestones read (read again at each use: a reload applies at once). */
export interface MilestonesConfig {
  checkpoint: { enabled: boolean; gitTag: boolean; intervalTasks: number };
  healthCheckIntervalMs: number;
}

/** Options of RunMilestones. */
export interface RunMilestonesOptions {
  store: Pick<TaskStorePort, 'recordSnapshot' | 'pruneSnapshots'>;
  now: () => number;
  counts: () => PlanCounts;
  metrics: () => MetricsView;
  activeAgents: () => number;
  config: () => MilestonesConfig;
  /** A read-only engine writes no heartbeat and counts no interval checkpoint. */
  readOnly: boolean;
  /** Tags a checkpoint in git; resolves to the tag made, if any. */
  gitTag: (id: string, message: string) => Promise<string | undefined>;
  /** The branch the tags go on when it is not the checkout (isolation's integration branch), named in the log. */
  tagBranch?: string;
  info: (message: string) => void;
  warn: (message: string) => void;
}

/** Heartbeat and checkpoint rows (see the file comment); close() stops the heartbeats. */
export class RunMilestones {
  /** Completed count of the last interval checkpoint (set by baseline, so the count the plan already had is not one). */
  private checkpointedAt = 0;
  private heartbeatTimer?: NodeJS.Timeout;
  /** Checkpoint tags being written: a run that ends right after the last task still leaves its tags. */
  private readonly tags = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly opts: RunMilestonesOptions) {}

  /** The plan's completed count at open: interval checkpoints count from the multiple below it, never again. */
  baseline(completed: number): void {
    const every = this.opts.config().checkpoint.intervalTasks;
    if (every > 0) this.checkpointedAt = Math.floor(completed / every) * every;
  }

  /** Writes a heartbeat now and every health_check_interval (0: none; a read-only engine: none). */
  startHeartbeats(): void {
    const ms = this.opts.config().healthCheckIntervalMs;
    if (ms <= 0 || this.opts.readOnly || this.heartbeatTimer || this.closed) return;
    this.heartbeat();
    this.heartbeatTimer = setInterval(() => this.heartbeat(), ms);
    this.heartbeatTimer.unref();
  }

  /** One heartbeat row: counts, tasks/hour, uptime, and the metrics as JSON; heartbeats past the retention go. */
  heartbeat(): void {
    try {
      const counts = this.opts.counts();
      const metrics = this.opts.metrics();
      const now = this.opts.now();
      this.opts.store.recordSnapshot({
        ...this.row('heartbeat', now, counts, metrics),
        metrics: { counts, tasksPerHour: metrics.tasksPerHour, successRate: metrics.successRate, avgCompletionMs: metrics.avgCompletionMs },
      });
      // Heartbeats are kept HEARTBEAT_RETENTION_DAYS (the uptime KPI's window); checkpoints and snapshots for good.
      this.opts.store.pruneSnapshots('heartbeat', now - HEARTBEAT_RETENTION_DAYS * DAY_MS);
    } catch (e) {
      this.opts.warn(`heartbeat row not written: ${errorMessage(e)}`);
    }
  }

  /**
   * A task completed: a checkpoint (milestone `tasks-<n>`) each time the plan's completed count reaches a new multiple
   * of checkpoint_interval_tasks, counted over the whole plan so a restart neither repeats nor skips one.
   */
  taskCompleted(): void {
    const n = this.opts.config().checkpoint.intervalTasks;
    if (n <= 0 || this.opts.readOnly) return;
    const reached = Math.floor(this.opts.counts().completed / n) * n;
    if (reached === 0 || reached <= this.checkpointedAt) return;
    this.checkpointedAt = reached;
    this.reached({ kind: 'tasks', id: `tasks-${reached}`, title: `${reached} tasks completed` });
  }

  /** A checkpoint row (its facts in full in metrics_json) and, when the config asks, a git tag. */
  reached(g: Milestone): void {
    const { checkpoint } = this.opts.config();
    if (!checkpoint.enabled) return;
    const counts = this.opts.counts();
    const metrics = this.opts.metrics();
    const now = this.opts.now();
    this.opts.store.recordSnapshot({
      ...this.row('checkpoint', now, counts, metrics),
      milestoneId: g.id,
      metrics: { ...g, at: new Date(now).toISOString(), counts, tasksPerHour: metrics.tasksPerHour, metrics },
    });
    if (!checkpoint.gitTag) return;
    const tagged = this.opts.gitTag(g.id, `${g.kind} ${g.id} ${g.title} completed`).then(
      (tag) => {
        if (tag) this.opts.info(`checkpoint tag ${tag}${this.opts.tagBranch !== undefined ? ` on ${this.opts.tagBranch}` : ''}`);
      },
      (e: unknown) => this.opts.warn(`checkpoint tag for ${g.id} not created: ${errorMessage(e)}`),
    );
    this.tags.add(tagged);
    void tagged.finally(() => this.tags.delete(tagged));
  }

  /** Resolves once the tags being written are written (or failed). */
  async settled(): Promise<void> {
    await Promise.all(this.tags);
  }

  /** Stops the heartbeats (tags under way go on: see settled). Idempotent. */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** The columns every orchestrator_state row carries: the plan's counts, agents at work, throughput and uptime at `at`. */
  private row(kind: OrchestratorSnapshot['kind'], at: number, counts: PlanCounts, metrics: MetricsView): OrchestratorSnapshot {
    return {
      kind,
      at,
      activeAgents: this.opts.activeAgents(),
      pendingTasks: counts.pending,
      completedTasks: counts.completed,
      failedTasks: counts.failed,
      tasksPerHour: metrics.tasksPerHour,
      uptimeSeconds: Math.floor(metrics.uptimeSeconds),
    };
  }
}
