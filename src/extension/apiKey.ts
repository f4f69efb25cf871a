// The Anthropic API key: kept in VS Code's SecretStorage (never settings, never a log), handed to the engine
// through its environment. Changing it restarts the engine, since a process reads its environment once.
import * as vscode from 'vscode';
import { API_KEY_SECRET, type EngineClient } from './engineClient';

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
    prompt: 'Stored in VS Code secret storage (never in settings) and passed to the engine in its environment.',
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

async function restartForKey(client: EngineClient, what: 'saved' | 'removed'): Promise<void> {
  if (client.lifecycle !== 'running' && client.lifecycle !== 'restarting') {
    void vscode.window.showInformationMessage(`CODITECT: Anthropic API key ${what}.`);
    return;
  }
  const pick = await vscode.window.showInformationMessage(
    `CODITECT: Anthropic API key ${what}. The engine restarts to use it (running agents are released and picked up again).`,
    'Restart Now',
    'Later',
  );
  if (pick === 'Restart Now') await client.restart();
}
