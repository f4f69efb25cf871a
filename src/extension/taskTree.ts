// The "Tasks" tree: epics → features → tasks from the PlanStore. Engine events refresh only the items they touch
// (the changed tasks and their feature and epic); a filter (all / ready / running / failed) narrows the tree.
import * as vscode from 'vscode';
import { isComplete } from '../core/progress';
import { displayState, type DisplayState } from '../protocol/presentation';
import type { TaskView } from '../protocol/views';
import { LENS_COMMANDS } from './lensText';
import type { PlanStore, TasksUpdate } from './planStore';
import type { ReviewStore } from './reviewStore';
import { TreeDrawGate } from './treeDrawing';
import {
  groupContextValue,
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
  /** When refreshes may go out (see treeDrawing.ts: VS Code mixes up overlapping drawing passes). */
  private readonly gate: TreeDrawGate<TaskTreeNode>;
  /** Groups the person collapsed (VS Code asks for no children of those). */
  private readonly collapsedKeys = new Set<string>();
  private view?: Pick<vscode.TreeView<TaskTreeNode>, 'visible'>;

  constructor(
    private readonly store: PlanStore,
    private readonly reviews?: ReviewStore,
  ) {
    this.gate = new TreeDrawGate<TaskTreeNode>({
      fire: (nodes) => this.changed.fire(nodes),
      // Before the view exists VS Code has drawn nothing that could be lost.
      visible: () => this.view?.visible ?? false,
      nodeOf: (key) => {
        const i = key.indexOf(':');
        return this.node(key.slice(0, i) as TaskTreeNode['kind'], key.slice(i + 1));
      },
    });
    if (reviews) {
      // A branch that starts or stops waiting for review changes its task's description and actions.
      this.unsubscribe.push(
        reviews.events.on('reviews:changed', (c) => this.refresh(c.taskIds.filter((id) => store.task(id)).map((id) => this.node('task', id)))),
      );
    }
    this.unsubscribe.push(
      store.events.on('plan:replaced', () => {
        this.nodes.clear();
        this.refresh(undefined);
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
    this.refresh(undefined);
  }

  /** The person expanded or collapsed a group (TreeView.onDidExpandElement / onDidCollapseElement). */
  setCollapsed(n: TaskTreeNode, collapsed: boolean): void {
    const key = `${n.kind}:${n.id}`;
    if (collapsed) {
      this.collapsedKeys.add(key);
      this.gate.collapsed(key);
    } else this.collapsedKeys.delete(key);
  }

  /** The view this provider draws: its visibility decides whether a refresh waits for a drawing pass. */
  attachView(view: vscode.TreeView<TaskTreeNode>): vscode.Disposable {
    this.view = view;
    return view.onDidChangeVisibility((e) => this.gate.visibilityChanged(e.visible));
  }

  /** True while VS Code has not yet asked for the children of every group it was told is expanded. */
  get isDrawing(): boolean {
    return this.gate.isDrawing;
  }

  /** Redraws `nodes` (undefined: the whole tree), after VS Code finished drawing what it was drawing. */
  private refresh(nodes: TaskTreeNode[] | undefined): void {
    this.gate.refresh(nodes);
  }

  /** The node object for an item (stable, so VS Code can match it in refreshes and `reveal`). */
  node(kind: TaskTreeNode['kind'], id: string): TaskTreeNode {
    const key = `${kind}:${id}`;
    let n = this.nodes.get(key);
    if (!n) this.nodes.set(key, (n = { kind, id }));
    return n;
  }

  getChildren(parent?: TaskTreeNode): TaskTreeNode[] {
    this.gate.asked(parent ? `${parent.kind}:${parent.id}` : undefined);
    const children = this.childrenOf(parent);
    // Each expanded group among them is one more children request VS Code will make before its drawing is done.
    for (const c of children)
      if (c.kind !== 'task' && this.startsExpanded(c) && !this.collapsedKeys.has(`${c.kind}:${c.id}`)) this.gate.expect(`${c.kind}:${c.id}`);
    return children;
  }

  private childrenOf(parent: TaskTreeNode | undefined): TaskTreeNode[] {
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

  /** The first epic with work left and the open features start expanded, finished groups collapsed; a big plan all collapsed. */
  private startsExpanded(n: TaskTreeNode): boolean {
    const group = n.kind === 'epic' ? this.store.epic(n.id) : n.kind === 'feature' ? this.store.feature(n.id) : undefined;
    if (group === undefined || isComplete(group) || this.store.tasks().length > BIG_PLAN_TASKS) return false;
    // One epic open, the first with work left: VS Code asks for the children of several expanded epics in one batch
    // and, when the first one's expanded features are asked for before the batch is handed out, gives the others the
    // features' answers (see treeDrawing.ts): three open epics drew F001.02's tasks under E002 and nothing under E003.
    // With one epic expanded, a batch of several groups is only ever features, whose children (tasks) ask for nothing.
    return n.kind === 'feature' || this.store.epics().find((e) => !isComplete(e))?.id === n.id;
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
    // VS Code remembers the person's choice after the first drawing.
    const item = new vscode.TreeItem(
      group ? groupLabel(group) : n.id,
      this.startsExpanded(n) ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = `${n.kind}:${n.id}`;
    item.contextValue = groupContextValue(n.kind, n.kind === 'feature' ? this.store.feature(n.id)?.gate : undefined);
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
    const review = this.reviews?.get(t.id);
    item.description = taskTreeDescription(t, review);
    item.tooltip = new vscode.MarkdownString(
      taskTooltip(t, (id) => this.store.task(id)),
      true,
    );
    item.contextValue = taskContextValue(t, review);
    item.command = { command: REVEAL_COMMAND, title: 'Reveal in Task List', arguments: [t.id] };
    item.accessibilityInformation = { label: `${taskLabel(t)}, ${item.description}, agent ${t.route.agent}` };
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
      this.refresh(undefined);
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
    if (touched.size > 0) this.refresh([...touched]);
  }

  dispose(): void {
    this.gate.dispose();
    for (const u of this.unsubscribe.splice(0)) u();
    this.changed.dispose();
  }
}
