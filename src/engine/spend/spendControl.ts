// The engine's spend controls, composed: the live ledger fed by finished attempts, the budgets and pause_after holds
// dispatch obeys, and the views of both (snapshot, status, tooltips). The runtime owns one and wires it to its orchestrator; nothing here
// writes the database.
import type Database from 'better-sqlite3';
import type { CostRate, SpendView } from '../../protocol/spend';
import type { BudgetConfig, PauseAfterConfig } from '../config';
import type { DispatchLimits, Orchestrator } from '../orchestrator';
import { Budgets } from './budgets';
import { costPerEstimatedHour } from './costReport';
import { SpendLedger } from './ledger';
import { PauseAfter } from './pauseAfter';

/** Options of SpendControl. */
export interface SpendControlOptions {
  db: Database.Database;
  /** The epic a task belongs to in the current plan. */
  epicOf(taskId: string): string | undefined;
  /** The current budgets (`budget.*` of the config). Default: none. */
  budget?(): BudgetConfig;
  /** The current `pause_after.*` of the config. Default: never. */
  pauseAfter?(): PauseAfterConfig;
  /** The feature a task belongs to in the current plan, and whether a feature is done (see PauseAfterOptions). */
  featureOf?(taskId: string): { id: string; title: string } | undefined;
  featureDone?(featureId: string, alsoDone: ReadonlySet<string>): boolean;
  now?: () => number;
}

/** The spend controls of one engine (see the file comment). */
export class SpendControl {
  readonly ledger: SpendLedger;
  readonly budgets: Budgets;
  readonly pauseAfter: PauseAfter;
  /** What the orchestrator asks before it starts work (the budgets, then pause_after). */
  readonly limits: DispatchLimits;
  private readonly now: () => number;
  /** costPerEstimatedHour, until a task completes. */
  private rates?: CostRate[];

  constructor(private readonly opts: SpendControlOptions) {
    this.now = opts.now ?? Date.now;
    this.ledger = new SpendLedger(opts.db, this.now);
    this.budgets = new Budgets({ ledger: this.ledger, budget: () => opts.budget?.() ?? {}, epicOf: opts.epicOf });
    this.pauseAfter = new PauseAfter({
      config: () => opts.pauseAfter?.() ?? { feature: false },
      featureOf: (id) => opts.featureOf?.(id),
      featureDone: (id, alsoDone) => opts.featureDone?.(id, alsoDone) ?? false,
      spentUsd: (ids) => {
        const usd = ids.reduce((sum, id) => sum + this.ledger.taskUsd(id), 0);
        return usd > 0 ? usd : undefined;
      },
    });
    this.limits = {
      globalHold: () => this.budgets.globalHold() ?? this.pauseAfter.hold(),
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
    const offCompleted = orch.on('task:completed', (e) => this.pauseAfter.taskCompleted(e.taskId, e.files));
    const offFailed = orch.on('task:failed', (e) => this.pauseAfter.taskFailed(e.taskId));
    const off = orch.on('attempt:finished', (e) => {
      if (e.outcome === 'completed') this.rates = undefined;
      this.ledger.record({
        taskId: e.taskId,
        epicId: this.opts.epicOf(e.taskId),
        featureId: this.opts.featureOf?.(e.taskId)?.id,
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
      offCompleted();
      offFailed();
      clearTimeout(midnight);
    };
  }

  /**
   * A person resumed: every budget hold reached so far is acknowledged, and pause_after counts from nothing. Returns
   * the reasons that held, for the log.
   */
  acknowledge(): string[] {
    const held = [...this.budgets.holds().map((h) => h.reason), ...(this.pauseAfter.hold() !== undefined ? [this.pauseAfter.hold()!] : [])];
    this.budgets.acknowledge();
    this.pauseAfter.acknowledge();
    return held;
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

  /** A feature's cost so far, or undefined when it has cost nothing. */
  featureUsd(featureId: string): number | undefined {
    const usd = this.ledger.featureUsd(featureId);
    return usd > 0 ? usd : undefined;
  }

  /** An epic's cost so far, or undefined when it has cost nothing. */
  epicUsd(epicId: string): number | undefined {
    const usd = this.ledger.epicUsd(epicId);
    return usd > 0 ? usd : undefined;
  }
}
