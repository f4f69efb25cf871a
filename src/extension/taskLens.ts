// CodeLens above each task line (run, running time and cancel, retry and log, what it waits for) and a hover on
// task ids (dependencies, dependents, last result). Both togglable: `coditect.codeLens.enabled`, `coditect.hover.enabled`.
import * as vscode from 'vscode';
import { featureGateLenses, HOVER_COMMANDS, taskHover, taskLenses, textLens } from './lensText';
import type { PlanStore } from './planStore';
import type { ReviewStore } from './reviewStore';
import { LENS_MARGIN_LINES, LENS_WINDOW_MIN_TASKS, lensWindows, type LineWindow, scrolledNearEdge, within } from './lensWindow';
import { idMentionAt, locateTaskLine } from '../core/taskLine';
import { locateTaskLines } from './taskLines';
import { stamp, traceNow, tracing } from './perfTrace';

export interface TaskLensOptions {
  /** Whether a document is the engine's task list. */
  isTasklist(uri: vscode.Uri): boolean;
  /** Untrusted workspace: lenses that would run an agent are not offered. */
  readOnly(): boolean;
  /** Task branches waiting for review ("Review changes (3 files, +120 −8)"). */
  reviews?: ReviewStore;
  /** The engine is starting (its plan is on the way: the text's own lenses stand in), and a subscription to its changes. */
  engine?: { loading(): boolean; onChange(listener: () => void): () => void };
}

/** A scroll near the edge asks again after this long if VS Code has not asked for lenses since (its editor lost focus). */
const SCROLL_REASK_MS = 1000;

/** How often the "Running 2m" lenses are redrawn while something runs (the engine does not send clock ticks). */
const RUNNING_REFRESH_MS = 30_000;

/** Provides the lenses and hovers; refreshes them on engine events (coalesced) and on its own clock while tasks run. */
export class TaskLensProvider implements vscode.CodeLensProvider, vscode.HoverProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private pending: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;
  /** When scrolling near the edge last asked VS Code for lenses that it has not asked this provider for yet. */
  private scrollAsked: number | undefined;
  /** Per document (uri), the line windows the last lenses covered on a big plan. */
  private readonly covered = new Map<string, LineWindow[]>();

  constructor(
    private readonly store: PlanStore,
    private readonly opts: TaskLensOptions,
  ) {
    const refresh = (why: string) => (): void => this.refreshSoon(why);
    this.unsubscribe.push(store.events.on('plan:replaced', refresh('plan:replaced')), store.events.on('tasks:updated', refresh('tasks:updated')));
    if (opts.reviews) this.unsubscribe.push(opts.reviews.events.on('reviews:changed', refresh('reviews:changed')));
    if (opts.engine) this.unsubscribe.push(opts.engine.onChange(refresh('engine')));
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('coditect.codeLens')) return;
        // Lenses turned off: no window is covered any more, so scrolling asks for nothing.
        this.covered.clear();
        this.changed.fire();
      }),
      // A big plan's lenses follow the view: scrolled near the edge of what has lenses, provide the new window.
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => {
        const windows = this.covered.get(e.textEditor.document.uri.toString());
        const visible = e.visibleRanges.map((r) => ({ start: r.start.line, end: r.end.line }));
        if (!windows || !scrolledNearEdge(windows, visible, e.textEditor.document.lineCount)) return;
        // Once per answer: each fire restarts VS Code's wait before it asks (250 ms or more), so a fire on every scroll step
        // kept the new window from being asked for until the scrolling stopped, then drew it all at once.
        const now = Date.now();
        if (this.scrollAsked !== undefined && now - this.scrollAsked < SCROLL_REASK_MS) return;
        this.scrollAsked = now;
        this.refreshSoon('scrolled');
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.covered.delete(d.uri.toString())),
    );
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!tracing) return this.lenses(doc);
    const t0 = traceNow();
    const out = this.lenses(doc);
    stamp('lens:provided', {
      ms: Math.round((traceNow() - t0) * 10) / 10,
      lenses: out.length,
      from: this.store.snapshot ? 'plan' : 'text',
      version: doc.version,
    });
    return out;
  }

  private lenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    this.scrollAsked = undefined;
    if (!vscode.workspace.getConfiguration('coditect').get<boolean>('codeLens.enabled', true)) return [];
    if (!this.opts.isTasklist(doc.uri)) return [];
    let tasks = this.store.tasks();
    if (!this.store.snapshot) return this.opts.engine?.loading() ? this.textLenses(doc) : [];
    if (tasks.length === 0) return [];
    const gateLenses: vscode.CodeLens[] = [];
    for (const w of this.store.snapshot?.gates?.waiting ?? []) {
      // A gated feature's heading (a task gate's lens is its task's own, below).
      if (!w.feature || w.line >= doc.lineCount) continue;
      const range = new vscode.Range(w.line, 0, w.line, 0);
      for (const spec of featureGateLenses(w, { readOnly: this.opts.readOnly() }))
        gateLenses.push(new vscode.CodeLens(range, { title: spec.title, command: spec.command, arguments: spec.args, tooltip: spec.tooltip }));
    }
    if (tasks.length > LENS_WINDOW_MIN_TASKS) {
      const windows = lensWindows(this.visibleLines(doc), doc.lineCount);
      this.covered.set(doc.uri.toString(), windows);
      // The engine's lines may lag a person's typing by a few lines: take the tasks near the windows, then locate them.
      const near = windows.map((w) => ({ start: w.start - LENS_MARGIN_LINES, end: w.end + LENS_MARGIN_LINES }));
      tasks = tasks.filter((t) => near.some((w) => t.line >= w.start && t.line <= w.end));
    } else this.covered.delete(doc.uri.toString());
    const covered = this.covered.get(doc.uri.toString());
    const lines = locateTaskLines({ lineCount: doc.lineCount, lineAt: (i) => doc.lineAt(i).text }, tasks);
    const readOnly = this.opts.readOnly();
    const now = Date.now();
    const out: vscode.CodeLens[] = [];
    let running = false;
    for (const t of tasks) {
      const line = lines.get(t.id);
      if (line === undefined || (covered && !covered.some((w) => within(w, line, line)))) continue;
      if (t.status === 'in_progress') running = true;
      const range = new vscode.Range(line, 0, line, 0);
      for (const spec of taskLenses(t, { readOnly, now, review: this.opts.reviews?.get(t.id) })) {
        out.push(new vscode.CodeLens(range, { title: spec.title, command: spec.command, arguments: spec.args, tooltip: spec.tooltip }));
      }
    }
    this.tick(running);
    return [...gateLenses, ...out];
  }

  /**
   * Before the engine's plan arrives (it reads and stores a 10,000-task plan for seconds): a lens from each task line's
   * own text near the view, the same rows the plan's lenses take, replaced in place once the plan is here.
   */
  private textLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const windows = lensWindows(this.visibleLines(doc), doc.lineCount);
    this.covered.set(doc.uri.toString(), windows);
    const out: vscode.CodeLens[] = [];
    for (const w of windows) {
      for (let line = w.start; line <= w.end; line++) {
        const shape = locateTaskLine(doc.lineAt(line).text);
        if (!shape) continue;
        const spec = textLens(shape.mark);
        out.push(
          new vscode.CodeLens(new vscode.Range(line, 0, line, 0), { title: spec.title, command: spec.command, arguments: spec.args, tooltip: spec.tooltip }),
        );
      }
    }
    return out;
  }

  private visibleLines(doc: vscode.TextDocument): LineWindow[] {
    return vscode.window.visibleTextEditors
      .filter((e) => e.document === doc)
      .flatMap((e) => e.visibleRanges.map((r) => ({ start: r.start.line, end: r.end.line })));
  }

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    if (!vscode.workspace.getConfiguration('coditect').get<boolean>('hover.enabled', true)) return undefined;
    if (!this.opts.isTasklist(doc.uri)) return undefined;
    const hit = idMentionAt(doc.lineAt(pos.line).text, pos.character);
    const task = hit && this.store.task(hit.id);
    if (!hit || !task) return undefined;
    const md = new vscode.MarkdownString(taskHover(task, (id) => this.store.task(id), { readOnly: this.opts.readOnly() }));
    // Its links may run these commands and no other.
    md.isTrusted = { enabledCommands: [...HOVER_COMMANDS] };
    return new vscode.Hover(md, new vscode.Range(pos.line, hit.start, pos.line, hit.end));
  }

  /** Redraws the lenses once a burst of engine events has settled. */
  private refreshSoon(why: string): void {
    stamp('lens:refresh-asked', { why, pending: this.pending !== undefined });
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      stamp('lens:changed-fired');
      this.changed.fire();
    }, 50);
  }

  private tick(running: boolean): void {
    if (running && !this.ticker) {
      this.ticker = setInterval(() => this.changed.fire(), RUNNING_REFRESH_MS);
    } else if (!running && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  dispose(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    for (const d of this.disposables.splice(0)) d.dispose();
    if (this.pending) clearTimeout(this.pending);
    if (this.ticker) clearInterval(this.ticker);
    this.changed.dispose();
  }
}
