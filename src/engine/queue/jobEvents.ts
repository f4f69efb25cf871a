// The coordinator's one reader of its queues' job events (completed, failed, progress). BullMQ writes each queue's
// events to a Redis stream; a `QueueEvents` reads one stream on a connection of its own, with one blocking XREAD per
// batch. With a queue per agent type that was 10 connections, and in a profile of the workers bench about 0.2 ms of the
// coordinator's CPU per task went to those reads and to parsing and emitting events nobody listens to (added, waiting,
// active…). Here one connection reads every stream with one XREAD, and only the three events the coordinator uses are
// parsed.
//
// Like a QueueEvents started at `lastEventId: '0-0'`, each stream is read from its start: an event written before its
// queue was watched (between an enqueue and the first read, or by a previous coordinator's jobs) is never missed; events
// of jobs nobody waits for are skipped by the caller.
//
// Two things the blocking read must survive, as BullMQ's own reader does:
// - A queue watched while an XREAD blocks: the read is woken by an entry in a stream of its own (the wake stream) that
//   every XREAD includes; an entry added before Redis runs the XREAD wakes it as well (it reads after the last wake id),
//   so no wake-up is lost to a race.
// - A connection that drops or hangs: commands are not re-sent after a reconnect (a re-sent blocking XREAD can hang
//   for good, BullMQ #4479), so the read in flight fails and is made again with the streams as they are then; a read that
//   outlives its BLOCK by WATCHDOG_MS is taken as a hung connection, which is dropped and made again.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { errorMessage } from '../../core/describe';

/** An event of a job the coordinator acts on. */
export type JobEvent =
  | { event: 'completed'; queueName: string; jobId: string; returnvalue: unknown }
  | { event: 'failed'; queueName: string; jobId: string; failedReason: string }
  | { event: 'progress'; queueName: string; jobId: string; data: unknown };

/** Options of JobEvents. */
export interface JobEventsOptions {
  /** The connection the reads block on: its own, with autoResendUnfulfilledCommands off (see the file comment). */
  reader: Redis;
  /** Any other connection: it writes the wake stream. */
  writer: Redis;
  /** The queues' key prefix (`queue.prefix`). */
  prefix: string;
  /** Called for each completed, failed and progress event, in stream order per queue. */
  onEvent(e: JobEvent): void;
  warn(message: string): void;
  /** BLOCK of each XREAD, ms (BullMQ's QueueEvents: 10 s). */
  blockMs?: number;
}

/** A read that has not answered within its BLOCK plus this long is a hung connection. */
const WATCHDOG_MS = 5_000;
/** After a read failed for another reason than the connection (a key of the wrong type…): wait before the next. */
const RETRY_MS = 1_000;
/** The wake stream outlives a coordinator that was killed before it could delete it by at most this long. */
const WAKE_TTL_MS = 86_400_000;

/** JSON text as a value; text that is not JSON stays text (the caller's parse refuses it, naming why). */
function parsed(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The event an XREAD entry's fields ([name, value, name, value…]) describe, or undefined for one nobody acts on. */
export function jobEventOf(queueName: string, fields: readonly string[]): JobEvent | undefined {
  let event: string | undefined;
  let jobId: string | undefined;
  let value: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const k = fields[i];
    if (k === 'event') event = fields[i + 1];
    else if (k === 'jobId') jobId = fields[i + 1];
    else if (k === 'returnvalue' || k === 'failedReason' || k === 'data') value = fields[i + 1];
  }
  if (jobId === undefined) return undefined;
  if (event === 'completed') return { event, queueName, jobId, returnvalue: parsed(value) };
  if (event === 'failed') return { event, queueName, jobId, failedReason: value ?? '' };
  if (event === 'progress') return { event, queueName, jobId, data: parsed(value) };
  return undefined;
}

/** A read given up because its connection closed or hung: it is made again once the connection is back. */
class DroppedRead extends Error {}

/** XREAD's answer: per stream with new entries, its key and the entries (id, [field, value…]); null on timeout. */
type XReadReply = [string, [string, string[]][]][] | null;

/** Reads the job events of every watched queue on one connection (see the file comment). */
export class JobEvents {
  /** Stream key → its queue and the id of the last entry read. */
  private readonly streams = new Map<string, { queueName: string; lastId: string }>();
  private readonly wakeKey: string;
  private lastWakeId = '0-0';
  private loop?: Promise<void>;
  private closed = false;
  private readonly blockMs: number;
  /** Fails the read in flight (its connection closed). */
  private failRead?: (e: Error) => void;

  constructor(private readonly opts: JobEventsOptions) {
    this.wakeKey = `${opts.prefix}:coditect:wake:${randomUUID()}`;
    this.blockMs = opts.blockMs ?? 10_000;
    opts.reader.on('close', () => this.failRead?.(new DroppedRead('the connection closed')));
  }

  /** Reads `streamKey` (a queue's `keys.events`) from its start, from now on. */
  watch(queueName: string, streamKey: string): void {
    if (this.closed || this.streams.has(streamKey)) return;
    this.streams.set(streamKey, { queueName, lastId: '0-0' });
    if (this.loop) {
      this.wake();
      return;
    }
    this.loop = this.run();
  }

  /** Stops reading (the read in flight is dropped) and deletes the wake stream. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.opts.reader.disconnect();
    await this.loop;
    await this.opts.writer.del(this.wakeKey).catch(() => undefined);
  }

  private wake(): void {
    const { writer } = this.opts;
    writer
      .multi()
      .xadd(this.wakeKey, 'MAXLEN', '1', '*', 'w', '1')
      .pexpire(this.wakeKey, WAKE_TTL_MS)
      .exec()
      .catch((e: unknown) => this.opts.warn(`job events: waking the reader failed (a new queue's events wait for its next read): ${errorMessage(e)}`));
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      let reply: XReadReply;
      try {
        // Sent only on a ready connection: a read queued while it is down would be sent after the reconnect as well as
        // the one made then, and block it.
        await this.whenReady();
        if (this.closed) return;
        reply = await this.read();
      } catch (e) {
        if (this.closed) return;
        // The connection closed under the read (Redis restarted, the watchdog): read again once it is back. Anything
        // else: say so, and read again a little later.
        if (!(e instanceof DroppedRead)) {
          this.opts.warn(`job events: ${errorMessage(e)}`);
          await new Promise((r) => setTimeout(r, RETRY_MS).unref());
        }
        continue;
      }
      if (!reply) continue;
      for (const [key, entries] of reply) {
        if (entries.length === 0) continue;
        if (key === this.wakeKey) {
          this.lastWakeId = entries[entries.length - 1][0];
          continue;
        }
        const s = this.streams.get(key);
        if (!s) continue;
        s.lastId = entries[entries.length - 1][0];
        for (const [, fields] of entries) {
          const e = jobEventOf(s.queueName, fields);
          if (!e) continue;
          try {
            this.opts.onEvent(e);
          } catch (err) {
            this.opts.warn(`job events: handling ${e.event} of job ${e.jobId}: ${errorMessage(err)}`);
          }
        }
      }
    }
  }

  private whenReady(): Promise<void> {
    const { reader } = this.opts;
    if (reader.status === 'ready') return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        reader.off('ready', done);
        reader.off('end', done);
        resolve();
      };
      reader.on('ready', done);
      reader.on('end', done);
    });
  }

  /**
   * One XREAD of every stream and the wake stream. It fails when the connection closes under it (ioredis, not
   * re-sending it, would otherwise leave it unanswered) and when it outlives its BLOCK by WATCHDOG_MS (the connection is
   * then dropped; ioredis connects again).
   */
  private read(): Promise<XReadReply> {
    const keys = [...this.streams.keys(), this.wakeKey];
    const ids = [...[...this.streams.values()].map((s) => s.lastId), this.lastWakeId];
    const { reader } = this.opts;
    return new Promise<XReadReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new DroppedRead(`the read hung for ${this.blockMs + WATCHDOG_MS} ms`));
        reader.disconnect(true);
      }, this.blockMs + WATCHDOG_MS);
      timer.unref();
      // Whichever comes first (the answer, an error, the connection closing) ends the read and its watchdog.
      const ending =
        <T>(f: (x: T) => void) =>
        (x: T): void => {
          clearTimeout(timer);
          f(x);
        };
      this.failRead = ending(reject);
      (reader.xread('BLOCK', this.blockMs, 'STREAMS', ...keys, ...ids) as Promise<XReadReply>).then(ending(resolve), ending(reject));
    }).finally(() => (this.failRead = undefined));
  }
}
