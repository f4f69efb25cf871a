// The live cost ledger of a running engine: running sums of what attempts spent, per task, epic, agent type, model,
// this run and today, loaded once from `agent_execution_log` when the engine opens and added to as each attempt ends
// (the attempt row itself is written by the TaskStore, the one writer; this only counts). Budgets and the views read
// it without touching the database, so recording an attempt costs microseconds (npm run bench: "ledger write").
import type Database from 'better-sqlite3';
import { emptySpendTotal, type SpendRow, type SpendTotal, type SpendView } from '../../protocol/spend';
import type { AttemptSpend } from './attemptSpend';
import { localDayStartIso, spendRows, spendTotal } from './costReport';

/** One finished attempt, as the ledger counts it. */
export interface LedgerEntry {
  taskId: string;
  /** The task's epic in the plan (epic budgets and sums). */
  epicId?: string;
  /** The task's feature in the plan (the feature sums the tree shows). */
  featureId?: string;
  agentType: string;
  spend: AttemptSpend;
  /** Epoch ms the attempt ended. */
  at: number;
}

function add(t: SpendTotal, s: AttemptSpend): void {
  t.attempts++;
  if (s.costUsd !== undefined) {
    t.costUsd += s.costUsd;
    if (s.costEstimated) t.estimatedUsd += s.costUsd;
  } else if ((s.tokensIn ?? 0) + (s.tokensOut ?? 0) > 0) t.unpriced++;
  t.tokensIn += s.tokensIn ?? 0;
  t.tokensOut += s.tokensOut ?? 0;
  t.cacheReadTokens += s.cacheReadTokens ?? 0;
  t.cacheWriteTokens += s.cacheWriteTokens ?? 0;
}

function addRow(rows: Map<string, SpendRow>, key: string, s: AttemptSpend): void {
  let r = rows.get(key);
  if (!r) rows.set(key, (r = { key, ...emptySpendTotal() }));
  add(r, s);
}

const byCost = (a: SpendRow, b: SpendRow): number => b.costUsd - a.costUsd || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Running spend sums of one engine (see the file comment). */
export class SpendLedger {
  private readonly total: SpendTotal;
  private readonly run = emptySpendTotal();
  private today: SpendTotal;
  /** Epoch ms of the next local midnight: `today` starts over then. */
  private dayEnds: number;
  private readonly byTask = new Map<string, number>();
  private readonly byEpic = new Map<string, SpendRow>();
  private readonly byFeature = new Map<string, number>();
  private readonly byAgent = new Map<string, SpendRow>();
  private readonly byModel = new Map<string, SpendRow>();

  /** Loads the sums of every attempt recorded so far (one aggregate statement each). `now` is the clock (epoch ms). */
  constructor(
    db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    const t = now();
    this.total = spendTotal(db);
    this.today = spendTotal(db, { sinceIso: localDayStartIso(t) });
    this.dayEnds = nextMidnight(t);
    for (const r of spendRows(db, 'task')) this.byTask.set(r.key, r.costUsd);
    for (const r of spendRows(db, 'epic')) this.byEpic.set(r.key, r);
    for (const r of spendRows(db, 'feature')) this.byFeature.set(r.key, r.costUsd);
    for (const r of spendRows(db, 'agent')) this.byAgent.set(r.key, r);
    for (const r of spendRows(db, 'model')) this.byModel.set(r.key, r);
  }

  /** Counts one finished attempt. */
  record(e: LedgerEntry): void {
    this.rollDay();
    const s = e.spend;
    add(this.total, s);
    add(this.run, s);
    add(this.today, s);
    if (s.costUsd !== undefined) this.byTask.set(e.taskId, (this.byTask.get(e.taskId) ?? 0) + s.costUsd);
    if (e.epicId !== undefined) addRow(this.byEpic, e.epicId, s);
    if (e.featureId !== undefined && s.costUsd !== undefined) this.byFeature.set(e.featureId, (this.byFeature.get(e.featureId) ?? 0) + s.costUsd);
    addRow(this.byAgent, e.agentType, s);
    addRow(this.byModel, s.model ?? '(unknown)', s);
  }

  /** What a task's attempts have cost so far, USD. */
  taskUsd(taskId: string): number {
    return this.byTask.get(taskId) ?? 0;
  }

  /** What an epic's attempts have cost so far, USD. */
  epicUsd(epicId: string): number {
    return this.byEpic.get(epicId)?.costUsd ?? 0;
  }

  /** What a feature's attempts have cost so far, USD. */
  featureUsd(featureId: string): number {
    return this.byFeature.get(featureId) ?? 0;
  }

  /** Spent by this run, USD. */
  runUsd(): number {
    return this.run.costUsd;
  }

  /** Spent today (local time), USD. */
  todayUsd(): number {
    this.rollDay();
    return this.today.costUsd;
  }

  /** Epoch ms at which today ends (when a day budget's hold lifts by itself). */
  dayEndsAt(): number {
    this.rollDay();
    return this.dayEnds;
  }

  /** Per-task costs (for task budgets). */
  tasks(): Iterable<[string, number]> {
    return this.byTask.entries();
  }

  /** Per-epic costs (for epic budgets). */
  epics(): Iterable<[string, number]> {
    return [...this.byEpic].map(([k, r]) => [k, r.costUsd] as [string, number]);
  }

  /** The sums as the views show them (budgets and holds are filled in by the caller). */
  view(): SpendView {
    this.rollDay();
    const rows = (m: Map<string, SpendRow>): SpendRow[] => [...m.values()].map((r) => ({ ...r })).sort(byCost);
    return {
      run: { ...this.run },
      today: { ...this.today },
      total: { ...this.total },
      byEpic: rows(this.byEpic),
      byAgentType: rows(this.byAgent),
      byModel: rows(this.byModel),
      budgets: [],
      holds: [],
    };
  }

  private rollDay(): void {
    const t = this.now();
    if (t < this.dayEnds) return;
    this.today = emptySpendTotal();
    this.dayEnds = nextMidnight(t);
  }
}

/** Epoch ms of the local midnight after `now`. */
export function nextMidnight(now: number): number {
  const d = new Date(now);
  d.setHours(24, 0, 0, 0);
  return d.getTime();
}
