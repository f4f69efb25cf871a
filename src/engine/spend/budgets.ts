// The budgets of docs/costs-and-gates.md#budgets, read against the live ledger: whether an attempt takes its task over
// `budget.per_task_usd` (the engine then stops it), whether a task may start (its own budget, its epic's), and
// whether dispatch as a whole is held (this run's or today's budget reached). A person's `resume` acknowledges the
// holds reached so far: they hold again only at a new limit (a changed budget) or on a new day. Nothing here writes.
import { formatUsd, type BudgetHoldView, type BudgetView } from '../../protocol/spend';
import type { BudgetConfig } from '../config';
import type { SpendLedger } from './ledger';

/** What dispatch asks of the budgets (the orchestrator's DispatchLimits). */
export interface BudgetOptions {
  ledger: SpendLedger;
  /** The current budgets (they change with the config). */
  budget(): BudgetConfig;
  /** The epic a task belongs to in the current plan. */
  epicOf(taskId: string): string | undefined;
}

/** The budgets of one engine (see the file comment). */
export class Budgets {
  /** Holds a person resumed past: `scope:id:budget[:day]`. */
  private readonly acknowledged = new Set<string>();

  constructor(private readonly opts: BudgetOptions) {}

  /**
   * Why an attempt of `taskId` that has cost `attemptUsd` so far takes the task to its budget (what its earlier
   * attempts cost included), or undefined.
   */
  overBudget(taskId: string, attemptUsd: number): string | undefined {
    const limit = this.opts.budget().perTaskUsd;
    if (limit === undefined) return undefined;
    const spent = this.opts.ledger.taskUsd(taskId) + attemptUsd;
    return spent >= limit ? `budget_exceeded: task budget ${formatUsd(limit)} reached (${formatUsd(spent)} spent on ${taskId})` : undefined;
  }

  /** Why `taskId` may not start now: its own budget is spent, or its epic's is reached (not acknowledged). */
  taskHold(taskId: string): string | undefined {
    const b = this.opts.budget();
    if (b.perTaskUsd !== undefined) {
      const spent = this.opts.ledger.taskUsd(taskId);
      if (spent >= b.perTaskUsd)
        return `task budget ${formatUsd(b.perTaskUsd)} of ${taskId} is spent (${formatUsd(spent)}); raise budget.per_task_usd to run it again`;
    }
    const epic = this.opts.epicOf(taskId);
    if (epic !== undefined && b.perEpicUsd !== undefined) {
      const hold = this.epicHold(epic, b.perEpicUsd);
      if (hold) return hold.reason;
    }
    return undefined;
  }

  /** Why nothing may start now (this run's or today's budget reached, not acknowledged), or undefined. */
  globalHold(): string | undefined {
    return this.globalHolds()[0]?.reason;
  }

  /** Every budget reached and not acknowledged: run, day, then each epic. */
  holds(): BudgetHoldView[] {
    const out = this.globalHolds();
    const limit = this.opts.budget().perEpicUsd;
    if (limit !== undefined)
      for (const [epic] of this.opts.ledger.epics()) {
        const h = this.epicHold(epic, limit);
        if (h) out.push(h);
      }
    return out;
  }

  /** A person resumed: every hold reached so far is lifted until a budget changes or the day ends. */
  acknowledge(): void {
    for (const h of this.holds()) this.acknowledged.add(this.keyOf(h));
  }

  /** The configured budgets and what is spent against them (task and epic: the one nearest its limit). */
  views(): BudgetView[] {
    const b = this.opts.budget();
    const l = this.opts.ledger;
    const out: BudgetView[] = [];
    if (b.perRunUsd !== undefined) out.push({ scope: 'run', budgetUsd: b.perRunUsd, spentUsd: l.runUsd() });
    if (b.perDayUsd !== undefined) out.push({ scope: 'day', budgetUsd: b.perDayUsd, spentUsd: l.todayUsd() });
    if (b.perEpicUsd !== undefined) {
      const top = maxOf(l.epics());
      out.push({ scope: 'epic', ...(top ? { id: top[0] } : {}), budgetUsd: b.perEpicUsd, spentUsd: top?.[1] ?? 0 });
    }
    if (b.perTaskUsd !== undefined) {
      const top = maxOf(l.tasks());
      out.push({ scope: 'task', ...(top ? { id: top[0] } : {}), budgetUsd: b.perTaskUsd, spentUsd: top?.[1] ?? 0 });
    }
    return out;
  }

  private globalHolds(): BudgetHoldView[] {
    const b = this.opts.budget();
    const l = this.opts.ledger;
    const out: BudgetHoldView[] = [];
    if (b.perRunUsd !== undefined && l.runUsd() >= b.perRunUsd) {
      const spent = l.runUsd();
      out.push({
        scope: 'run',
        budgetUsd: b.perRunUsd,
        spentUsd: spent,
        reason: `run budget ${formatUsd(b.perRunUsd)} reached (${formatUsd(spent)} spent by this run)`,
      });
    }
    if (b.perDayUsd !== undefined && l.todayUsd() >= b.perDayUsd) {
      const spent = l.todayUsd();
      out.push({
        scope: 'day',
        budgetUsd: b.perDayUsd,
        spentUsd: spent,
        reason: `day budget ${formatUsd(b.perDayUsd)} reached (${formatUsd(spent)} spent today)`,
      });
    }
    return out.filter((h) => !this.acknowledged.has(this.keyOf(h)));
  }

  private epicHold(epic: string, limit: number): BudgetHoldView | undefined {
    const spent = this.opts.ledger.epicUsd(epic);
    if (spent < limit) return undefined;
    const h: BudgetHoldView = {
      scope: 'epic',
      id: epic,
      budgetUsd: limit,
      spentUsd: spent,
      reason: `epic budget ${formatUsd(limit)} of ${epic} reached (${formatUsd(spent)} spent)`,
    };
    return this.acknowledged.has(this.keyOf(h)) ? undefined : h;
  }

  private keyOf(h: BudgetHoldView): string {
    // A day hold resumed past holds again tomorrow; every hold holds again when its budget changes.
    const day = h.scope === 'day' ? `:${this.opts.ledger.dayEndsAt()}` : '';
    return `${h.scope}:${h.id ?? ''}:${h.budgetUsd}${day}`;
  }
}

function maxOf(entries: Iterable<[string, number]>): [string, number] | undefined {
  let best: [string, number] | undefined;
  for (const e of entries) if (!best || e[1] > best[1]) best = e;
  return best;
}
