// This engine's leases on the tasks it runs (BullMQ's lock manager, on the task store): a claim takes a task with a
// lease of `lease.ms` in this engine's name; while any attempt holds one, a heartbeat every `lease.heartbeat_ms`
// renews them all; with none held, no timer runs. A lease that is not renewed expires, and the next start recovers
// its task (recover()) — that is how a crashed engine's tasks come back. Only the owner and the lease settings live
// here; which tasks run, and how a claim the database refused is retried, stay the orchestrator's.
import { errorMessage } from '../core/describe';
import type { Claim, TaskStorePort } from './ports';

/** Lease settings (config `lease`). */
export interface LeaseSettings {
  /** How long a claim holds a task without renewal, ms. */
  ms: number;
  /** How often held leases are renewed, ms. */
  heartbeatMs: number;
}

/** Options of LeaseKeeper. */
export interface LeaseKeeperOptions {
  store: Pick<TaskStorePort, 'claim' | 'renewLeases' | 'recoverLeases'>;
  /** Lease owner id of this engine instance. */
  owner: string;
  lease: LeaseSettings;
  /** Epoch-ms clock of the leases. */
  now(): number;
  /** A renewal failed (the heartbeat goes on; the next one may succeed). */
  onError(message: string): void;
}

/** Claims, renews and recovers this engine's task leases (see the file comment). */
export class LeaseKeeper {
  private lease: LeaseSettings;
  private readonly held = new Set<string>();
  private heartbeat?: NodeJS.Timeout;
  private heartbeatMs = 0;

  constructor(private readonly opts: LeaseKeeperOptions) {
    if (typeof opts.owner !== 'string' || opts.owner === '')
      throw new TypeError(`LeaseKeeper: owner must be a non-empty string, got ${JSON.stringify(opts.owner)}`);
    this.lease = checked(opts.lease);
  }

  /** Lease owner id of this engine. */
  get owner(): string {
    return this.opts.owner;
  }

  /** Whether the heartbeat runs (some attempt holds a lease). */
  get beating(): boolean {
    return this.heartbeat !== undefined;
  }

  /** New lease settings: the next claims use them, and a running heartbeat restarts when its period changed. */
  configure(lease: LeaseSettings): void {
    this.lease = checked(lease);
    if (this.heartbeat && this.heartbeatMs !== this.lease.heartbeatMs) {
      this.stopHeartbeat();
      this.startHeartbeat();
    }
  }

  /** Claims `taskId` for this engine (the store's claim, which may throw for a database that takes no writes). */
  claim(taskId: string, now: number): Claim | undefined {
    return this.opts.store.claim(taskId, this.opts.owner, this.lease.ms, now);
  }

  /** An attempt of `taskId` runs on its claim: its lease is renewed until release(). */
  hold(taskId: string): void {
    this.held.add(taskId);
    if (!this.heartbeat) this.startHeartbeat();
  }

  /** The attempt of `taskId` ended; with no lease held, the heartbeat stops. */
  release(taskId: string): void {
    this.held.delete(taskId);
    if (this.held.size === 0) this.stopHeartbeat();
  }

  /** Returns to pending every in_progress task whose lease expired or is another (dead) owner's; returns their ids. */
  recover(now: number): string[] {
    return this.opts.store.recoverLeases(this.opts.owner, now);
  }

  /** Stops the heartbeat and forgets every held lease (the store keeps them until they expire). Idempotent. */
  dispose(): void {
    this.held.clear();
    this.stopHeartbeat();
  }

  private startHeartbeat(): void {
    this.heartbeatMs = this.lease.heartbeatMs;
    this.heartbeat = setInterval(() => {
      try {
        this.opts.store.renewLeases(this.opts.owner, this.lease.ms, this.opts.now());
      } catch (e) {
        this.opts.onError(`lease renewal failed: ${errorMessage(e)}`);
      }
    }, this.heartbeatMs);
    this.heartbeat.unref?.();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}

function checked(lease: LeaseSettings): LeaseSettings {
  for (const k of ['ms', 'heartbeatMs'] as const)
    if (!(Number.isFinite(lease?.[k]) && lease[k] > 0))
      throw new RangeError(`LeaseKeeper: lease.${k} must be a positive number of ms, got ${String(lease?.[k])}`);
  return { ms: lease.ms, heartbeatMs: lease.heartbeatMs };
}
