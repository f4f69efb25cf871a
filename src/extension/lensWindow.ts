// Which lines of a big plan get CodeLenses: the lines in view and a margin around them. Plain Node: no vscode import.

/**
 * Past this many tasks a plan gets lenses only near the lines in view (LENS_MARGIN_LINES above and below each
 * visible range), refreshed as the person scrolls. Every lens is a view zone the editor lays out on each scroll
 * frame: a 10,000-task plan with a lens on every task scrolled at 100–150 ms a frame and showed its first lens
 * 4.7 s after its text.
 */
export const LENS_WINDOW_MIN_TASKS = 500;
/** Lines above and below the visible range that get lenses on a big plan (scrolling a page never reaches the edge). */
export const LENS_MARGIN_LINES = 150;

/** A span of lines, both ends included. */
export interface LineWindow {
  start: number;
  end: number;
}

/** Whether lines start..end lie inside the window. */
export function within(w: LineWindow, start: number, end: number): boolean {
  return start >= w.start && end <= w.end;
}

/**
 * The line windows that get lenses on a big plan: each visible range widened by LENS_MARGIN_LINES on both sides
 * (overlaps merged), or the top of the file when no editor shows it yet (it is being opened).
 */
export function lensWindows(visible: readonly LineWindow[], lineCount: number): LineWindow[] {
  const last = Math.max(0, lineCount - 1);
  const spans = (visible.length ? visible : [{ start: 0, end: 0 }])
    .map((r) => ({ start: Math.max(0, r.start - LENS_MARGIN_LINES), end: Math.min(last, r.end + LENS_MARGIN_LINES) }))
    .sort((a, b) => a.start - b.start);
  const out: LineWindow[] = [];
  for (const s of spans) {
    const prev = out[out.length - 1];
    if (prev && s.start <= prev.end + 1) prev.end = Math.max(prev.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

/**
 * Whether the view came within half a margin of the edge of the lines that have lenses (not at the file's ends), so
 * the next window is provided before its lines scroll into view.
 */
export function scrolledNearEdge(windows: readonly LineWindow[], visible: readonly LineWindow[], lineCount: number): boolean {
  const last = lineCount - 1;
  const half = LENS_MARGIN_LINES / 2;
  const inner = windows.map((w) => ({ start: w.start <= 0 ? 0 : w.start + half, end: w.end >= last ? last : w.end - half }));
  return !visible.every((r) => inner.some((w) => within(w, r.start, r.end)));
}
