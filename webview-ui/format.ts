// Text the dashboard shows for numbers and times. Pure functions, tested in plain Node.

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** A duration for people: `45s`, `3m 05s`, `2h 14m`, `3d 4h`; `—` for a negative or non-finite value. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad2(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad2(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** A ticking elapsed time: `0:07`, `12:45`, `1:02:03`. Negative values (clock skew) show as `0:00`. */
export function formatElapsed(ms: number): string {
  const s = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad2(m)}:${pad2(s % 60)}` : `${m}:${pad2(s % 60)}`;
}

/**
 * A share as a whole percent, rounded down so an unfinished plan never reads 100%
 * (and rounded up from 0 so one finished task out of 500 does not read 0%).
 */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio) || ratio <= 0) return '0%';
  if (ratio >= 1) return '100%';
  return `${Math.min(99, Math.max(1, Math.floor(ratio * 100)))}%`;
}

/** Tasks per hour with one decimal below 10 (`0.4`, `7.5`) and none above (`12`). */
export function formatRate(perHour: number): string {
  if (!Number.isFinite(perHour) || perHour <= 0) return '0';
  return perHour < 10 ? perHour.toFixed(1) : String(Math.round(perHour));
}

/** Local wall-clock time of an ISO timestamp, `14:03:22`; the input itself when it does not parse. */
export function formatClock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Short local time for chart axes, `14:03`. */
export function formatAxisTime(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** The file name at the end of a path (either separator). */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** Human words for a task status. */
export const STATUS_LABELS: Readonly<Record<string, string>> = {
  pending: 'pending',
  in_progress: 'running',
  completed: 'completed',
  blocked: 'blocked',
  failed: 'failed',
  timeout: 'timed out',
  cancelled: 'cancelled',
  skipped: 'skipped',
};
