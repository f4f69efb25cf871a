// A minimal typed event emitter shared by the engine and the editor layer (pure: no Node or vscode API): `noun:verb`
// event maps checked at compile time, listeners called synchronously in subscription order. A throwing listener never
// breaks the emitter's owner: its error goes to `onListenerError`.

/** Subscribe/unsubscribe surface of a TypedEmitter, for classes that expose only `on`. */
export interface TypedEvents<E> {
  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof E>(event: K, listener: (payload: E[K]) => void): () => void;
}

export class TypedEmitter<E> implements TypedEvents<E> {
  private readonly map = new Map<keyof E, Set<(payload: never) => void>>();

  constructor(private readonly onListenerError: (e: unknown, event: string) => void = () => undefined) {}

  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof E>(event: K, listener: (payload: E[K]) => void): () => void {
    let set = this.map.get(event);
    if (!set) this.map.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => {
      set.delete(listener as (payload: never) => void);
    };
  }

  /** Subscribes for one emission. */
  once<K extends keyof E>(event: K, listener: (payload: E[K]) => void): () => void {
    const off = this.on(event, (p) => {
      off();
      listener(p);
    });
    return off;
  }

  /** True when someone listens to `event` (lets callers skip building costly payloads). */
  has<K extends keyof E>(event: K): boolean {
    return (this.map.get(event)?.size ?? 0) > 0;
  }

  emit<K extends keyof E>(event: K, payload: E[K]): void {
    const set = this.map.get(event);
    if (!set || set.size === 0) return;
    for (const l of [...set]) {
      try {
        (l as (p: E[K]) => void)(payload);
      } catch (e) {
        this.onListenerError(e, String(event));
      }
    }
  }

  /** Drops every listener. */
  clear(): void {
    this.map.clear();
  }
}
