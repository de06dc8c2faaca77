/**
 * What each SendGrid event means for an email's delivery, and the plain sentence a salesperson reads.
 * Pure functions: the workflow and the late-event path in the API share them, so both judge alike.
 */
import type { DeliveryEvent } from './signals';
import type { EmailStatus, FinalStatus, Outcome } from './status';

export type Effect = { kind: 'none' } | { kind: 'deferred' } | { kind: 'final'; outcome: Outcome };

/** Engagement and complaints can only follow a delivery, and SendGrid does not guarantee event order. */
const EVIDENCE_OF_DELIVERY = new Set(['open', 'click', 'spamreport', 'unsubscribe', 'group_unsubscribe']);

export function effectOf(e: DeliveryEvent): Effect {
  const at = new Date(e.timestamp * 1000).toISOString();
  switch (e.event) {
    case 'deferred':
      return { kind: 'deferred' };
    case 'delivered':
      return final({
        result: 'delivered',
        reason: "Delivered to the recipient's mail server",
        detail: clean({ response: e.response }),
        at,
      });
    case 'bounce':
      return final({
        result: 'bounced',
        reason: bounceReason(e),
        detail: clean({
          bounceType: e.type,
          smtpStatus: e.status,
          sendgridReason: e.reason,
          classification: e.bounceClassification,
        }),
        at,
      });
    case 'dropped':
      return final({
        result: 'dropped',
        reason: dropReason(e.reason),
        detail: clean({ sendgridReason: e.reason, smtpStatus: e.status }),
        at,
      });
    default:
      if (EVIDENCE_OF_DELIVERY.has(e.event)) {
        return final({
          result: 'delivered',
          reason: `Delivered (confirmed by a ${e.event} event)`,
          detail: { evidence: e.event },
          at,
        });
      }
      return { kind: 'none' };
  }
}

function final(outcome: Outcome): Effect {
  return { kind: 'final', outcome };
}

const CLASSIFICATION_REASONS: Record<string, string> = {
  'Invalid Address': 'The mailbox does not exist',
  'Mailbox Unavailable': 'The mailbox is unavailable',
  'Technical Failure': "The recipient's mail server had a technical failure",
  Reputation: "The recipient's mail server refused mail from us because of our sending reputation",
  Content: "The recipient's mail server refused the email's content",
  'Frequency or Volume Too High': "The recipient's mail server refused us for sending too much, too fast",
};

function bounceReason(e: DeliveryEvent): string {
  const code = smtpCode(e);
  const suffix = code ? ` (${code})` : '';
  if (e.type === 'blocked') return `The recipient's mail server blocked the email${suffix}`;
  const known = e.bounceClassification && CLASSIFICATION_REASONS[e.bounceClassification];
  if (known) return `${known}${suffix}`;
  if (e.status === '5.1.1') return `The mailbox does not exist${suffix}`;
  return `The recipient's mail server rejected the email permanently${suffix}`;
}

/** "550 5.1.1 The email account…" → "550 5.1.1"; falls back to the enhanced status code alone. */
function smtpCode(e: DeliveryEvent): string | undefined {
  const match = /^(\d{3})(?:[ -](\d\.\d{1,3}\.\d{1,3}))?/.exec(e.reason ?? '');
  if (match) return match[2] ? `${match[1]} ${match[2]}` : match[1];
  return e.status;
}

const DROP_REASONS: Record<string, string> = {
  Invalid: 'the address is not a valid email address',
  'Bounced Address': 'the address bounced before',
  'Spam Reporting Address': 'the recipient reported earlier email from us as spam',
  'Unsubscribed Address': 'the recipient unsubscribed',
  'Spam Content': 'SendGrid judged the content to be spam',
  'Invalid SMTPAPI header': 'the message had an invalid SMTPAPI header',
  'Recipient List over Package Quota': "the account's recipient quota was exceeded",
};

function dropReason(reason: string | undefined): string {
  const why = reason ? (DROP_REASONS[reason] ?? reason) : 'no reason given';
  return `SendGrid did not send it: ${why}`;
}

function clean(detail: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(detail).filter(([, value]) => value !== undefined && value !== ''),
  );
}

export function suppressedOutcome(entry: { reason: string; createdAt: string }, at: string): Outcome {
  return {
    result: 'suppressed',
    reason: `On the suppression list since ${entry.createdAt.slice(0, 10)}: ${entry.reason}`,
    detail: { suppression: entry },
    at,
  };
}

export function unconfirmedOutcome(timeoutMs: number, at: string): Outcome {
  return {
    result: 'unconfirmed',
    reason: `No confirmation of delivery within ${formatDuration(timeoutMs)}`,
    detail: { deliveryTimeoutMs: timeoutMs },
    at,
  };
}

export function formatDuration(ms: number): string {
  const units: [number, string][] = [
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${ms} ms`;
}

/**
 * Statuses a late event (one reaching an email whose workflow has ended) may replace with its outcome:
 * any status that was not yet a decision, "unconfirmed", and, for a bounce or drop, "delivered"
 * (a receiving server can accept a message and bounce it later).
 */
export function supersededBy(result: FinalStatus): EmailStatus[] {
  const undecided: EmailStatus[] = ['queued', 'sending', 'sent', 'deferred', 'unconfirmed'];
  return result === 'bounced' || result === 'dropped' ? [...undecided, 'delivered'] : undecided;
}
