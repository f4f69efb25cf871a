// Fans the engine's events out to every stream client (Server-Sent Events now; any sink that takes a named event):
// one subscription to the engine, each payload serialized once however many clients listen. A new client gets the
// whole plan first (`plan:changed`), then the increments, in the engine's order — the same conversation the editor's
// dashboard has. Metrics are refreshed at most once a second while tasks change, as the editor's dashboard does.
import { ENGINE_NOTIFICATION_NAMES, type EngineNotifications } from '../../protocol/engineProtocol';
import type { ServerEventName } from '../../protocol/httpApi';
import { metricsOf } from '../../protocol/webviewProtocol';
import type { EngineApi } from '../engineApi';

/**
 * One event as it goes on the wire, encoded at most once per transport however many clients get it: with 200 clients
 * a whole-plan event is one buffer written 200 times, not 200 copies (a 1,000-task plan is about 0.7 MB).
 */
export class WireEvent {
  private sseBytes: Buffer | undefined;
  private wsBytes: Buffer | undefined;

  constructor(
    readonly event: ServerEventName,
    /** The payload, already JSON. */
    readonly json: string,
  ) {}

  /** `event: NAME` + `data: JSON` + a blank line (GET /api/events). */
  get sse(): Buffer {
    return (this.sseBytes ??= Buffer.from(`event: ${this.event}\ndata: ${this.json}\n\n`));
  }

  /** `{"event": NAME, "data": JSON}`, one text frame (/ws/progress: ProgressFrame). */
  get ws(): Buffer {
    return (this.wsBytes ??= Buffer.from(`{"event":${JSON.stringify(this.event)},"data":${this.json}}`));
  }
}

/** A stream client: takes one event; `close` ends its connection. */
export interface EventSink {
  send(event: WireEvent): void;
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
        this.broadcast(new WireEvent(event, JSON.stringify(p)));
        if (event === 'tasks:changed') this.scheduleMetrics();
      });
    for (const event of ENGINE_NOTIFICATION_NAMES) this.unsubscribe.push(forward(event));
  }

  /** Number of connected clients. */
  get size(): number {
    return this.sinks.size;
  }

  /**
   * Adds a client: it gets the whole plan first, then every event. Events that arrive while the snapshot is being
   * taken are held and sent after it (each carries absolute task states, so one the snapshot already holds is
   * harmless). The result removes the client; its `ready` settles once the snapshot was sent (or failed: the client
   * is closed then).
   */
  add(sink: EventSink): (() => void) & { ready: Promise<void> } {
    const held: WireEvent[] = [];
    const waiting: EventSink = { send: (e) => void held.push(e), close: () => sink.close() };
    let current: EventSink = waiting;
    const remove = (): void => {
      this.sinks.delete(current);
    };
    if (this.closed) {
      sink.close();
      return Object.assign(remove, { ready: Promise.resolve() });
    }
    this.sinks.add(waiting);
    const ready = (async () => {
      try {
        const snapshot = await this.engine.snapshot();
        if (!this.sinks.has(waiting)) return; // removed or closed meanwhile
        sink.send(new WireEvent('plan:changed', JSON.stringify({ snapshot })));
        for (const e of held) sink.send(e);
        this.sinks.delete(waiting);
        this.sinks.add((current = sink));
      } catch (e) {
        this.sinks.delete(waiting);
        sink.close();
        throw e;
      }
    })();
    return Object.assign(remove, { ready });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const u of this.unsubscribe.splice(0)) u();
    if (this.metricsTimer) clearTimeout(this.metricsTimer);
    for (const s of [...this.sinks]) s.close();
    this.sinks.clear();
  }

  private broadcast(e: WireEvent): void {
    // A sink that throws (its socket died) is dropped; the others still get the event.
    for (const s of [...this.sinks]) {
      try {
        s.send(e);
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
      // The metrics alone (`coditect/metrics`), as the editor's dashboard asks: not a whole snapshot of the plan.
      void Promise.resolve(this.engine.planMetrics()).then(
        (m) => this.broadcast(new WireEvent('metrics:changed', JSON.stringify(metricsOf(m)))),
        () => undefined, // an engine going away has no metrics to give; the stream ends with it
      );
    }, this.metricsRefreshMs);
    this.metricsTimer.unref?.();
  }
}
