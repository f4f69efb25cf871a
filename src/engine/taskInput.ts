// What an agent is told about its task: the task and where it sits in the plan (epic, feature, priority inherited
// from them), the completed dependencies with what each reported, and what the attempts before it left (the session
// to resume, why the last one did not complete, or a person's note, which wins). Pure over the plan and the records,
// so a prompt's facts are tested without running an agent.
import type { TaskNode } from '../core/model';
import type { AttemptView } from '../protocol/engineProtocol';
import type { AgentTaskInput } from './agents/agent';
import type { PlanState } from './planState';
import { retryContext } from './retryContext';

/** The attempt's side of a task input. */
export interface TaskInputContext {
  agentType: string;
  attempt: number;
  /** Where the agent works (its worktree when isolated). */
  cwd: string;
  /** What a completed dependency's agent reported, if it did. */
  summaryOf(taskId: string): string | undefined;
  /** The task's recorded attempts, newest first. */
  attempts: readonly AttemptView[];
  /** A person's note for this attempt (a rejection, a conflict to resolve): it replaces the last attempt's error. */
  note?: string;
}

/** The input of one attempt of `task`. */
export function agentTaskInput(plan: PlanState, task: TaskNode, c: TaskInputContext): AgentTaskInput {
  const epic = plan.epics.get(task.epicId);
  const feature = plan.features.get(task.featureId);
  const dependencies: AgentTaskInput['dependencies'] = [];
  // Only what the task waited for and is done: a `relates` link or a skipped dependency has nothing to hand on.
  for (const e of plan.graph.dependenciesOf(task.id)) {
    if (e.type !== 'blocks' || plan.status(e.to) !== 'completed') continue;
    dependencies.push({ id: e.to, title: plan.byId.get(e.to)?.title ?? e.to, resultSummary: c.summaryOf(e.to) });
  }
  return {
    id: task.id,
    title: task.title,
    agentType: c.agentType,
    priority: task.priority ?? feature?.priority ?? epic?.priority,
    estimateHours: task.estimateHours,
    epic: { id: task.epicId, title: epic?.title ?? task.epicId },
    feature: { id: task.featureId, title: feature?.title ?? task.featureId },
    dependencies,
    verify: task.verify,
    cwd: c.cwd,
    attempt: c.attempt,
    // Not only retries: an attempt released unfinished (a crash, a stop, a usage limit) keeps its attempt number, and
    // the next one resumes its session all the same.
    ...retryContext(c.attempts, c.agentType),
    ...(c.note ? { previousError: c.note } : {}),
  };
}
