// Spend: what this run, today and all time cost (reported, with the part estimated from tokens × prices), each
// budget with what is spent against it, and the agent types that cost most. Amounts are written by formatUsd, the
// one way every view writes money.
import { formatUsd, type BudgetView, type SpendTotal, type SpendView } from '../../src/protocol/spend';
import { h, replaceChildren, setFill } from '../dom';
import type { DashboardModel, ModelChange } from '../state';
import { card, type Panel } from './panel';

/** A total's headline and the line under it: `$1.23`, `~$0.40 of it estimated · 12 attempts`. */
export function totalText(t: SpendTotal): { value: string; sub: string } {
  const sub = [t.estimatedUsd > 0 ? `${formatUsd(t.estimatedUsd, true)} of it estimated` : '', `${t.attempts} attempt${t.attempts === 1 ? '' : 's'}`];
  if (t.unpriced > 0) sub.push(`${t.unpriced} without a price`);
  return { value: formatUsd(t.costUsd), sub: sub.filter(Boolean).join(' · ') };
}

const SCOPE_LABELS: Record<BudgetView['scope'], string> = { task: 'Task', run: 'Run', day: 'Day', epic: 'Epic' };

/** A budget's name and figure: `Day budget`, `$4.20 of $10.00`; an epic's or task's names it. */
export function budgetText(b: BudgetView): { label: string; value: string; reached: boolean } {
  return {
    label: `${SCOPE_LABELS[b.scope]} budget${b.id ? ` ${b.id}` : ''}`,
    value: `${formatUsd(b.spentUsd)} of ${formatUsd(b.budgetUsd)}`,
    reached: b.spentUsd >= b.budgetUsd,
  };
}

export class SpendPanel implements Panel {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;

  constructor() {
    this.body = h('div', { class: 'spend' });
    this.el = card('spend', 'Spend', this.body);
  }

  update(model: DashboardModel, change: ModelChange): void {
    if (!change.full && !change.metrics) return;
    const s = model.spend;
    if (!s) {
      replaceChildren(this.body, h('p', { class: 'empty' }, 'This engine reports no spend.'));
      return;
    }
    replaceChildren(this.body, this.totals(s), this.budgets(s), this.byAgent(s));
  }

  private totals(s: SpendView): HTMLElement {
    const list = h('ul', { class: 'metrics spend-totals', attrs: { 'aria-label': 'Spend' } });
    for (const [key, label, t] of [
      ['run', 'This run', s.run],
      ['today', 'Today', s.today],
      ['total', 'All time', s.total],
    ] as const) {
      const { value, sub } = totalText(t);
      list.append(
        h(
          'li',
          { class: 'metric', attrs: { 'data-spend': key } },
          h('span', { class: 'metric-value' }, value),
          h('span', { class: 'metric-label' }, label),
          h('span', { class: 'stat-sub' }, sub),
        ),
      );
    }
    return list;
  }

  private budgets(s: SpendView): HTMLElement | null {
    if (s.budgets.length === 0) return h('p', { class: 'spend-note' }, 'No budget is set (budget.* in the config).');
    const list = h('ul', { class: 'budgets', attrs: { 'aria-label': 'Budgets' } });
    for (const b of s.budgets) {
      const t = budgetText(b);
      const fill = h('div', { class: 'bar-fill' });
      setFill(fill, b.budgetUsd > 0 ? b.spentUsd / b.budgetUsd : 1);
      list.append(
        h(
          'li',
          { class: `budget${t.reached ? ' is-reached' : ''}`, attrs: { 'data-budget': b.scope } },
          h('span', { class: 'budget-label' }, t.label),
          h('span', { class: 'budget-value' }, t.reached ? `${t.value} — reached` : t.value),
          h('div', { class: 'bar', attrs: { role: 'progressbar', 'aria-label': t.label, 'aria-valuetext': t.value } }, fill),
        ),
      );
    }
    return list;
  }

  private byAgent(s: SpendView): HTMLElement | null {
    const rows = s.byAgentType.filter((r) => r.costUsd + r.estimatedUsd > 0).slice(0, 3);
    if (rows.length === 0) return null;
    return h(
      'ul',
      { class: 'spend-rows', attrs: { 'aria-label': 'Spend by agent type' } },
      ...rows.map((r) => h('li', {}, h('span', { class: 'spend-key' }, r.key), h('span', { class: 'spend-amount' }, totalText(r).value))),
    );
  }
}
