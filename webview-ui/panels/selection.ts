// What the person chose to look at (a task filter, one epic), shared by the epic list and the task list, and kept by
// VS Code across a hidden-then-shown panel (the view saves it through setState).
import { TASK_FILTERS, type TaskFilter } from '../state';
import type { DashboardUiState } from './panel';

/** Reads a stored UI state defensively: it may come from an older version of the page. */
export function parseUiState(raw: unknown): DashboardUiState | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.filter !== 'string' || !(TASK_FILTERS as readonly string[]).includes(r.filter)) return undefined;
  return { filter: r.filter as TaskFilter, epic: typeof r.epic === 'string' ? r.epic : undefined };
}

export class Selection {
  private readonly listeners: (() => void)[] = [];
  filter: TaskFilter;
  epic: string | undefined;

  constructor(
    initial: DashboardUiState | undefined,
    private readonly save: (s: DashboardUiState) => void,
  ) {
    this.filter = initial?.filter ?? 'open';
    this.epic = initial?.epic;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  setFilter(filter: TaskFilter): void {
    this.filter = filter;
    this.changed();
  }

  /** Shows only this epic's tasks, or every epic again when it was already the one shown. */
  toggleEpic(id: string): void {
    this.epic = this.epic === id ? undefined : id;
    this.changed();
  }

  /** Forgets an epic the plan no longer has (silently: the next draw shows every epic). */
  dropMissingEpic(epicIds: ReadonlySet<string>): void {
    if (this.epic !== undefined && !epicIds.has(this.epic)) this.epic = undefined;
  }

  private changed(): void {
    this.save({ filter: this.filter, epic: this.epic });
    for (const l of this.listeners) l();
  }
}
