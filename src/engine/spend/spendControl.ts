// The engine's spend controls, composed: the live ledger fed by finished attempts, the budgets dispatch obeys, and the
// views of both (snapshot, status, tooltips). The runtime owns one and wires it to its orchestrator; nothing here
// writes the database.
import type Database from 'better-sqlite3';
import type { CostRate, SpendView } from '../../protocol/spend';
import type { BudgetConfig } from '../config';
import type { DispatchLimits, Orchestrator } from '../orchestrator';
import { Budgets } from './budgets';
import { costPerEstimatedHour } from './costReport';
import { SpendLedger } from './ledger';

/** Options of SpendControl. */
export interface SpendControlOptions {
  db: Database.Database;
  /** The epic a task belongs to in the current plan. */
  epicOf(taskId: string): string | undefined;
  /** The current budgets (`budget.*` of the config). Default: none. */
  budget?(): BudgetConfig;
  now?: () => number;
}

/** The spend controls of one engine (see the file comment). */
export class SpendControl {
  readonly ledger: SpendLedger;
  readonly budgets: Budgets;
  /** What the orchestrator asks before it starts work (the budgets). */
  readonly limits: DispatchLimits;
  private readonly now: () => number;
  /** costPerEstimatedHour, until a task completes. */
  private rates?: CostRate[];

  constructor(private readonly opts: SpendControlOptions) {
    this.now = opts.now ?? Date.now;
    this.ledger = new SpendLedger(opts.db, this.now);
    this.budgets = new Budgets({ ledger: this.ledger, budget: () => opts.budget?.() ?? {}, epicOf: opts.epicOf });
    this.limits = {
      globalHold: () => this.budgets.globalHold(),
      taskHold: (id) => this.budgets.taskHold(id),
      overBudget: (id, usd) => this.budgets.overBudget(id, usd),
    };
  }

  /**
   * Counts every attempt `orch` finishes, and tells it when a new day lifts a day budget's hold; returns the detach
   * function.
   */
  attach(orch: Orchestrator): () => void {
    let midnight: NodeJS.Timeout | undefined;
    const arm = (): void => {
      midnight = setTimeout(
        () => {
          orch.limitsChanged();
          arm();
        },
        Math.max(1000, this.ledger.dayEndsAt() - this.now()),
      );
      midnight.unref();
    };
    arm();
    const off = orch.on('attempt:finished', (e) => {
      if (e.outcome === 'completed') this.rates = undefined;
      this.ledger.record({
        taskId: e.taskId,
        epicId: this.opts.epicOf(e.taskId),
        agentType: e.agentType,
        at: this.now(),
        spend: {
          model: e.model,
          tokensIn: e.tokensIn,
          tokensOut: e.tokensOut,
          cacheReadTokens: e.cacheReadTokens,
          cacheWriteTokens: e.cacheWriteTokens,
          costUsd: e.costUsd,
          costEstimated: e.costEstimated === true,
        },
      });
    });
    return () => {
      off();
      clearTimeout(midnight);
    };
  }

  /** The ledger as the views show it, with the budgets and what they hold. */
  view(): SpendView {
    this.rates ??= costPerEstimatedHour(this.opts.db);
    return { ...this.ledger.view(), budgets: this.budgets.views(), holds: this.budgets.holds(), rates: this.rates };
  }

  /** A task's cost so far, or undefined when it has cost nothing. */
  taskUsd(taskId: string): number | undefined {
    const usd = this.ledger.taskUsd(taskId);
    return usd > 0 ? usd : undefined;
  }

  /** An epic's cost so far, or undefined when it has cost nothing. */
  epicUsd(epicId: string): number | undefined {
    const usd = this.ledger.epicUsd(epicId);
    return usd > 0 ? usd : undefined;
  }
}
