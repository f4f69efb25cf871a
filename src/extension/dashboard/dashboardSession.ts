// The extension-host side of the dashboard, without vscode: the ready handshake, snapshot-then-increments, metrics
// refresh, and the page's commands. dashboardPanel.ts binds it to a real webview panel; keeping it free of vscode
// lets it be tested in plain Node.
import { errorMessage } from '../../core/describe';
import { stamp } from '../perfTrace';
import type { PlanMetrics, ReviewView } from '../../protocol/engineProtocol';
import type { ActiveAgentView, PlanSnapshot } from '../../protocol/views';
import {
  isFromWebview,
  metricsOf,
  planPages,
  type DashboardCommand,
  type DashboardEvent,
  type RunCommandParams,
  type ToWebview,
} from '../../protocol/webviewProtocol';

/** What the session needs from the editor: a snapshot, the engine's events, and the registered commands. */
export interface DashboardSource {
  /** The whole plan as the dashboard draws it. */
  snapshot(): Promise<PlanSnapshot>;
  /**
   * The plan the editor already holds, kept current by the same events onEvent delivers (applied before they are
   * delivered), or undefined when it has none: a page starts from it without waiting for the engine (a 10,000-task
   * snapshot is ~4 MB through the engine's pipe). Its metrics may be old: the session asks for fresh ones at once.
   */
  held?(): PlanSnapshot | undefined;
  /** The metrics, KPIs, spend and provider pauses alone (`coditect/metrics`): what a refresh while tasks change needs. */
  metrics(): Promise<PlanMetrics>;
  /** Subscribes to the engine events the dashboard forwards; the result unsubscribes. */
  onEvent(listener: (e: DashboardEvent) => void): { dispose(): unknown };
  /**
   * Runs a registered command (vscode.commands.executeCommand): the same path as the palette, the tree and the
   * lenses, which refuses in Restricted Mode and tells the person what went wrong.
   */
  runCommand(command: DashboardCommand, taskId?: string): Promise<unknown>;
  /** The branches waiting for review as the editor knows them now (its ReviewStore); absent: the page shows none. */
  reviews?(): readonly ReviewView[];
  /** Subscribes to changes of that list; the result unsubscribes. */
  onReviews?(listener: () => void): { dispose(): unknown };
}

export interface DashboardSessionOptions {
  source: DashboardSource;
  /** Posts to the webview (e.g. `webview.postMessage`). */
  post: (msg: ToWebview) => unknown;
  /**
   * Least time between two metric refreshes while tasks change, in ms. Default 1000; 0 refreshes on every change.
   * Throttled, not debounced: during a busy run metrics (and the throughput chart) still move this often.
   */
  metricsRefreshMs?: number;
  /** Told about failures that are not the person's to see (a malformed message, a command that threw). */
  onError?: (message: string) => void;
}

/**
 * One dashboard webview's conversation with the editor. Posts nothing before `webview:ready`, then the plan (its first
 * tasks, then the rest in pages: planPages), then increments.
 */
export class DashboardSession {
  private readonly source: DashboardSource;
  private readonly post: (msg: ToWebview) => unknown;
  private readonly metricsRefreshMs: number;
  private readonly onError: (message: string) => void;
  private subscription: { dispose(): unknown } | undefined;
  private reviewSubscription: { dispose(): unknown } | undefined;
  /** Events that arrived while the snapshot was being fetched; replayed after it (the reducer is idempotent for them). */
  private pending: DashboardEvent[] | undefined;
  private live = false;
  /** The page said `ready` and has not gone away since (it may still be waiting for its snapshot). */
  private pageUp = false;
  /** Bumped by every ready/detach so a slow snapshot for an older page is thrown away. */
  private generation = 0;
  private metricsTimer: ReturnType<typeof setTimeout> | undefined;
  private metricsInFlight: Promise<void> | undefined;
  private disposed = false;

  constructor(options: DashboardSessionOptions) {
    const ms = options.metricsRefreshMs ?? 1000;
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`metricsRefreshMs must be a number >= 0, got ${String(options.metricsRefreshMs)}`);
    this.source = options.source;
    this.post = options.post;
    this.metricsRefreshMs = ms;
    this.onError = options.onError ?? (() => undefined);
  }

  /** True between a delivered snapshot and the next detach. */
  get isLive(): boolean {
    return this.live;
  }

  /** True once the page said `ready`, until it is detached: a replacement session must start without waiting for another `ready`. */
  get hasPage(): boolean {
    return this.pageUp;
  }

  /** Handles a message from the webview; resolves when its work (snapshot, command) is done. */
  async receive(raw: unknown): Promise<void> {
    if (this.disposed) return;
    if (!isFromWebview(raw)) {
      this.onError(`dashboard: ignored a malformed message from the webview: ${describe(raw)}`);
      return;
    }
    switch (raw.type) {
      case 'webview:ready':
        return this.start();
      case 'command:run':
        return this.runCommand(raw.params);
    }
  }

  /** (Re)starts the conversation: subscribe, send a fresh snapshot, then forward events. Called on `webview:ready`. */
  async start(): Promise<void> {
    if (this.disposed) return;
    this.detach();
    this.pageUp = true;
    const generation = this.generation;
    this.pending = [];
    // Subscribe before asking for the snapshot, so nothing that happens in between is lost.
    this.subscription = this.source.onEvent((e) => this.onEvent(e));
    this.reviewSubscription = this.source.onReviews?.(() => {
      if (this.live) this.sendReviews();
    });
    let snapshot: PlanSnapshot;
    const held = this.source.held?.();
    try {
      snapshot = held ? { ...held, active: activeNow(held, Date.now()) } : await this.source.snapshot();
    } catch (err) {
      if (generation !== this.generation || this.disposed) return;
      this.detach();
      this.send({ type: 'notice:shown', params: { level: 'error', message: `Could not load the plan: ${errorMessage(err)}` } });
      return;
    }
    if (generation !== this.generation || this.disposed) return;
    // The first screen from the first page; each next page once the one before was handed to the webview, so the
    // first is not queued behind megabytes. Events wait in `pending` until the last page (the page's plan is whole).
    const [first, ...more] = planPages(snapshot);
    stamp('dashboard:first-page', { held: held !== undefined, pages: more.length + 1 });
    this.send(first!);
    // The page keeps its review list across snapshots; a new page (or one after a reload) gets it here.
    this.sendReviews();
    for (const page of more) {
      await this.sendAndWait(page);
      if (generation !== this.generation || this.disposed) return;
    }
    stamp('dashboard:pages-posted');
    this.live = true;
    const replay = this.pending ?? [];
    this.pending = undefined;
    for (const e of replay) this.onEvent(e);
    // The held plan's metrics, KPIs and spend are those of its last whole snapshot.
    if (held) this.refreshMetrics(generation);
  }

  /** The webview went away (hidden or reloading): stop forwarding until it says `ready` again. */
  detach(): void {
    this.generation++;
    this.live = false;
    this.pageUp = false;
    this.pending = undefined;
    this.subscription?.dispose();
    this.subscription = undefined;
    this.reviewSubscription?.dispose();
    this.reviewSubscription = undefined;
    if (this.metricsTimer) clearTimeout(this.metricsTimer);
    this.metricsTimer = undefined;
  }

  /** Stops everything; idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.detach();
    this.disposed = true;
  }

  /** Resolves once a metrics refresh that is scheduled or running has been posted (for tests and shutdown). */
  async settled(): Promise<void> {
    while (this.metricsTimer || this.metricsInFlight) {
      if (this.metricsTimer) {
        clearTimeout(this.metricsTimer);
        this.metricsTimer = undefined;
        this.refreshMetrics(this.generation);
      }
      await this.metricsInFlight;
    }
  }

  private onEvent(e: DashboardEvent): void {
    if (this.disposed) return;
    if (!this.live) {
      this.pending?.push(e);
      return;
    }
    // The engine's events go to the page as they are: same name, same payload.
    this.send(e);
    if (e.type === 'tasks:changed') this.scheduleMetrics();
  }

  private sendReviews(): void {
    if (this.source.reviews) this.send({ type: 'reviews:changed', params: { reviews: [...this.source.reviews()] } });
  }

  private scheduleMetrics(): void {
    if (this.metricsTimer) return;
    const generation = this.generation;
    this.metricsTimer = setTimeout(() => {
      this.metricsTimer = undefined;
      this.refreshMetrics(generation);
    }, this.metricsRefreshMs);
  }

  private refreshMetrics(generation: number): void {
    const run = (async () => {
      try {
        const m = await this.source.metrics();
        if (generation === this.generation && this.live) this.send({ type: 'metrics:changed', params: metricsOf(m) });
      } catch (err) {
        this.onError(`dashboard: could not refresh metrics: ${errorMessage(err)}`);
      }
    })();
    const tracked: Promise<void> = run.finally(() => {
      if (this.metricsInFlight === tracked) this.metricsInFlight = undefined;
    });
    this.metricsInFlight = tracked;
  }

  private async runCommand(p: RunCommandParams): Promise<void> {
    try {
      await this.source.runCommand(p.command, p.taskId);
    } catch (err) {
      // Registered commands report their own failures to the person; one that throws anyway is logged.
      this.onError(`dashboard: ${p.command}${p.taskId ? ` ${p.taskId}` : ''} failed: ${errorMessage(err)}`);
    }
  }

  /** Posts and resolves once the post settled (webview.postMessage's Thenable), whether or not it was delivered. */
  private async sendAndWait(msg: ToWebview): Promise<void> {
    let r: unknown;
    try {
      r = this.post(msg);
    } catch (err) {
      this.onError(`dashboard: could not post ${msg.type}: ${errorMessage(err)}`);
      return;
    }
    if (r && typeof (r as Promise<unknown>).then === 'function') await (r as Promise<unknown>).then(undefined, () => undefined);
  }

  private send(msg: ToWebview): void {
    try {
      const r = this.post(msg);
      // webview.postMessage returns a Thenable that rejects once the panel is disposed: nothing to do then.
      if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(undefined, () => undefined);
    } catch (err) {
      this.onError(`dashboard: could not post ${msg.type}: ${errorMessage(err)}`);
    }
  }
}

/**
 * The agents running in a plan the editor holds: its in-progress tasks (a held plan's `active` is that of its last whole
 * snapshot; tasks:changed moved them since), each as the snapshot listed it when it did, else from the task itself —
 * the rule the page applies to each tasks:changed (webview-ui/state.ts).
 */
export function activeNow(s: Pick<PlanSnapshot, 'tasks' | 'active'>, now: number): ActiveAgentView[] {
  const listed = new Map(s.active.map((a) => [a.taskId, a]));
  return s.tasks
    .filter((t) => t.status === 'in_progress')
    .map(
      (t) =>
        listed.get(t.id) ?? {
          taskId: t.id,
          title: t.title,
          agent: t.route.agent,
          startedAt: t.startedAt ?? new Date(now).toISOString(),
          attempt: t.retryCount + 1,
        },
    );
}

function describe(raw: unknown): string {
  try {
    const s = JSON.stringify(raw);
    return s === undefined ? String(raw) : s.length > 120 ? `${s.slice(0, 117)}...` : s;
  } catch {
    return typeof raw;
  }
}
