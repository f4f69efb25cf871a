// A tiny typed event emitter for the editor layer's plain-Node modules (no vscode import, so they unit-test in Node).
// Event names follow `noun:verb`; listeners are removed by calling the function `on` returns.

/** A map from event name to payload type. */
export type EventMap = object;

/** Typed emitter; a throwing listener never stops the others (its error goes to `onListenerError`). */
export class TypedEmitter<M extends EventMap> {
  private readonly listeners = new Map<keyof M, Set<(payload: never) => void>>();

  constructor(private readonly onListenerError: (error: unknown, event: keyof M) => void = () => undefined) {}

  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof M>(event: K, listener: (payload: M[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => {
      set.delete(listener as (payload: never) => void);
    };
  }

  /** Calls every listener of `event` with `payload`, in subscription order. */
  emit<K extends keyof M>(event: K, payload: M[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const l of [...set]) {
      try {
        (l as (payload: M[K]) => void)(payload);
      } catch (e) {
        this.onListenerError(e, event);
      }
    }
  }

  /** Drops every listener (used by owners' dispose). */
  clear(): void {
    this.listeners.clear();
  }
}
