// Epic breakdown: a bar per epic (all of them, in the page's own scroll: no scroll box inside the card); pressing one
// shows only its tasks.
import { isComplete } from '../../src/core/progress';
import { progressRatio, progressText } from '../../src/protocol/presentation';
import type { EpicView } from '../../src/protocol/views';
import { h, replaceChildren, setFill, setText } from '../dom';
import type { DashboardModel, ModelChange } from '../state';
import { card, type Panel } from './panel';
import type { Selection } from './selection';

interface EpicRow {
  button: HTMLButtonElement;
  count: HTMLElement;
  bar: HTMLElement;
  fill: HTMLElement;
}

export class EpicsPanel implements Panel {
  readonly el: HTMLElement;
  private readonly list = h('ul', { class: 'epics', attrs: { 'aria-label': 'Epics (press to filter the task list)' } });
  private readonly empty = h('p', { class: 'empty' }, 'This plan has no epics.');
  private readonly rows = new Map<string, EpicRow>();

  constructor(private readonly selection: Selection) {
    this.el = card('epics', 'Epic breakdown', this.list, this.empty);
    selection.onChange(() => {
      for (const [id, r] of this.rows) r.button.setAttribute('aria-pressed', id === selection.epic ? 'true' : 'false');
    });
  }

  update(model: DashboardModel, change: ModelChange): void {
    if (change.full) {
      this.rows.clear();
      replaceChildren(this.list, ...model.epics.map((e) => this.row(e)));
      this.empty.hidden = model.epics.length > 0;
      this.list.hidden = model.epics.length === 0;
      return;
    }
    for (const id of change.epics) {
      const e = model.epics.find((x) => x.id === id);
      const r = this.rows.get(id);
      if (e && r) paint(e, r);
    }
  }

  private row(e: EpicView): HTMLLIElement {
    const count = h('span', { class: 'epic-count' });
    const fill = h('div', { class: 'bar-fill' });
    const bar = h('div', { class: 'bar', attrs: { role: 'progressbar', 'aria-label': `${e.id} progress`, 'aria-valuemin': 0 } }, fill);
    const button = h(
      'button',
      {
        class: 'epic',
        attrs: { type: 'button', 'data-epic-id': e.id, 'aria-pressed': this.selection.epic === e.id ? 'true' : 'false' },
        on: { click: () => this.selection.toggleEpic(e.id) },
      },
      h('span', { class: 'epic-head' }, h('span', { class: 'epic-id' }, e.id), h('span', { class: 'epic-title' }, e.title), count),
      bar,
    );
    const r = { button, count, bar, fill };
    this.rows.set(e.id, r);
    paint(e, r);
    return h('li', {}, button);
  }
}

function paint(e: EpicView, r: EpicRow): void {
  setText(r.count, progressText(e));
  setFill(r.fill, progressRatio(e));
  r.bar.setAttribute('aria-valuemax', String(e.total));
  r.bar.setAttribute('aria-valuenow', String(e.done));
  r.button.classList.toggle('is-done', isComplete(e));
  r.button.title = `${e.id} ${e.title}: ${e.done} of ${e.total} done. Press to show only its tasks.`;
}
