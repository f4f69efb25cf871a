// Status bar text and tooltip, as plain data. Plain Node: no vscode import.
import { AGENT_REPORT_POINTS } from '../core/agentReport';
import { type AttemptView, TASK_LOG_ATTEMPTS } from '../protocol/engineProtocol';
import { countsText, formatDuration, outcomeLabel } from '../protocol/presentation';
import type { OrchestrationState, PlanCounts, StallView } from '../protocol/views';
import type { EngineLifecycle } from './engineEvents';
import { escapeMarkdown } from './taskState';

export interface StatusInput {
  lifecycle: EngineLifecycle;
  counts?: PlanCounts;
  state?: OrchestrationState;
  simulated?: boolean;
  readOnly?: boolean;
  failure?: string;
  /** Why the plan cannot finish (stallsOf the tasks), shown while `state` is `stalled`. */
  stalls?: readonly StallView[];
  /** An API key saved or removed since the engine started (it reads the key once, at start). */
  keyChange?: KeyChange;
  /** The engine that owns the plan when this window is its client (InitializeResult.attachedTo), not its owner. */
  attachedTo?: { pid: number; kind: 'daemon' | 'engine' };
}

/** A change of the stored API key the running engine has not picked up yet. */
export type KeyChange = 'saved' | 'removed';

/**
 * What the views say about simulation and the key, in one wording (tree message, status bar tooltip): after
 * "Set API key → Later" the key IS saved, so the views must not say that none is set.
 */
export function keyNote(simulated: boolean | undefined, keyChange: KeyChange | undefined): string | undefined {
  if (keyChange === 'saved')
    return `Anthropic API key saved — restart the engine to use it ("CODITECT: Restart Engine")${simulated ? '; until then agents are simulated (dry-run)' : ''}.`;
  if (keyChange === 'removed')
    return 'Anthropic API key removed from secret storage — the running engine keeps using it until it restarts ("CODITECT: Restart Engine").';
  if (simulated)
    return 'Simulation: agents are dry-run (nothing is executed): no Anthropic API key is in use and no other default agent is chosen. Run "CODITECT: Set Anthropic API Key" or set coditect.agents.default to use real agents.';
  return undefined;
}

/** Text (with codicons), tooltip (markdown) and whether it is a warning, for the status bar item. */
export interface StatusSpec {
  text: string;
  tooltip: string;
  warning: boolean;
}

/** `$(gear) 3 running · 29/122`, spinning while orchestration runs; other texts while the engine is not up. */
export function statusSpec(s: StatusInput): StatusSpec {
  switch (s.lifecycle) {
    case 'starting':
      return { text: '$(sync~spin) CODITECT', tooltip: 'Starting the CODITECT engine…', warning: false };
    case 'restarting':
      return { text: '$(sync~spin) CODITECT restarting', tooltip: 'The CODITECT engine stopped unexpectedly and is being restarted.', warning: true };
    case 'failed':
      return { text: '$(error) CODITECT', tooltip: `The CODITECT engine is not running: ${s.failure ?? 'it failed'}. Click to restart it.`, warning: true };
    case 'stopped':
      return { text: '$(circle-slash) CODITECT', tooltip: 'The CODITECT engine is stopped.', warning: false };
    case 'no-tasklist':
      return { text: '$(circle-slash) CODITECT', tooltip: 'No task list in this workspace (setting coditect.tasklist).', warning: false };
    case 'running':
      break;
  }
  const c = s.counts;
  const running = c?.inProgress ?? 0;
  const stalled = s.state === 'stalled';
  const icon = s.state === 'running' ? '$(gear~spin)' : s.state === 'paused' ? '$(debug-pause)' : stalled ? '$(warning)' : '$(gear)';
  const parts = [stalled ? `${icon} stalled` : `${icon} ${running} running`, c ? `${c.done}/${c.total}` : '…'];
  if (s.simulated) parts.push('dry-run');
  if (s.readOnly) parts.push('read-only');
  // Which process runs the plan is what a person needs to know before stopping a daemon or closing a window.
  if (s.attachedTo) parts.push(`attached to ${s.attachedTo.kind} pid ${s.attachedTo.pid}`);
  const tip: string[] = [`**CODITECT** — orchestration ${s.state ?? 'idle'}`, ''];
  if (c) {
    tip.push(countsText(c));
  }
  if (stalled) {
    tip.push('', '**Stalled**: nothing runs and nothing can start until a person acts.');
    for (const st of (s.stalls ?? []).slice(0, 5)) tip.push(`- ${escapeMarkdown(st.text)} (holds ${st.holds.length})`);
    if ((s.stalls?.length ?? 0) > 5) tip.push(`- … and ${s.stalls!.length - 5} more`);
  }
  if (s.attachedTo) {
    const owner = s.attachedTo.kind === 'daemon' ? 'the daemon' : "another window's (or `coditect run`'s) engine";
    tip.push(
      '',
      `Attached to ${owner}, pid ${s.attachedTo.pid}, which owns this plan: this window shows its plan and events, its commands act there, and its configuration applies. If it stops, this window takes the plan over.`,
    );
  }
  const note = keyNote(s.simulated, s.keyChange);
  if (note) tip.push('', note);
  if (s.readOnly) tip.push('', 'Restricted Mode: the plan is read-only and no agent runs until you trust this workspace.');
  tip.push('', 'Click to open the progress dashboard.');
  return { text: parts.join(' · '), tooltip: tip.join('\n'), warning: stalled };
}

/**
 * The plan's four-point report as the attempt row keeps it (files changed, tests run, completion status; "what you did"
 * is the summary above). Labelled as the agent's own words: nothing here was checked by the engine.
 */
function reportLines(a: AttemptView): string[] {
  const lines: string[] = [];
  for (const point of AGENT_REPORT_POINTS) {
    if (point.key === 'whatYouDid') continue;
    const value = a[point.key];
    if (value === undefined) continue;
    if (typeof value === 'string') lines.push(`${point.label}: ${value}`);
    else if (value.length === 0) lines.push(`${point.label}: none`);
    else lines.push(`${point.label}:`, ...value.map((v) => `  - ${v}`));
  }
  return lines.length ? ['', "--- the agent's report (its own words, not checked) ---", ...lines] : [];
}

/**
 * The agent log of a task as plain text, newest attempt first; a simulated attempt says so and gives its summary.
 * With more than one run each header also numbers the run: the attempt number counts within the retry budget, which a
 * person's Retry resets and a released attempt (engine stopped, lease lost) does not spend, so two runs can both be
 * "attempt 1". The engine answers with the newest TASK_LOG_ATTEMPTS only: then the runs are counted from the oldest shown.
 */
export function formatTaskLog(taskId: string, title: string | undefined, attempts: readonly AttemptView[]): string {
  const out: string[] = [`${taskId}${title ? ` ${title}` : ''}`, ''];
  if (attempts.length === 0) out.push('No attempt recorded yet.');
  const cut = attempts.length >= TASK_LOG_ATTEMPTS;
  if (cut) out.push(`The newest ${attempts.length} runs, counted from the oldest shown; older ones are kept in context.db (agent_execution_log).`, '');
  attempts.forEach((a, i) => {
    const dur = a.durationMs !== undefined ? ` after ${formatDuration(a.durationMs)}` : '';
    const run = attempts.length > 1 ? `run ${attempts.length - i}${cut ? '' : ` of ${attempts.length}`} · ` : '';
    out.push(`=== ${run}attempt ${a.attempt} · ${a.agent} · ${outcomeLabel(a)}${dur} ===`);
    if (a.simulated) out.push('SIMULATED: the dry-run agent ran this attempt; nothing was executed and no file was changed.');
    out.push(
      `started ${a.startedAt}${a.endedAt ? ` · ended ${a.endedAt}` : ''}${a.exitCode !== undefined && a.exitCode !== null ? ` · exit code ${a.exitCode}` : ''}`,
    );
    const usage = [
      a.tokensIn !== undefined ? `${a.tokensIn} tokens in` : undefined,
      a.tokensOut !== undefined ? `${a.tokensOut} tokens out` : undefined,
      a.costUsd !== undefined ? `$${a.costUsd.toFixed(4)}` : undefined,
    ].filter(Boolean);
    if (usage.length) out.push(usage.join(' · '));
    if (a.summary) out.push('', '--- summary ---', a.summary.trimEnd());
    out.push(...reportLines(a));
    if (a.error) out.push('', `error: ${a.error}`);
    if (a.stdout) out.push('', '--- stdout ---', a.stdout.trimEnd());
    if (a.stderr) out.push('', '--- stderr ---', a.stderr.trimEnd());
    out.push('');
  });
  return out.join('\n');
}
