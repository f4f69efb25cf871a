// Placeholder entry point: proves the extension loads in a real extension host. The editor layer replaces it.
import * as vscode from 'vscode';

/** Registers the extension's commands; VS Code calls it once on the first activation event. */
export function activate(context: vscode.ExtensionContext): void {
  const version = String(context.extension.packageJSON.version);
  context.subscriptions.push(
    vscode.commands.registerCommand('coditect.showVersion', () => {
      void vscode.window.showInformationMessage(`CODITECT Orchestrator ${version}`);
      // Returned so tests (and other extensions) can read it through executeCommand.
      return version;
    }),
  );
}

/** Nothing to release beyond context.subscriptions, which VS Code disposes. */
export function deactivate(): void {}
