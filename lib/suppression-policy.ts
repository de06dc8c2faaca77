/**
 * Which webhook events put an address on the suppression list, and why: pure rules, no I/O.
 * Drops are about the address only for these reasons; "Spam Content" is about the message, not the person.
 */
const ADDRESS_DROP_REASONS = new Set([
  'Invalid',
  'Bounced Address',
  'Spam Reporting Address',
  'Unsubscribed Address',
]);

export interface SuppressionPolicy {
  /** Blocked (soft) bounces of one address within `softBounceWindowMs` that suppress it. */
  softBounceLimit: number;
  softBounceWindowMs: number;
  /** How long a suppression for soft bounces lasts. */
  softBounceExpiryMs: number;
}

export const DEFAULT_SUPPRESSION_POLICY: SuppressionPolicy = {
  softBounceLimit: 3,
  softBounceWindowMs: 7 * 86_400_000,
  softBounceExpiryMs: 30 * 86_400_000,
};

export interface PolicyEvent {
  event: string;
  type?: unknown;
  reason?: unknown;
  asm_group_id?: unknown;
}

/** What one event asks of the suppression list. */
export type PolicyDecision =
  | { kind: 'none' }
  /** Suppressed until removed. */
  | { kind: 'suppress'; reason: string }
  /** Counts towards the soft-bounce limit; see `softBounceSuppression`. */
  | { kind: 'soft-bounce' }
  | { kind: 'group-unsubscribe'; groupId: number; reason: string }
  | { kind: 'group-resubscribe'; groupId: number };

export function decide(event: PolicyEvent): PolicyDecision {
  switch (event.event) {
    case 'bounce':
      if (event.type === 'bounce') return { kind: 'suppress', reason: 'hard bounce' };
      return event.type === 'blocked' ? { kind: 'soft-bounce' } : { kind: 'none' };
    case 'dropped':
      return typeof event.reason === 'string' && ADDRESS_DROP_REASONS.has(event.reason)
        ? { kind: 'suppress', reason: `dropped by SendGrid: ${event.reason}` }
        : { kind: 'none' };
    case 'spamreport':
      return { kind: 'suppress', reason: 'spam report' };
    case 'unsubscribe':
      return { kind: 'suppress', reason: 'unsubscribed' };
    case 'group_unsubscribe':
    case 'group_resubscribe': {
      const groupId = asmGroupId(event.asm_group_id);
      if (groupId === null) return { kind: 'none' };
      return event.event === 'group_unsubscribe'
        ? { kind: 'group-unsubscribe', groupId, reason: `unsubscribed from group ${groupId}` }
        : { kind: 'group-resubscribe', groupId };
    }
    default:
      return { kind: 'none' };
  }
}

/** The reason a permanent suppression records, or null: kept for callers that only need that. */
export function suppressionReason(event: PolicyEvent): string | null {
  const decision = decide(event);
  return decision.kind === 'suppress' ? decision.reason : null;
}

/** SendGrid sends `asm_group_id` as a number; a numeric string is accepted too. */
export function asmGroupId(value: unknown): number | null {
  const id = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : null;
}

/**
 * The window soft bounces are counted in ends when the latest one arrives, so bounces reaching us out of
 * order still add up. Returns the earliest event timestamp (unix seconds) that counts.
 */
export function softBounceWindowStart(policy: SuppressionPolicy, now: Date): number {
  return Math.floor((now.getTime() - policy.softBounceWindowMs) / 1000);
}

/** Given the soft bounces counted in the window (this one included): the expiring entry, or null. */
export function softBounceSuppression(
  count: number,
  policy: SuppressionPolicy,
  now: Date,
): { reason: string; expiresAt: Date } | null {
  if (count < policy.softBounceLimit) return null;
  return {
    reason: `${policy.softBounceLimit} blocked bounces within ${formatDays(policy.softBounceWindowMs)}`,
    expiresAt: new Date(now.getTime() + policy.softBounceExpiryMs),
  };
}

function formatDays(ms: number): string {
  const days = ms / 86_400_000;
  if (Number.isInteger(days)) return days === 1 ? '1 day' : `${days} days`;
  const hours = ms / 3_600_000;
  if (Number.isInteger(hours)) return hours === 1 ? '1 hour' : `${hours} hours`;
  return `${Math.round(ms / 1000)} seconds`;
}
