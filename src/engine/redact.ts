// Secret scrubbing for anything that may leave the engine: logs, db rows, error messages, UI text.
// Invariant: every string an agent returns or throws passes through a redactor built from the run's secrets.

/** Patterns of well-known credential shapes, redacted even when the value was not registered as a secret. */
const KEY_PATTERNS: readonly RegExp[] = [
  /sk-ant-[A-Za-z0-9_-]+/g, // Anthropic API keys and OAuth tokens
  /\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}/g, // OpenAI-style keys
  /\bAIza[0-9A-Za-z_-]{30,}/g, // Google API keys
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g, // GitHub tokens
  /(\bBearer\s+)[A-Za-z0-9._~+/=-]{16,}/gi, // Authorization headers
];

/** Secrets shorter than this are not redacted by value (too likely to match ordinary text); patterns still apply. */
export const MIN_SECRET_LENGTH = 6;

/** Replacement text for a redacted secret. */
export const REDACTED = '***';

/**
 * Builds a function that replaces every occurrence of the given secret values, and of common key patterns, with `***`.
 * Longer secrets are replaced first so a secret containing another is removed whole.
 */
export function createRedactor(secrets: readonly (string | undefined | null)[]): (text: string) => string {
  const values = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  return (text: string): string => {
    if (typeof text !== 'string' || text.length === 0) return text;
    let out = text;
    for (const v of values) if (out.includes(v)) out = out.split(v).join(REDACTED);
    for (const re of KEY_PATTERNS) {
      re.lastIndex = 0;
      out = out.replace(re, (_m: string, bearer?: string) => (typeof bearer === 'string' ? bearer + REDACTED : REDACTED));
    }
    return out;
  };
}

/** Values of the environment variables whose names look like secrets (`*KEY*`, `*TOKEN*`, `*SECRET*`, `*PASSWORD*`, …). */
export function secretEnvValues(env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (v && /(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)/i.test(k)) out.push(v);
  }
  return out;
}
