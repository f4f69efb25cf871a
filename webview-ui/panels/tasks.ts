// Tasks: filter chips with counts, and the task list. The list is virtual: only the rows in view (plus a margin) are in
// the DOM, between two spacers that keep the scroll height, so a 10,000-task plan opens as fast as a small one. A row
// is patched in place when its task changes (focus and the other rows stay as they are); one tab stop moves with the
// arrow keys (roving tabindex), and the list scrolls to it.
import type { ReviewView } from '../../src/protocol/engineProtocol';
import { displayState, formatEstimate, lastRunHead, reviewLabel, STATE_LABEL } from '../../src/protocol/presentation';
import type { TaskView } from '../../src/protocol/views';
import type { TaskCommand } from '../../src/protocol/webviewProtocol';
import { h, replaceChildren, setText } from '../dom';
import { matchesFilter, TASK_FILTERS, type DashboardModel, type ModelChange, type TaskFilter } from '../state';
import { card, type DashboardActions, type Panel } from './panel';
import type { Selection } from './selection';

const FILTER_LABELS: Record<TaskFilter, string> = {
  open: 'Open',
  all: 'All',
  running: 'Running',
  ready: 'Ready',
  failed: 'Failed',
  waiting: 'Waiting',
  done: 'Done',
};

/** Rows drawn beyond each edge of the visible part of the list. */
const OVERSCAN = 12;
/** Row height until one is measured (the CSS gives rows a fixed height: titles never wrap). */
const DEFAULT_ROW_HEIGHT = 30;

export class TasksPanel implements Panel {
  readonly el: HTMLElement;
  private readonly filters = h('div', { class: 'filters', attrs: { role: 'toolbar', 'aria-label': 'Filter tasks' } });
  private readonly list = h('ul', { class: 'task-list', attrs: { 'aria-label': 'Tasks (Enter reveals a task in the editor)' } });
  private readonly empty = h('p', { class: 'empty' });
  private readonly topSpacer = h('li', { class: 'virtual-spacer', attrs: { 'aria-hidden': 'true' } });
  private readonly bottomSpacer = h('li', { class: 'virtual-spacer', attrs: { 'aria-hidden': 'true' } });
  private model: DashboardModel | undefined;
  /** Ids the filter shows, in plan order, and each one's position. */
  private ids: string[] = [];
  private position = new Map<string, number>();
  /** The rows in the DOM now (a window of `ids`). */
  private readonly rows = new Map<string, HTMLLIElement>();
  private rowHeight = DEFAULT_ROW_HEIGHT;
  /** Task id holding the list's single tab stop. */
  private focusId: string | undefined;
  private frame: number | undefined;

  constructor(
    private readonly actions: DashboardActions,
    private readonly selection: Selection,
  ) {
    this.el = card('tasks', 'Tasks', this.filters, this.list, this.empty);
    this.list.addEventListener('keydown', (e) => this.onKey(e));
    this.list.addEventListener('scroll', () => this.drawSoon(), { passive: true });
    selection.onChange(() => {
      if (!this.model) return;
      this.drawFilters(this.model);
      this.refilter(this.model);
    });
  }

  update(model: DashboardModel, change: ModelChange): void {
    this.model = model;
    if (change.full) {
      this.selection.dropMissingEpic(new Set(model.epics.map((e) => e.id)));
      this.drawFilters(model);
      this.refilter(model);
      return;
    }
    if (change.counts) this.drawCounts(model);
    if (change.appended.length > 0) this.refilter(model);
    if (change.tasks.length === 0 && change.removed.length === 0) return;
    // A task that joins or leaves the filter changes the list; any other change patches its row where it is drawn.
    let membership = change.removed.length > 0;
    for (const id of change.tasks) {
      const t = model.tasks.get(id);
      if ((t !== undefined && this.shows(t)) !== this.position.has(id)) membership = true;
    }
    if (membership) this.refilter(model);
    for (const id of change.tasks) {
      const li = this.rows.get(id);
      const t = model.tasks.get(id);
      if (!li || !t) continue;
      this.paintRow(li, t, model);
      flash(li);
    }
  }

  private shows(t: TaskView): boolean {
    return matchesFilter(t, this.selection.filter, this.selection.epic);
  }

  // ---- filters --------------------------------------------------------------------------------------------------

  private drawFilters(model: DashboardModel): void {
    const hadFocus = this.filters.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.filter : undefined;
    const chips: HTMLElement[] = TASK_FILTERS.map((f) =>
      h(
        'button',
        {
          class: 'chip',
          attrs: { type: 'button', 'data-filter': f, 'aria-pressed': f === this.selection.filter ? 'true' : 'false' },
          on: { click: () => this.selection.setFilter(f) },
        },
        FILTER_LABELS[f],
        h('span', { class: 'chip-count' }),
      ),
    );
    const epic = this.selection.epic;
    if (epic) {
      chips.push(
        h(
          'button',
          {
            class: 'chip chip-epic',
            attrs: { type: 'button', 'data-filter': 'epic', 'aria-label': `Showing ${epic} only; press to show every epic` },
            on: { click: () => this.selection.toggleEpic(epic) },
          },
          epic,
          h('span', { class: 'chip-x', attrs: { 'aria-hidden': 'true' } }, '×'),
        ),
      );
    }
    replaceChildren(this.filters, ...chips);
    this.drawCounts(model);
    if (hadFocus) this.filters.querySelector<HTMLElement>(`[data-filter="${hadFocus}"]`)?.focus();
  }

  private drawCounts(model: DashboardModel): void {
    const counts = new Map<TaskFilter, number>(TASK_FILTERS.map((f) => [f, 0]));
    for (const t of model.tasks.values()) {
      for (const f of TASK_FILTERS) if (matchesFilter(t, f, this.selection.epic)) counts.set(f, counts.get(f)! + 1);
    }
    for (const chip of Array.from(this.filters.querySelectorAll<HTMLElement>('[data-filter]'))) {
      const n = counts.get(chip.dataset.filter as TaskFilter);
      const el = chip.querySelector('.chip-count');
      if (el && n !== undefined) setText(el, String(n));
    }
  }

  // ---- the virtual list -----------------------------------------------------------------------------------------

  /** Recomputes which tasks the filter shows (O(tasks)) and redraws the window. */
  private refilter(model: DashboardModel): void {
    const was = this.position.get(this.focusId ?? '') ?? 0;
    this.ids = model.order.filter((id) => {
      const t = model.tasks.get(id);
      return t !== undefined && this.shows(t);
    });
    this.position = new Map(this.ids.map((id, i) => [id, i]));
    // A focused task that left the list hands the tab stop to the one now in its place.
    if (this.focusId === undefined || !this.position.has(this.focusId)) this.focusId = this.ids[Math.min(was, this.ids.length - 1)];
    const none = this.ids.length === 0;
    this.empty.hidden = !none;
    if (none) setText(this.empty, model.rest > 0 ? 'Loading the tasks…' : model.tasks.size ? 'No task matches this filter.' : 'This plan has no tasks yet.');
    this.draw();
  }

  private drawSoon(): void {
    if (this.frame !== undefined) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = undefined;
      this.draw();
    });
  }

  /** Puts the rows of the visible window (and only those) between the spacers, reusing the rows already there. */
  private draw(): void {
    const model = this.model;
    if (!model) return;
    const hadFocus = this.list.contains(document.activeElement);
    const height = this.list.clientHeight || 420;
    const top = this.list.scrollTop;
    const start = Math.max(0, Math.floor(top / this.rowHeight) - OVERSCAN);
    const end = Math.min(this.ids.length, Math.ceil((top + height) / this.rowHeight) + OVERSCAN);
    const wanted = this.ids.slice(start, end);
    const keep = new Set(wanted);
    for (const [id, li] of this.rows) {
      if (keep.has(id)) continue;
      li.remove();
      this.rows.delete(id);
    }
    if (this.topSpacer.parentNode !== this.list) this.list.prepend(this.topSpacer);
    let cursor: Element = this.topSpacer;
    for (const [i, id] of wanted.entries()) {
      let li = this.rows.get(id);
      if (!li) {
        li = h('li', { class: 'task-row' });
        this.paintRow(li, model.tasks.get(id)!, model);
        this.rows.set(id, li);
      }
      li.setAttribute('aria-posinset', String(start + i + 1));
      li.setAttribute('aria-setsize', String(this.ids.length));
      if (cursor.nextElementSibling !== li) cursor.after(li);
      cursor = li;
    }
    if (cursor.nextElementSibling !== this.bottomSpacer) cursor.after(this.bottomSpacer);
    this.topSpacer.style.height = `${start * this.rowHeight}px`;
    this.bottomSpacer.style.height = `${(this.ids.length - end) * this.rowHeight}px`;
    this.syncTabStop();
    if (hadFocus && !this.list.contains(document.activeElement)) this.focusRow(this.focusId);
    // Rows have one fixed height (CSS); measure it once it is known, and lay the window out again if it differs.
    const first = this.rows.values().next().value as HTMLLIElement | undefined;
    const measured = first?.offsetHeight ?? 0;
    if (measured > 0 && Math.abs(measured - this.rowHeight) > 0.5) {
      this.rowHeight = measured;
      this.draw();
    }
  }

  /** Fills a row in place; the reveal button element is kept so focus survives an update. */
  private paintRow(li: HTMLLIElement, t: TaskView, model: DashboardModel): void {
    const state = displayState(t);
    const review = model.reviews.get(t.id);
    li.dataset.taskId = t.id;
    li.dataset.status = t.status;
    li.classList.toggle('is-ready', state === 'ready');
    let button = li.querySelector<HTMLButtonElement>('button.task');
    if (!button) {
      const id = t.id;
      button = h('button', {
        class: 'task',
        attrs: { type: 'button', tabindex: -1 },
        on: {
          click: () => this.actions.runOnTask('coditect.revealTask', id),
          focus: () => {
            this.focusId = id;
            this.syncTabStop();
          },
        },
      });
      li.append(button);
    }
    // A branch waiting for a person says so where the agent would be: it is what the row is about now.
    const meta = review ? reviewLabel(review) : [t.route.agent, t.priority].filter(Boolean).join(' · ');
    button.setAttribute('aria-label', `${t.id} ${t.title}, ${STATE_LABEL[state]}${meta ? `, ${meta}` : ''}. Enter reveals it in the editor.`);
    button.title = taskTooltip(t, review);
    replaceChildren(
      button,
      h('span', { class: 'status-icon', attrs: { 'data-status': state === 'ready' ? 'ready' : t.status, 'aria-hidden': 'true' } }),
      h('span', { class: 'task-id' }, t.id),
      h('span', { class: 'task-title' }, t.title),
      h('span', { class: 'task-meta' }, meta),
    );

    // One action where it helps: review a waiting branch, retry a failure, run a ready task. Cancel lives in the Active
    // agents panel. Review only opens the diff (read-only), so it is offered in a read-only window too.
    const action: { command: TaskCommand; label: string } | undefined = review
      ? { command: 'coditect.reviewChanges', label: 'Review' }
      : model.readOnly
        ? undefined
        : t.status === 'failed' || t.status === 'timeout' || t.status === 'cancelled'
          ? { command: 'coditect.retryTask', label: 'Retry' }
          : state === 'ready'
            ? { command: 'coditect.runTaskWithAgent', label: 'Run' }
            : undefined;
    const existing = li.querySelector<HTMLButtonElement>('button.task-action');
    const ariaLabel = review ? `Review the changes of ${t.id} (${review.stat.text})` : action ? `${action.label} ${t.id}` : '';
    const title = review ? `Review changes (${review.stat.text}): a diff of ${review.branch} against its base` : ariaLabel;
    if (existing && existing.dataset.command === action?.command) {
      // Same action (focus stays on it); its counts may have moved.
      existing.setAttribute('aria-label', ariaLabel);
      existing.title = title;
      return;
    }
    existing?.remove();
    if (!action) return;
    li.append(
      h(
        'button',
        {
          class: 'task-action btn btn-secondary btn-small',
          attrs: { type: 'button', 'data-command': action.command, 'aria-label': ariaLabel, title },
          on: { click: () => this.actions.runOnTask(action.command, t.id) },
        },
        action.label,
      ),
    );
  }

  // ---- keyboard -------------------------------------------------------------------------------------------------

  /** Exactly one task button is in the tab order (roving tabindex). */
  private syncTabStop(): void {
    for (const [id, li] of this.rows) {
      const b = li.querySelector<HTMLButtonElement>('button.task');
      if (b) b.tabIndex = id === this.focusId ? 0 : -1;
    }
  }

  private focusRow(id: string | undefined): void {
    if (id !== undefined) this.rows.get(id)?.querySelector<HTMLButtonElement>('button.task')?.focus();
  }

  private onKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement;
    if (!target.classList.contains('task') || this.ids.length === 0) return;
    const i = this.position.get(this.focusId ?? '') ?? 0;
    const page = Math.max(1, Math.floor(this.list.clientHeight / this.rowHeight) - 1);
    const next =
      e.key === 'ArrowDown'
        ? i + 1
        : e.key === 'ArrowUp'
          ? i - 1
          : e.key === 'PageDown'
            ? i + page
            : e.key === 'PageUp'
              ? i - page
              : e.key === 'Home'
                ? 0
                : e.key === 'End'
                  ? this.ids.length - 1
                  : undefined;
    if (next === undefined) return;
    e.preventDefault();
    const to = Math.max(0, Math.min(this.ids.length - 1, next));
    this.focusId = this.ids[to];
    // Bring the row into the window, draw it, then move focus to it.
    const rowTop = to * this.rowHeight;
    if (rowTop < this.list.scrollTop) this.list.scrollTop = rowTop;
    else if (rowTop + this.rowHeight > this.list.scrollTop + this.list.clientHeight) this.list.scrollTop = rowTop + this.rowHeight - this.list.clientHeight;
    this.draw();
    this.focusRow(this.focusId);
  }
}

/** Restarts a row's highlight animation (reading offsetWidth makes the removal apply first). */
function flash(li: HTMLElement): void {
  li.classList.remove('flash');
  void li.offsetWidth;
  li.classList.add('flash');
}

/** Plain-text tooltip: the review waiting, dependencies, blockers, estimate and the last run. */
function taskTooltip(t: TaskView, review: ReviewView | undefined): string {
  const lines = [`${t.id} ${t.title}`];
  if (review) lines.push(`${reviewLabel(review)}: ${review.reason}`);
  if (t.waitingOn.length) lines.push(`Waiting on: ${t.waitingOn.join(', ')}`);
  else if (t.dependsOn.length) lines.push(`Depends on: ${t.dependsOn.map((d) => d.id).join(', ')}`);
  if (t.blocked) lines.push(`Blocked: ${t.blocked.text}`);
  else if (t.blockers.length) lines.push(`Blocked by: ${t.blockers.join('; ')}`);
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
