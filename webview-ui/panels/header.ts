// The header: which task list, the orchestration state (with why, when stalled or a breaker is open) and the
// Start / Pause / Resume / Stop buttons, which run the editor's own commands.
import type { PlanCommand } from '../../src/protocol/webviewProtocol';
import { stallsOf } from '../../src/protocol/views';
import { h, replaceChildren, setText } from '../dom';
import { baseName } from '../format';
import type { DashboardModel, ModelChange } from '../state';
import type { DashboardActions, Panel } from './panel';

const STATE_LABELS: Record<string, string> = { idle: 'Idle', running: 'Running', stalled: 'Stalled', paused: 'Paused', stopping: 'Stopping' };

/** The buttons each state offers, first one primary. */
const CONTROLS: Record<string, { command: PlanCommand; label: string }[]> = {
  idle: [{ command: 'coditect.start', label: 'Start' }],
  running: [
    { command: 'coditect.pause', label: 'Pause' },
    { command: 'coditect.stop', label: 'Stop' },
  ],
  stalled: [
    { command: 'coditect.pause', label: 'Pause' },
    { command: 'coditect.stop', label: 'Stop' },
  ],
  paused: [
    { command: 'coditect.resume', label: 'Resume' },
    { command: 'coditect.stop', label: 'Stop' },
  ],
};

export class HeaderPanel implements Panel {
  readonly el: HTMLElement;
  private readonly subtitle: HTMLElement;
  private readonly pill: HTMLElement;
  private readonly controls: HTMLElement;

  constructor(private readonly actions: DashboardActions) {
    this.subtitle = h('p', { class: 'subtitle' });
    this.pill = h('span', { class: 'state-pill', attrs: { role: 'status', 'aria-live': 'polite' } });
    this.controls = h('div', { class: 'controls', attrs: { role: 'toolbar', 'aria-label': 'Orchestration controls' } });
    this.el = h(
      'header',
      { class: 'header' },
      h('div', { class: 'heading' }, h('h1', {}, 'Plan progress'), this.subtitle),
      h('div', { class: 'header-side' }, this.pill, this.controls),
    );
  }

  update(model: DashboardModel, change: ModelChange): void {
    if (change.full) {
      setText(this.subtitle, baseName(model.tasklistPath) || 'task list');
      this.subtitle.title = model.tasklistPath;
    }
    if (change.full || change.state || change.tasks.length > 0 || change.appended.length > 0) this.drawState(model, change.full || change.state);
  }

  private drawState(model: DashboardModel, buttons: boolean): void {
    const p = this.pill;
    p.dataset.state = model.state;
    setText(p, STATE_LABELS[model.state] ?? model.state);
    p.setAttribute('aria-label', `Orchestration ${STATE_LABELS[model.state]?.toLowerCase() ?? model.state}`);
    const open = Object.entries(model.breakers)
      .filter(([, b]) => b === 'open')
      .map(([agent]) => agent);
    // Stalled: say why on the pill (the same sentences as the status bar, from the tasks' `blocked`).
    const why = model.state === 'stalled' ? stallsOf(model.tasks.values()).map((s) => `${s.text} (holds ${s.holds.length})`) : [];
    p.title = [...(open.length ? [`Circuit open for: ${open.join(', ')}`] : []), ...why].join('\n');
    p.classList.toggle('has-open-breaker', open.length > 0);
    if (!buttons) return;

    const offered = model.readOnly ? [] : (CONTROLS[model.state] ?? []);
    const els = offered.map((c, i) =>
      h(
        'button',
        {
          class: i === 0 && c.command !== 'coditect.pause' ? 'btn' : 'btn btn-secondary',
          attrs: { 'data-command': c.command, type: 'button' },
          on: { click: () => this.actions.run(c.command) },
        },
        c.label,
      ),
    );
    // Keep focus on the toolbar when the button the person pressed is replaced by its counterpart.
    const hadFocus = this.controls.contains(document.activeElement);
    replaceChildren(this.controls, ...els);
    if (hadFocus) (els[0] ?? p).focus();
  }
}
