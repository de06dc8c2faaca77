/** SendGrid Event Webhook batches: validation and the mapping to stored events and workflow signals. */
import { normalizeAddress } from '../db/suppressions';
import type { EventDoc } from '../db/types';
import { EMAIL_ID_ARG } from '../lib/custom-args';
import type { DeliveryEvent } from '../workflows/signals';
import { badRequest, type ErrorDetail } from './errors';

export type RawEvent = Record<string, unknown> & { email: string; event: string; timestamp: number };

export function parseBatch(rawBody: Buffer): RawEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw badRequest('the body is not valid JSON');
  }
  if (!Array.isArray(parsed)) throw badRequest('the body must be a JSON array of events');
  const details: ErrorDetail[] = [];
  parsed.forEach((item: unknown, i) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      details.push({ field: `[${i}]`, message: 'must be an event object' });
      return;
    }
    const event = item as Record<string, unknown>;
    if (typeof event.event !== 'string' || !event.event)
      details.push({ field: `[${i}].event`, message: 'must be a string' });
    if (typeof event.email !== 'string') details.push({ field: `[${i}].email`, message: 'must be a string' });
    if (typeof event.timestamp !== 'number' || !Number.isFinite(event.timestamp)) {
      details.push({ field: `[${i}].timestamp`, message: 'must be unix seconds' });
    }
  });
  if (details.length) throw badRequest('the batch has malformed events', details);
  return parsed as RawEvent[];
}

export function toEventDoc(raw: RawEvent, receivedAt: Date, seq: number, batchId: string): EventDoc {
  const emailId = typeof raw[EMAIL_ID_ARG] === 'string' ? (raw[EMAIL_ID_ARG] as string) : null;
  const key = dedupeKey(raw, emailId);
  return {
    _id: key,
    sgEventId: typeof raw.sg_event_id === 'string' && raw.sg_event_id ? raw.sg_event_id : `none:${key}`,
    emailId,
    recipient: normalizeAddress(raw.email),
    event: raw.event,
    timestamp: raw.timestamp,
    seq,
    raw,
    receivedAt,
    batchId,
  };
}

/**
 * sg_event_id has been seen to change between SendGrid's retries, so an event is also known by
 * (email, event, timestamp, url), plus a deferral's attempt number and a bounce's type: two deferrals,
 * or a blocked and a hard bounce known only by their address, can share a second.
 */
function dedupeKey(raw: RawEvent, emailId: string | null): string {
  const messageId = typeof raw.sg_message_id === 'string' ? raw.sg_message_id.split('.')[0] : null;
  // One send (one X-Message-Id) can have several recipients: without our id, the address tells them apart.
  const recipient = raw.email.trim().toLowerCase();
  const subject = emailId ?? (messageId ? `${messageId}/${recipient}` : recipient);
  const url = typeof raw.url === 'string' ? raw.url : '';
  const attempt = typeof raw.attempt === 'string' ? raw.attempt : '';
  const type = typeof raw.type === 'string' ? raw.type : '';
  return `${subject}|${raw.event}|${raw.timestamp}|${url}|${attempt}|${type}`;
}

export function toDeliveryEvent(doc: EventDoc): DeliveryEvent {
  const text = (name: string) => (typeof doc.raw[name] === 'string' ? (doc.raw[name] as string) : undefined);
  const event: DeliveryEvent = { key: doc._id, event: doc.event, timestamp: doc.timestamp };
  const fields = {
    type: text('type'),
    reason: text('reason'),
    status: text('status'),
    response: text('response'),
    attempt: text('attempt'),
    url: text('url'),
    bounceClassification: text('bounce_classification'),
  };
  for (const [name, value] of Object.entries(fields))
    if (value !== undefined) Object.assign(event, { [name]: value });
  return event;
}
