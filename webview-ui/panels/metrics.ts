// Metrics: tasks per hour (counted over the trailing hour), average completion, success rate, engine uptime.
import { formatDuration, formatPercent, formatRate } from '../../src/protocol/presentation';
import { h, setText } from '../dom';
import type { DashboardModel, ModelChange } from '../state';
import { card, type Panel } from './panel';

const METRICS = [
  ['rate', 'Tasks / hour'],
  ['avg', 'Avg completion'],
  ['success', 'Success rate'],
  ['uptime', 'Uptime'],
] as const;

/** The engine's uptime at `now`: what it reported, ticking on from when the report arrived. */
function uptimeMs(model: DashboardModel, now: number): number {
  return model.metrics.uptimeSeconds * 1000 + Math.max(0, now - model.metricsAt);
}

export class MetricsPanel implements Panel {
  readonly el: HTMLElement;
  private readonly values = new Map<string, HTMLElement>();

  constructor() {
    const list = h('ul', { class: 'metrics', attrs: { 'aria-label': 'Metrics' } });
    for (const [key, label] of METRICS) {
      const value = h('span', { class: 'metric-value' });
      this.values.set(key, value);
      list.append(h('li', { class: 'metric', attrs: { 'data-metric': key } }, value, h('span', { class: 'metric-label' }, label)));
    }
    this.el = card('metrics', 'Metrics', list);
  }

  update(model: DashboardModel, change: ModelChange): void {
    if (!change.full && !change.metrics) return;
    const m = model.metrics;
    setText(this.values.get('rate')!, formatRate(m.tasksPerHour));
    setText(this.values.get('avg')!, m.avgCompletionMs > 0 ? formatDuration(m.avgCompletionMs) : '—');
    // A share of 1, by the one percentage rule: 99.6% is not 100%.
    setText(this.values.get('success')!, m.successRate === null ? '—' : formatPercent(m.successRate, 1));
    this.tick(model, Date.now());
  }

  tick(model: DashboardModel, now: number): void {
    setText(this.values.get('uptime')!, formatDuration(uptimeMs(model, now)));
  }
}
