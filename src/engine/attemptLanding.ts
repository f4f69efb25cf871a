// Landing an isolated attempt: after its agent succeeded in its own worktree, the engine commits the work and lands
// the branch on the integration branch (or leaves it for a person, or sends a conflict back to an agent). What the
// landing says becomes the attempt's report: completed only once merged; `stopped` when the engine stopped first (the
// branch lands on the next start unless a person stopped it); a waiting review keeps the attempt's success but says
// why it did not land. Kept out of the orchestrator so each outcome is tested alone with a fake isolation.
import type { TaskNode } from '../core/model';
import { errorMessage } from '../core/describe';
import type { AttemptReport, StopWhy } from './executor';
import type { LandOutcome } from './isolation/taskIsolation';

/**
 * How attempts are isolated (src/engine/isolation/taskIsolation.ts behind it). A task that runs isolated is completed
 * only once its branch landed on the integration branch; until then it stays in progress.
 */
export interface AttemptIsolation {
  /** The attempt's working directory (its worktree), or undefined when the task runs in the shared tree. */
  cwdFor(task: TaskNode): string | undefined;
  /** Creates or reuses the task's worktree and sets it up (a phase of the attempt). */
  prepare(task: TaskNode, opts: { signal: AbortSignal; onOutput?(chunk: string): void }): Promise<void>;
  /**
   * After a successful attempt: the engine commits its work and lands it (or leaves it for review). `verify` is the
   * engine-held Verify command, re-run on the merged result.
   */
  land(task: TaskNode, verify: string | undefined, agentType: string, attempt: number, signal: AbortSignal): Promise<LandOutcome>;
  /** The branch did not land because the engine stopped: the task may be run again. */
  unqueue(taskId: string): void;
  /** The paths the task's branch changes against its base (what a person approving it looks at). */
  changedFiles?(taskId: string): Promise<string[]>;
  /** A person's note for the next attempt's prompt (a rejection), once. */
  noteFor(taskId: string): string | undefined;
}

/** The attempt being landed. */
export interface LandingAttempt {
  agentType: string;
  attempt: number;
  controller: AbortController;
  /** Why the engine stopped the attempt, once it did. */
  stop?: StopWhy;
}

/** Lands a successful isolated attempt: completed once merged, blocked for review, released when the engine stopped. */
export async function landAttempt(
  isolation: AttemptIsolation,
  rt: LandingAttempt,
  task: TaskNode,
  verify: string | undefined,
  report: AttemptReport,
  redact: (text: string) => string,
): Promise<AttemptReport> {
  try {
    const o = await isolation.land(task, verify, rt.agentType, rt.attempt, rt.controller.signal);
    // What git says the work changed, not what the agent claims: the pause summary and the gate show it.
    const files = o.kind !== 'stopped' && isolation.changedFiles ? await isolation.changedFiles(task.id).catch(() => undefined) : undefined;
    const landed = files ? { ...report, filesChanged: files } : report;
    switch (o.kind) {
      case 'merged':
        return landed;
      case 'stopped':
        // Only a shutdown keeps the branch queued: it lands on the next start. A person's stop (or a budget) does not.
        if (rt.stop !== 'shutdown') isolation.unqueue(task.id);
        return {
          ...report,
          ok: false,
          stopped: rt.stop ?? 'shutdown',
          failure: {
            kind: 'cancelled',
            message: `stopped before the branch of ${task.id} landed${rt.stop === 'shutdown' || !rt.stop ? '; it lands on the next start' : ''}`,
          },
          errorKind: 'cancelled',
        };
      case 'awaiting_review':
      case 'needs_review':
      case 'resolving':
        return { ...landed, landing: { kind: o.kind, reason: redact(o.reason) }, errorKind: o.kind === 'needs_review' ? 'needs_review' : undefined };
    }
  } catch (e) {
    return {
      ...report,
      ok: false,
      failure: { kind: 'transient', message: redact(`committing or landing the work of ${task.id} failed: ${errorMessage(e)}`) },
      errorKind: 'transient',
    };
  }
}
