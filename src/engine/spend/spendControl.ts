// The engine's spend controls, composed: the live ledger fed by finished attempts, and the views of it (snapshot,
// status, tooltips). The runtime owns one and wires it to its orchestrator; nothing here writes the database.
import type Database from 'better-sqlite3';
import type { SpendView } from '../../protocol/spend';
import type { Orchestrator } from '../orchestrator';
import { SpendLedger } from './ledger';

/** Options of SpendControl. */
export interface SpendControlOptions {
  db: Database.Database;
  /** The epic a task belongs to in the current plan. */
  epicOf(taskId: string): string | undefined;
  now?: () => number;
}

/** The spend controls of one engine (see the file comment). */
export class SpendControl {
  readonly ledger: SpendLedger;
  private readonly now: () => number;

  constructor(private readonly opts: SpendControlOptions) {
    this.now = opts.now ?? Date.now;
    this.ledger = new SpendLedger(opts.db, this.now);
  }

  /** Counts every attempt `orch` finishes; returns the detach function. */
  attach(orch: Orchestrator): () => void {
    return orch.on('attempt:finished', (e) =>
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
      }),
    );
  }

  /** The ledger as the views show it. */
  view(): SpendView {
    return this.ledger.view();
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
