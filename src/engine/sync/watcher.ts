// Watches the task-list file and runs a sync after each burst of changes.
// - Debounce: a change schedules the sync `debounceMs` after the LAST change of a burst, but never later than
//   `maxWaitMs` after the first, so a file written continuously still syncs regularly. `maxWaitMs` defaults to the
//   larger of 1 s and `debounceMs`: a debounce longer than a second (the plan's `sync_debounce: 2`, "wait 2s after
//   change before syncing") is waited out in full, never cut short by the cap.
// - Serialised: never two syncs at once. A change during a sync marks the watcher dirty and the sync runs again
//   after it, so the last write of any burst is always synced (no lost update).
// - Own writes: with `expectedChecksum`, a change whose file bytes hash to what the sync service last wrote or read
//   is the engine's own atomic write (or a no-op save) and triggers nothing.
// - No dropped writes: chokidar's `change` events are throttled (5 ms per file) and filtered (mtime/atime checks), so
//   the trailing write of a burst can go unreported, and a file replaced by rename twice in a row was seen to report
//   nothing the second time. The watcher therefore also listens to chokidar's unfiltered `raw` events, never starts a
//   sync sooner than MIN_DELAY_MS after the last event, and after each sync checks the file again (against
//   `expectedChecksum`, else against the bytes seen before the sync) and syncs once more if it moved on.
// The parent directory is watched, not the file: editors and our own atomic writes replace the file by rename, which
// a watch on the old inode would miss.
import { watch, type FSWatcher } from 'chokidar';
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { sha256 } from './atomicWrite';

/** Options of TaskListWatcher. */
export interface TaskListWatcherOptions {
  /** The task-list file. */
  path: string;
  /** Runs the sync; never called while a previous call is still running. */
  onChange: () => unknown;
  /** Errors of `onChange` and of the file watcher. Default: ignored (they are also emitted as `watch:error`). */
  onError?: (error: Error) => void;
  /** Quiet time after the last change before syncing, in ms (never less than MIN_DELAY_MS). Default 50. */
  debounceMs?: number;
  /** Longest delay between the first change of a burst and its sync, in ms. Default: the larger of 1000 and `debounceMs`. */
  maxWaitMs?: number;
  /** sha256 of the file bytes the sync last wrote or read (SyncService.lastFileChecksum); equal bytes trigger nothing. */
  expectedChecksum?: () => string | undefined;
}

/** Events of TaskListWatcher. */
export interface WatcherEvents {
  /** The file watcher is set up: changes from now on are seen. */
  'watch:ready': Record<string, never>;
  /** A sync ran; `events` file-system notifications were coalesced into it. */
  'watch:synced': { events: number };
  /** A change was the engine's own write (or changed nothing): no sync. */
  'watch:ignored': Record<string, never>;
  'watch:error': { error: Error };
  /** Nothing pending, nothing running. */
  'watch:idle': Record<string, never>;
}

/** Floor of the delay between the last event and the sync, so a burst's writes land before the sync reads the file. */
export const MIN_DELAY_MS = 10;

function check(name: string, v: number | undefined, def: number): number {
  if (v === undefined) return def;
  if (!Number.isFinite(v) || v < 0) throw new Error(`TaskListWatcher: ${name} must be a non-negative number of ms, got ${String(v)}`);
  return v;
}

/** Debounced, serialised sync-on-change for one task-list file. */
export class TaskListWatcher {
  readonly path: string;
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private readonly fsw: FSWatcher;
  private readonly readyPromise: Promise<void>;
  private timer?: NodeJS.Timeout;
  /** Epoch ms of the first change not yet synced. */
  private pendingSince?: number;
  private changes = 0;
  private inFlight = false;
  private closing?: Promise<void>;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly listeners = new Map<keyof WatcherEvents, Set<(p: never) => void>>();

  constructor(private readonly opts: TaskListWatcherOptions) {
    if (!opts || typeof opts.path !== 'string' || opts.path === '')
      throw new Error(`TaskListWatcher: path must be a non-empty path, got ${String(opts?.path)}`);
    if (typeof opts.onChange !== 'function') throw new Error(`TaskListWatcher: onChange must be a function, got ${typeof opts.onChange}`);
    this.path = resolve(opts.path);
    this.debounceMs = check('debounceMs', opts.debounceMs, 50);
    this.maxWaitMs = check('maxWaitMs', opts.maxWaitMs, Math.max(1000, this.debounceMs));
    const dir = dirname(this.path);
    const name = basename(this.path);
    this.fsw = watch(dir, {
      depth: 0,
      ignoreInitial: true,
      // Only the file itself (and the directory, which must not be ignored for its children to be watched).
      ignored: (p: string) => p !== dir && basename(p) !== name,
    });
    const onFs = (p: string): void => {
      if (resolve(p) === this.path) this.kick();
    };
    this.fsw.on('add', onFs).on('change', onFs).on('unlink', onFs);
    // chokidar's own events are throttled and filtered (see the top of this file): its unfiltered `raw` events (every
    // inotify/FSEvents notification, for the directory and the file) are what make sure no write goes unseen.
    this.fsw.on('raw', (_event: string, p: string) => {
      if (typeof p === 'string' && basename(p) === name) this.kick();
    });
    this.fsw.on('error', (e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))));
    this.readyPromise = new Promise<void>((res) => this.fsw.once('ready', () => res()));
    void this.readyPromise.then(() => this.emit('watch:ready', {}));
  }

  /** Resolves once the file watcher is set up. */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  /** Resolves when no change is pending and no sync is running. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((res) => this.idleWaiters.push(res));
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof WatcherEvents>(event: K, listener: (payload: WatcherEvents[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (p: never) => void);
    return () => set!.delete(listener as (p: never) => void);
  }

  /** Stops watching; waits for a running sync to finish; pending changes are dropped. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      let first: unknown;
      try {
        await this.fsw.close();
      } catch (e) {
        first = e;
      }
      while (this.inFlight) await new Promise<void>((res) => this.idleWaiters.push(res));
      this.pendingSince = undefined;
      this.settleIdle();
      this.listeners.clear();
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows the first caught value as it was
      if (first) throw first;
    })();
    return this.closing;
  }

  /** Marks the file changed and (re)schedules the sync. */
  private kick(): void {
    if (this.closing) return;
    this.changes++;
    this.pendingSince ??= Date.now();
    if (this.inFlight) return; // the running sync reschedules when it ends
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    const waited = Date.now() - (this.pendingSince ?? Date.now());
    const delay = Math.max(MIN_DELAY_MS, Math.min(this.debounceMs, this.maxWaitMs - waited));
    this.timer = setTimeout(() => void this.flush(), delay);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    if (this.closing || this.pendingSince === undefined) return this.settleIdle();
    const changes = this.changes;
    this.changes = 0;
    this.pendingSince = undefined;
    this.inFlight = true;
    const before = this.fingerprint();
    try {
      const expected = this.opts.expectedChecksum?.();
      if (expected !== undefined && before === expected) this.emit('watch:ignored', {});
      else {
        await this.opts.onChange();
        this.emit('watch:synced', { events: changes });
      }
      // The file may have moved on after the sync read it, with its event dropped (see the top of this file).
      this.recheck(this.opts.expectedChecksum?.() ?? before);
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
      // Compared with what the failed sync saw, not with the sync's expectation: an unchanged file must not spin.
      this.recheck(before);
    } finally {
      this.inFlight = false;
    }
    if (this.pendingSince !== undefined && !this.closing) this.schedule();
    else this.settleIdle();
  }

  private recheck(synced: string | undefined): void {
    if (!this.closing && this.fingerprint() !== synced) {
      this.changes++;
      this.pendingSince ??= Date.now();
    }
  }

  /** sha256 of the file's bytes; undefined when it cannot be read (missing: the sync reports that). */
  private fingerprint(): string | undefined {
    try {
      return sha256(readFileSync(this.path));
    } catch {
      return undefined;
    }
  }

  private isIdle(): boolean {
    return !this.inFlight && this.timer === undefined && this.pendingSince === undefined;
  }

  private settleIdle(): void {
    if (!this.isIdle() && !this.closing) return;
    if (this.inFlight) return;
    for (const w of this.idleWaiters.splice(0)) w();
    this.emit('watch:idle', {});
  }

  private fail(error: Error): void {
    try {
      this.opts.onError?.(error);
    } catch {
      /* the error handler's own failure has nowhere to go */
    }
    this.emit('watch:error', { error });
  }

  private emit<K extends keyof WatcherEvents>(event: K, payload: WatcherEvents[K]): void {
    for (const l of this.listeners.get(event) ?? []) {
      try {
        (l as (p: WatcherEvents[K]) => void)(payload);
      } catch {
        /* a listener's failure must not stop the watcher */
      }
    }
  }
}
