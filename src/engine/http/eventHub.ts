// Fans the engine's events out to every stream client (Server-Sent Events now; any sink that takes a named event):
// one subscription to the engine, each payload serialized once however many clients listen. A new client gets the
// whole plan first (`plan:changed`), then the increments, in the engine's order — the same conversation the editor's
// dashboard has. Metrics are refreshed at most once a second while tasks change, as the editor's dashboard does.
import { ENGINE_NOTIFICATION_NAMES, type EngineNotifications } from '../../protocol/engineProtocol';
import type { ServerEventName } from '../../protocol/httpApi';
import type { EngineApi } from '../engineApi';

/** A stream client: takes one event (its payload already JSON); `close` ends its connection. */
export interface EventSink {
  send(event: ServerEventName, json: string): void;
  close(): void;
}

export interface EventHubOptions {
  engine: EngineApi;
  /** Least time between two `metrics:changed` while tasks change, ms. Default 1000. */
  metricsRefreshMs?: number;
}

/** One per server; `close()` is idempotent and ends every client. */
export class EventHub {
  private readonly engine: EngineApi;
  private readonly sinks = new Set<EventSink>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly metricsRefreshMs: number;
  private metricsTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(opts: EventHubOptions) {
    const ms = opts.metricsRefreshMs ?? 1000;
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`metricsRefreshMs must be a number >= 0, got ${String(opts.metricsRefreshMs)}`);
    this.metricsRefreshMs = ms;
    this.engine = opts.engine;
    const forward = <K extends keyof EngineNotifications>(event: K): (() => void) =>
      this.engine.on(event, (p) => {
        this.broadcast(event, JSON.stringify(p));
        if (event === 'tasks:changed') this.scheduleMetrics();
      });
    for (const event of ENGINE_NOTIFICATION_NAMES) this.unsubscribe.push(forward(event));
  }

  /** Number of connected clients. */
  get size(): number {
    return this.sinks.size;
  }

  /** Adds a client: it gets the whole plan now (synchronously, so no event can fall in between), then every event. */
  add(sink: EventSink): () => void {
    if (this.closed) {
      sink.close();
      return () => undefined;
    }
    sink.send('plan:changed', JSON.stringify({ snapshot: this.engine.snapshot() }));
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const u of this.unsubscribe.splice(0)) u();
    if (this.metricsTimer) clearTimeout(this.metricsTimer);
    for (const s of [...this.sinks]) s.close();
    this.sinks.clear();
  }

  private broadcast(event: ServerEventName, json: string): void {
    // A sink that throws (its socket died) is dropped; the others still get the event.
    for (const s of [...this.sinks]) {
      try {
        s.send(event, json);
      } catch {
        this.sinks.delete(s);
        s.close();
      }
    }
  }

  private scheduleMetrics(): void {
    if (this.metricsTimer || this.closed || this.sinks.size === 0) return;
    this.metricsTimer = setTimeout(() => {
      this.metricsTimer = undefined;
      if (this.closed || this.sinks.size === 0) return;
      this.broadcast('metrics:changed', JSON.stringify({ metrics: this.engine.snapshot().metrics }));
    }, this.metricsRefreshMs);
    this.metricsTimer.unref?.();
  }
}
