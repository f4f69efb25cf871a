// Throughput & burndown: done and remaining over time, from the engine's samples (and the page's own between them).
import { chartGeometry } from '../chart';
import { h, replaceChildren, s } from '../dom';
import { formatAxisTime } from '../format';
import type { DashboardModel, ModelChange } from '../state';
import { card, type Panel } from './panel';

const CHART_BOX = { width: 640, height: 220, padLeft: 34, padRight: 14, padTop: 12, padBottom: 26 };

export class ThroughputPanel implements Panel {
  readonly el: HTMLElement;
  private readonly chart = h('div', { class: 'chart' });

  constructor() {
    this.el = card(
      'chart',
      'Throughput & burndown',
      this.chart,
      h(
        'div',
        { class: 'legend', attrs: { 'aria-hidden': 'true' } },
        h('span', { class: 'legend-item legend-completed' }, 'Done'),
        h('span', { class: 'legend-item legend-remaining' }, 'Remaining'),
      ),
    );
  }

  update(model: DashboardModel, change: ModelChange): void {
    if (!change.full && !change.metrics) return;
    const samples = model.metrics.throughput;
    const g = chartGeometry(samples, CHART_BOX, formatAxisTime);
    if (g.empty) {
      replaceChildren(this.chart, h('p', { class: 'empty' }, 'The chart fills in as tasks finish.'));
      return;
    }
    const last = samples[samples.length - 1];
    const label = `Done ${last.completed} and remaining ${last.remaining} tasks over time, ${samples.length} samples`;
    const { plot } = g;
    const svg = s(
      'svg',
      { class: 'chart-svg', viewBox: `0 0 ${CHART_BOX.width} ${CHART_BOX.height}`, role: 'img', 'aria-label': label },
      s('title', {}, label),
      ...g.yTicks.map((t) =>
        s(
          'g',
          { class: 'tick tick-y' },
          s('line', { x1: plot.x, x2: plot.x + plot.width, y1: t.pos, y2: t.pos }),
          s('text', { x: plot.x - 6, y: t.pos, 'text-anchor': 'end', 'dominant-baseline': 'middle' }, t.label),
        ),
      ),
      ...g.xTicks.map((t, i, all) =>
        s(
          'text',
          {
            class: 'tick-x',
            x: t.pos,
            y: plot.y + plot.height + 18,
            'text-anchor': all.length === 1 ? 'middle' : i === 0 ? 'start' : i === all.length - 1 ? 'end' : 'middle',
          },
          t.label,
        ),
      ),
      s('path', { class: 'series-completed-area', d: g.completedArea }),
      s('path', { class: 'series-completed', d: g.completedLine }),
      s('path', { class: 'series-remaining', d: g.remainingLine }),
      g.lastCompleted ? s('circle', { class: 'dot-completed', cx: g.lastCompleted.x, cy: g.lastCompleted.y, r: 3.5 }) : null,
      g.lastRemaining ? s('circle', { class: 'dot-remaining', cx: g.lastRemaining.x, cy: g.lastRemaining.y, r: 3.5 }) : null,
    );
    replaceChildren(this.chart, svg);
  }
}
