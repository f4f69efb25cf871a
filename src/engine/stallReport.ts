// Why a running plan cannot finish, in words: the graph's stalls (a failed dependency, a cycle…) plus what the
// dispatcher holds back on purpose (an agent type whose limit is 0, a budget), and the one activity line said when
// the run stalls. Pure over what the orchestrator knows, so each sentence is tested without running agents.
import type { StallView } from '../protocol/views';

/** The ready tasks the dispatcher holds back, in dispatch order. */
export interface LaneHolds {
  /** Ready task ids in dispatch order. */
  ordered: readonly string[];
  /** The agent type a ready task waits for. */
  typeOf(taskId: string): string;
  /** agent_limits.max_per_type: a type limited to 0 never runs. */
  maxPerType: Readonly<Record<string, number>>;
  /** Why a budget holds the task back, or undefined (absent: no budgets). */
  taskHold?(taskId: string): string | undefined;
}

/** The stalls of the lanes: one per agent type limited to 0, one per budget hold, each with the tasks it holds. */
export function laneStalls(l: LaneHolds): StallView[] {
  const out: StallView[] = [];
  const byType = new Map<string, string[]>();
  for (const id of l.ordered) {
    const type = l.typeOf(id);
    if (l.maxPerType[type] !== 0) continue;
    let ids = byType.get(type);
    if (!ids) byType.set(type, (ids = []));
    ids.push(id);
  }
  for (const [type, holds] of byType) {
    out.push({ reason: 'limit', root: type, text: `agent type ${type} may not run (agent_limits.max_per_type is 0)`, holds });
  }
  if (l.taskHold) {
    const byHold = new Map<string, string[]>();
    for (const id of l.ordered) {
      const why = l.taskHold(id);
      if (why === undefined) continue;
      let ids = byHold.get(why);
      if (!ids) byHold.set(why, (ids = []));
      ids.push(id);
    }
    for (const [text, holds] of byHold) out.push({ reason: 'limit', root: 'budget', text, holds });
  }
  return out;
}

const plural = (n: number, one: string, many: string): string => (n === 1 ? one : many);

/**
 * The activity line said once when a run stalls: each stall with how many tasks it holds, the failed tasks no stall
 * names, and tasks in progress with no agent of this engine on them (another engine's, or a person's `[/]`).
 */
export function stallMessage(stalls: readonly StallView[], failed: readonly string[], inProgress: readonly string[], open: number): string {
  const parts = stalls.map((s) => `${s.text} (holds ${s.holds.length} ${plural(s.holds.length, 'task', 'tasks')})`);
  const holdsFailed = new Set(stalls.filter((s) => s.reason === 'failed-dependency').map((s) => s.root));
  const alone = failed.filter((id) => !holdsFailed.has(id));
  if (alone.length > 0)
    parts.push(`${alone.length} failed ${plural(alone.length, 'task', 'tasks')} (${alone.slice(0, 5).join(', ')}${alone.length > 5 ? ', …' : ''})`);
  if (inProgress.length > 0)
    parts.push(
      `${inProgress.length} ${plural(inProgress.length, 'task', 'tasks')} in progress with no agent running here (${inProgress.slice(0, 5).join(', ')})`,
    );
  return `stalled: nothing can start and ${open} ${plural(open, 'task is', 'tasks are')} not done — ${parts.join('; ')}; a person must act`;
}
