// What the cost ledger shows: the spend of a run, a day, an epic, an agent type, a model (docs/costs-and-gates.md), as
// `coditect status --json`, `coditect cost`, the tree's tooltips and the dashboard's spend panel receive it, and the one
// way amounts of money are written. Plain data and pure formatting; no imports beyond other protocol shapes.

/** A sum of attempts' spend. `estimatedUsd` is the part computed from tokens × the price table (not reported). */
export interface SpendTotal {
  costUsd: number;
  estimatedUsd: number;
  /** Finished attempts summed. */
  attempts: number;
  tokensIn: number;
  tokensOut: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Attempts that reported tokens but no cost, and whose model has no price: their cost is missing from costUsd. */
  unpriced: number;
}

/** One group of a cost report: a task, feature, epic, agent type, model, provider, day or run. */
export interface SpendRow extends SpendTotal {
  key: string;
  /** The task's, feature's or epic's title, when the plan has it. */
  title?: string;
}

/** How a cost report groups attempts (`coditect cost --by …`). */
export type SpendGrouping = 'epic' | 'feature' | 'task' | 'agent' | 'model' | 'provider' | 'day' | 'run';
export const SPEND_GROUPINGS: readonly SpendGrouping[] = ['epic', 'feature', 'task', 'agent', 'model', 'provider', 'day', 'run'];

/** `coditect cost --json`: the total and one row per group, most expensive first. */
export interface CostReport {
  by: SpendGrouping;
  total: SpendTotal;
  rows: SpendRow[];
}

/** A budget from the config (`budget.*`) and how much of it is spent. */
export interface BudgetView {
  scope: 'task' | 'run' | 'day' | 'epic';
  /** The epic or task it applies to (epic and task budgets: the one nearest its limit is shown). */
  id?: string;
  budgetUsd: number;
  spentUsd: number;
}

/** What dispatch is held for, because a budget is reached (cleared by raising the budget or by resume). */
export interface BudgetHoldView {
  scope: 'run' | 'day' | 'epic';
  /** The epic, for an epic budget. */
  id?: string;
  budgetUsd: number;
  spentUsd: number;
  /** One sentence: `day budget $10.00 reached ($10.42 spent today)`. */
  reason: string;
}

/** What an estimated hour of work has recently cost on one agent type (the pre-dispatch estimate's basis). */
export interface CostRate {
  agentType: string;
  usdPerHour: number;
  /** Completed tasks it is averaged over. */
  tasks: number;
}

/** The spend the engine shows: in the snapshot, `status --json` and the dashboard's spend panel. */
export interface SpendView {
  /** Spent by this engine run (since it opened). */
  run: SpendTotal;
  /** Spent today (local time), by every run. */
  today: SpendTotal;
  /** Everything the database holds. */
  total: SpendTotal;
  /** Spend per epic, per agent type and per model (all time), most expensive first. */
  byEpic: SpendRow[];
  byAgentType: SpendRow[];
  byModel: SpendRow[];
  /** Configured budgets with what is spent against them. */
  budgets: BudgetView[];
  /** Budgets reached: dispatch of their scope waits. */
  holds: BudgetHoldView[];
  /** Recent cost per estimated hour by agent type (`next --json`'s estimates). */
  rates?: CostRate[];
}

/** A total with nothing in it. */
export function emptySpendTotal(): SpendTotal {
  return { costUsd: 0, estimatedUsd: 0, attempts: 0, tokensIn: 0, tokensOut: 0, cacheReadTokens: 0, cacheWriteTokens: 0, unpriced: 0 };
}

/**
 * An amount of money as every view writes it: `$12.34`, `$1,234`, `$0.0042` (four decimals below a cent, so a cheap
 * attempt never reads $0.00), `$0.00`. `estimated` prefixes `~`.
 */
export function formatUsd(usd: number, estimated = false): string {
  const sign = usd < 0 ? '-' : '';
  const a = Math.abs(usd);
  let body: string;
  if (a === 0) body = '0.00';
  else if (a < 0.01) body = a.toFixed(4);
  else if (a < 1000) body = a.toFixed(2);
  else body = Math.round(a).toLocaleString('en-US');
  return `${estimated ? '~' : ''}${sign}$${body}`;
}

/** A total as one line: `$1.23 (~$0.40 estimated) · 12 attempts · 45.1k tokens in, 3.2k out`. */
export function spendText(t: SpendTotal): string {
  const parts = [formatUsd(t.costUsd) + (t.estimatedUsd > 0 ? ` (${formatUsd(t.estimatedUsd, true)} estimated)` : '')];
  parts.push(`${t.attempts} attempt${t.attempts === 1 ? '' : 's'}`);
  if (t.tokensIn + t.tokensOut > 0) parts.push(`${formatCount(t.tokensIn)} tokens in, ${formatCount(t.tokensOut)} out`);
  if (t.unpriced > 0) parts.push(`${t.unpriced} without a price`);
  return parts.join(' · ');
}

/** 950, 45.1k, 3.2M. */
export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 100_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 1 : 0)}M`;
}

/** What a pause_after reason starts with (src/engine/spend/pauseAfter.ts), so views tell it from a budget's. */
export const PAUSE_AFTER_PREFIX = 'pause_after:';

/**
 * How a person goes on after a limit paused dispatch: pause_after waits for a look, a budget is raised or resumed past.
 * `cli`: a running engine (`coditect resume`); `run`: a `coditect run` that ended paused (a new run goes on); `editor`.
 */
export function pauseHint(pausedFor: string, how: 'cli' | 'run' | 'editor'): string {
  const look = pausedFor.startsWith(PAUSE_AFTER_PREFIX);
  if (how === 'editor') return look ? 'Look at what was done, then Resume to go on.' : 'Raise the budget in the config, or Resume to go on.';
  if (how === 'run') return look ? 'look, then run again to go on' : 'raise the budget to go on';
  return look ? 'look, then `coditect resume` to go on' : 'raise the budget or `coditect resume` to go on';
}
