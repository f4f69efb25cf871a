// A provider's usage-limit pause outlives the engine that met it: the reset time is kept in engine_state, so a
// restarted engine waits for the same reset instead of hitting the limit again at once. Pure over the stored value
// (the runtime reads and writes the row, and says what it did).

/** engine_state key of the providers' usage-limit pauses: provider → { until (epoch ms), reason }. */
export const PROVIDER_PAUSES_KEY = 'provider_pauses';

/** One provider's pause. */
export interface ProviderPause {
  provider: string;
  /** Epoch ms the pause ends. */
  until: number;
  reason: string;
}

/** The stored form: provider → { until, reason }. */
export type StoredPauses = Record<string, { until: number; reason: string }>;

/**
 * The stored pauses still running at `now`, to be taken up again. The value was written by an earlier engine
 * (maybe another version) and may be anything: entries without a numeric `until` are ignored, never thrown on.
 */
export function pausesToRestore(stored: unknown, now: number): ProviderPause[] {
  if (!stored || typeof stored !== 'object') return [];
  const out: ProviderPause[] = [];
  for (const [provider, p] of Object.entries(stored as Record<string, unknown>)) {
    const v = p as { until?: unknown; reason?: unknown } | null | undefined;
    if (typeof v?.until !== 'number' || v.until <= now) continue;
    out.push({ provider, until: v.until, reason: String(v.reason) });
  }
  return out;
}

/** The value to store once `p` starts: the pauses over by `now` are dropped, `p` replaces its provider's. */
export function pausesToKeep(stored: StoredPauses | undefined, p: ProviderPause, now: number): StoredPauses {
  const kept: StoredPauses = {};
  for (const [k, v] of Object.entries(stored ?? {})) if (v.until > now) kept[k] = v;
  kept[p.provider] = { until: p.until, reason: p.reason };
  return kept;
}
