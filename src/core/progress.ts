// The one rule of "done" behind every progress figure: an epic's or feature's `3/16`, the plan's percentage, the
// burndown's remaining work, "this feature just completed" checkpoints. The engine counts with it and sends the totals
// in its snapshot and change messages; the editor, the dashboard and the CLI show those totals and never recount, so a
// figure cannot disagree with another (they did: the tree left skipped tasks out, the engine counted them).
//
// Extending the rule (optional tasks, acceptance criteria counted apart…): add the field to ProgressInput and decide
// here whether such a task counts toward `total` and `done`; every figure follows.
import { TERMINAL_STATUSES, type TaskStatus } from './model';

/** What the rule reads of a task. */
export interface ProgressInput {
  status: TaskStatus;
}

/** Tasks done out of the tasks counted, for a group or the whole plan. Invariant: 0 <= done <= total. */
export interface Progress {
  done: number;
  total: number;
}

/** Whether a task counts as done: completed, or skipped (a skipped task asks for no more work). */
export function countsAsDone(t: ProgressInput): boolean {
  return TERMINAL_STATUSES.has(t.status);
}

/** Progress of nothing yet. */
export function emptyProgress(): Progress {
  return { done: 0, total: 0 };
}

/** Adds one task's share to `p` in place; `sign` -1 takes it out again (a task moved, changed status or left). */
export function addToProgress(p: Progress, t: ProgressInput, sign: 1 | -1 = 1): void {
  p.total += sign;
  if (countsAsDone(t)) p.done += sign;
}

/** Progress of a set of tasks. */
export function progressOf(tasks: Iterable<ProgressInput>): Progress {
  const p = emptyProgress();
  for (const t of tasks) addToProgress(p, t);
  return p;
}

/** True when every counted task is done (an empty group is not "done": it has nothing to show for it). */
export function isComplete(p: Progress): boolean {
  return p.total > 0 && p.done >= p.total;
}
