// Text only the dashboard shows: clock times and file names. Percentages, durations, rates and state names come from
// src/protocol/presentation.ts, shared with the editor and the CLI. Pure functions, tested in plain Node.

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Local wall-clock time of an ISO timestamp, `14:03:22`; the input itself when it does not parse. */
export function formatClock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Local time for chart axes: `14:03`, with seconds (`14:03:22`) when the axis spans under ten minutes. */
export function formatAxisTime(ms: number, spanMs = Infinity): string {
  const d = new Date(ms);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return spanMs < 600_000 ? `${hm}:${pad2(d.getSeconds())}` : hm;
}

/** The file name at the end of a path (either separator). */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}
