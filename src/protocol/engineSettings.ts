// The editor settings the engine takes (`coditect.*` → EngineSettings), declared once: the extension reads and
// checks them with these descriptors, the engine validates what it receives with them, and a unit test
// (test/unit/engine/settingsSchema.test.ts) holds package.json's contributes.configuration and the config file's
// schema (src/engine/config/fileSchema.ts) to the same types, ranges and defaults.

/** An integer setting, inclusive range. */
interface IntegerSetting {
  kind: 'integer';
  minimum: number;
  maximum: number;
  /** The manifest's default, which is the config file's default for `file`. */
  default: number;
}
/** A string setting; empty means "automatic" (the config file, else the engine, decides). */
interface StringSetting {
  kind: 'string';
  default: '';
}
/** A map of name → integer (agent type → limit), each value in the inclusive range. */
interface IntegerMapSetting {
  kind: 'integerMap';
  minimum: number;
  maximum: number;
  default: Record<string, never>;
}

/** One setting: its key below `coditect.`, the config file option it overrides, and its type. */
export type EngineSettingSpec = (IntegerSetting | StringSetting | IntegerMapSetting) & { key: string; file: string };

/** Every engine setting, by its EngineSettings field. */
export const ENGINE_SETTINGS = {
  maxConcurrentAgents: { key: 'agents.maxConcurrent', file: 'max_concurrent_agents', kind: 'integer', minimum: 1, maximum: 1000, default: 4 },
  maxPerType: { key: 'agents.maxPerType', file: 'agent_limits.max_per_type', kind: 'integerMap', minimum: 0, maximum: 1000, default: {} },
  defaultAgent: { key: 'agents.default', file: 'default_agent', kind: 'string', default: '' },
  model: { key: 'agents.model', file: 'model', kind: 'string', default: '' },
  retryMaxAttempts: { key: 'retry.maxAttempts', file: 'retry.max_attempts', kind: 'integer', minimum: 0, maximum: 100, default: 5 },
  retryInitialDelayMs: { key: 'retry.initialDelayMs', file: 'retry.initial_delay_ms', kind: 'integer', minimum: 0, maximum: 3_600_000, default: 1000 },
  retryMaxDelayMs: { key: 'retry.maxDelayMs', file: 'retry.max_delay_ms', kind: 'integer', minimum: 0, maximum: 86_400_000, default: 16_000 },
  timeoutMinutes: { key: 'timeoutMinutes', file: 'timeouts.default_minutes', kind: 'integer', minimum: 1, maximum: 10_080, default: 120 },
  metricsPort: { key: 'metricsPort', file: 'metrics.port', kind: 'integer', minimum: 0, maximum: 65_535, default: 9464 },
  simulationMs: { key: 'simulation.durationMs', file: 'simulation.duration_ms', kind: 'integer', minimum: 0, maximum: 600_000, default: 2000 },
} as const satisfies Record<string, EngineSettingSpec>;

type ValueOf<S extends EngineSettingSpec> = S['kind'] extends 'integer' ? number : S['kind'] extends 'string' ? string : Record<string, number>;

/** Editor settings that override the config file; every field optional (only what a person set is sent). */
export type EngineSettings = { -readonly [F in keyof typeof ENGINE_SETTINGS]?: ValueOf<(typeof ENGINE_SETTINGS)[F]> };

/** The EngineSettings fields, in declaration order. */
export const ENGINE_SETTING_FIELDS = Object.keys(ENGINE_SETTINGS) as (keyof EngineSettings)[];

/** A bad value: the field (and for a map, the entry), what was expected and the value found. */
export interface SettingIssue {
  field: keyof EngineSettings;
  entry?: string;
  expected: string;
  value: unknown;
}

/**
 * Checks setting values by field (undefined: not set). Returns the good ones (strings trimmed; a map keeps its good
 * entries) and an issue for each bad value, which is left out. Both the extension (before it sends them) and the
 * engine (on receipt) check with this, so they cannot disagree about a range.
 */
export function checkEngineSettings(values: Readonly<Partial<Record<keyof EngineSettings, unknown>>>): { settings: EngineSettings; issues: SettingIssue[] } {
  const settings: Record<string, unknown> = {};
  const issues: SettingIssue[] = [];
  for (const field of ENGINE_SETTING_FIELDS) {
    const value = values[field];
    if (value === undefined) continue;
    const spec: EngineSettingSpec = ENGINE_SETTINGS[field];
    switch (spec.kind) {
      case 'integer':
        if (isIntegerIn(value, spec.minimum, spec.maximum)) settings[field] = value;
        else issues.push({ field, expected: `an integer from ${spec.minimum} to ${spec.maximum}`, value });
        break;
      case 'string':
        if (typeof value === 'string' && value.trim() !== '') settings[field] = value.trim();
        else issues.push({ field, expected: 'a non-empty string', value });
        break;
      case 'integerMap': {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          issues.push({ field, expected: 'an object mapping agent types to limits', value });
          break;
        }
        const out: Record<string, number> = {};
        for (const [entry, n] of Object.entries(value)) {
          if (isIntegerIn(n, spec.minimum, spec.maximum)) out[entry] = n;
          else issues.push({ field, entry, expected: `an integer from ${spec.minimum} to ${spec.maximum}`, value: n });
        }
        settings[field] = out;
        break;
      }
    }
  }
  return { settings: settings as EngineSettings, issues };
}

function isIntegerIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}
