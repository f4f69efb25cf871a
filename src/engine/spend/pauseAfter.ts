// `pause_after`: "run five tasks, then let me look". Counts the tasks the engine completes (and fails) since the person
// last looked; once the configured number is reached, or a feature the engine worked on is finished, dispatch is held
// with a summary of what was done, until the person resumes (which is the look). Pure bookkeeping: the runtime feeds
// it the orchestrator's events and asks it, with the budgets, before dispatch (DispatchLimits.globalHold).
import { changedFilesText, listIds } from '../../protocol/presentation';
import { formatUsd, PAUSE_AFTER_PREFIX } from '../../protocol/spend';
import type { PauseAfterConfig } from '../config';

/** Options of PauseAfter. */
export interface PauseAfterOptions {
  config(): PauseAfterConfig;
  /** The feature `taskId` belongs to, with its title, or undefined. */
  featureOf(taskId: string): { id: string; title: string } | undefined;
  /** Whether every task of `featureId` that counts towards progress is done, counting `alsoDone` as done. */
  featureDone(featureId: string, alsoDone: ReadonlySet<string>): boolean;
  /** What these tasks' attempts cost so far (USD), or undefined when nothing was measured. */
  spentUsd(taskIds: readonly string[]): number | undefined;
}

/** The pause_after bookkeeping of one engine (see the file comment). */
export class PauseAfter {
  private completed: string[] = [];
  private failed: string[] = [];
  /** What the completed tasks changed, in completion order; undefined while no completed task said (see taskCompleted). */
  private files?: string[];
  /** The reason dispatch is held, frozen when reached: later completions (of tasks already running) don't reword it. */
  private reached?: string;

  constructor(private readonly opts: PauseAfterOptions) {}

  /**
   * The engine completed `taskId` (its agent succeeded and it landed); `files`: what it changed (its branch's diff when
   * isolated, else its agent's report), when known.
   */
  taskCompleted(taskId: string, files?: readonly string[]): void {
    this.completed.push(taskId);
    if (files) (this.files ??= []).push(...files);
    if (this.reached !== undefined) return;
    const c = this.opts.config();
    if (c.tasks !== undefined && this.completed.length >= c.tasks) {
      this.reached = this.summary(`${this.completed.length} task${this.completed.length === 1 ? '' : 's'} completed since the last look`);
      return;
    }
    const feature = c.feature ? this.opts.featureOf(taskId) : undefined;
    // Invariant: a task counts as done here even if the plan's statuses have not caught up with its completion yet.
    if (feature && this.opts.featureDone(feature.id, new Set(this.completed))) {
      this.reached = this.summary(`feature ${feature.id} ${feature.title} finished`);
    }
  }

  /** The engine gave up on `taskId` (failed, timed out): part of the summary, never a reason to hold by itself. */
  taskFailed(taskId: string): void {
    this.failed.push(taskId);
  }

  /** Why dispatch is held now, or undefined. A config that no longer asks for it (the option removed) lifts it. */
  hold(): string | undefined {
    if (this.reached === undefined) return undefined;
    const c = this.opts.config();
    return c.tasks === undefined && !c.feature ? undefined : this.reached;
  }

  /** The person looked (resumed): counting starts again from nothing. */
  acknowledge(): void {
    this.completed = [];
    this.failed = [];
    this.files = undefined;
    this.reached = undefined;
  }

  private summary(what: string): string {
    const usd = this.opts.spentUsd([...this.completed, ...this.failed]);
    const parts = [
      `${PAUSE_AFTER_PREFIX} ${what}`,
      `done: ${listIds(this.completed)}`,
      ...(this.files !== undefined ? [changedFilesText(this.files)] : []),
      `${this.failed.length} failed${this.failed.length ? ` (${listIds(this.failed)})` : ''}`,
      ...(usd !== undefined ? [`${formatUsd(usd)} spent`] : []),
    ];
    return parts.join('; ');
  }
}
