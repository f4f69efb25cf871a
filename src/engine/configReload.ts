// The config file, reloaded while the engine runs: watched on disk (chokidar, so an editor that saves by renaming a
// temp file over it, as vim does, keeps being seen), re-read and checked, and handed to the runtime to apply.
// Invariants: a config an unsandboxed agent could have written is never loaded (a config can name a command agent,
// i.e. run anything); a bad edit keeps the last good config running; the keys that decide how the task list is read
// are fixed for the sync's life and only warned about.
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import type { OrchestratorConfig } from './config';
import { errorMessage } from '../core/describe';

/** Where a line of the reloader goes: `error` lines are also shown in the editor. */
export type ReloadSay = (level: 'info' | 'warn' | 'error', message: string) => void;

/** Options of ConfigReloader. */
export interface ConfigReloaderOptions {
  /** The config file. */
  path: string;
  /** The running config: updated in place with a good reload (everything holding it sees the new values). */
  base: OrchestratorConfig;
  /** Reads and validates the file; throws naming the bad key. */
  load: () => OrchestratorConfig;
  /** A point in time of the agents' containment (TrustGuard.mark). */
  mark: () => number;
  /** True when an unsandboxed agent could have written files since `mark` (TrustGuard.couldWriteSince). */
  couldWriteSince: (mark: number) => boolean;
  /** Applies the updated `base` (the runtime's merge of settings and flags, and every part that reads it). */
  apply: () => void;
  say: ReloadSay;
}

/** The keys read once, at start: parsing the task list anew with others would re-identify tasks under the engine. */
function readingOf(c: OrchestratorConfig): string {
  return JSON.stringify([c.sync.criteria_headings, c.sync.write_ids]);
}

/** Reloads the config file on demand or on change; close() stops watching. */
export class ConfigReloader {
  private watcher?: FSWatcher;
  private trustedAt: number;
  private closed = false;

  constructor(private readonly opts: ConfigReloaderOptions) {
    // The file as the engine opened it is the person's: containment is counted from here.
    this.trustedAt = opts.mark();
  }

  /** Starts watching the file; resolves once the watcher sees changes (until then a change goes unseen). */
  async watch(): Promise<void> {
    if (this.watcher || this.closed) return;
    const { path, say } = this.opts;
    const watcher = chokidarWatch(path, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 } });
    this.watcher = watcher;
    watcher.on('change', () => this.reload());
    watcher.on('add', () => this.reload());
    watcher.on('error', (e) => say('warn', `cannot watch config ${path}: ${errorMessage(e)}`));
    // A config written right after open was otherwise never reloaded (nor refused).
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  }

  /** Re-reads the file and applies it, or says why not. */
  reload(): void {
    if (this.closed) return;
    const { path, base, say } = this.opts;
    if (this.opts.couldWriteSince(this.trustedAt)) {
      say('error', `config ${path} changed while an unsandboxed agent could write it: not reloaded; review it and restart the engine to apply it`);
      return;
    }
    this.trustedAt = this.opts.mark();
    let fresh: OrchestratorConfig;
    try {
      fresh = this.opts.load();
    } catch (e) {
      say('error', `config not reloaded: ${errorMessage(e)}`);
      return;
    }
    if (readingOf(fresh) !== readingOf(base))
      say('warn', `sync.criteria_headings and sync.write_ids are read at start: restart the engine to apply the change in ${path}`);
    Object.assign(base, fresh);
    try {
      this.opts.apply();
    } catch (e) {
      say('error', `config not reloaded: ${errorMessage(e)}`);
      return;
    }
    say('info', `reloaded config ${path}`);
  }

  /** Stops watching. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.watcher;
    this.watcher = undefined;
    await w?.close();
  }
}
