// The engine's calls for a person, in the editor (docs/extension.md#notifications): when the engine needs someone (a
// gate waits, a limit paused dispatch, a breaker opened, a usage limit, the plan cannot finish) a non-modal
// notification says so with the buttons that answer it. Which kinds show is the setting `coditect.notifications.show`;
// the end of a plan and each failed task are off by default (the status bar and the tree already show them, and a
// run of failures would bury the one notification that matters). The same events reach the webhook and notify command.
import * as vscode from 'vscode';
import type { AttentionKind, AttentionParams } from '../protocol/engineProtocol';
import { attentionActions, DEFAULT_SHOWN_KINDS } from './attentionActions';
import type { EngineClient } from './engineClient';

/** Shows the engine's attention events as notifications (see the file comment). */
export class AttentionNotifications implements vscode.Disposable {
  /** What was shown, newest last (the integration tests read it: VS Code has no API to list notifications). */
  readonly shown: { kind: AttentionKind; text: string; buttons: string[] }[] = [];
  private readonly off: () => void;

  constructor(client: EngineClient) {
    this.off = client.events.on('attention:needed', (p) => this.show(p));
  }

  private show(p: AttentionParams): void {
    const kinds = vscode.workspace.getConfiguration('coditect').get<string[]>('notifications.show', [...DEFAULT_SHOWN_KINDS]);
    if (!kinds.includes(p.kind)) return;
    const actions = attentionActions(p);
    const text = `CODITECT: ${p.message}`;
    this.shown.push({ kind: p.kind, text, buttons: actions.map((a) => a.title) });
    if (this.shown.length > 50) this.shown.shift();
    const show = p.kind === 'done' ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
    void show(text, ...actions.map((a) => a.title)).then((picked) => {
      const a = actions.find((x) => x.title === picked);
      if (a) void vscode.commands.executeCommand(a.command, ...(a.args ?? []));
    });
  }

  dispose(): void {
    this.off();
  }
}
