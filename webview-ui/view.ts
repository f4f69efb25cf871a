// The dashboard page: its panels in order, each redrawn from the model for what a change names. A snapshot builds the
// page once; increments patch the panels they touch (and keyboard focus stays where it was).
import { h, replaceChildren } from './dom';
import { ActivityPanel } from './panels/activity';
import { AgentsPanel } from './panels/agents';
import { BannersPanel } from './panels/banners';
import { EpicsPanel } from './panels/epics';
import { HeaderPanel } from './panels/header';
import { KpisPanel } from './panels/kpis';
import { MetricsPanel } from './panels/metrics';
import { OverviewPanel } from './panels/overview';
import type { DashboardActions, DashboardUiState, Panel } from './panels/panel';
import { Selection } from './panels/selection';
import { SpendPanel } from './panels/spend';
import { TasksPanel } from './panels/tasks';
import { ThroughputPanel } from './panels/throughput';
import type { DashboardModel, ModelChange } from './state';

export class DashboardView {
  private panels: Panel[] | undefined;
  private model: DashboardModel | undefined;
  private readonly selection: Selection;

  constructor(
    private readonly root: HTMLElement,
    private readonly actions: DashboardActions,
    initial?: DashboardUiState,
    onUiState: (s: DashboardUiState) => void = () => undefined,
  ) {
    this.selection = new Selection(initial, onUiState);
  }

  /** Applies a change; the first call after a snapshot (or `change.full`) builds the page. */
  render(model: DashboardModel, change: ModelChange): void {
    this.model = model;
    if (!model.loaded) {
      this.panels = undefined;
      this.renderLoading(model);
      return;
    }
    if (!this.panels) {
      this.panels = this.build();
      change = { ...change, full: true };
    }
    for (const p of this.panels) p.update(model, change);
    this.root.removeAttribute('aria-busy');
  }

  /** Moves the clocks (elapsed times, uptime). Called every second. */
  tick(now: number): void {
    const model = this.model;
    if (!this.panels || !model?.loaded) return;
    for (const p of this.panels) p.tick?.(model, now);
  }

  private build(): Panel[] {
    const header = new HeaderPanel(this.actions);
    const banners = new BannersPanel(this.actions);
    const grid: Panel[] = [
      new OverviewPanel(),
      new MetricsPanel(),
      new ThroughputPanel(),
      new AgentsPanel(this.actions),
      new KpisPanel(),
      new SpendPanel(),
      new EpicsPanel(this.selection),
      new TasksPanel(this.actions, this.selection),
      new ActivityPanel(this.actions),
    ];
    replaceChildren(this.root, header.el, banners.el, h('div', { class: 'grid' }, ...grid.map((p) => p.el)));
    return [header, banners, ...grid];
  }

  private renderLoading(model: DashboardModel): void {
    const failed = model.notice?.level === 'error';
    replaceChildren(
      this.root,
      h(
        'div',
        { class: 'loading', attrs: { role: failed ? 'alert' : 'status' } },
        failed ? model.notice!.message : 'Loading the plan…',
        failed ? h('button', { class: 'btn', on: { click: () => this.actions.retryLoad() } }, 'Try again') : null,
      ),
    );
  }
}
