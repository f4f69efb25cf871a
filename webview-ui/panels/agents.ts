// Active agents: what runs now, for how long, with Cancel; and when nothing runs, why.
import { formatDuration } from '../../src/protocol/presentation';
import { stallsOf, type ActiveAgentView } from '../../src/protocol/views';
import { h, replaceChildren, setText } from '../dom';
import type { DashboardModel, ModelChange } from '../state';
import { card, type DashboardActions, type Panel } from './panel';

/** Why no agent runs, in the person's terms: what state orchestration is in and what the plan waits for. */
export function whyNothingRuns(model: Pick<DashboardModel, 'readOnly' | 'state' | 'counts' | 'tasks'>): string {
  const c = model.counts;
  if (c.total > 0 && c.done >= c.total) return 'Nothing to run: every task is done.';
  if (model.readOnly) return 'No agent runs in Restricted Mode: trust this workspace to run tasks.';
  const ready = c.ready === 1 ? '1 task is ready' : `${c.ready} tasks are ready`;
  switch (model.state) {
    case 'idle':
      return c.ready > 0 ? `Orchestration is not started: ${ready}. Start runs them.` : 'Orchestration is not started, and no task is ready yet.';
    case 'paused':
      return `Paused: no task starts until you resume${c.ready > 0 ? ` (${ready})` : ''}.`;
    case 'stopping':
      return 'Stopping: running agents are finishing.';
    case 'stalled': {
      const first = stallsOf(model.tasks.values())[0];
      return `Stalled: nothing can start until a person acts${first ? ` (${first.text})` : ''}.`;
    }
    case 'running': {
      const waiting = c.pending - c.ready;
      if (c.ready > 0) return `${ready}: an agent starts on it as soon as a slot frees.`;
      if (waiting > 0) return `No task is ready: ${waiting} wait for dependencies to finish.`;
      if (c.blocked > 0) return `No task is ready: ${c.blocked} are blocked.`;
      return c.failed + c.timeout > 0 ? 'No task is ready: the rest failed; retry them to go on.' : 'No task is ready.';
    }
  }
}

export class AgentsPanel implements Panel {
  readonly el: HTMLElement;
  private readonly count = h('span', { class: 'count-badge' });
  private readonly list = h('ul', { class: 'agents', attrs: { 'aria-label': 'Active agents' } });

  constructor(private readonly actions: DashboardActions) {
    this.el = card('agents', 'Active agents', this.list);
    this.el.querySelector('h2')!.append(' ', this.count);
  }

  update(model: DashboardModel, change: ModelChange): void {
    // The empty text depends on state and counts too.
    const empty = model.active.length === 0;
    if (!change.full && !change.active && !(empty && (change.state || change.counts))) return;
    setText(this.count, String(model.active.length));
    this.count.setAttribute('aria-label', `${model.active.length} running`);
    if (empty) {
      replaceChildren(this.list, h('li', { class: 'empty' }, whyNothingRuns(model)));
      return;
    }
    const now = Date.now();
    const sorted = [...model.active].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
    replaceChildren(this.list, ...sorted.map((a) => this.row(a, model, now)));
  }

  tick(_model: DashboardModel, now: number): void {
    for (const el of Array.from(this.list.querySelectorAll<HTMLElement>('[data-started]'))) {
      setText(el, formatDuration(now - Number(el.dataset.started)));
    }
  }

  private row(a: ActiveAgentView, model: DashboardModel, now: number): HTMLLIElement {
    const parsed = Date.parse(a.startedAt);
    const started = Number.isFinite(parsed) ? parsed : now;
    return h(
      'li',
      { class: 'agent', attrs: { 'data-task-id': a.taskId } },
      h(
        'button',
        {
          class: 'agent-task link-like',
          attrs: { type: 'button', 'aria-label': `${a.taskId} ${a.title}, reveal in editor` },
          on: { click: () => this.actions.runOnTask('coditect.revealTask', a.taskId) },
        },
        h('span', { class: 'spinner', attrs: { 'aria-hidden': 'true' } }),
        h('span', { class: 'task-id' }, a.taskId),
        h('span', { class: 'agent-title' }, a.title),
      ),
      h(
        'span',
        { class: 'agent-meta' },
        h('span', { class: 'agent-name' }, a.agent),
        a.attempt > 1 ? h('span', { class: 'attempt' }, `attempt ${a.attempt}`) : null,
        h('span', { class: 'elapsed', attrs: { 'data-started': started, 'aria-label': 'elapsed time' } }, formatDuration(now - started)),
        model.readOnly
          ? null
          : h(
              'button',
              {
                class: 'btn btn-secondary btn-small',
                attrs: { type: 'button', 'data-command': 'coditect.cancelTask', 'aria-label': `Cancel ${a.taskId}` },
                on: { click: () => this.actions.runOnTask('coditect.cancelTask', a.taskId) },
              },
              'Cancel',
            ),
      ),
    );
  }
}
