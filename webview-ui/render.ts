// Draws the dashboard from the view model and patches only what a ModelChange names: a task increment touches its
// row, the counts, its epic's bar and the chart; the rest of the page (and keyboard focus) stays as it was.
import type { ControlAction, TaskAction } from '../src/protocol/webviewProtocol';
import { stallsOf, type ActiveAgentView, type ActivityEntry, type EpicView, type TaskView } from '../src/protocol/views';
import { chartGeometry } from './chart';
import { h, replaceChildren, s, setFill, setText } from './dom';
import { isComplete } from '../src/core/progress';
import {
  displayState,
  formatDuration,
  formatEstimate,
  formatPercent,
  formatRate,
  lastRunHead,
  planProgress,
  progressRatio,
  progressText,
  STATE_LABEL,
} from '../src/protocol/presentation';
import { baseName, formatAxisTime, formatClock } from './format';
import { matchesFilter, TASK_FILTERS, type DashboardModel, type ModelChange, type TaskFilter } from './state';

/** What the page asks the extension to do. */
export interface DashboardActions {
  reveal(taskId: string): void;
  control(action: ControlAction): void;
  taskAction(action: TaskAction, taskId: string): void;
  /** Ask for the snapshot again after a failed load. */
  retryLoad(): void;
  dismissNotice(): void;
}

/** What the person chose in the page; kept by VS Code (setState) so a hidden-then-shown panel looks the same. */
export interface DashboardUiState {
  filter: TaskFilter;
  epic?: string;
}

/** Reads a stored UI state defensively: it may come from an older version of the page. */
export function parseUiState(raw: unknown): DashboardUiState | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.filter !== 'string' || !(TASK_FILTERS as readonly string[]).includes(r.filter)) return undefined;
  return { filter: r.filter as TaskFilter, epic: typeof r.epic === 'string' ? r.epic : undefined };
}

/** Activity rows drawn (the model keeps more). */
const ACTIVITY_SHOWN = 60;

const FILTER_LABELS: Record<TaskFilter, string> = {
  open: 'Open',
  all: 'All',
  running: 'Running',
  ready: 'Ready',
  failed: 'Failed',
  waiting: 'Waiting',
  done: 'Done',
};

const STATE_LABELS: Record<string, string> = { idle: 'Idle', running: 'Running', stalled: 'Stalled', paused: 'Paused', stopping: 'Stopping' };

const CHART_BOX = { width: 640, height: 220, padLeft: 34, padRight: 14, padTop: 12, padBottom: 26 };

interface Parts {
  statePill: HTMLElement;
  controls: HTMLElement;
  banners: HTMLElement;
  notice: HTMLElement;
  overallPct: HTMLElement;
  overallText: HTMLElement;
  overallBar: HTMLElement;
  overallFill: HTMLElement;
  stats: Map<string, { value: HTMLElement; sub: HTMLElement }>;
  metrics: Map<string, { value: HTMLElement; sub: HTMLElement }>;
  chart: HTMLElement;
  agentsCount: HTMLElement;
  agents: HTMLElement;
  epics: HTMLElement;
  epicRows: Map<string, { button: HTMLButtonElement; count: HTMLElement; bar: HTMLElement; fill: HTMLElement }>;
  filters: HTMLElement;
  taskList: HTMLUListElement;
  taskEmpty: HTMLElement;
  rows: Map<string, HTMLLIElement>;
  activity: HTMLOListElement;
  activityEmpty: HTMLElement;
}

/** The dashboard view bound to one root element. */
export class DashboardView {
  private parts: Parts | undefined;
  private model: DashboardModel | undefined;
  private filter: TaskFilter = 'open';
  private epicFilter: string | undefined;
  /** Task id holding the list's single tab stop (roving tabindex). */
  private focusId: string | undefined;
  private orderIndex = new Map<string, number>();
  private orderRef: readonly string[] | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly actions: DashboardActions,
    initial?: DashboardUiState,
    private readonly onUiState: (s: DashboardUiState) => void = () => undefined,
  ) {
    if (initial) {
      this.filter = initial.filter;
      this.epicFilter = initial.epic;
    }
  }

  /** Applies a change; the first call after a snapshot (or `change.full`) builds the page. */
  render(model: DashboardModel, change: ModelChange): void {
    this.model = model;
    if (!model.loaded) {
      this.renderLoading(model);
      return;
    }
    if (change.full || !this.parts) {
      this.build(model);
      return;
    }
    const p = this.parts;
    this.refreshOrderIndex(model);
    if (change.state) this.renderState(model, p);
    if (change.notice) this.renderNotice(model, p);
    if (change.counts) {
      this.renderOverview(model, p);
      this.renderFilterCounts(model, p);
    }
    for (const id of change.removed) this.removeRow(id);
    for (const id of change.tasks) this.updateRow(id, true);
    if (change.tasks.length || change.removed.length) this.renderTaskEmpty(p);
    for (const id of change.epics) this.updateEpic(id, model);
    if (change.active) this.renderAgents(model, p, Date.now());
    if (change.activityAdded.length) this.prependActivity(change.activityAdded, p);
    if (change.metrics) {
      this.renderMetrics(model, p, Date.now());
      this.renderChart(model, p);
    }
  }

  /** Moves the clocks: elapsed times of active agents and the uptime. Called every second. */
  tick(now: number): void {
    const p = this.parts;
    const model = this.model;
    if (!p || !model?.loaded) return;
    for (const el of Array.from(p.agents.querySelectorAll<HTMLElement>('[data-started]'))) {
      setText(el, formatDuration(now - Number(el.dataset.started)));
    }
    const uptime = p.metrics.get('uptime');
    if (uptime) setText(uptime.value, formatDuration(this.uptimeMs(model, now)));
  }

  // ---------------------------------------------------------------------------------------------
  // Building
  // ---------------------------------------------------------------------------------------------

  private renderLoading(model: DashboardModel): void {
    this.parts = undefined;
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

  private build(model: DashboardModel): void {
    const now = Date.now();
    // A new snapshot (plan edited) rebuilds the page; a person reading the task list keeps their place.
    const focusedTask = (document.activeElement?.closest('.task-list [data-task-id]') as HTMLElement | null)?.dataset.taskId;
    this.refreshOrderIndex(model);
    if (this.epicFilter && !model.epics.some((e) => e.id === this.epicFilter)) this.epicFilter = undefined;

    const statePill = h('span', { class: 'state-pill', attrs: { role: 'status', 'aria-live': 'polite' } });
    const controls = h('div', { class: 'controls', attrs: { role: 'toolbar', 'aria-label': 'Orchestration controls' } });
    const header = h(
      'header',
      { class: 'header' },
      h(
        'div',
        { class: 'heading' },
        h('h1', {}, 'Plan progress'),
        h('p', { class: 'subtitle', attrs: { title: model.tasklistPath } }, baseName(model.tasklistPath) || 'task list'),
      ),
      h('div', { class: 'header-side' }, statePill, controls),
    );
    const banners = h('div', { class: 'banners' });
    const notice = h('div', { class: 'notice-slot' });

    // Overview
    const overallPct = h('span', { class: 'overall-pct' });
    const overallText = h('span', { class: 'overall-text' });
    const overallFill = h('div', { class: 'bar-fill' });
    const overallBar = h('div', { class: 'bar bar-lg', attrs: { role: 'progressbar', 'aria-label': 'Plan progress', 'aria-valuemin': 0 } }, overallFill);
    const stats = new Map<string, { value: HTMLElement; sub: HTMLElement }>();
    const statList = h('ul', { class: 'stats', attrs: { 'aria-label': 'Task counts' } });
    for (const [key, label] of [
      ['total', 'Total'],
      ['completed', 'Completed'],
      ['inProgress', 'In progress'],
      ['pending', 'Pending'],
      ['blocked', 'Blocked'],
      ['failed', 'Failed'],
    ] as const) {
      const value = h('span', { class: 'stat-value' });
      const sub = h('span', { class: 'stat-sub' });
      stats.set(key, { value, sub });
      statList.append(h('li', { class: 'stat', attrs: { 'data-stat': key } }, value, h('span', { class: 'stat-label' }, label), sub));
    }
    const overview = card('overview', 'Overview', h('div', { class: 'overall' }, overallPct, overallText), overallBar, statList);

    // Metrics
    const metrics = new Map<string, { value: HTMLElement; sub: HTMLElement }>();
    const metricList = h('ul', { class: 'metrics', attrs: { 'aria-label': 'Metrics' } });
    for (const [key, label] of [
      ['rate', 'Tasks / hour'],
      ['avg', 'Avg completion'],
      ['success', 'Success rate'],
      ['uptime', 'Uptime'],
    ] as const) {
      const value = h('span', { class: 'metric-value' });
      const sub = h('span', { class: 'metric-label' }, label);
      metrics.set(key, { value, sub });
      metricList.append(h('li', { class: 'metric', attrs: { 'data-metric': key } }, value, sub));
    }
    const metricsCard = card('metrics', 'Metrics', metricList);

    // Chart
    const chart = h('div', { class: 'chart' });
    const chartCard = card(
      'chart',
      'Throughput & burndown',
      chart,
      h(
        'div',
        { class: 'legend', attrs: { 'aria-hidden': 'true' } },
        h('span', { class: 'legend-item legend-completed' }, 'Completed'),
        h('span', { class: 'legend-item legend-remaining' }, 'Remaining'),
      ),
    );

    // Active agents
    const agentsCount = h('span', { class: 'count-badge' });
    const agents = h('ul', { class: 'agents', attrs: { 'aria-label': 'Active agents' } });
    const agentsCard = card('agents', 'Active agents', agents);
    agentsCard.querySelector('h2')!.append(' ', agentsCount);

    // Epics
    const epics = h('ul', { class: 'epics', attrs: { 'aria-label': 'Epics (press to filter the task list)' } });
    const epicRows = new Map<string, { button: HTMLButtonElement; count: HTMLElement; bar: HTMLElement; fill: HTMLElement }>();
    for (const e of model.epics) {
      const row = this.epicRow(e);
      epicRows.set(e.id, row.parts);
      epics.append(row.li);
    }
    const epicsCard = card('epics', 'Epic breakdown', model.epics.length ? epics : h('p', { class: 'empty' }, 'This plan has no epics.'));

    // Tasks
    const filters = h('div', { class: 'filters', attrs: { role: 'toolbar', 'aria-label': 'Filter tasks' } });
    const taskList = h('ul', { class: 'task-list', attrs: { 'aria-label': 'Tasks (Enter reveals a task in the editor)' } });
    taskList.addEventListener('keydown', (e) => this.onTaskKey(e));
    const taskEmpty = h('p', { class: 'empty' });
    const tasksCard = card('tasks', 'Tasks', filters, taskList, taskEmpty);

    // Activity
    const activity = h('ol', { class: 'activity', attrs: { role: 'log', 'aria-label': 'Recent activity, newest first' } });
    const activityEmpty = h('p', { class: 'empty' }, 'Nothing has happened yet.');
    const activityCard = card('activity', 'Recent activity', activity, activityEmpty);

    const p: Parts = {
      statePill,
      controls,
      banners,
      notice,
      overallPct,
      overallText,
      overallBar,
      overallFill,
      stats,
      metrics,
      chart,
      agentsCount,
      agents,
      epics,
      epicRows,
      filters,
      taskList,
      taskEmpty,
      rows: new Map(),
      activity,
      activityEmpty,
    };
    this.parts = p;

    replaceChildren(
      this.root,
      header,
      banners,
      notice,
      h('div', { class: 'grid' }, overview, metricsCard, chartCard, agentsCard, epicsCard, tasksCard, activityCard),
    );
    this.root.removeAttribute('aria-busy');

    this.renderState(model, p);
    this.renderBanners(model, p);
    this.renderNotice(model, p);
    this.renderOverview(model, p);
    this.renderMetrics(model, p, now);
    this.renderChart(model, p);
    this.renderAgents(model, p, now);
    this.renderFilters(model, p);
    this.renderTasks(model, p);
    replaceChildren(activity);
    this.prependActivity(model.activity, p);
    if (focusedTask && p.rows.has(focusedTask)) {
      this.focusId = focusedTask;
      this.syncTabStop(p);
      this.focusRow(focusedTask);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Header, banners, notice
  // ---------------------------------------------------------------------------------------------

  private renderState(model: DashboardModel, p: Parts): void {
    p.statePill.dataset.state = model.state;
    setText(p.statePill, STATE_LABELS[model.state] ?? model.state);
    p.statePill.setAttribute('aria-label', `Orchestration ${STATE_LABELS[model.state]?.toLowerCase() ?? model.state}`);
    const open = Object.entries(model.breakers)
      .filter(([, b]) => b === 'open')
      .map(([agent]) => agent);
    // Stalled: say why on the pill (the same sentences as the status bar, from the tasks' `blocked`).
    const why = model.state === 'stalled' ? stallsOf(model.tasks.values()).map((s) => `${s.text} (holds ${s.holds.length})`) : [];
    p.statePill.title = [...(open.length ? [`Circuit open for: ${open.join(', ')}`] : []), ...why].join('\n');
    p.statePill.classList.toggle('has-open-breaker', open.length > 0);

    const buttons: HTMLElement[] = [];
    if (!model.readOnly) {
      const btn = (action: ControlAction, label: string, primary: boolean): HTMLButtonElement =>
        h(
          'button',
          {
            class: primary ? 'btn' : 'btn btn-secondary',
            attrs: { 'data-control': action, type: 'button' },
            on: { click: () => this.actions.control(action) },
          },
          label,
        );
      if (model.state === 'idle') buttons.push(btn('start', 'Start', true));
      if (model.state === 'running' || model.state === 'stalled') buttons.push(btn('pause', 'Pause', false));
      if (model.state === 'paused') buttons.push(btn('resume', 'Resume', true));
      if (model.state === 'running' || model.state === 'stalled' || model.state === 'paused') buttons.push(btn('stop', 'Stop', false));
    }
    // Keep focus on the toolbar when the button the person pressed is replaced by its counterpart.
    const hadFocus = p.controls.contains(document.activeElement);
    replaceChildren(p.controls, ...buttons);
    if (hadFocus) (buttons[0] ?? p.statePill).focus();
  }

  private renderBanners(model: DashboardModel, p: Parts): void {
    replaceChildren(
      p.banners,
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

  private renderNotice(model: DashboardModel, p: Parts): void {
    const n = model.notice;
    replaceChildren(
      p.notice,
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

  // ---------------------------------------------------------------------------------------------
  // Overview, metrics, chart
  // ---------------------------------------------------------------------------------------------

  private renderOverview(model: DashboardModel, p: Parts): void {
    const c = model.counts;
    const done = c.done;
    const ratio = progressRatio(planProgress(c));
    setText(p.overallPct, formatPercent(c.done, c.total));
    setText(p.overallText, `${done} of ${c.total} tasks done`);
    setFill(p.overallFill, ratio);
    p.overallBar.setAttribute('aria-valuemax', String(c.total));
    p.overallBar.setAttribute('aria-valuenow', String(done));
    p.overallBar.setAttribute('aria-valuetext', `${done} of ${c.total} tasks done (${formatPercent(c.done, c.total)})`);
    p.overallBar.classList.toggle('is-active', model.state === 'running' || c.inProgress > 0);

    const set = (key: string, value: number, sub: string): void => {
      const st = p.stats.get(key)!;
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

  private uptimeMs(model: DashboardModel, now: number): number {
    return model.metrics.uptimeSeconds * 1000 + Math.max(0, now - model.metricsAt);
  }

  private renderMetrics(model: DashboardModel, p: Parts, now: number): void {
    const m = model.metrics;
    setText(p.metrics.get('rate')!.value, formatRate(m.tasksPerHour));
    setText(p.metrics.get('avg')!.value, m.avgCompletionMs > 0 ? formatDuration(m.avgCompletionMs) : '—');
    setText(p.metrics.get('success')!.value, m.successRate === null ? '—' : `${Math.round(m.successRate * 100)}%`);
    setText(p.metrics.get('uptime')!.value, formatDuration(this.uptimeMs(model, now)));
  }

  private renderChart(model: DashboardModel, p: Parts): void {
    const g = chartGeometry(model.metrics.throughput, CHART_BOX, formatAxisTime);
    if (g.empty) {
      replaceChildren(p.chart, h('p', { class: 'empty' }, 'The chart fills in as tasks finish.'));
      return;
    }
    const last = model.metrics.throughput[model.metrics.throughput.length - 1];
    const label = `Completed ${last.completed} and remaining ${last.remaining} tasks over time, ${model.metrics.throughput.length} samples`;
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
    replaceChildren(p.chart, svg);
  }

  // ---------------------------------------------------------------------------------------------
  // Active agents
  // ---------------------------------------------------------------------------------------------

  private renderAgents(model: DashboardModel, p: Parts, now: number): void {
    setText(p.agentsCount, String(model.active.length));
    p.agentsCount.setAttribute('aria-label', `${model.active.length} running`);
    if (model.active.length === 0) {
      replaceChildren(
        p.agents,
        h(
          'li',
          { class: 'empty' },
          model.state === 'idle' && !model.readOnly ? 'No agent is running. Start orchestration to dispatch ready tasks.' : 'No agent is running.',
        ),
      );
      return;
    }
    const sorted = [...model.active].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
    replaceChildren(p.agents, ...sorted.map((a) => this.agentRow(a, model, now)));
  }

  private agentRow(a: ActiveAgentView, model: DashboardModel, now: number): HTMLLIElement {
    const started = Date.parse(a.startedAt);
    return h(
      'li',
      { class: 'agent', attrs: { 'data-task-id': a.taskId } },
      h(
        'button',
        {
          class: 'agent-task link-like',
          attrs: { type: 'button', 'aria-label': `${a.taskId} ${a.title}, reveal in editor` },
          on: { click: () => this.actions.reveal(a.taskId) },
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
        h(
          'span',
          { class: 'elapsed', attrs: { 'data-started': Number.isFinite(started) ? started : now, 'aria-label': 'elapsed time' } },
          formatDuration(now - (Number.isFinite(started) ? started : now)),
        ),
        model.readOnly
          ? null
          : h(
              'button',
              {
                class: 'btn btn-secondary btn-small',
                attrs: { type: 'button', 'data-action': 'cancel', 'aria-label': `Cancel ${a.taskId}` },
                on: { click: () => this.actions.taskAction('cancel', a.taskId) },
              },
              'Cancel',
            ),
      ),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Epics
  // ---------------------------------------------------------------------------------------------

  private epicRow(e: EpicView): { li: HTMLLIElement; parts: { button: HTMLButtonElement; count: HTMLElement; bar: HTMLElement; fill: HTMLElement } } {
    const count = h('span', { class: 'epic-count' });
    const fill = h('div', { class: 'bar-fill' });
    const bar = h('div', { class: 'bar', attrs: { role: 'progressbar', 'aria-label': `${e.id} progress`, 'aria-valuemin': 0 } }, fill);
    const button = h(
      'button',
      {
        class: 'epic',
        attrs: { type: 'button', 'data-epic-id': e.id, 'aria-pressed': this.epicFilter === e.id ? 'true' : 'false' },
        on: { click: () => this.toggleEpic(e.id) },
      },
      h('span', { class: 'epic-head' }, h('span', { class: 'epic-id' }, e.id), h('span', { class: 'epic-title' }, e.title), count),
      bar,
    );
    const parts = { button, count, bar, fill };
    this.paintEpic(e, parts);
    return { li: h('li', {}, button), parts };
  }

  private paintEpic(e: EpicView, parts: { button: HTMLButtonElement; count: HTMLElement; bar: HTMLElement; fill: HTMLElement }): void {
    setText(parts.count, progressText(e));
    setFill(parts.fill, progressRatio(e));
    parts.bar.setAttribute('aria-valuemax', String(e.total));
    parts.bar.setAttribute('aria-valuenow', String(e.done));
    parts.button.classList.toggle('is-done', isComplete(e));
    parts.button.title = `${e.id} ${e.title}: ${e.done} of ${e.total} done. Press to show only its tasks.`;
  }

  private updateEpic(id: string, model: DashboardModel): void {
    const e = model.epics.find((x) => x.id === id);
    const parts = this.parts?.epicRows.get(id);
    if (e && parts) this.paintEpic(e, parts);
  }

  private toggleEpic(id: string): void {
    this.epicFilter = this.epicFilter === id ? undefined : id;
    this.onUiState({ filter: this.filter, epic: this.epicFilter });
    const p = this.parts;
    if (!p || !this.model) return;
    for (const [eid, parts] of p.epicRows) parts.button.setAttribute('aria-pressed', eid === this.epicFilter ? 'true' : 'false');
    this.renderFilters(this.model, p);
    this.renderTasks(this.model, p);
  }

  // ---------------------------------------------------------------------------------------------
  // Tasks
  // ---------------------------------------------------------------------------------------------

  private renderFilters(model: DashboardModel, p: Parts): void {
    const hadFocus = p.filters.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.filter : undefined;
    const chips: HTMLElement[] = TASK_FILTERS.map((f) =>
      h(
        'button',
        {
          class: 'chip',
          attrs: { type: 'button', 'data-filter': f, 'aria-pressed': f === this.filter ? 'true' : 'false' },
          on: {
            click: () => {
              this.filter = f;
              this.onUiState({ filter: f, epic: this.epicFilter });
              const current = this.model ?? model;
              this.renderFilters(current, p);
              this.renderTasks(current, p);
            },
          },
        },
        FILTER_LABELS[f],
        h('span', { class: 'chip-count' }),
      ),
    );
    if (this.epicFilter) {
      const id = this.epicFilter;
      chips.push(
        h(
          'button',
          {
            class: 'chip chip-epic',
            attrs: { type: 'button', 'data-filter': 'epic', 'aria-label': `Showing ${id} only; press to show every epic` },
            on: { click: () => this.toggleEpic(id) },
          },
          id,
          h('span', { class: 'chip-x', attrs: { 'aria-hidden': 'true' } }, '×'),
        ),
      );
    }
    replaceChildren(p.filters, ...chips);
    this.renderFilterCounts(model, p);
    if (hadFocus) p.filters.querySelector<HTMLElement>(`[data-filter="${hadFocus}"]`)?.focus();
  }

  private renderFilterCounts(model: DashboardModel, p: Parts): void {
    const counts = new Map<TaskFilter, number>(TASK_FILTERS.map((f) => [f, 0]));
    for (const t of model.tasks.values()) {
      for (const f of TASK_FILTERS) if (matchesFilter(t, f, this.epicFilter)) counts.set(f, counts.get(f)! + 1);
    }
    for (const chip of Array.from(p.filters.querySelectorAll<HTMLElement>('[data-filter]'))) {
      const f = chip.dataset.filter as TaskFilter;
      const n = counts.get(f);
      const el = chip.querySelector('.chip-count');
      if (el && n !== undefined) setText(el, String(n));
    }
  }

  private renderTasks(model: DashboardModel, p: Parts): void {
    const hadFocus = p.taskList.contains(document.activeElement);
    p.rows.clear();
    const rows: HTMLLIElement[] = [];
    for (const id of model.order) {
      const t = model.tasks.get(id);
      if (!t || !matchesFilter(t, this.filter, this.epicFilter)) continue;
      const li = this.taskRow(t, model);
      p.rows.set(id, li);
      rows.push(li);
    }
    replaceChildren(p.taskList, ...rows);
    if (!this.focusId || !p.rows.has(this.focusId)) this.focusId = rows[0]?.dataset.taskId;
    this.syncTabStop(p);
    if (hadFocus) this.focusRow(this.focusId);
    this.renderTaskEmpty(p);
  }

  private renderTaskEmpty(p: Parts): void {
    const none = p.rows.size === 0;
    p.taskEmpty.hidden = !none;
    if (none) {
      setText(p.taskEmpty, this.model?.tasks.size ? 'No task matches this filter.' : 'This plan has no tasks yet.');
    }
  }

  private taskRow(t: TaskView, model: DashboardModel): HTMLLIElement {
    const li = h('li', { class: 'task-row' });
    this.paintRow(li, t, model);
    return li;
  }

  /** Fills a row in place; the reveal button element is kept so focus survives an update. */
  private paintRow(li: HTMLLIElement, t: TaskView, model: DashboardModel): void {
    li.dataset.taskId = t.id;
    li.dataset.status = t.status;
    li.classList.toggle('is-ready', t.status === 'pending' && t.ready);
    let button = li.querySelector<HTMLButtonElement>('button.task');
    if (!button) {
      const id = t.id;
      button = h('button', {
        class: 'task',
        attrs: { type: 'button', tabindex: -1 },
        on: {
          click: () => this.actions.reveal(id),
          focus: () => {
            this.focusId = id;
            if (this.parts) this.syncTabStop(this.parts);
          },
        },
      });
      li.append(button);
    }
    const status = STATE_LABEL[displayState(t)];
    const meta = [t.route.agent, t.priority].filter(Boolean).join(' · ');
    button.setAttribute('aria-label', `${t.id} ${t.title}, ${status}${meta ? `, ${meta}` : ''}. Enter reveals it in the editor.`);
    button.title = taskTooltip(t);
    replaceChildren(
      button,
      h('span', { class: 'status-icon', attrs: { 'data-status': t.status === 'pending' && t.ready ? 'ready' : t.status, 'aria-hidden': 'true' } }),
      h('span', { class: 'task-id' }, t.id),
      h('span', { class: 'task-title' }, t.title),
      h('span', { class: 'task-meta' }, meta),
    );

    // One action where it helps: retry a failure, run a ready task. Cancel lives in the Active agents panel.
    const action: TaskAction | undefined = model.readOnly
      ? undefined
      : t.status === 'failed' || t.status === 'timeout' || t.status === 'cancelled'
        ? 'retry'
        : t.status === 'pending' && t.ready
          ? 'run'
          : undefined;
    const existing = li.querySelector<HTMLButtonElement>('button.task-action');
    if (existing?.dataset.action !== action) {
      existing?.remove();
      if (action) {
        li.append(
          h(
            'button',
            {
              class: 'task-action btn btn-secondary btn-small',
              attrs: { type: 'button', 'data-action': action, 'aria-label': `${action === 'retry' ? 'Retry' : 'Run'} ${t.id}` },
              on: { click: () => this.actions.taskAction(action, t.id) },
            },
            action === 'retry' ? 'Retry' : 'Run',
          ),
        );
      }
    }
  }

  private updateRow(id: string, flash: boolean): void {
    const p = this.parts;
    const model = this.model;
    if (!p || !model) return;
    const t = model.tasks.get(id);
    if (!t) return this.removeRow(id);
    const show = matchesFilter(t, this.filter, this.epicFilter);
    let li = p.rows.get(id);
    if (li && !show) return this.removeRow(id);
    if (!show) return;
    if (li) {
      this.paintRow(li, t, model);
    } else {
      li = this.taskRow(t, model);
      this.insertRow(li, id, p);
      if (!this.focusId) this.focusId = id;
      this.syncTabStop(p);
    }
    if (flash) {
      li.classList.remove('flash');
      // Restart the highlight animation: reading offsetWidth forces the removal to apply first.
      void li.offsetWidth;
      li.classList.add('flash');
    }
  }

  private insertRow(li: HTMLLIElement, id: string, p: Parts): void {
    const at = this.orderIndex.get(id) ?? Number.MAX_SAFE_INTEGER;
    let before: HTMLLIElement | null = null;
    for (const [otherId, other] of p.rows) {
      const i = this.orderIndex.get(otherId) ?? Number.MAX_SAFE_INTEGER;
      if (i > at && (!before || i < (this.orderIndex.get(before.dataset.taskId!) ?? Number.MAX_SAFE_INTEGER))) before = other;
    }
    p.taskList.insertBefore(li, before);
    p.rows.set(id, li);
  }

  private removeRow(id: string): void {
    const p = this.parts;
    const li = p?.rows.get(id);
    if (!p || !li) return;
    const hadFocus = li.contains(document.activeElement);
    const next = (li.nextElementSibling ?? li.previousElementSibling) as HTMLLIElement | null;
    li.remove();
    p.rows.delete(id);
    if (this.focusId === id) {
      this.focusId = next?.dataset.taskId;
      this.syncTabStop(p);
      if (hadFocus) this.focusRow(this.focusId);
    }
  }

  /** Exactly one task button is in the tab order (roving tabindex); arrows move between them. */
  private syncTabStop(p: Parts): void {
    for (const [id, li] of p.rows) {
      const b = li.querySelector<HTMLButtonElement>('button.task');
      if (b) b.tabIndex = id === this.focusId ? 0 : -1;
    }
  }

  private focusRow(id: string | undefined): void {
    if (!id) return;
    this.parts?.rows.get(id)?.querySelector<HTMLButtonElement>('button.task')?.focus();
  }

  private onTaskKey(e: KeyboardEvent): void {
    const p = this.parts;
    const target = e.target as HTMLElement;
    if (!p || !target.classList.contains('task')) return;
    const rows = Array.from(p.taskList.children) as HTMLLIElement[];
    const i = rows.findIndex((r) => r.contains(target));
    let next: number | undefined;
    if (e.key === 'ArrowDown') next = Math.min(rows.length - 1, i + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, i - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = rows.length - 1;
    if (next === undefined || next < 0) return;
    e.preventDefault();
    this.focusId = rows[next].dataset.taskId;
    this.syncTabStop(p);
    this.focusRow(this.focusId);
  }

  private refreshOrderIndex(model: DashboardModel): void {
    if (this.orderRef === model.order) return;
    this.orderRef = model.order;
    this.orderIndex = new Map(model.order.map((id, i) => [id, i]));
  }

  // ---------------------------------------------------------------------------------------------
  // Activity
  // ---------------------------------------------------------------------------------------------

  /** Adds entries (oldest first) at the top of the log, newest on top, and trims the bottom. */
  private prependActivity(entries: readonly ActivityEntry[], p: Parts): void {
    const fresh = entries.slice(-ACTIVITY_SHOWN);
    for (const e of fresh) p.activity.insertBefore(this.activityRow(e), p.activity.firstChild);
    while (p.activity.children.length > ACTIVITY_SHOWN) p.activity.lastElementChild!.remove();
    p.activityEmpty.hidden = p.activity.children.length > 0;
  }

  private activityRow(e: ActivityEntry): HTMLLIElement {
    const taskId = e.taskId;
    return h(
      'li',
      { class: 'activity-entry', attrs: { 'data-kind': e.kind } },
      h('time', { attrs: { datetime: e.at } }, formatClock(e.at)),
      h('span', { class: 'kind', attrs: { 'data-kind': e.kind } }, e.kind),
      taskId
        ? h(
            'button',
            { class: 'link-like activity-task', attrs: { type: 'button', 'aria-label': `Reveal ${taskId}` }, on: { click: () => this.actions.reveal(taskId) } },
            taskId,
          )
        : null,
      h('span', { class: 'message' }, e.message),
    );
  }
}

function card(name: string, title: string, ...children: (Node | null)[]): HTMLElement {
  const id = `card-${name}-title`;
  return h('section', { class: `card card-${name}`, attrs: { 'aria-labelledby': id } }, h('h2', { attrs: { id } }, title), ...children);
}

/** Plain-text tooltip: dependencies, blockers, estimate and the last run. */
function taskTooltip(t: TaskView): string {
  const lines = [`${t.id} ${t.title}`];
  if (t.waitingOn.length) lines.push(`Waiting on: ${t.waitingOn.join(', ')}`);
  else if (t.dependsOn.length) lines.push(`Depends on: ${t.dependsOn.map((d) => d.id).join(', ')}`);
  if (t.blockers.length) lines.push(`Blocked by: ${t.blockers.join('; ')}`);
  if (t.estimateHours !== undefined) lines.push(`Estimate: ${formatEstimate(t.estimateHours)}`);
  lines.push(`Agent: ${t.route.agent} (${t.route.reason})`);
  if (t.lastRun) {
    lines.push(`Last run: ${lastRunHead(t.lastRun)}`);
    if (t.lastRun.error) lines.push(`Error: ${t.lastRun.error}`);
    else if (t.lastRun.summary) lines.push(`Summary: ${t.lastRun.summary}`);
  }
  lines.push('Click or press Enter to reveal it in the editor.');
  return lines.join('\n');
}
