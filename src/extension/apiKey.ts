// The Anthropic API key: kept in VS Code's SecretStorage (never settings, never a log), handed to the engine on its
// secrets pipe when it starts. Changing it needs a restart, since the engine reads the key once; until then the views
// say the key is saved (or removed) but not in use yet.
import * as vscode from 'vscode';
import { API_KEY_SECRET, type EngineClient } from './engineClient';
import type { KeyChange } from './statusText';

/** Checks a pasted key; returns the problem or undefined. The key itself never appears in the message. */
export function apiKeyProblem(value: string): string | undefined {
  const v = value.trim();
  if (v === '') return 'Enter the key, or press Escape to cancel.';
  if (/\s/.test(v)) return 'An API key has no spaces or line breaks.';
  if (v.length < 20) return 'That is too short to be an Anthropic API key.';
  return undefined;
}

/** `CODITECT: Set Anthropic API Key`: asks for the key (masked), stores it, restarts the engine to use it. */
export async function setApiKey(secrets: vscode.SecretStorage, client: EngineClient): Promise<boolean> {
  const value = await vscode.window.showInputBox({
    title: 'CODITECT: Anthropic API key',
    prompt: 'Stored in VS Code secret storage (never in settings) and handed to the engine on a private pipe when it starts.',
    placeHolder: 'sk-ant-…',
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => apiKeyProblem(v),
  });
  if (value === undefined) return false;
  await secrets.store(API_KEY_SECRET, value.trim());
  await restartForKey(client, 'saved');
  return true;
}

/** `CODITECT: Clear Anthropic API Key`: removes it; agents fall back to dry-run after the restart. */
export async function clearApiKey(secrets: vscode.SecretStorage, client: EngineClient): Promise<boolean> {
  if (!(await secrets.get(API_KEY_SECRET))) {
    void vscode.window.showInformationMessage('CODITECT: no Anthropic API key is stored.');
    return false;
  }
  await secrets.delete(API_KEY_SECRET);
  await restartForKey(client, 'removed');
  return true;
}

async function restartForKey(client: EngineClient, what: KeyChange): Promise<void> {
  const done = what === 'saved' ? 'Anthropic API key saved in VS Code secret storage' : 'Anthropic API key removed from VS Code secret storage';
  if (client.lifecycle !== 'running' && client.lifecycle !== 'restarting') {
    void vscode.window.showInformationMessage(`CODITECT: ${done}; the engine ${what === 'saved' ? 'uses it' : 'runs without it'} from its next start.`);
    return;
  }
  const pick = await vscode.window.showInformationMessage(
    what === 'saved'
      ? `CODITECT: ${done}. The running engine does not have it yet: restart it to use real agents (running agents are released and picked up again).`
      : `CODITECT: ${done}. The running engine still has it: restart it so agents fall back to the dry-run simulator.`,
    'Restart Now',
    'Later',
  );
  if (pick === 'Restart Now') await client.restart();
  else client.noteKeyChange(what);
}
