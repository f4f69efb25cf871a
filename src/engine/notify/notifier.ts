// Headless notifications (docs/costs-and-gates.md#notifications): when the engine needs a person (a gate waits, a
// limit paused dispatch, a breaker opened, a provider hit its usage limit, the plan cannot finish) or is done, it POSTs
// the event as JSON to `notify.webhook` and/or runs `notify.command` (argv, no shell) with the event as JSON on stdin.
// Deliveries go one at a time in event order, each bounded by a timeout; the webhook retries transient failures with
// backoff. A failed delivery is a warning in the log, never an engine error. The webhook address is never logged (it
// usually carries its token), and every text is scrubbed of the engine's secrets before it leaves.
import { spawn } from 'node:child_process';
import type { NotifyConfig } from '../config';
import { ATTENTION_KINDS, type AttentionParams } from '../../protocol/engineProtocol';

/** One event as the webhook and the command receive it: what the editor gets (AttentionParams), with where and when. */
export interface NotifyEvent extends AttentionParams {
  /** The task list the engine runs. */
  plan: string;
  /** ISO-8601 UTC time of the event. */
  at: string;
}

/** Options of Notifier. */
export interface NotifierOptions {
  config(): NotifyConfig;
  plan: string;
  /** Working directory of the command. */
  cwd: string;
  /** Environment of the command: the caller passes an allow-listed one (never the engine's secrets). */
  env: Record<string, string>;
  redact(text: string): string;
  warn(message: string): void;
  now?: () => number;
  /** Backoff before webhook retry n (1-based). Default 500 ms × 2^(n−1). */
  retryDelayMs?(n: number): number;
}

/** Sends the engine's events to the configured webhook and command (see the file comment). */
export class Notifier {
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private closing?: Promise<void>;
  private readonly now: () => number;

  constructor(private readonly opts: NotifierOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Whether anything is configured to receive `kind`. */
  wants(kind: AttentionParams['kind']): boolean {
    const c = this.opts.config();
    return (c.webhook !== undefined || c.command !== undefined) && (c.events ?? ATTENTION_KINDS).includes(kind);
  }

  /** Queues the event for delivery (in order); does nothing when nothing wants it or the notifier is closed. */
  send(e: AttentionParams): void {
    if (this.closing || !this.wants(e.kind)) return;
    const event: NotifyEvent = { ...e, message: this.opts.redact(e.message), plan: this.opts.plan, at: new Date(this.now()).toISOString() };
    const config = this.opts.config();
    this.pending++;
    this.queue = this.queue
      .then(() =>
        Promise.all([
          config.webhook ? this.post(config.webhook, event, config) : undefined,
          config.command ? this.run(config.command, event, config) : undefined,
        ]),
      )
      .then(
        () => undefined,
        (e: unknown) => this.opts.warn(`notify: ${e instanceof Error ? e.message : String(e)}`),
      )
      .finally(() => this.pending--);
  }

  /** Deliveries queued and not finished. */
  get backlog(): number {
    return this.pending;
  }

  /** Takes no more events and waits for the queued ones (each is bounded by its timeout and retries). Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.queue;
    return this.closing;
  }

  private async post(url: string, event: NotifyEvent, c: NotifyConfig): Promise<void> {
    const body = JSON.stringify(event);
    let last = '';
    for (let attempt = 1; attempt <= c.retries + 1; attempt++) {
      if (attempt > 1) await delay(this.opts.retryDelayMs?.(attempt - 1) ?? 500 * 2 ** (attempt - 2));
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'coditect-orchestrator' },
          body,
          signal: AbortSignal.timeout(c.timeoutMs),
          redirect: 'error',
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        last = `HTTP ${res.status}`;
        // A refusal (bad address, auth) does not get better by retrying; a server error or a rate limit may.
        if (res.status < 500 && res.status !== 429 && res.status !== 408) break;
      } catch (e) {
        last = describeFetchError(e, c.timeoutMs);
      }
    }
    // The address is left out on purpose: a webhook URL usually carries its token.
    this.opts.warn(`notify.webhook: the ${event.kind} event was not delivered: ${last}`);
  }

  private run(argv: readonly string[], event: NotifyEvent, c: NotifyConfig): Promise<void> {
    return new Promise((resolve) => {
      const what = `notify.command (${argv[0]})`;
      let stderr = '';
      let settled = false;
      const done = (problem?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (problem) this.opts.warn(`${what}: the ${event.kind} event: ${this.opts.redact(problem)}`);
        resolve();
      };
      const child = spawn(argv[0], argv.slice(1), { cwd: this.opts.cwd, env: this.opts.env, stdio: ['pipe', 'ignore', 'pipe'] });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        done(`still running after ${c.timeoutMs} ms: killed`);
      }, c.timeoutMs);
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
      child.on('error', (e) => done(e.message));
      child.on('close', (code, signal) =>
        done(code === 0 ? undefined : `exited ${code ?? signal}${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`),
      );
      // A command that does not read its stdin closes the pipe: that is its choice, not a failure.
      child.stdin.on('error', () => undefined);
      child.stdin.end(`${JSON.stringify(event)}\n`);
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A fetch failure in words, without the address (undici puts host and port, never the path, in its cause). */
function describeFetchError(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = e instanceof Error ? (e.cause as { code?: string } | undefined) : undefined;
  return cause?.code ?? (e instanceof Error ? e.message : String(e));
}
