// Agent processes a crashed engine left running. Every process an attempt starts carries
// CODITECT_ATTEMPT=<engine run id>#<attempt row id> in its environment (the executor sets it, agentEnv passes it, and
// every descendant inherits it, also one that left the agent's process group with setsid). A restarted engine holds the
// database's writer lock, so the engine that started those processes is dead: before it recovers their tasks and runs
// them again, it finds them by that mark (/proc/<pid>/environ, Linux) and stops them: SIGTERM to each one's process
// group, SIGKILL after the grace. Without this, two agents did the same task side by side after every crash.
import { readdirSync, readFileSync } from 'node:fs';

/** The environment variable that marks an attempt's processes. */
export const ATTEMPT_ENV = 'CODITECT_ATTEMPT';

/** The mark of one attempt: `<run id>#<attempt row id>`. */
export function attemptMark(runId: string, attemptId: number): string {
  return `${runId}#${attemptId}`;
}

/** A running process that carries an attempt's mark. */
export interface MarkedProcess {
  pid: number;
  /** Its process group. */
  pgid: number;
  runId: string;
  attemptId: number;
  /** Command line, one line, at most 80 characters. */
  command: string;
}

const PREFIX = `${ATTEMPT_ENV}=`;

/** Group id of `pid`, or undefined when it is gone or a zombie. */
function groupOf(pid: number | 'self'): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
    return Number(rest[2]);
  } catch {
    return undefined;
  }
}

/** Every live process (other than this one) that carries an attempt's mark. Linux /proc; [] elsewhere. */
export function markedProcesses(): MarkedProcess[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return [];
  }
  const out: MarkedProcess[] = [];
  for (const p of pids) {
    let env: string;
    try {
      env = readFileSync(`/proc/${p}/environ`, 'latin1');
    } catch {
      continue; // gone, or another user's
    }
    const entry = env.split('\0').find((e) => e.startsWith(PREFIX));
    if (entry === undefined) continue;
    const m = /^(.+)#(\d+)$/.exec(entry.slice(PREFIX.length));
    const pgid = groupOf(Number(p));
    if (!m || pgid === undefined) continue;
    let command: string;
    try {
      command = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ').replace(/\s+/g, ' ').trim().slice(0, 80);
    } catch {
      command = ''; // exited meanwhile: the group is still signalled
    }
    out.push({ pid: Number(p), pgid, runId: m[1], attemptId: Number(m[2]), command });
  }
  return out;
}

/** The marks processes were started with in this engine (noteSpawn), until the end of their attempt takes them. */
const spawnedMarks = new Set<string>();

/**
 * Notes the attempt mark in `env` (if any) of a process about to start. runProcessTree calls it for every process it
 * starts, and it is the only way an agent, a Verify command or a sandbox starts one (eslint.config.mjs keeps
 * child_process out of the other agent modules): so a mark never noted is on no process, and there is nothing to look for.
 */
export function noteSpawn(env: Readonly<Record<string, string | undefined>>): void {
  const mark = env[ATTEMPT_ENV];
  if (mark !== undefined) spawnedMarks.add(mark);
}

/** Whether a process was started with `mark` (noteSpawn); forgets it. Called once, at the end of its attempt. */
export function takeSpawned(mark: string): boolean {
  return spawnedMarks.delete(mark);
}

/** The scan that the attempts ending in this turn of the event loop wait for (markedProcessesSoon). */
let nextScan: Promise<MarkedProcess[]> | undefined;

/**
 * markedProcesses(), once for every caller in the same turn of the event loop: the scan runs at the end of the turn,
 * after each caller asked (so it sees whatever their attempts left), and all of them get its answer. An attempt's end
 * costs one read of every process's environment; a hundred attempts ending together then cost one, not a hundred.
 */
export function markedProcessesSoon(): Promise<MarkedProcess[]> {
  nextScan ??= new Promise<MarkedProcess[]>((resolve) =>
    setImmediate(() => {
      nextScan = undefined;
      resolve(markedProcesses());
    }),
  );
  return nextScan;
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // gone already, or not ours to signal
  }
}

/**
 * Stops `procs` and every member of their process groups (never this process's own group): SIGTERM, then SIGKILL to
 * what is still alive after `graceMs`. Resolves once they are gone (or, for one that cannot be killed, after the grace
 * and one more second). Their exits are not events this process can wait on (they are not its children), so it looks
 * every 50 ms.
 */
export async function stopProcesses(procs: readonly MarkedProcess[], graceMs: number): Promise<void> {
  if (procs.length === 0) return;
  const own = groupOf('self');
  const send = (sig: NodeJS.Signals): void => {
    for (const g of new Set(procs.map((p) => p.pgid))) if (g !== own && g > 1) signal(-g, sig);
    for (const p of procs) signal(p.pid, sig);
  };
  const alive = (): boolean => procs.some((p) => groupOf(p.pid) !== undefined);
  const waitGone = async (ms: number): Promise<boolean> => {
    for (const until = Date.now() + ms; alive();) {
      if (Date.now() >= until) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
    return true;
  };
  send('SIGTERM');
  if (await waitGone(graceMs)) return;
  send('SIGKILL');
  await waitGone(1000);
}
