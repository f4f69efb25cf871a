// Environment profiles: a file's `profiles` (the plan spells them `environments`, and the chosen one `environment`),
// and the one that applies, deep-merged over the base file before validation, so a profile's values are validated
// exactly like the base file's.
import { fail } from './configErrors';
import { deepMerge, isPlainObject } from './plainObject';

/**
 * The raw file with its selected profile merged over it. The profile is `explicit` (a CLI flag), else the
 * environment's CODITECT_PROFILE or CODITECT_ENV, else the file's own `profile`; none: the file as it is.
 */
export function applyProfile(
  raw: Record<string, unknown>,
  source: string,
  explicit: string | undefined,
  env: Record<string, string | undefined>,
): { merged: Record<string, unknown>; profileName: string | undefined } {
  // The plan's spelling of profiles: `environment` / `environments`.
  if ('environments' in raw || 'environment' in raw) {
    const r2: Record<string, unknown> = { ...raw };
    for (const [from, to] of [
      ['environments', 'profiles'],
      ['environment', 'profile'],
    ] as const) {
      if (!(from in r2)) continue;
      if (to in r2) fail(source, [`${from}: give either ${from} or ${to}, not both`]);
      r2[to] = r2[from];
      delete r2[from];
    }
    raw = r2;
  }
  const profiles = raw.profiles;
  const profileName = explicit ?? env.CODITECT_PROFILE ?? env.CODITECT_ENV ?? (typeof raw.profile === 'string' ? raw.profile : undefined);
  let merged: Record<string, unknown> = raw;
  if (profileName !== undefined && profileName !== '') {
    const available = isPlainObject(profiles) ? Object.keys(profiles) : [];
    const chosen = isPlainObject(profiles) ? profiles[profileName] : undefined;
    if (!isPlainObject(chosen)) {
      fail(source, [`profile: no profile "${profileName}" in profiles (available: ${available.length ? available.join(', ') : 'none'})`]);
    }
    if ('profiles' in chosen || 'profile' in chosen) fail(source, [`profiles.${profileName}: a profile cannot contain profile or profiles`]);
    merged = deepMerge(raw, chosen);
  }
  return { merged, profileName };
}
