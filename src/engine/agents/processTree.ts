// Runs one child process in its own process group and guarantees that the whole tree is gone when the promise settles.
// Handled like a language client's server: args as an array (never a shell string), SIGTERM to the group, then SIGKILL
// after a grace. Invariant: no process of the group outlives the call, whether it ends by itself or is aborted.
import { spawn } from 'node:child_process';
import { noteSpawn } from './orphans';

/** Default cap on captured characters per stream (head and tail are kept, the middle is dropped). */
export const DEFAULT_MAX_OUTPUT_CHARS = 1_000_000;
/** Default SIGTERM → SIGKILL grace. */
export const DEFAULT_KILL_GRACE_MS = 5000;

export interface ProcessTreeOptions {
  /** Executable: a name looked up on `env.PATH`, or a path. */
  command: string;
  /** Arguments, passed as-is (no shell, no splitting, no expansion). */
  args: readonly string[];
  cwd: string;
  /** Full environment of the child (nothing is inherited implicitly). */
  env: Record<string, string | undefined>;
  /** Written to the child's stdin, which is then closed. Default: stdin closed immediately. */
  stdin?: string;
  /** Aborting kills the whole group (SIGTERM, then SIGKILL after `killGraceMs`). */
  signal?: AbortSignal;
  /** Default 5000. */
  killGraceMs?: number;
  /** Cap per stream in characters; default 1,000,000. */
  maxOutputChars?: number;
  /** Capture stderr into the stdout buffer, interleaved (for acceptance commands). Default false. */
  mergeStderr?: boolean;
  onStdout?(chunk: string): void;
  onStderr?(chunk: string): void;
}

export interface ProcessTreeResult {
  /** Exit code of the group leader, or null when it died by a signal. */
  exitCode: number | null;
  /** Signal that ended the group leader, if any. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** True when `signal` fired before the process ended. */
  aborted: boolean;
  /** True when SIGKILL had to be sent because the group ignored SIGTERM for the whole grace. */
  killed: boolean;
  /**
   * True when the leader exited and its group was stopped, but a process outside the group (one that left it with
   * setsid) still held the output pipes after the grace: the call stopped waiting for them (later output is lost).
   */
  outputHeld: boolean;
  pid: number | undefined;
  durationMs: number;
}

/** Raised when the executable cannot be started (ENOENT, EACCES, bad cwd): `code` carries the errno name. */
export class SpawnError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SpawnError';
  }
}

/** Keeps the first and the last half of a stream when it exceeds its cap, and says how much was dropped. */
export class CappedText {
  private head = '';
  private readonly tail: string[] = [];
  private tailLen = 0;
  private dropped = 0;
  private readonly headCap: number;
  private readonly tailCap: number;

  constructor(cap: number) {
    if (!Number.isFinite(cap) || cap < 2) throw new RangeError(`maxOutputChars must be a number >= 2, got ${String(cap)}`);
    this.headCap = Math.floor(cap / 2);
    this.tailCap = cap - this.headCap;
  }

  push(chunk: string): void {
    let s = chunk;
    if (this.head.length < this.headCap) {
      const take = s.slice(0, this.headCap - this.head.length);
      this.head += take;
      s = s.slice(take.length);
    }
    if (!s) return;
    this.tail.push(s);
    this.tailLen += s.length;
    while (this.tailLen > this.tailCap) {
      const first = this.tail[0]!;
      const excess = this.tailLen - this.tailCap;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailLen -= first.length;
        this.dropped += first.length;
      } else {
        this.tail[0] = first.slice(excess);
        this.tailLen -= excess;
        this.dropped += excess;
      }
    }
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  toString(): string {
    const tail = this.tail.join('');
    return this.dropped > 0 ? `${this.head}\n…[truncated ${this.dropped} characters]…\n${tail}` : this.head + tail;
  }
}

/** Sends `sig` to every process of the group led by `pid`; false when the group no longer exists. */
export function killGroup(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, sig);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: a member changed uid; nothing more we can do from here.
    return false;
  }
}

/** Spawns `command args…` in a new process group and resolves when the child and every member of its group are gone. */
export function runProcessTree(opts: ProcessTreeOptions): Promise<ProcessTreeResult> {
  const grace = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  if (!Number.isFinite(grace) || grace < 0) throw new RangeError(`killGraceMs must be a number >= 0, got ${String(opts.killGraceMs)}`);
  if (typeof opts.command !== 'string' || opts.command.length === 0) throw new TypeError('command must be a non-empty string');
  const cap = opts.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS;
  const out = new CappedText(cap);
  const err = opts.mergeStderr ? out : new CappedText(cap);
  const started = Date.now();

  return new Promise<ProcessTreeResult>((resolve, reject) => {
    if (opts.signal?.aborted) {
      resolve({
        exitCode: null,
        signal: null,
        stdout: '',
        stderr: '',
        stdoutTruncated: false,
        stderrTruncated: false,
        aborted: true,
        killed: false,
        outputHeld: false,
        pid: undefined,
        durationMs: 0,
      });
      return;
    }
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.env)) if (v !== undefined) env[k] = v;
    // Before it starts: the end of its attempt then knows to look for what it left (orphans.ts).
    noteSpawn(env);

    const child = spawn(opts.command, [...opts.args], {
      cwd: opts.cwd,
      env,
      detached: true, // own process group: MUST be, so the group can be signalled as a whole
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
      windowsHide: true,
    });

    let aborted = false;
    let killed = false;
    let termSent = false;
    let killTimer: NodeJS.Timeout | undefined;
    let heldTimer: NodeJS.Timeout | undefined;
    let outputHeld = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;

    const terminate = (): void => {
      const pid = child.pid;
      if (pid === undefined || termSent) return;
      termSent = true;
      killGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => {
        if (killGroup(pid, 'SIGKILL')) killed = true;
      }, grace);
    };
    const onAbort = (): void => {
      aborted = true;
      terminate();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (): void => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (heldTimer) clearTimeout(heldTimer);
      // Final sweep: members that closed their stdio and ignored SIGTERM MUST not survive the call.
      if (child.pid !== undefined && termSent && killGroup(child.pid, 0)) {
        if (killGroup(child.pid, 'SIGKILL')) killed = true;
      }
      resolve({
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        stdout: out.toString(),
        stderr: opts.mergeStderr ? '' : err.toString(),
        stdoutTruncated: out.truncated,
        stderrTruncated: opts.mergeStderr ? false : err.truncated,
        aborted,
        killed,
        outputHeld,
        pid: child.pid,
        durationMs: Date.now() - started,
      });
    };

    child.on('error', (e: NodeJS.ErrnoException) => {
      if (child.pid === undefined && !settled) {
        settled = true;
        opts.signal?.removeEventListener('abort', onAbort);
        reject(new SpawnError(`cannot start "${opts.command}" in ${opts.cwd}: ${e.code ?? e.message}`, e.code, { cause: e }));
      }
    });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      out.push(c);
      opts.onStdout?.(c);
    });
    child.stderr.on('data', (c: string) => {
      err.push(c);
      opts.onStderr?.(c);
    });
    child.stdin.on('error', () => {
      /* EPIPE: the child did not read its stdin; not an error of ours */
    });
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    else child.stdin.end();

    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // The leader is gone; members left behind (background jobs) are stopped so nothing outlives the task.
      terminate();
      // 'close' waits for every holder of the output pipes. The group is dead after the grace, so a holder then is a
      // process that left the group (setsid) and no signal of ours reaches: waiting for it hung `coditect run`
      // forever (#14 item 6). The caller finds and stops such processes by their attempt mark (executor.ts).
      heldTimer = setTimeout(() => {
        outputHeld = true;
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, grace + 1000);
    });
    child.on('close', () => {
      if (child.pid !== undefined) finish();
    });
  });
}
