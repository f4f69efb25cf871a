// The banners a person must not miss (a simulated run, a read-only workspace) and the one-line notice slot.
import { h, replaceChildren } from '../dom';
import type { DashboardModel, ModelChange } from '../state';
import type { DashboardActions, Panel } from './panel';

export class BannersPanel implements Panel {
  readonly el: HTMLElement;
  private readonly banners: HTMLElement;
  private readonly notice: HTMLElement;

  constructor(private readonly actions: DashboardActions) {
    this.banners = h('div', { class: 'banners' });
    this.notice = h('div', { class: 'notice-slot' });
    this.el = h('div', { class: 'top-notes' }, this.banners, this.notice);
  }

  update(model: DashboardModel, change: ModelChange): void {
    if (change.full) this.drawBanners(model);
    if (change.full || change.notice) this.drawNotice(model);
  }

  private drawBanners(model: DashboardModel): void {
    replaceChildren(
      this.banners,
      model.simulated
        ? h(
            'div',
            { class: 'banner banner-simulated', attrs: { role: 'note', 'aria-label': 'Simulated run' } },
            h('strong', {}, 'SIMULATED (dry-run)'),
            h('span', {}, 'No API key is set, so tasks run with the dry-run simulator and change no code.'),
          )
        : null,
      model.readOnly
        ? h(
            'div',
            { class: 'banner banner-readonly', attrs: { role: 'note' } },
            h('strong', {}, 'Read-only'),
            h('span', {}, 'This workspace is not trusted: the plan is shown, no agent runs.'),
          )
        : null,
    );
  }

  private drawNotice(model: DashboardModel): void {
    const n = model.notice;
    replaceChildren(
      this.notice,
      n
        ? h(
            'div',
            { class: `notice notice-${n.level}`, attrs: { role: n.level === 'error' ? 'alert' : 'status' } },
            h('span', { class: 'notice-text' }, n.message),
            h(
              'button',
              {
                class: 'btn btn-secondary btn-small',
                attrs: { type: 'button', 'aria-label': 'Dismiss message' },
                on: { click: () => this.actions.dismissNotice() },
              },
              'Dismiss',
            ),
          )
        : null,
    );
  }
}
