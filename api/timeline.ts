import type { EventDoc } from '../db/types';

/**
 * SendGrid posts in parallel batches, so events of the same second can arrive in any order. The
 * timeline orders by event time, then by where each event falls in an email's life, then by arrival.
 */
const LIFECYCLE_RANK: Record<string, number> = {
  processed: 0,
  dropped: 1,
  deferred: 2,
  delivered: 3,
  bounce: 3,
  open: 4,
  click: 5,
  spamreport: 6,
  unsubscribe: 7,
  group_unsubscribe: 7,
  group_resubscribe: 8,
};

export function timelineOrder(events: EventDoc[]): EventDoc[] {
  const rank = (e: EventDoc) => LIFECYCLE_RANK[e.event] ?? 9;
  const attempt = (e: EventDoc) => Number(e.raw.attempt ?? 0) || 0;
  return [...events].sort(
    (a, b) =>
      a.timestamp - b.timestamp ||
      rank(a) - rank(b) ||
      attempt(a) - attempt(b) ||
      a.receivedAt.getTime() - b.receivedAt.getTime() ||
      a.seq - b.seq,
  );
}
