// How figures and states read, everywhere a person sees them: the tree, CodeLens, hovers, the status bar, the
// dashboard and the CLI all format through here, so a percentage, a duration or a state's name reads the same in
// each (the tree said 43 % where the dashboard said 42 %, `1h 05m` beside `3m 05s`). Pure functions over the view
// types; the webview bundle imports this file too, so nothing here may need Node or vscode.
import type { Progress } from '../core/progress';
import type { KpiView, LastRunView, PlanCounts, TaskView } from './views';

// ---- states ---------------------------------------------------------------------------------------------------------

/** The states a person tells apart: TaskStatus with `pending` split into ready, waiting (on dependencies) and blocked. */
export type DisplayState = 'ready' | 'pending' | 'running' | 'completed' | 'blocked' | 'failed' | 'timeout' | 'cancelled' | 'skipped';

export const DISPLAY_STATES: readonly DisplayState[] = ['ready', 'pending', 'running', 'completed', 'blocked', 'failed', 'timeout', 'cancelled', 'skipped'];

/** What `displayState` reads of a task. */
export type StateFields = Pick<TaskView, 'status' | 'ready' | 'blocked'>;

/**
 * How a task is shown: running, ready, waiting on dependencies (`pending`), blocked (the engine's one definition,
 * `TaskView.blocked`: a person must act — a `Blocked by:`, a cycle, a failure upstream…)…
 */
export function displayState(t: StateFields): DisplayState {
  if (t.blocked) return 'blocked';
  switch (t.status) {
    case 'in_progress':
      return 'running';
    case 'pending':
      return t.ready ? 'ready' : 'pending';
    default:
      return t.status;
  }
}

/** Words for a display state. `pending` reads "waiting": pending is ready and waiting together. */
export const STATE_LABEL: Readonly<Record<DisplayState, string>> = {
  ready: 'ready',
  pending: 'waiting',
  running: 'running',
  completed: 'completed',
  blocked: 'blocked',
  failed: 'failed',
  timeout: 'timed out',
  cancelled: 'cancelled',
  skipped: 'skipped',
};

/** A gate's own state while it waits for a person (its status is `blocked`; the views say what it waits for). */
export const GATE_WAITING_LABEL = 'awaiting approval';

// ---- progress -------------------------------------------------------------------------------------------------------

/**
 * A share as a whole percent, rounded down so unfinished work never reads 100%, and up from 0 so one finished task of
 * 500 does not read 0%. `0%` for an empty total.
 */
export function formatPercent(done: number, total: number): string {
  if (!(total > 0) || !(done > 0)) return '0%';
  if (done >= total) return '100%';
  return `${Math.min(99, Math.max(1, Math.floor((done / total) * 100)))}%`;
}

/** Done share of a progress, 0..1, for bars (0 for an empty total). */
export function progressRatio(p: Progress): number {
  return p.total > 0 ? Math.min(1, Math.max(0, p.done / p.total)) : 0;
}

/** `3/16 · 18%`; `0/0` for an empty group. */
export function progressText(p: Progress): string {
  if (p.total <= 0) return '0/0';
  return `${p.done}/${p.total} · ${formatPercent(p.done, p.total)}`;
}

/** The plan's progress out of its counts (the engine counts `done` with the core rule). */
export function planProgress(c: Pick<PlanCounts, 'done' | 'total'>): Progress {
  return { done: c.done, total: c.total };
}

/** Work left for the burndown: every task not done. */
export function remainingOf(c: Pick<PlanCounts, 'done' | 'total'>): number {
  return Math.max(0, c.total - c.done);
}

/** `12 of 122 done · 3 running · 40 pending (5 ready) · 2 blocked · 1 failed`: the plan in one line, zero parts left out. */
export function countsText(c: PlanCounts): string {
  const parts = [`${c.done} of ${c.total} done`];
  if (c.inProgress) parts.push(`${c.inProgress} running`);
  if (c.pending) parts.push(`${c.pending} pending (${c.ready} ready)`);
  if (c.blocked) parts.push(`${c.blocked} blocked`);
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.timeout) parts.push(`${c.timeout} timed out`);
  if (c.cancelled) parts.push(`${c.cancelled} cancelled`);
  if (c.skipped) parts.push(`${c.skipped} skipped`);
  return parts.join(' · ');
}

// ---- durations, estimates, rates ------------------------------------------------------------------------------------

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * A duration for people: `45s`, `3m 05s`, `2h 14m`, `3d 4h`; `—` for a negative or non-finite value. `coarse` drops
 * the seconds (`<1m`, `3m`) for text that is not redrawn every second (a CodeLens).
 */
export function formatDuration(ms: number, coarse = false): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.floor(ms / 1000);
  if (s < 60) return coarse ? '<1m' : `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return coarse ? `${m}m` : `${m}m ${pad2(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad2(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/**
 * A span the engine names in a message (an attempt's timeout, a provider's pause): formatDuration's form, and the
 * milliseconds below a second (`250ms`), where formatDuration's `0s` would hide a configured value.
 */
export function formatSpan(ms: number): string {
  return Number.isFinite(ms) && ms >= 0 && ms < 1000 ? `${Math.floor(ms)}ms` : formatDuration(ms);
}

/**
 * A moment in local time for people: `14:05` on the same local day as `now`, `Dec 4, 14:05` on any other day (a
 * usage-limit reset an hour ahead at 23:30 is tomorrow, and a bare `00:30` would read as the past). The input itself
 * when it does not parse. One formatter for "paused until", gate decisions and the engine's log.
 */
export function formatWhen(at: string | number, now: number = Date.now()): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  if (d.toDateString() === new Date(now).toDateString()) return hm;
  return `${d.toLocaleDateString('en-US', { month: 'short', day: 'numeric' })}, ${hm}`;
}

/** Milliseconds a task has been running at `now`, or undefined when its start is unknown. */
export function elapsedMs(t: Pick<TaskView, 'startedAt'>, now: number): number | undefined {
  if (!t.startedAt) return undefined;
  const start = Date.parse(t.startedAt);
  return Number.isFinite(start) ? Math.max(0, now - start) : undefined;
}

/** An estimate as people write it: `16h`, `0.5h` (hours, never converted to days). */
export function formatEstimate(hours: number): string {
  return `${Math.round(hours * 10) / 10}h`;
}

/** Tasks per hour with one decimal below 10 (`0.4`, `7.5`) and none above (`12`). */
export function formatRate(perHour: number): string {
  if (!Number.isFinite(perHour) || perHour <= 0) return '0';
  return perHour < 10 ? perHour.toFixed(1) : String(Math.round(perHour));
}

// ---- KPIs -----------------------------------------------------------------------------------------------------------

/** The plan's KPIs ("Success Metrics": autonomy 95%, dispatch latency < 5 s, throughput 10/hour, success 95%, uptime 99.9%). */
export const KPI_TARGETS = { autonomyRate: 0.95, dispatchLatencyP95Seconds: 5, successRate: 0.95, tasksPerHour: 10, uptimeRatio: 0.999 } as const;
export type KpiKey = keyof typeof KPI_TARGETS;

/** One KPI as a view lists it: the value written (`–` with nothing to divide yet), the target, and whether it is met. */
export interface KpiRow {
  key: KpiKey;
  label: string;
  value: string;
  target: string;
  /** null while the KPI has no value. */
  met: boolean | null;
}

/** A share with one decimal, rounded down (99.95% of uptime is not 100.0%). */
function share1(r: number): string {
  return `${r >= 1 ? '100' : (Math.floor(r * 1000) / 10).toFixed(1)}%`;
}

/** A KPI window: `7 days`, `1 day`, else a duration (`5h 00m`). */
function windowText(seconds: number): string {
  const days = seconds / 86_400;
  return Number.isInteger(days) && days > 0 ? `${days} day${days === 1 ? '' : 's'}` : formatDuration(seconds * 1000);
}

/** The plan's KPIs in the order of its table, each with its target. */
export function kpiRows(k: KpiView): KpiRow[] {
  const row = (key: KpiKey, label: string, value: string, target: string): KpiRow => {
    const v = k[key];
    // Latency is met below its target; the rest at or above.
    const met = v === null ? null : key === 'dispatchLatencyP95Seconds' ? v < KPI_TARGETS[key] : v >= KPI_TARGETS[key];
    return { key, label, value: v === null ? '–' : value, target, met };
  };
  return [
    row('autonomyRate', 'Autonomy rate', formatPercent(k.autonomyRate ?? 0, 1), 'target 95%'),
    row('dispatchLatencyP95Seconds', 'Dispatch latency (p95)', `${(k.dispatchLatencyP95Seconds ?? 0).toFixed(1)}s`, 'target < 5s'),
    row('tasksPerHour', 'Tasks / hour (24 h)', formatRate(k.tasksPerHour ?? 0), 'target 10'),
    row('successRate', 'Success rate', formatPercent(k.successRate ?? 0, 1), 'target 95%'),
    row('uptimeRatio', `Uptime (${windowText(k.windowSeconds)})`, share1(k.uptimeRatio ?? 0), 'target 99.9%'),
  ];
}

/**
 * The plan's KPIs in one line (the CLI's `status`), each figure written as kpiRows writes it, plus the latency median
 * and the number of starts: `autonomy 99%, success 95%, 7.5 tasks/hour, uptime 99.9% over 7 days, …`; `–` for a KPI
 * with nothing to divide yet.
 */
export function kpiLine(k: KpiView): string {
  const or = (v: number | null, f: (v: number) => string): string => (v === null ? '–' : f(v));
  const secs = (v: number): string => `${v.toFixed(v < 10 ? 2 : 0)} s`;
  const pct = (v: number): string => formatPercent(v, 1);
  return (
    `autonomy ${or(k.autonomyRate, pct)}, success ${or(k.successRate, pct)}, ${or(k.tasksPerHour, formatRate)} tasks/hour, ` +
    `uptime ${or(k.uptimeRatio, share1)} over ${windowText(k.windowSeconds)}, ` +
    `dispatch latency p50 ${or(k.dispatchLatencyP50Seconds, secs)} / p95 ${or(k.dispatchLatencyP95Seconds, secs)} (${k.dispatchSamples} starts)`
  );
}

// ---- runs -----------------------------------------------------------------------------------------------------------

/** How an attempt ended (or `running`), in words; a simulated (dry-run) success reads `simulated`, never `completed`. */
export function outcomeLabel(r: { outcome: string; simulated?: boolean }): string {
  switch (r.outcome) {
    case 'completed':
      return r.simulated ? 'simulated' : 'completed';
    case 'verify_failed':
      return 'failed verification';
    case 'budget_exceeded':
      return 'stopped at its budget';
    case 'timeout':
      return 'timed out';
    default:
      return r.outcome;
  }
}

/** `#2 failed after 3m 05s with dry-run` (plain text; the detail, error or summary, is the caller's to add). */
export function lastRunHead(r: LastRunView): string {
  return `#${r.attempt} ${outcomeLabel(r)} after ${formatDuration(r.durationMs)} with ${r.agent}${r.simulated ? ' (simulated: nothing was executed)' : ''}`;
}

/** Cuts text to `max` characters with an ellipsis. */
export function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * What the engine says when it kept `completed` completed and `failed` failed against another program's older copy of
 * `fileName` (src/core/olderCopy.ts), and put back the lines of `restored`.
 */
export function olderCopyText(fileName: string, completed: readonly string[], failed: readonly string[] = [], restored: readonly string[] = []): string {
  const stay = (ids: readonly string[], what: string): string => `${listIds(ids, 20)} ${ids.length === 1 ? 'stays' : 'stay'} ${what}`;
  const parts = [completed.length > 0 ? stay(completed, 'completed') : '', failed.length > 0 ? stay(failed, 'failed') : ''].filter(Boolean);
  const back = restored.length > 0 ? `; ${listIds(restored, 20)}, added since, ${restored.length === 1 ? 'is' : 'are'} put back` : '';
  const how = failed.length > 0 ? 'untick a task or remove its badge on its own to run it again' : 'untick a task on its own to run it again';
  return `another program wrote an older copy of ${fileName}: ${parts.join(', ')}${back}; ${how}`;
}

/** Task ids in a sentence: `T1, T2, T3`, or `T1, T2, … (12 tasks)` for a long list; each id once. */
export function listIds(ids: readonly string[], max = 8): string {
  const unique = [...new Set(ids)];
  return unique.length <= max ? unique.join(', ') : `${unique.slice(0, max).join(', ')}, … (${unique.length} tasks)`;
}

/**
 * What some work changed, as the pause summary and a waiting gate say it: `changed src/a.ts, src/b.ts`, the first
 * `max` paths then `and 4 more`, `changed no file` for none. Each path once, in the order given.
 */
export function changedFilesText(files: readonly string[], max = 10): string {
  const unique = [...new Set(files)];
  if (unique.length === 0) return 'changed no file';
  return `changed ${unique.slice(0, max).join(', ')}${unique.length > max ? ` and ${unique.length - max} more` : ''}`;
}

/**
 * Why a ready task waits for another that names the same files (src/core/fileClaims.ts): `waits for T003 (in
 * progress): both name src/models/user.py`, or, for a ready task that goes first, `…T003 (starts first)…`.
 */
export function fileHoldText(hold: { holder: string; running: boolean; paths: readonly string[] }): string {
  const shown = hold.paths.length <= 3 ? hold.paths.join(', ') : `${hold.paths.slice(0, 3).join(', ')} and ${hold.paths.length - 3} more`;
  return `waits for ${hold.holder} (${hold.running ? 'in progress' : 'starts first'}): both name ${shown}`;
}

/** A task branch waiting for a person (docs/isolation.md#review), as the tree and the lenses show it: `awaiting review · 3 files, +120 −8`. */
export function reviewLabel(r: { state: 'awaiting_review' | 'needs_review'; stat: { text: string } }): string {
  return `${r.state === 'awaiting_review' ? 'awaiting review' : 'needs review'} · ${r.stat.text}`;
}
