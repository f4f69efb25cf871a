// The status bar item `$(gear) 3 running · 29/122`: opens the dashboard; while the engine is down, restarts it.
import * as vscode from 'vscode';
import type { EngineClient } from './engineClient';
import type { PlanStore } from './planStore';
import { stallsOf } from '../protocol/views';
import { statusSpec } from './statusText';

/** Keeps the status bar item in step with the store and the engine's lifecycle. */
export class CoditectStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('coditect.status', vscode.StatusBarAlignment.Left, 50);
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly client: EngineClient,
    private readonly store: PlanStore,
    private readonly readOnly: () => boolean,
  ) {
    this.item.name = 'CODITECT Orchestrator';
    const update = (): void => this.update();
    this.unsubscribe.push(
      store.events.on('plan:replaced', update),
      store.events.on('tasks:updated', update),
      store.events.on('state:changed', update),
      client.events.on('lifecycle:changed', update),
      client.events.on('key:changed', update),
    );
    this.update();
  }

  update(): void {
    const snap = this.store.snapshot;
    const lifecycle = this.client.lifecycle;
    if (lifecycle === 'no-tasklist') {
      this.item.hide();
      return;
    }
    const spec = statusSpec({
      lifecycle,
      counts: snap?.counts,
      state: snap?.state,
      simulated: snap?.simulated,
      readOnly: snap?.readOnly ?? this.readOnly(),
      failure: this.client.failure,
      stalls: snap?.state === 'stalled' ? stallsOf(snap.tasks) : undefined,
      keyChange: this.client.keyChange,
      attachedTo: this.client.info?.attachedTo,
    });
    this.item.text = spec.text;
    const md = new vscode.MarkdownString(spec.tooltip);
    this.item.tooltip = md;
    this.item.backgroundColor = spec.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.command = lifecycle === 'failed' ? 'coditect.restartEngine' : 'coditect.openDashboard';
    this.item.accessibilityInformation = { label: spec.text.replace(/\$\([^)]*\)\s*/g, '') };
    this.item.show();
  }

  dispose(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    this.item.dispose();
  }
}
