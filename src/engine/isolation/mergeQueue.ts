// The merge queue: task branches land on the integration branch one at a time, in the order they were queued.
// Invariants: at most one merge runs at any moment; a request leaves the queue only after its handler has recorded the
// outcome (so a crash never loses or repeats a landing); while the integration branch cannot be fast-forwarded (a
// person's uncommitted changes) the queue waits, says why once, and looks again every `recheckMs` or when poked.
import { MergeError, type MergeOutcome, type MergeRequest, type Merger } from './merger';

/** What the queue tells its owner; every call is awaited before the queue moves on. */
export interface MergeQueueHandler {
  /** A merge of `req` begins (once per request, however long it then waits). */
  started(req: MergeRequest): void | Promise<void>;
  /** The merge produced `candidate`; its checks run next. */
  candidate(req: MergeRequest, candidate: string): void;
  /** The integration branch cannot take merges now; called once per distinct reason while it lasts. */
  blocked(req: MergeRequest, reason: string, files: string[]): void;
  /** The block is over. */
  unblocked(req: MergeRequest): void;
  /** Live output of the checks. */
  output(req: MergeRequest, chunk: string): void;
  /** Final outcome (merged, conflict, checks failed). */
  finished(req: MergeRequest, outcome: Exclude<MergeOutcome, { kind: 'blocked' }>): void | Promise<void>;
  /** The merge could not be attempted (git failed, a branch is missing): not the branch's fault, but final for this request. */
  failed(req: MergeRequest, error: Error): void | Promise<void>;
}

export interface MergeQueueOptions {
  merger: Merger;
  handler: MergeQueueHandler;
  /** While blocked, how often the queue looks again. Default 2000 ms. */
  recheckMs?: number;
}

/** Serial merge queue (see the file comment). */
export class MergeQueue {
  private readonly items: MergeRequest[] = [];
  private running?: Promise<void>;
  private current?: MergeRequest;
  private readonly abort = new AbortController();
  private wake?: () => void;
  private blockedBy?: string;
  private idleWaiters: (() => void)[] = [];
  private closing?: Promise<void>;

  constructor(private readonly opts: MergeQueueOptions) {
    const r = opts.recheckMs ?? 2000;
    if (!(Number.isFinite(r) && r > 0)) throw new RangeError(`merge queue recheckMs must be > 0, got ${String(opts.recheckMs)}`);
  }

  /** Queues a branch; a task already queued or merging is not queued twice. */
  enqueue(req: MergeRequest): void {
    if (this.closing) return;
    if (this.current?.taskId === req.taskId || this.items.some((i) => i.taskId === req.taskId)) return;
    this.items.push(req);
    this.pump();
  }

  /** Drops a queued (not yet merging) task; true when it was queued. */
  remove(taskId: string): boolean {
    const i = this.items.findIndex((r) => r.taskId === taskId);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }

  /** Look again now (a person committed, stashed or asked). */
  poke(): void {
    this.wake?.();
  }

  /** Task ids waiting, the merging one first. */
  pending(): string[] {
    return [...(this.current ? [this.current.taskId] : []), ...this.items.map((r) => r.taskId)];
  }

  /** Why the queue waits, when it does. */
  get blockedReason(): string | undefined {
    return this.blockedBy;
  }

  /** Resolves when nothing is queued or merging. */
  idle(): Promise<void> {
    if (!this.current && this.items.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Stops: the running merge is aborted (its checks killed, its request left for the next start); queued ones stay unmerged. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.items.length = 0;
      this.abort.abort(new MergeError('the merge queue is closing'));
      this.wake?.();
      await this.running;
      for (const w of this.idleWaiters.splice(0)) w();
    })();
    return this.closing;
  }

  private pump(): void {
    if (this.running || this.closing) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      if (this.items.length > 0 && !this.closing) this.pump();
      else for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  private async loop(): Promise<void> {
    const { merger, handler } = this.opts;
    let announced: MergeRequest | undefined;
    while (!this.closing && this.items.length > 0) {
      const req = this.items[0];
      this.current = req;
      try {
        if (announced !== req) await handler.started(req);
        announced = req;
        const outcome = await merger.merge(req, { onCandidate: (c) => handler.candidate(req, c), onOutput: (c) => handler.output(req, c) }, this.abort.signal);
        if (this.closing) return;
        if (outcome.kind === 'blocked') {
          this.noteBlocked(req, outcome.reason, outcome.files);
          await this.pause();
          continue; // the same request again
        }
        if (this.blockedBy !== undefined) {
          this.blockedBy = undefined;
          handler.unblocked(req);
        }
        this.items.shift();
        await handler.finished(req, outcome);
      } catch (e) {
        if (this.closing) return; // left unfinished on purpose: the next start resumes it
        this.items.shift();
        await handler.failed(req, e instanceof Error ? e : new Error(String(e)));
      } finally {
        this.current = undefined;
      }
    }
  }

  /** Waits `recheckMs`, or until poked or closed. */
  private pause(): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, this.opts.recheckMs ?? 2000);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  private noteBlocked(req: MergeRequest, reason: string, files: string[]): void {
    if (this.blockedBy === reason) return;
    this.blockedBy = reason;
    this.opts.handler.blocked(req, reason, files);
  }
}
