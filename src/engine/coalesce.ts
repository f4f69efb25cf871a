// Turns a burst of task changes into one notification: a completion and the dependents it readies, a sync that moved
// fifty tasks, reach the views as ONE `tasks:changed`. The ids are collected until the current turn of the event loop
// ends (setImmediate), then handed on once, in the order they first changed.

/** Collects changed ids and flushes them together once per turn of the event loop. */
export class ChangeCoalescer {
  private readonly ids = new Set<string>();
  private scheduled = false;

  /** `flush` receives each burst's ids (never empty). */
  constructor(private readonly flush: (ids: string[]) => void) {}

  /** Notes that `id` changed; the burst is flushed at the end of this turn of the event loop. */
  add(id: string): void {
    this.ids.add(id);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flushNow());
  }

  private flushNow(): void {
    this.scheduled = false;
    if (this.ids.size === 0) return;
    const ids = [...this.ids];
    this.ids.clear();
    this.flush(ids);
  }
}
