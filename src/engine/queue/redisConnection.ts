// How the coordinator and the workers connect to Redis. BullMQ's workers block on Redis and MUST retry every command
// forever across a restart of Redis (maxRetriesPerRequest: null); the coordinator does the same, so an enqueue made
// while Redis restarts waits for it instead of failing the attempt. Reconnects back off to at most 2 s.
import { Redis, type RedisOptions } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';

const retryStrategy = (times: number): number => Math.min(100 * times, 2000);

/** BullMQ connection options for `url`. */
export function bullConnection(url: string): ConnectionOptions {
  return { url, maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy };
}

/** A plain ioredis client for `url` (pub/sub, the queue set). */
export function redisClient(url: string, name: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy, connectionName: name, lazyConnect: false, ...extra });
}

/**
 * A connection for blocking reads (jobEvents.ts): a command in flight when it drops is not sent again after the
 * reconnect (its reader makes it again; a re-sent blocking read can hang), and nothing waits in its offline queue.
 */
export function blockingClient(url: string, name: string): Redis {
  return redisClient(url, name, { autoResendUnfulfilledCommands: false });
}
