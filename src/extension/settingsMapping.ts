// Editor settings (`coditect.*`) → the engine's EngineSettings. Plain Node: no vscode import.
// Only settings a person actually set are sent: an unset one leaves the engine on orchestrator-config.json's value
// (settings override the config file, they do not shadow it with the manifest's defaults). Which settings there are,
// and their ranges, is src/protocol/engineSettings.ts.
import * as path from 'node:path';
import { checkEngineSettings, ENGINE_SETTING_FIELDS, ENGINE_SETTINGS, type EngineSettings } from '../protocol/engineSettings';

/** Reads one setting below `coditect.`; `isSet` is true when a user, workspace or folder value exists. */
export interface SettingsReader {
  get(key: string): unknown;
  isSet(key: string): boolean;
}

/** The engine settings and, for each bad value, a problem naming the setting and the value (the value is skipped). */
export function engineSettingsFrom(reader: SettingsReader): { settings: EngineSettings; problems: string[] } {
  const values: Partial<Record<keyof EngineSettings, unknown>> = {};
  for (const field of ENGINE_SETTING_FIELDS) {
    const spec = ENGINE_SETTINGS[field];
    if (!reader.isSet(spec.key)) continue;
    const v = reader.get(spec.key);
    // An empty string is the manifest's "automatic" choice: leave it to the engine.
    if (spec.kind === 'string' && (v === '' || v === null)) continue;
    values[field] = v;
  }
  const { settings, issues } = checkEngineSettings(values);
  const problems = issues.map(
    (i) => `coditect.${ENGINE_SETTINGS[i.field].key}${i.entry === undefined ? '' : `.${i.entry}`} must be ${i.expected}, got ${JSON.stringify(i.value)}`,
  );
  if (settings.retryInitialDelayMs !== undefined && settings.retryMaxDelayMs !== undefined && settings.retryMaxDelayMs < settings.retryInitialDelayMs) {
    problems.push(
      `coditect.${ENGINE_SETTINGS.retryMaxDelayMs.key} (${settings.retryMaxDelayMs}) is below coditect.${ENGINE_SETTINGS.retryInitialDelayMs.key} (${settings.retryInitialDelayMs}); both are ignored`,
    );
    delete settings.retryInitialDelayMs;
    delete settings.retryMaxDelayMs;
  }
  return { settings, problems };
}

/**
 * The database the editor's engine opens: `coditect.dbPath` when set (relative to the workspace folder); in an
 * untrusted workspace, `context.db` in the extension's own storage for it (`untrustedDir`), so nothing is written into
 * a folder a person has not trusted (the engine keeps its socket, pid file and logs beside the database); else
 * undefined, and the engine uses `.coditect/context.db` at the task list's project root.
 */
export function engineDbPath(o: { setting?: string; workspaceRoot: string; trusted: boolean; untrustedDir?: string }): string | undefined {
  const setting = o.setting?.trim();
  if (setting) return path.resolve(o.workspaceRoot, setting);
  if (!o.trusted && o.untrustedDir) return path.join(o.untrustedDir, 'context.db');
  return undefined;
}
