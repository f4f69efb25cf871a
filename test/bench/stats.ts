// The order statistics every benchmark reports (engine bench, clients, workers, the workbench's big-plan report): one
// definition, so a "p99" means the same nearest-rank figure in every table of the README.

/** Median of `xs` (mean of the two middle values for an even count); NaN for none. */
export const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Nearest-rank quantile (q in 0..1) of `xs`; NaN for none. */
export const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
