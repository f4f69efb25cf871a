// Which marked processes (agents/orphans.ts) a starting engine stops: only those of attempt rows in THIS database
// written by another run. Invariant: another workspace's agents (their attempt row is not here, or is another run's)
// and this run's own are never touched. Pure over the marks and the attempt rows, so the rule is tested without
// spawning processes; finding and signalling them stays in agents/orphans.ts.
import type { MarkedProcess } from './agents/orphans';

/** The attempt row a mark names: its task, attempt number and the run that wrote it. */
export interface AttemptRunRow {
  taskId: string;
  attempt: number;
  runId?: string;
}

/** A process an earlier engine's attempt left running, with the attempt it belongs to. */
export interface Orphan {
  process: MarkedProcess;
  taskId: string;
  attempt: number;
}

/** The marked processes of attempt rows of this database written by a run other than `owner`. */
export function orphansOf(marks: readonly MarkedProcess[], owner: string, attemptRun: (attemptId: number) => AttemptRunRow | undefined): Orphan[] {
  const out: Orphan[] = [];
  for (const p of marks) {
    if (p.runId === owner) continue;
    const row = attemptRun(p.attemptId);
    if (row?.runId !== p.runId) continue;
    out.push({ process: p, taskId: row.taskId, attempt: row.attempt });
  }
  return out;
}

/** `T1 attempt 2 (pid 4242 claude -p …)`: an orphan as the warning names it. */
export function orphanText(o: Orphan): string {
  return `${o.taskId} attempt ${o.attempt} (pid ${o.process.pid}${o.process.command ? ` ${o.process.command}` : ''})`;
}
