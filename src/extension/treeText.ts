// Text and icons of the "Tasks" tree items, as plain data (the tree provider turns them into TreeItems).
// Plain Node: no vscode import, so every string is unit-tested.
import { isComplete, type Progress } from '../core/progress';
import {
  displayState,
  formatDuration,
  formatEstimate,
  GATE_WAITING_LABEL,
  lastRunHead,
  progressText,
  reviewLabel,
  STATE_LABEL,
  truncate,
  type DisplayState,
} from '../protocol/presentation';
import { formatUsd } from '../protocol/spend';
import type { FeatureView, GroupView, TaskView } from '../protocol/views';
import { canRetry, canRun, escapeMarkdown, isWaitingGate } from './taskState';

/** A codicon id (`loading~spin` spins) and an optional theme color id. */
export interface IconSpec {
  id: string;
  color?: string;
}

/** Icon per display state; colours are theme colour ids, so light, dark and high-contrast themes all fit. */
export const STATE_ICONS: Readonly<Record<DisplayState, IconSpec>> = {
  ready: { id: 'play-circle', color: 'charts.green' },
  pending: { id: 'circle-large-outline' },
  running: { id: 'loading~spin', color: 'charts.blue' },
  completed: { id: 'pass-filled', color: 'testing.iconPassed' },
  blocked: { id: 'lock', color: 'list.warningForeground' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  timeout: { id: 'watch', color: 'list.warningForeground' },
  cancelled: { id: 'circle-slash', color: 'disabledForeground' },
  skipped: { id: 'debug-step-over', color: 'disabledForeground' },
};

/** The icon of a task. */
export function taskIcon(t: Pick<TaskView, 'status' | 'ready' | 'blocked'>): IconSpec {
  return STATE_ICONS[displayState(t)];
}

/** Tallies of a group's tasks that decide its icon and tooltip (progress as the engine counted it). */
export interface GroupTally extends Progress {
  ready: number;
  running: number;
  blocked: number;
  /** Failed or timed out. */
  failed: number;
}

/** Tallies the states of a group's tasks. */
export function tallyTasks(tasks: readonly Pick<TaskView, 'status' | 'ready' | 'blocked'>[]): Omit<GroupTally, keyof Progress> {
  let ready = 0;
  let running = 0;
  let blocked = 0;
  let failed = 0;
  for (const t of tasks) {
    const s = displayState(t);
    if (s === 'running') running++;
    else if (s === 'ready') ready++;
    else if (s === 'blocked') blocked++;
    else if (s === 'failed' || s === 'timeout') failed++;
  }
  return { ready, running, blocked, failed };
}

/** Tooltip of an epic or feature: its label, progress, then what needs a look: `3 ready · 1 running · 2 blocked · 1 failed`. */
export function groupTooltip(g: Pick<GroupView, 'id' | 'title'> & { costUsd?: number; gate?: FeatureView['gate'] }, tally: GroupTally): string {
  const counts = (['ready', 'running', 'blocked', 'failed'] as const)
    .filter((k) => tally[k] > 0)
    .map((k) => `${tally[k]} ${k === 'failed' ? 'failed or timed out' : k}`)
    .join(' · ');
  // The cost ledger's sum for the group (one grouped query when the engine opens, then added to per attempt).
  const spent = g.costUsd !== undefined ? `\nSpent: ${formatUsd(g.costUsd)}` : '';
  const gate = g.gate === undefined ? '' : `\n${FEATURE_GATE_TEXT[g.gate]}`;
  return `${groupLabel(g)}\n${progressText(tally)}${counts ? `\n${counts}` : ''}${gate}${spent}`;
}

/** What a gated feature's tooltip says about its gate. */
const FEATURE_GATE_TEXT: Readonly<Record<NonNullable<FeatureView['gate']>, string>> = {
  open: "Gate: review — once its tasks are done, what depends on it waits for a person's approval",
  waiting: `Gate: review — ${GATE_WAITING_LABEL}: Approve Gate (the heading's lens, the palette) frees what depends on it`,
  approved: 'Gate: review — approved',
};

/** The icon of an epic or feature: done, something running, something failed, or open. */
export function groupIcon(g: Pick<GroupTally, 'total' | 'done' | 'running' | 'failed'>, kind: 'epic' | 'feature'): IconSpec {
  if (isComplete(g)) return STATE_ICONS.completed;
  if (g.running > 0) return STATE_ICONS.running;
  if (g.failed > 0) return { id: 'warning', color: 'list.warningForeground' };
  return { id: kind === 'epic' ? 'milestone' : 'symbol-class' };
}

/** `E001: Core Platform` / `F001.01: Messaging`. */
export function groupLabel(g: Pick<GroupView, 'id' | 'title'>): string {
  return g.title ? `${g.id}: ${g.title}` : g.id;
}

/** Progress shown beside an epic or feature: `3/16 · 18%`. */
export function groupDescription(g: Progress, tally?: Pick<GroupTally, 'running'>): string {
  const base = progressText(g);
  return tally && tally.running > 0 ? `${base} · ${tally.running} running` : base;
}

/** `T001.003 Implement publisher service`. */
export function taskLabel(t: Pick<TaskView, 'id' | 'title'>): string {
  return t.title ? `${t.id} ${t.title}` : t.id;
}

/**
 * Beside a task in the tree, what matters at a glance at the default width: priority and state (`P0 · ready`); the
 * agent is in the tooltip.
 */
export function taskTreeDescription(
  t: Pick<TaskView, 'priority' | 'status' | 'ready' | 'blocked'>,
  review?: { state: 'awaiting_review' | 'needs_review'; stat: { text: string } },
): string {
  // A gate the engine holds for a person is its own root: "blocked" would read as something else holding it.
  const waitsForPerson = t.status === 'blocked' && t.blocked?.reason === 'gate' && t.blocked.via === undefined;
  const state = review ? reviewLabel(review) : waitsForPerson ? GATE_WAITING_LABEL : STATE_LABEL[displayState(t)];
  return [t.priority, state].filter(Boolean).join(' · ');
}

/** Agent and priority of a task (the task pickers' detail): `backend-development · P0`. */
export function taskDescription(t: Pick<TaskView, 'route' | 'priority'>): string {
  return [t.route.agent, t.priority].filter(Boolean).join(' · ');
}

/** Markdown tooltip of a task: state, agent and why, dependencies, blockers, estimate, last run. */
export function taskTooltip(t: TaskView, lookup: (id: string) => Pick<TaskView, 'status' | 'ready' | 'blocked'> | undefined, now = Date.now()): string {
  const state = displayState(t);
  const lines: string[] = [`**${escapeMarkdown(t.id)}** ${escapeMarkdown(t.title)}`, ''];
  const simulated = state === 'completed' && t.lastRun?.simulated === true ? escapeMarkdown('simulated (dry-run)') : undefined;
  const facts = [STATE_LABEL[state], simulated, t.priority, t.estimateHours !== undefined ? `${formatEstimate(t.estimateHours)} estimate` : undefined];
  lines.push(`$(${STATE_ICONS[state].id.replace('~spin', '')}) ${facts.filter(Boolean).join(' · ')}`);
  if (state === 'running') {
    const started = t.startedAt ? Date.parse(t.startedAt) : NaN;
    if (Number.isFinite(started)) lines.push('', `Running for ${formatDuration(now - started)} (attempt ${t.retryCount + 1})`);
  }
  lines.push('', `Agent: \`${t.route.agent}\` (${escapeMarkdown(t.route.reason || t.route.rule)})`);
  if (t.dependsOn.length > 0) {
    const deps = t.dependsOn.map((d) => {
      const dep = lookup(d.id);
      const st = dep ? STATE_LABEL[displayState(dep)] : 'unknown';
      return `${escapeMarkdown(d.id)} (${st}${d.type === 'soft' ? ', soft' : ''})`;
    });
    lines.push('', `Depends on: ${deps.join(', ')}`);
  }
  if (t.waitingOn.length > 0) lines.push('', `Waiting for: ${t.waitingOn.map(escapeMarkdown).join(', ')}`);
  if (t.blockers.length > 0) lines.push('', `Blocked by: ${t.blockers.map((b) => `"${escapeMarkdown(b)}"`).join(', ')}`);
  if (t.blocked) lines.push('', `Held: ${escapeMarkdown(t.blocked.text)}`);
  if (t.fileHold) lines.push('', `Not started: ${escapeMarkdown(t.fileHold)}`);
  if (t.files && t.files.length > 0) lines.push('', `Files: ${t.files.map((f) => `\`${f}\``).join(', ')}`);
  if (t.dependents.length > 0) lines.push('', `Unblocks: ${t.dependents.map(escapeMarkdown).join(', ')}`);
  if (t.lastRun) lines.push('', `Last run: ${lastRunText(t.lastRun)}`);
  if (t.costUsd !== undefined) lines.push('', `Spent: ${escapeMarkdown(formatUsd(t.costUsd))}`);
  return lines.join('\n');
}

/** `#2 failed after 3m 05s with dry-run: <error>`; a simulated run says so and gives its summary (escaped for markdown). */
export function lastRunText(r: NonNullable<TaskView['lastRun']>): string {
  const detail = r.error ?? r.summary;
  const head = escapeMarkdown(lastRunHead(r));
  return detail ? `${head}: ${escapeMarkdown(truncate(detail, 300))}` : head;
}

/**
 * contextValue of a task item: `task` plus the actions that apply, matched by `viewItem =~ /\bcanRun\b/` in
 * package.json menus, so the context menu only offers what will work.
 */
/** An epic's or feature's context value: a feature whose gate waits offers Approve/Reject like a gated task (canApprove). */
export function groupContextValue(kind: 'epic' | 'feature', gate?: 'open' | 'waiting' | 'approved'): string {
  return kind === 'feature' && gate === 'waiting' ? 'feature canApprove' : kind;
}

export function taskContextValue(
  t: Pick<TaskView, 'status' | 'ready' | 'blocked' | 'lastRun' | 'gate'>,
  review?: { worktree?: string; conflict?: boolean },
): string {
  const parts = ['task', `state-${displayState(t)}`];
  if (canRun(t)) parts.push('canRun');
  if (canRetry(t)) parts.push('canRetry');
  if (t.status === 'in_progress') parts.push('canCancel');
  if (t.status !== 'completed' && t.status !== 'in_progress') parts.push('canMarkDone');
  if (t.status !== 'skipped' && t.status !== 'completed' && t.status !== 'in_progress') parts.push('canSkip');
  if (t.status === 'completed' || t.status === 'skipped') parts.push('canReopen');
  if (t.lastRun || t.status === 'in_progress') parts.push('hasLog');
  if (isWaitingGate(t)) parts.push('canApprove');
  if (review) parts.push('canReview');
  if (review?.worktree) parts.push('hasWorktree');
  if (review?.conflict) parts.push('hasConflict');
  return parts.join(' ');
}
