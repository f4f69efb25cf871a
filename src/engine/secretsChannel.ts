// Reads the secrets the editor hands its engine on a pipe (see SECRETS_FD in the protocol): one JSON object of
// environment-variable names to string values, read to the end and the descriptor closed. The values never touch
// process.env (whose start-up copy /proc/<pid>/environ exposes), only the environment object the runtime is given.
import { closeSync, readFileSync } from 'node:fs';
import { errorMessage } from '../core/describe';

const NAME_RE = /^[A-Z][A-Z0-9_]{0,127}$/;

/** The secrets on descriptor `fd`; throws naming what is wrong (never the values). */
export function readSecrets(fd: number): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(fd, 'utf8');
  } catch (e) {
    throw new Error(`engine: cannot read the secrets pipe (fd ${fd}): ${errorMessage(e)}`, { cause: e });
  } finally {
    try {
      closeSync(fd);
    } catch {
      // already closed by the reader
    }
  }
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // No cause on purpose: JSON.parse's message quotes the start of the text, which may be a secret.
    throw new Error(`engine: the secrets pipe (fd ${fd}) does not hold a JSON object`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`engine: the secrets pipe (fd ${fd}) does not hold a JSON object`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!NAME_RE.test(k) || typeof v !== 'string')
      throw new Error(`engine: the secrets pipe (fd ${fd}) has an entry that is not NAME: "string" (${JSON.stringify(k).slice(0, 40)})`);
    out[k] = v;
  }
  return out;
}
