// Overview: the plan's progress bar and percentage, and the counts (ready shown as part of pending).
import { formatPercent, planProgress, progressRatio } from '../../src/protocol/presentation';
import { h, setFill, setText } from '../dom';
import type { DashboardModel, ModelChange } from '../state';
import { card, type Panel } from './panel';

const STATS = [
  ['total', 'Total'],
  ['completed', 'Completed'],
  ['inProgress', 'In progress'],
  ['pending', 'Pending'],
  ['blocked', 'Blocked'],
  ['failed', 'Failed'],
] as const;

export class OverviewPanel implements Panel {
  readonly el: HTMLElement;
  private readonly pct = h('span', { class: 'overall-pct' });
  private readonly text = h('span', { class: 'overall-text' });
  private readonly fill = h('div', { class: 'bar-fill' });
  private readonly bar: HTMLElement;
  private readonly stats = new Map<string, { value: HTMLElement; sub: HTMLElement }>();

  constructor() {
    this.bar = h('div', { class: 'bar bar-lg', attrs: { role: 'progressbar', 'aria-label': 'Plan progress', 'aria-valuemin': 0 } }, this.fill);
    const list = h('ul', { class: 'stats', attrs: { 'aria-label': 'Task counts' } });
    for (const [key, label] of STATS) {
      const value = h('span', { class: 'stat-value' });
      const sub = h('span', { class: 'stat-sub' });
      this.stats.set(key, { value, sub });
      list.append(h('li', { class: 'stat', attrs: { 'data-stat': key } }, value, h('span', { class: 'stat-label' }, label), sub));
    }
    this.el = card('overview', 'Overview', h('div', { class: 'overall' }, this.pct, this.text), this.bar, list);
  }

  update(model: DashboardModel, change: ModelChange): void {
    if (!change.full && !change.counts && !change.state) return;
    const c = model.counts;
    const pct = formatPercent(c.done, c.total);
    setText(this.pct, pct);
    setText(this.text, `${c.done} of ${c.total} tasks done`);
    setFill(this.fill, progressRatio(planProgress(c)));
    this.bar.setAttribute('aria-valuemax', String(c.total));
    this.bar.setAttribute('aria-valuenow', String(c.done));
    this.bar.setAttribute('aria-valuetext', `${c.done} of ${c.total} tasks done (${pct})`);
    this.bar.classList.toggle('is-active', model.state === 'running' || c.inProgress > 0);
    const set = (key: string, value: number, sub: string): void => {
      const st = this.stats.get(key)!;
      setText(st.value, String(value));
      setText(st.sub, sub);
    };
    set('total', c.total, '');
    set('completed', c.completed, c.skipped ? `+${c.skipped} skipped` : '');
    set('inProgress', c.inProgress, '');
    set('pending', c.pending, `${c.ready} ready`);
    set('blocked', c.blocked, '');
    set('failed', c.failed + c.timeout, [c.timeout ? `${c.timeout} timed out` : '', c.cancelled ? `${c.cancelled} cancelled` : ''].filter(Boolean).join(' · '));
  }
}
