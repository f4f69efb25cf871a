// Editor settings (`coditect.*`) → the engine's EngineSettings. Plain Node: no vscode import.
// Only settings a person actually set are sent: an unset one leaves the engine on orchestrator-config.json's value
// (settings override the config file, they do not shadow it with the manifest's defaults).
import type { EngineSettings } from '../protocol/engineProtocol';

/** Reads one setting below `coditect.`; `isSet` is true when a user, workspace or folder value exists. */
export interface SettingsReader {
  get(key: string): unknown;
  isSet(key: string): boolean;
}

/** Setting key (below `coditect.`) for each EngineSettings field. */
export const ENGINE_SETTING_KEYS: Readonly<Record<keyof EngineSettings, string>> = {
  maxConcurrentAgents: 'agents.maxConcurrent',
  maxPerType: 'agents.maxPerType',
  defaultAgent: 'agents.default',
  model: 'agents.model',
  retryMaxAttempts: 'retry.maxAttempts',
  retryInitialDelayMs: 'retry.initialDelayMs',
  retryMaxDelayMs: 'retry.maxDelayMs',
  timeoutMinutes: 'timeoutMinutes',
  metricsPort: 'metricsPort',
};

/** The engine settings and, for each bad value, a problem naming the setting and the value (the value is skipped). */
export function engineSettingsFrom(reader: SettingsReader): { settings: EngineSettings; problems: string[] } {
  const settings: EngineSettings = {};
  const problems: string[] = [];
  const int = (
    field: 'maxConcurrentAgents' | 'retryMaxAttempts' | 'retryInitialDelayMs' | 'retryMaxDelayMs' | 'timeoutMinutes' | 'metricsPort',
    min: number,
    max: number,
  ): void => {
    const key = ENGINE_SETTING_KEYS[field];
    if (!reader.isSet(key)) return;
    const v = reader.get(key);
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) settings[field] = v;
    else problems.push(`coditect.${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  };
  const str = (field: 'defaultAgent' | 'model'): void => {
    const key = ENGINE_SETTING_KEYS[field];
    if (!reader.isSet(key)) return;
    const v = reader.get(key);
    // An empty string is the manifest's "automatic" choice: leave it to the engine.
    if (v === '' || v === null) return;
    if (typeof v === 'string' && v.trim() !== '') settings[field] = v.trim();
    else problems.push(`coditect.${key} must be a non-empty string, got ${JSON.stringify(v)}`);
  };
  int('maxConcurrentAgents', 1, 1000);
  int('retryMaxAttempts', 0, 100);
  int('retryInitialDelayMs', 0, 3_600_000);
  int('retryMaxDelayMs', 0, 3_600_000);
  int('timeoutMinutes', 1, 7 * 24 * 60);
  int('metricsPort', 0, 65535);
  str('defaultAgent');
  str('model');
  const perTypeKey = ENGINE_SETTING_KEYS.maxPerType;
  if (reader.isSet(perTypeKey)) {
    const v = reader.get(perTypeKey);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const out: Record<string, number> = {};
      for (const [type, n] of Object.entries(v)) {
        if (typeof n === 'number' && Number.isInteger(n) && n >= 0) out[type] = n;
        else problems.push(`coditect.${perTypeKey}.${type} must be a non-negative integer, got ${JSON.stringify(n)}`);
      }
      settings.maxPerType = out;
    } else {
      problems.push(`coditect.${perTypeKey} must be an object mapping agent types to limits, got ${JSON.stringify(v)}`);
    }
  }
  if (settings.retryInitialDelayMs !== undefined && settings.retryMaxDelayMs !== undefined && settings.retryMaxDelayMs < settings.retryInitialDelayMs) {
    problems.push(
      `coditect.${ENGINE_SETTING_KEYS.retryMaxDelayMs} (${settings.retryMaxDelayMs}) is below coditect.${ENGINE_SETTING_KEYS.retryInitialDelayMs} (${settings.retryInitialDelayMs}); both are ignored`,
    );
    delete settings.retryInitialDelayMs;
    delete settings.retryMaxDelayMs;
  }
  return { settings, problems };
}
