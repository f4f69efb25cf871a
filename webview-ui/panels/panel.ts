// What every part of the dashboard page is: an element, redrawn from the model for the parts a change names.
import type { PlanCommand, TaskCommand } from '../../src/protocol/webviewProtocol';
import { h } from '../dom';
import type { DashboardModel, ModelChange, TaskFilter } from '../state';

/** What the page asks the extension to do: run a registered command (the palette's), or its own two things. */
export interface DashboardActions {
  run(command: PlanCommand): void;
  runOnTask(command: TaskCommand, taskId: string): void;
  /** Ask for the snapshot again after a failed load. */
  retryLoad(): void;
  dismissNotice(): void;
}

/** What the person chose in the page; kept by VS Code (setState) so a hidden-then-shown panel looks the same. */
export interface DashboardUiState {
  filter: TaskFilter;
  epic?: string;
}

/** One part of the page. `update` runs after every message; each panel redraws only what `change` says moved. */
export interface Panel {
  readonly el: HTMLElement;
  update(model: DashboardModel, change: ModelChange): void;
  /** Moves clocks (elapsed times, uptime); called every second. */
  tick?(model: DashboardModel, now: number): void;
}

/** A card: a titled, labelled section. */
export function card(name: string, title: string, ...children: (Node | null)[]): HTMLElement {
  const id = `card-${name}-title`;
  return h('section', { class: `card card-${name}`, attrs: { 'aria-labelledby': id } }, h('h2', { attrs: { id } }, title), ...children);
}
