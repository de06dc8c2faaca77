import { randomBytes, randomUUID } from 'node:crypto';

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** One Event Webhook event as SendGrid shapes it; custom args (mailroom_email_id) go in `fields` as top-level keys. */
export function sgEvent(email: string, event: string, fields: Record<string, unknown> = {}) {
  return {
    email,
    timestamp: nowSeconds(),
    'smtp-id': `<${randomUUID()}@geopod-ismtpd-1>`,
    event,
    sg_event_id: randomBytes(16).toString('base64url'),
    ...fields,
  };
}
