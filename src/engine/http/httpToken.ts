// The HTTP API's token: 32 random bytes (base64url) in `.coditect/http-token`, mode 0600, made on first use and kept
// across restarts so a bookmarked dashboard URL keeps working. Whoever can read the file may steer the engine — the
// same people who can read context.db. Compared in constant time; never logged.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HTTP_TOKEN_FILE } from '../../protocol/httpApi';
import { ensurePrivateDir, makePrivate, PRIVATE_FILE_MODE, withPrivateUmask } from '../privateFiles';

/** Shortest token accepted from the file (a hand-written one must still be unguessable). */
const MIN_TOKEN_CHARS = 32;

/** Path of the token file for an engine state folder. */
export function tokenPath(stateDir: string): string {
  return join(stateDir, HTTP_TOKEN_FILE);
}

/** Reads the token file, creating it (0600) with a fresh token when it is missing. Throws when it holds a weak token. */
export function loadOrCreateToken(stateDir: string): string {
  const file = tokenPath(stateDir);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (text !== undefined) {
    if (text.length < MIN_TOKEN_CHARS || /\s/.test(text))
      throw new Error(`${file}: the HTTP token must be at least ${MIN_TOKEN_CHARS} characters without spaces (delete the file to get a new one)`);
    makePrivate(file);
    return text;
  }
  ensurePrivateDir(stateDir);
  const token = randomBytes(32).toString('base64url');
  // 'wx': never overwrite a token another engine wrote in between; under umask 077 the file is never readable by others.
  withPrivateUmask(() => writeFileSync(file, `${token}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' }));
  return token;
}

/** A constant-time check of a presented token against the expected one (hashing first evens out the lengths). */
export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b);
}
