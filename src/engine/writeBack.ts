// When the engine writes task statuses back to the markdown: after a short pause that lets the rest of a burst of
// status changes land (one write for many ticks, at most a few a second), never two writes at once, and once more
// after the running one when more changes came meanwhile.

/** Runs `write` after each burst of requests, one at a time. */
export class WriteBackScheduler {
  private running?: Promise<void>;
  private again = false;

  /**
   * @param write writes the statuses back; a rejection is handed to `onError`.
   * @param stopping true once the owner is closing: a write under way then runs no repeat.
   * @param intervalMs the pause before each write, so a burst of changes is written once [200].
   */
  constructor(
    private readonly write: () => Promise<void>,
    private readonly onError: (e: unknown) => void,
    private readonly stopping: () => boolean,
    private readonly intervalMs = 200,
  ) {
    if (!Number.isFinite(intervalMs) || intervalMs < 0) throw new RangeError(`intervalMs must be a non-negative number, got ${String(intervalMs)}`);
  }

  /** Asks for a write: the next one starts after the pause, or after the running one when a write is under way. */
  request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        // Not unref'd: settled() is awaited on close, and an unref'd timer would let the process exit mid-write.
        await new Promise<void>((r) => setTimeout(r, this.intervalMs));
        try {
          await this.write();
        } catch (e) {
          this.onError(e);
        }
      } while (this.again && !this.stopping());
    })().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once no write is under way (one requested meanwhile is waited for too). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }
}
