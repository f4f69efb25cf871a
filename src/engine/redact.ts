// Secret scrubbing for anything that may leave the engine: logs, db rows, error messages, UI text.
// Invariant: every string an agent returns or throws passes through a redactor built from the run's secrets.
//
// What counts as a secret (docs/security.md, "Redaction"):
//   - the value of every environment variable whose NAME looks secret (KEY, TOKEN, SECRET, PASS, PASSWORD, PASSWD, PWD
//     except PWD/OLDPWD, CREDENTIAL, AUTH, PRIVATE, SESSION, COOKIE, SIGNATURE, SALT, DSN, CONNECTION_STRING);
//   - the password (and any token) inside a URL with credentials, in ANY variable (`DATABASE_URL`, `HTTPS_PROXY`…);
//   - well-known key shapes (Anthropic, OpenAI, Google, GitHub, Slack, AWS access keys, JWTs, Bearer headers), and
//     `scheme://user:password@` in any text, registered or not.
// A registered value is found even when wrapped across lines (a line break, optionally followed by indentation,
// between any two of its characters), so a key a terminal wrapped leaves no tail.

/** Names of environment variables whose values are secrets. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASS|PWD|CREDENTIAL|AUTH|PRIVATE|SESSION|COOKIE|SIGNATURE|SALT|DSN|CONNECTION_?STRING/i;
/** Not secrets although their names match. */
const NOT_SECRET_NAMES = new Set([
  'PWD',
  'OLDPWD',
  'KEYTIMEOUT',
  'SSH_AUTH_SOCK',
  'GPG_AGENT_INFO',
  'XDG_SESSION_ID',
  'XDG_SESSION_TYPE',
  'XDG_SESSION_CLASS',
  'XDG_SESSION_DESKTOP',
  'DESKTOP_SESSION',
  'DBUS_SESSION_BUS_ADDRESS',
  'GIT_AUTHOR_NAME',
  'GIT_AUTHOR_EMAIL',
  'GIT_AUTHOR_DATE',
]);

/** Continuation of a key that was wrapped: line break(s), then more key characters. */
const WRAP = '(?:\\r?\\n[ \\t]*[A-Za-z0-9_-]+)*';

/** Patterns of well-known credential shapes, redacted even when the value was not registered as a secret. */
const KEY_PATTERNS: readonly RegExp[] = [
  new RegExp(`sk-ant-[A-Za-z0-9_-]+${WRAP}`, 'g'), // Anthropic API keys and OAuth tokens
  new RegExp(`\\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}${WRAP}`, 'g'), // OpenAI-style keys
  /\bAIza[0-9A-Za-z_-]{30,}/g, // Google API keys
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{30,}/g, // GitHub fine-grained tokens
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, // Slack tokens
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, // AWS access key ids
  /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g, // JWTs
];
/** `Authorization: Bearer …` keeps the word, loses the value. */
const BEARER = /(\bBearer\s+)[A-Za-z0-9._~+/=-]{16,}/gi;
/** `scheme://user:password@host` keeps scheme, user and host, loses the password. */
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*:)([^\s@/?#]+)(@)/gi;

/** Secrets shorter than this are not redacted by value (too likely to match ordinary text); patterns still apply. */
export const MIN_SECRET_LENGTH = 6;

/** Replacement text for a redacted secret. */
export const REDACTED = '***';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A regex finding `value` whole, or wrapped across lines between any two characters. */
function wrappedValue(value: string): RegExp {
  return new RegExp([...value].map(escapeRegExp).join('(?:\\r?\\n[ \\t]*)?'), 'g');
}

/**
 * Builds a function that replaces every occurrence of the given secret values (also wrapped across lines), URL
 * credentials and common key patterns with `***`. Longer secrets are replaced first so a secret containing another
 * is removed whole.
 */
export function createRedactor(secrets: readonly (string | undefined | null)[]): (text: string) => string {
  const values = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  const wrapped = values.map(wrappedValue);
  return (text: string): string => {
    if (typeof text !== 'string' || text.length === 0) return text;
    let out = text;
    for (const v of values) if (out.includes(v)) out = out.split(v).join(REDACTED);
    // The slower, wrap-tolerant pass only when a line break could hide a value.
    if (out.includes('\n')) for (const re of wrapped) out = out.replace(re, REDACTED);
    for (const re of KEY_PATTERNS) out = out.replace(re, REDACTED);
    out = out.replace(BEARER, (_m: string, word: string) => word + REDACTED);
    out = out.replace(URL_CREDENTIALS, (_m: string, head: string, _pw: string, at: string) => head + REDACTED + at);
    return out;
  };
}

/** The password (or token) of every `scheme://user:password@` in `value`. */
export function urlCredentials(value: string): string[] {
  const out: string[] = [];
  for (const m of value.matchAll(URL_CREDENTIALS)) {
    let pw = m[2]!;
    try {
      pw = decodeURIComponent(pw);
      if (pw !== m[2]) out.push(m[2]!); // both spellings may appear in output
    } catch {
      // not percent-encoded
    }
    out.push(pw);
  }
  return out;
}

/** True when an environment variable of this name holds a secret (see the file comment). */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !NOT_SECRET_NAMES.has(name.toUpperCase());
}

/** Values of the environment that are secrets: secret-named variables, and URL credentials in any variable. */
export function secretEnvValues(env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (!v) continue;
    if (isSecretName(k)) out.push(v);
    out.push(...urlCredentials(v));
  }
  return out;
}
