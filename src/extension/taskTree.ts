// The "Tasks" tree: epics → features → tasks from the PlanStore. Engine events refresh only the items they touch
// (the changed tasks and their feature and epic); a filter (all / ready / running / failed) narrows the tree.
import * as vscode from 'vscode';
import { isComplete } from '../core/progress';
import { displayState, type DisplayState } from '../protocol/presentation';
import type { TaskView } from '../protocol/views';
import { LENS_COMMANDS } from './lensText';
import type { PlanStore, TasksUpdate } from './planStore';
import {
  groupDescription,
  groupIcon,
  groupLabel,
  groupTooltip,
  tallyTasks,
  taskContextValue,
  taskIcon,
  taskLabel,
  taskTooltip,
  taskTreeDescription,
  type GroupTally,
  type IconSpec,
} from './treeText';

/** One node of the tree; the same object stands for the same item for as long as the plan lasts. */
export interface TaskTreeNode {
  kind: 'epic' | 'feature' | 'task';
  id: string;
}

/** What the tree shows. */
export type TaskFilter = 'all' | 'ready' | 'running' | 'failed';
export const TASK_FILTERS: readonly TaskFilter[] = ['all', 'ready', 'running', 'failed'];

const FILTER_STATES: Readonly<Record<Exclude<TaskFilter, 'all'>, ReadonlySet<DisplayState>>> = {
  ready: new Set(['ready']),
  running: new Set(['running']),
  failed: new Set(['failed', 'timeout', 'cancelled']),
};

/** Command a click on a task runs (the same one the "Waiting for" lens uses); epics and features expand on a click. */
export const REVEAL_COMMAND = LENS_COMMANDS.reveal;

/**
 * Past this many tasks every epic and feature starts collapsed: VS Code asks for the children of every expanded
 * node before it paints, and a 10,000-task plan fully expanded took 10.8 s to its first row (10,550 rows).
 */
export const BIG_PLAN_TASKS = 500;

function themeIcon(spec: IconSpec): vscode.ThemeIcon {
  return new vscode.ThemeIcon(spec.id, spec.color ? new vscode.ThemeColor(spec.color) : undefined);
}

/** Tree data for the `coditect.tasks` view. */
export class TaskTreeProvider implements vscode.TreeDataProvider<TaskTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TaskTreeNode | TaskTreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly nodes = new Map<string, TaskTreeNode>();
  private readonly unsubscribe: (() => void)[] = [];
  private currentFilter: TaskFilter = 'all';

  constructor(private readonly store: PlanStore) {
    this.unsubscribe.push(
      store.events.on('plan:replaced', () => {
        this.nodes.clear();
        this.changed.fire(undefined);
      }),
      store.events.on('tasks:updated', (u) => this.onTasksUpdated(u)),
    );
  }

  get filter(): TaskFilter {
    return this.currentFilter;
  }

  /** Shows only tasks in the filter's states (and the groups holding them). */
  setFilter(filter: TaskFilter): void {
    if (!TASK_FILTERS.includes(filter)) throw new RangeError(`unknown task filter ${JSON.stringify(filter)}; expected one of ${TASK_FILTERS.join(', ')}`);
    if (filter === this.currentFilter) return;
    this.currentFilter = filter;
    this.changed.fire(undefined);
  }

  /** The node object for an item (stable, so VS Code can match it in refreshes and `reveal`). */
  node(kind: TaskTreeNode['kind'], id: string): TaskTreeNode {
    const key = `${kind}:${id}`;
    let n = this.nodes.get(key);
    if (!n) this.nodes.set(key, (n = { kind, id }));
    return n;
  }

  getChildren(parent?: TaskTreeNode): TaskTreeNode[] {
    if (!parent)
      return this.store
        .epics()
        .filter((e) => this.epicVisible(e.id))
        .map((e) => this.node('epic', e.id));
    if (parent.kind === 'epic')
      return this.store
        .featuresOf(parent.id)
        .filter((f) => this.featureVisible(f.id))
        .map((f) => this.node('feature', f.id));
    if (parent.kind === 'feature')
      return this.store
        .tasksOf(parent.id)
        .filter((t) => this.taskVisible(t))
        .map((t) => this.node('task', t.id));
    return [];
  }

  getParent(n: TaskTreeNode): TaskTreeNode | undefined {
    if (n.kind === 'task') {
      const t = this.store.task(n.id);
      return t ? this.node('feature', t.featureId) : undefined;
    }
    if (n.kind === 'feature') {
      const f = this.store.feature(n.id);
      return f ? this.node('epic', f.epicId) : undefined;
    }
    return undefined;
  }

  getTreeItem(n: TaskTreeNode): vscode.TreeItem {
    if (n.kind === 'task') return this.taskItem(n);
    const group = n.kind === 'epic' ? this.store.epic(n.id) : this.store.feature(n.id);
    // Open work starts expanded and finished groups collapsed, unless the plan is big (then all start collapsed);
    // VS Code remembers the person's choice after that.
    const expanded = group !== undefined && !isComplete(group) && this.store.tasks().length <= BIG_PLAN_TASKS;
    const item = new vscode.TreeItem(
      group ? groupLabel(group) : n.id,
      expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = `${n.kind}:${n.id}`;
    item.contextValue = n.kind;
    if (!group) return item;
    const tally: GroupTally = { total: group.total, done: group.done, ...tallyTasks(this.groupTasks(n)) };
    item.iconPath = themeIcon(groupIcon(tally, n.kind));
    item.description = groupDescription(group, tally);
    item.tooltip = groupTooltip(group, tally);
    // No click command: a click on a group expands or collapses it; "Reveal in Task List" is in its context menu.
    return item;
  }

  private taskItem(n: TaskTreeNode): vscode.TreeItem {
    const t = this.store.task(n.id);
    const item = new vscode.TreeItem(t ? taskLabel(t) : n.id, vscode.TreeItemCollapsibleState.None);
    item.id = `task:${n.id}`;
    if (!t) return item;
    item.iconPath = themeIcon(taskIcon(t));
    item.description = taskTreeDescription(t);
    item.tooltip = new vscode.MarkdownString(
      taskTooltip(t, (id) => this.store.task(id)),
      true,
    );
    item.contextValue = taskContextValue(t);
    item.command = { command: REVEAL_COMMAND, title: 'Reveal in Task List', arguments: [t.id] };
    item.accessibilityInformation = { label: `${taskLabel(t)}, ${taskTreeDescription(t)}, agent ${t.route.agent}` };
    return item;
  }

  private groupTasks(n: TaskTreeNode): readonly TaskView[] {
    return n.kind === 'epic' ? this.store.featuresOf(n.id).flatMap((f) => this.store.tasksOf(f.id)) : this.store.tasksOf(n.id);
  }

  /** What the view's badge counts: tasks running now, and failed ones that wait for a person. */
  badgeTally(): { running: number; failed: number } {
    const { running, failed } = tallyTasks(this.store.tasks());
    return { running, failed };
  }

  private taskVisible(t: TaskView): boolean {
    return this.currentFilter === 'all' || FILTER_STATES[this.currentFilter].has(displayState(t));
  }
  private featureVisible(featureId: string): boolean {
    return this.currentFilter === 'all' || this.store.tasksOf(featureId).some((t) => this.taskVisible(t));
  }
  private epicVisible(epicId: string): boolean {
    return this.currentFilter === 'all' || this.store.featuresOf(epicId).some((f) => this.featureVisible(f.id));
  }

  private onTasksUpdated(u: TasksUpdate): void {
    // Under a filter, a status change can add or remove items anywhere: redraw. Otherwise refresh only what moved.
    if (this.currentFilter !== 'all' || u.structural) {
      this.changed.fire(undefined);
      return;
    }
    const touched = new Set<TaskTreeNode>();
    for (const t of u.tasks) {
      touched.add(this.node('task', t.id));
      // The running/failed tally decides a group's icon even when its progress did not move.
      touched.add(this.node('feature', t.featureId));
      touched.add(this.node('epic', t.epicId));
    }
    for (const g of u.groups) touched.add(this.node(this.store.epic(g) ? 'epic' : 'feature', g));
    if (touched.size > 0) this.changed.fire([...touched]);
  }

  dispose(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    this.changed.dispose();
  }
}
