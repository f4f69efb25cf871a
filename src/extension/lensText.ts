// CodeLens titles and hover text for task lines, as plain data (taskLens.ts turns them into CodeLenses/Hovers).
// Plain Node: no vscode import.
import { displayState, elapsedMs, formatDuration, reviewLabel, STATE_LABEL, truncate } from '../protocol/presentation';
import type { ReviewView } from '../protocol/engineProtocol';
import type { GateWaitingView } from '../protocol/gates';
import type { TaskView } from '../protocol/views';
import type { CheckMark } from '../core/taskLine';
import { escapeMarkdown } from './taskState';
import { lastRunText } from './treeText';

/** Command ids the lenses invoke (registered in commands.ts, declared in package.json). */
export const LENS_COMMANDS = {
  run: 'coditect.runTaskWithAgent',
  cancel: 'coditect.cancelTask',
  retry: 'coditect.retryTask',
  log: 'coditect.showTaskLog',
  reveal: 'coditect.revealTask',
  inTree: 'coditect.revealInTree',
  review: 'coditect.reviewChanges',
  accept: 'coditect.acceptReview',
  reject: 'coditect.rejectReview',
  approveGate: 'coditect.approveGate',
  rejectGate: 'coditect.rejectGate',
} as const;

/** Commands a hover's links may run (the hover's MarkdownString trusts these and no other). */
export const HOVER_COMMANDS: readonly string[] = [LENS_COMMANDS.run, LENS_COMMANDS.retry, LENS_COMMANDS.cancel, LENS_COMMANDS.log, LENS_COMMANDS.inTree];

/** A markdown command link: `[title](command:id?["T1"] "tip")`. */
function commandLink(title: string, command: string, id: string, tip: string): string {
  return `[${title}](command:${command}?${encodeURIComponent(JSON.stringify([id]))} "${tip.replace(/"/g, "'")}")`;
}

/** One CodeLens: title, command id (empty: a label with no action) and its arguments. */
export interface LensSpec {
  title: string;
  command: string;
  args: unknown[];
  tooltip?: string;
}

export interface LensOptions {
  /** Untrusted workspace: no lens that starts, retries or cancels an agent. */
  readOnly: boolean;
  /** Now, in ms since the epoch (for the running time). */
  now: number;
  /** The task's branch waiting for review (docs/isolation.md#review), when it has one. */
  review?: Pick<ReviewView, 'state' | 'stat' | 'reason'>;
}

/**
 * The lenses above a gated feature's heading once its tasks are done (docs/costs-and-gates.md#gates): what waits and
 * for whom, then Approve and Reject (not offered read-only: a decision changes the plan's course).
 */
export function featureGateLenses(w: Pick<GateWaitingView, 'id' | 'title' | 'holds'>, opts: Pick<LensOptions, 'readOnly'>): LensSpec[] {
  const held = `${w.holds} task${w.holds === 1 ? '' : 's'}`;
  const head: LensSpec = {
    title: `⏸ Feature ${w.id} is done and waits for a person's approval · holds ${held}`,
    command: '',
    args: [],
    tooltip: `Gate: review on "${w.title}": what depends on it from outside starts once it is approved`,
  };
  if (opts.readOnly) return [head];
  return [
    head,
    { title: '✓ Approve', command: LENS_COMMANDS.approveGate, args: [w.id], tooltip: `Approve ${w.id}: the ${held} it holds may start` },
    { title: '✗ Reject…', command: LENS_COMMANDS.rejectGate, args: [w.id], tooltip: `Reject ${w.id} with a note: it keeps waiting` },
  ];
}

/**
 * The lens of a task line before the engine has sent its plan (a big plan takes seconds to load): what the checkbox
 * says, with no action yet. The row appears with the text, so the real lens replaces it in place instead of pushing
 * the lines down when it arrives.
 */
export function textLens(mark: CheckMark): LensSpec {
  const loading = 'The engine is still reading the plan: Run, what this task waits for and its last result show once it has.';
  switch (mark) {
    case 'x':
    case 'X':
      return { title: '✓ Done', command: '', args: [], tooltip: `Ticked in the plan. ${loading}` };
    case '-':
      return { title: '⤼ Skipped', command: '', args: [], tooltip: `Skipped in the plan. ${loading}` };
    case '/':
      return { title: '◐ In progress (marked by hand) · loading…', command: '', args: [], tooltip: loading };
    case ' ':
      return { title: '○ Loading the plan…', command: '', args: [], tooltip: loading };
  }
}

/**
 * The lenses above a task line, depending on its state. Every task line gets a row, done ones a quiet label: a lens
 * row sits between two lines, and where some tasks had none a row read as belonging to the line above it.
 */
export function taskLenses(t: TaskView, opts: LensOptions): LensSpec[] {
  const state = displayState(t);
  const id = t.id;
  const log: LensSpec = { title: '📄 Log', command: LENS_COMMANDS.log, args: [id], tooltip: `Show the agent log of ${id}` };
  switch (state) {
    case 'ready':
      if (opts.readOnly) return [{ title: `🔒 Ready · ${t.route.agent} (read-only: Restricted Mode)`, command: '', args: [] }];
      return [
        {
          title: `▶ Run with agent (${t.route.agent})`,
          command: LENS_COMMANDS.run,
          args: [id],
          tooltip: `Run ${id} now with ${t.route.agent}: ${t.route.reason}`,
        },
      ];
    case 'running': {
      const ms = elapsedMs(t, opts.now);
      const running: LensSpec = {
        title: `⏳ Running${ms === undefined ? '' : ` ${formatDuration(ms, true)}`} · ${t.route.agent}`,
        command: LENS_COMMANDS.log,
        args: [id],
        tooltip: `Attempt ${t.retryCount + 1}; click for the log`,
      };
      return opts.readOnly ? [running] : [running, { title: '■ Cancel', command: LENS_COMMANDS.cancel, args: [id], tooltip: `Cancel ${id} (kills its agent)` }];
    }
    case 'failed':
    case 'timeout':
    case 'cancelled': {
      const label = state === 'timeout' ? '⌛ Timed out' : state === 'failed' ? '✖ Failed' : '⊘ Cancelled';
      const why = t.lastRun?.error;
      const head: LensSpec = { title: label, command: LENS_COMMANDS.log, args: [id], tooltip: why };
      return opts.readOnly ? [head, log] : [head, { title: '↻ Retry', command: LENS_COMMANDS.retry, args: [id], tooltip: `Reset ${id} to pending` }, log];
    }
    case 'pending': {
      const first = t.waitingOn[0];
      if (first === undefined) return [{ title: '○ Pending', command: '', args: [] }];
      const more = t.waitingOn.length > 1 ? ` +${t.waitingOn.length - 1}` : '';
      return [{ title: `⛔ Waiting for ${first}${more}`, command: LENS_COMMANDS.reveal, args: [first], tooltip: `Waiting for ${t.waitingOn.join(', ')}` }];
    }
    case 'blocked': {
      const r = opts.review;
      if (r) {
        // Its branch waits for a person: what it changed, and the verdicts.
        const review: LensSpec = {
          title: `🔍 Review changes (${r.stat.text})`,
          command: LENS_COMMANDS.review,
          args: [id],
          tooltip: `${reviewLabel(r)}: ${r.reason}`,
        };
        if (opts.readOnly) return [review];
        return [
          review,
          {
            title: '✓ Accept',
            command: LENS_COMMANDS.accept,
            args: [id],
            tooltip: `Merge ${id}'s branch through the merge queue (its checks run on the merged result)`,
          },
          { title: '✗ Reject…', command: LENS_COMMANDS.reject, args: [id], tooltip: `Discard ${id}'s branch; the task runs again with your note` },
        ];
      }
      // The engine's sentence: `T3 is blocked by "…"`, `waits on T2: T1 failed`, `… is on the dependency cycle …`.
      const why = t.blocked?.text;
      const title = why !== undefined ? `⛔ ${truncate(why, 80)}` : '⛔ Blocked';
      return [{ title, command: t.blocked?.via ? LENS_COMMANDS.reveal : '', args: t.blocked?.via ? [t.blocked.via] : [], tooltip: why }];
    }
    case 'completed': {
      const r = t.lastRun;
      // Ticked by a person (or before this database knew it): done, nothing to open.
      if (!r) return [{ title: '✓ Done', command: '', args: [], tooltip: 'Ticked in the plan; no agent run recorded' }];
      // A simulated run did nothing: the lens must not read like finished work.
      if (r.simulated)
        return [
          {
            title: `✓ Simulated in ${formatDuration(r.durationMs)} · ${r.agent} (dry-run: nothing was executed)`,
            command: LENS_COMMANDS.log,
            args: [id],
            tooltip: r.summary ?? 'The dry-run agent simulated this task; nothing was executed. Click for the log.',
          },
        ];
      return [{ title: `✓ Done in ${formatDuration(r.durationMs)} · ${r.agent}`, command: LENS_COMMANDS.log, args: [id], tooltip: r.summary }];
    }
    case 'skipped':
      return [{ title: '⤼ Skipped', command: '', args: [], tooltip: 'Skipped: counts as done, never dispatched' }];
  }
}

/**
 * Markdown of the hover on a task id: what can be done with it now (Run, Retry or Cancel as its state allows, never
 * in Restricted Mode; its log once it ran; the task in the Tasks view), its state, dependencies (with states),
 * dependents and the last result.
 */
export function taskHover(t: TaskView, lookup: (id: string) => TaskView | undefined, opts: { readOnly?: boolean } = {}): string {
  const state = (id: string): string => {
    const d = lookup(id);
    return d ? STATE_LABEL[displayState(d)] : 'unknown id';
  };
  const item = (id: string): string => {
    const d = lookup(id);
    return `- **${escapeMarkdown(id)}** ${d ? escapeMarkdown(truncate(d.title, 80)) : ''} — ${state(id)}`;
  };
  const out: string[] = [`**${escapeMarkdown(t.id)}** ${escapeMarkdown(t.title)} — ${STATE_LABEL[displayState(t)]}`, ''];
  out.push(`Agent: \`${t.route.agent}\``, '');
  out.push(t.dependsOn.length ? 'Depends on:' : 'Depends on: nothing');
  for (const d of t.dependsOn) out.push(item(d.id));
  out.push('');
  out.push(t.dependents.length ? 'Dependents:' : 'Dependents: none');
  for (const d of t.dependents) out.push(item(d));
  out.push('');
  out.push(t.lastRun ? `Last result: ${lastRunText(t.lastRun)}` : 'Last result: never run');
  const id = t.id;
  const now = displayState(t);
  const links: string[] = [];
  if (!opts.readOnly && now === 'ready') links.push(commandLink('▶ Run', LENS_COMMANDS.run, id, `Run ${id} with ${t.route.agent}`));
  if (!opts.readOnly && (now === 'failed' || now === 'timeout' || now === 'cancelled'))
    links.push(commandLink('↻ Retry', LENS_COMMANDS.retry, id, `Retry ${id}`));
  if (!opts.readOnly && now === 'running') links.push(commandLink('■ Cancel', LENS_COMMANDS.cancel, id, `Cancel ${id}`));
  if (t.lastRun || now === 'running') links.push(commandLink('📄 Log', LENS_COMMANDS.log, id, `Show the agent log of ${id}`));
  links.push(commandLink('Show in Tasks view', LENS_COMMANDS.inTree, id, `Select ${id} in the Tasks view`));
  out.push('', links.join(' · '));
  return out.join('\n');
}
