// The banners a person must not miss (a simulated run, a read-only workspace, a budget that paused dispatch, a
// provider waiting for its limit to reset) and the one-line notice slot.
import { pauseHint, type BudgetHoldView } from '../../src/protocol/spend';
import { formatWhen } from '../../src/protocol/presentation';
import type { ProviderPauseView } from '../../src/protocol/views';
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
    if (change.full || change.state || change.metrics) this.drawBanners(model);
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
      ...limitNotes(model).map((text) => h('div', { class: 'banner banner-limit', attrs: { role: 'note' } }, h('strong', {}, 'Limit'), h('span', {}, text))),
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

/** A provider pause in words: `claude paused until 14:05 (usage limit): its tasks wait, none fails.`; `Dec 4, 14:05` on another day. */
export function providerPauseText(p: ProviderPauseView, now: number = Date.now()): string {
  return `${p.provider} paused until ${formatWhen(p.until, now)} (${p.reason}): its tasks wait, none fails; other providers go on.`;
}

/** An epic's budget hold in words (a run or day hold pauses everything and is said once, from pausedFor). */
function holdText(hold: BudgetHoldView): string {
  return `${hold.reason}: its tasks wait until the budget is raised; the rest go on.`;
}

/** What a limit holds now, one sentence each: the budget that paused dispatch, epic holds, paused providers. */
export function limitNotes(model: Pick<DashboardModel, 'state' | 'pausedFor' | 'spend' | 'providerPauses'>): string[] {
  const notes: string[] = [];
  if (model.state === 'paused' && model.pausedFor) notes.push(`Paused: ${model.pausedFor}. ${pauseHint(model.pausedFor, 'editor')}`);
  for (const hold of model.spend?.holds ?? []) if (hold.scope === 'epic') notes.push(holdText(hold));
  for (const p of model.providerPauses) notes.push(providerPauseText(p));
  return notes;
}
