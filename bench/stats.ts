/** Nearest-rank percentile of unsorted values; NaN for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function latencySummary(ms: number[]) {
  return {
    count: ms.length,
    p50Ms: round(percentile(ms, 50)),
    p99Ms: round(percentile(ms, 99)),
    maxMs: round(percentile(ms, 100)),
  };
}

export const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

/** A rate with three significant digits, so 0.03 emails/s does not print as 0. */
export const rate = (value: number): number =>
  Number.isFinite(value) ? Number(value.toPrecision(value >= 1000 ? 6 : 3)) : value;
