// Geometry of the throughput/burndown chart: samples in, SVG path strings and axis ticks out. No DOM.

export interface ThroughputPoint {
  at: string;
  completed: number;
  remaining: number;
}

export interface ChartBox {
  width: number;
  height: number;
  /** Room left for the axis labels. */
  padLeft: number;
  padRight: number;
  padTop: number;
  padBottom: number;
}

export interface ChartTick {
  /** Position along the axis, in SVG units. */
  pos: number;
  label: string;
}

export interface ChartGeometry {
  /** Fewer than one usable sample: draw an empty state instead. */
  empty: boolean;
  /** Closed area under the completed line. */
  completedArea: string;
  completedLine: string;
  remainingLine: string;
  xTicks: ChartTick[];
  yTicks: ChartTick[];
  /** The plot rectangle. */
  plot: { x: number; y: number; width: number; height: number };
  /** Where the last sample is drawn, for the end markers. */
  lastCompleted?: { x: number; y: number; value: number };
  lastRemaining?: { x: number; y: number; value: number };
}

/** A round upper bound for the y axis (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 × a power of ten) at or above `max`; halves stay readable. */
export function niceMax(max: number): number {
  if (!Number.isFinite(max) || max <= 1) return 1;
  const mag = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * mag >= max) return step * mag;
  return 10 * mag;
}

const r = (n: number): string => String(Math.round(n * 10) / 10);

/**
 * Lays out the chart. Samples are sorted by time; unparsable timestamps are dropped. A single sample (or samples all
 * at one instant) is spread across the width so the chart still shows a level line rather than nothing.
 */
export function chartGeometry(samples: readonly ThroughputPoint[], box: ChartBox, axisLabel: (ms: number, spanMs: number) => string): ChartGeometry {
  const plot = {
    x: box.padLeft,
    y: box.padTop,
    width: Math.max(1, box.width - box.padLeft - box.padRight),
    height: Math.max(1, box.height - box.padTop - box.padBottom),
  };
  const pts = samples
    .map((p) => ({ t: Date.parse(p.at), completed: Math.max(0, p.completed), remaining: Math.max(0, p.remaining) }))
    .filter((p) => Number.isFinite(p.t))
    .sort((a, b) => a.t - b.t);
  if (pts.length === 0) {
    return { empty: true, completedArea: '', completedLine: '', remainingLine: '', xTicks: [], yTicks: [], plot };
  }
  if (pts.length === 1) pts.push({ ...pts[0] });

  const t0 = pts[0].t;
  const t1 = pts[pts.length - 1].t;
  const span = t1 - t0;
  const yMax = niceMax(Math.max(...pts.map((p) => Math.max(p.completed, p.remaining))));
  const x = (p: { t: number }, i: number): number => plot.x + (span > 0 ? ((p.t - t0) / span) * plot.width : (i / (pts.length - 1)) * plot.width);
  const y = (v: number): number => plot.y + plot.height - (v / yMax) * plot.height;

  const cLine = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${r(x(p, i))},${r(y(p.completed))}`).join(' ');
  const rLine = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${r(x(p, i))},${r(y(p.remaining))}`).join(' ');
  const baseY = r(plot.y + plot.height);
  const area = `${cLine} L${r(x(pts[pts.length - 1], pts.length - 1))},${baseY} L${r(x(pts[0], 0))},${baseY} Z`;

  // Counts are whole: a half tick that is not a whole number is left out (a scale of 1 showed 0, 0.5, 1).
  const yTicks: ChartTick[] = [0, 0.5, 1].filter((f) => Number.isInteger(yMax * f)).map((f) => ({ pos: y(yMax * f), label: formatCount(yMax * f) }));
  // A label is shown once: a short span drew the same minute three times.
  const xTicks: ChartTick[] = unique(
    span > 0
      ? [0, 0.5, 1].map((f) => ({ pos: plot.x + f * plot.width, label: axisLabel(t0 + f * span, span) }))
      : [{ pos: plot.x + plot.width / 2, label: axisLabel(t0, 0) }],
  );

  const li = pts.length - 1;
  const last = pts[li];
  return {
    empty: false,
    completedArea: area,
    completedLine: cLine,
    remainingLine: rLine,
    xTicks,
    yTicks,
    plot,
    lastCompleted: { x: x(last, li), y: y(last.completed), value: last.completed },
    lastRemaining: { x: x(last, li), y: y(last.remaining), value: last.remaining },
  };
}

function unique(ticks: ChartTick[]): ChartTick[] {
  return ticks.filter((t, i) => ticks.findIndex((o) => o.label === t.label) === i);
}

function formatCount(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
