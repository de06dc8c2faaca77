import { randomBytes } from 'node:crypto';
import type { MailSend } from './validation';

/** One step of a recipient's timeline; the builder below knows each type's extra fields. */
export type Step =
  | { event: 'processed' | 'delivered' | 'dropped' | 'open' | 'click' | 'spamreport' }
  | { event: 'deferred'; attempt: number }
  | { event: 'bounce'; type: 'bounce' | 'blocked' };

export interface WebhookEvent {
  email: string;
  timestamp: number;
  event: Step['event'];
  sg_event_id: string;
  sg_message_id?: string;
  'smtp-id': string;
  [key: string]: unknown;
}

/** One recipient of one accepted send: what every one of its events repeats. */
export interface Delivery {
  email: string;
  messageId: string;
  sgMessageId: string;
  smtpId: string;
  category?: string | string[];
  asmGroupId?: number;
  customArgs: Record<string, string>;
  clickUrl: string;
}

// Keys SendGrid owns: a custom arg of the same name never reaches the event.
const RESERVED = new Set([
  'email', 'timestamp', 'event', 'sg_event_id', 'sg_message_id', 'smtp-id', 'category', 'asm_group_id',
  'pool', 'response', 'tls', 'attempt', 'type', 'status', 'reason', 'bounce_classification',
  'useragent', 'ip', 'sg_machine_open', 'url', 'url_offset',
]); // prettier-ignore

// Real sg_message_ids name the filter pod that received the message; one fake pod per process.
const FILTER_POD = `filterdrecv-${randomBytes(5).toString('hex').slice(0, 9)}-${randomBytes(3).toString('hex').slice(0, 5)}`;
let filterSequence = 0;

const OPENER = {
  useragent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)',
  ip: '203.0.113.7',
};

/** Every recipient of every personalization (to, cc and bcc alike) gets its own events. */
export function deliveriesOf(mail: MailSend, messageId: string, now = Date.now()): Delivery[] {
  const filterId = `${FILTER_POD}-1-${Math.floor(now / 1000)
    .toString(16)
    .toUpperCase()}-${(++filterSequence).toString(16).toUpperCase()}`;
  const categories = mail.categories ?? [];
  const category =
    categories.length === 0 ? undefined : categories.length === 1 ? categories[0] : [...categories];
  const clickUrl = firstLink(mail) ?? 'https://example.com/';
  const recipients = mail.personalizations.flatMap((p) =>
    [...p.to, ...(p.cc ?? []), ...(p.bcc ?? [])].map((address) => ({ address, p })),
  );
  return recipients.map(({ address, p }, index) => ({
    email: address.email,
    messageId,
    sgMessageId: `${messageId}.${filterId}.${index}`,
    smtpId: `<${messageId}@geopod-ismtpd-${index % 8}>`,
    category,
    asmGroupId: mail.asm?.group_id,
    customArgs: { ...mail.custom_args, ...p.custom_args },
    clickUrl,
  }));
}

export function buildEvent(delivery: Delivery, step: Step, now = Date.now()): WebhookEvent {
  const customArgs = Object.fromEntries(
    Object.entries(delivery.customArgs).filter(([key]) => !RESERVED.has(key)),
  );
  const event: WebhookEvent = {
    ...customArgs,
    email: delivery.email,
    timestamp: Math.floor(now / 1000),
    'smtp-id': delivery.smtpId,
    event: step.event,
    sg_event_id: randomBytes(24).toString('base64url'),
    sg_message_id: delivery.sgMessageId,
    ...(delivery.category !== undefined && { category: delivery.category }),
    ...(delivery.asmGroupId !== undefined && { asm_group_id: delivery.asmGroupId }),
    ...extraFields(delivery, step),
  };
  // SendGrid's asynchronous bounces come back without it; custom args are how the app finds the email.
  if (step.event === 'bounce' && step.type === 'bounce') delete event.sg_message_id;
  return event;
}

function extraFields(delivery: Delivery, step: Step): Record<string, unknown> {
  switch (step.event) {
    case 'processed':
      return { pool: { name: 'sandbox_pool', id: 210 } };
    case 'delivered':
      return { response: '250 OK', tls: 1 };
    case 'deferred':
      return { response: '421 4.7.0 Try again later, closing connection.', attempt: String(step.attempt) };
    case 'bounce':
      return step.type === 'bounce'
        ? {
            type: 'bounce',
            status: '5.1.1',
            reason: '550 5.1.1 The email account that you tried to reach does not exist',
            bounce_classification: 'Invalid Address',
          }
        : {
            type: 'blocked',
            status: '5.7.1',
            reason: '550 5.7.1 Service unavailable; client host [203.0.113.25] blocked using Spamhaus',
            bounce_classification: 'Reputation',
          };
    case 'dropped':
      return { reason: 'Invalid', status: '5.0.0' };
    case 'open':
      return { ...OPENER, sg_machine_open: false };
    case 'click':
      return { url: delivery.clickUrl, url_offset: { index: 0, type: 'html' }, ...OPENER };
    case 'spamreport':
      return {};
  }
}

function firstLink(mail: MailSend): string | undefined {
  const html = mail.content?.find((block) => block.type === 'text/html')?.value ?? '';
  return /href\s*=\s*["'](https?:\/\/[^"']+)["']/i.exec(html)?.[1];
}
