// The plan's KPIs (autonomy, throughput, success, uptime) from the database, each beside the plan's target: they
// survive engine restarts, unlike the Metrics card's figures for this run.
import { kpiRows } from '../../src/protocol/presentation';
import { h, replaceChildren } from '../dom';
import type { DashboardModel, ModelChange } from '../state';
import { card, type Panel } from './panel';

export class KpisPanel implements Panel {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;

  constructor() {
    this.list = h('ul', { class: 'metrics kpis', attrs: { 'aria-label': 'Plan KPIs' } });
    this.el = card('kpis', 'Plan KPIs', this.list);
  }

  update(model: DashboardModel, change: ModelChange): void {
    if (!change.full && !change.metrics) return;
    const k = model.kpis;
    if (!k) {
      replaceChildren(this.list, h('li', { class: 'empty' }, 'This engine reports no KPIs.'));
      return;
    }
    replaceChildren(
      this.list,
      ...kpiRows(k).map((r) =>
        h(
          'li',
          { class: 'metric kpi', attrs: { 'data-kpi': r.key, 'data-met': r.met === null ? 'none' : String(r.met) } },
          h('span', { class: 'metric-value' }, r.value),
          h('span', { class: 'metric-label' }, r.label),
          h('span', { class: 'kpi-target' }, r.target),
        ),
      ),
    );
  }
}
