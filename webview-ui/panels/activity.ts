// Recent activity, newest first: starts, completions, retries, failures, syncs, breaker changes.
import type { ActivityEntry } from '../../src/protocol/views';
import type { TaskCommand } from '../../src/protocol/webviewProtocol';
import { h, replaceChildren } from '../dom';
import { formatClock } from '../format';
import type { DashboardModel, ModelChange } from '../state';
import { card, type DashboardActions, type Panel } from './panel';

/** Activity rows drawn (the model keeps more). */
const ACTIVITY_SHOWN = 60;

export class ActivityPanel implements Panel {
  readonly el: HTMLElement;
  private readonly list = h('ol', { class: 'activity', attrs: { role: 'log', 'aria-label': 'Recent activity, newest first' } });
  private readonly empty = h('p', { class: 'empty' }, 'Nothing has happened yet.');

  constructor(private readonly actions: DashboardActions) {
    this.el = card('activity', 'Recent activity', this.list, this.empty);
  }

  update(model: DashboardModel, change: ModelChange): void {
    if (change.full) {
      replaceChildren(this.list);
      this.prepend(model.activity);
    } else if (change.activityAdded.length) this.prepend(change.activityAdded);
  }

  /** Adds entries (oldest first) at the top, newest on top, and trims the bottom. */
  private prepend(entries: readonly ActivityEntry[]): void {
    for (const e of entries.slice(-ACTIVITY_SHOWN)) this.list.insertBefore(this.row(e), this.list.firstChild);
    while (this.list.children.length > ACTIVITY_SHOWN) this.list.lastElementChild!.remove();
    this.empty.hidden = this.list.children.length > 0;
  }

  private row(e: ActivityEntry): HTMLLIElement {
    const taskId = e.taskId;
    const reveal: TaskCommand = 'coditect.revealTask';
    return h(
      'li',
      { class: 'activity-entry', attrs: { 'data-kind': e.kind } },
      h('time', { attrs: { datetime: e.at } }, formatClock(e.at)),
      h('span', { class: 'kind', attrs: { 'data-kind': e.kind } }, e.kind),
      taskId
        ? h(
            'button',
            {
              class: 'link-like activity-task',
              attrs: { type: 'button', 'aria-label': `Reveal ${taskId}` },
              on: { click: () => this.actions.runOnTask(reveal, taskId) },
            },
            taskId,
          )
        : null,
      h('span', { class: 'message' }, e.message),
    );
  }
}
