import type { Counts } from '../db/counters';

/**
 * The rates a report shows, each over the emails it can apply to: delivery and bounce over those sent,
 * engagement and complaints over those delivered. A rate with nothing under it is null, not 0.
 */
export function ratesOf(counts: Counts) {
  const over = (part: number, whole: number) => (whole > 0 ? round(part / whole) : null);
  return {
    delivery: over(counts.delivered, counts.sent),
    bounce: over(counts.bounced, counts.sent),
    open: over(counts.opened, counts.delivered),
    click: over(counts.clicked, counts.delivered),
    spam: over(counts.spamReports, counts.delivered),
  };
}

export type Rates = ReturnType<typeof ratesOf>;

const round = (n: number) => Math.round(n * 10_000) / 10_000;

export const INTERVALS = { hour: 3_600_000, day: 86_400_000 } as const;
export type Interval = keyof typeof INTERVALS;

/** A series covers at most this many intervals (a year of days, six weeks of hours). */
export const MAX_POINTS = 1000;

/** Start of the UTC hour or day that holds `ms`. */
export function floorTo(ms: number, interval: Interval): number {
  return Math.floor(ms / INTERVALS[interval]) * INTERVALS[interval];
}
