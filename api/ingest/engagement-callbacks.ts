import { createHash } from 'node:crypto';
import type { EmailDoc, EventDoc } from '../../db/types';
import { forEachLimit } from '../../lib/pool';
import type { Notification } from '../../workflows/notify';
import { DEFAULT_CALLBACK_MAX_ATTEMPTS } from '../../lib/config';
import { CONCURRENCY, type IngestDeps } from './deps';

const ENGAGEMENT_EVENTS = new Set(['open', 'click']);

/**
 * Starts a callback for each new open or click of an email that asked for them (`notifyEngagement`).
 * The workflow id comes from the event's dedupe key, so an event SendGrid repeats never notifies twice.
 * Best-effort: if Temporal cannot be reached the failure is logged and the event, stored, is not notified.
 */
export async function notifyEngagement(deps: IngestDeps, fresh: EventDoc[]): Promise<void> {
  const events = fresh.filter((doc) => doc.emailId && ENGAGEMENT_EVENTS.has(doc.event));
  const emails = new Map<string, Promise<EmailDoc | null>>();
  await forEachLimit(events, CONCURRENCY, async (doc) => {
    const emailId = doc.emailId as string;
    try {
      if (!emails.has(emailId)) emails.set(emailId, deps.stores.emails.get(emailId));
      const email = await emails.get(emailId);
      if (!email?.notifyEngagement || !email.callbackUrl) return;
      const workflowId = engagementNotificationId(emailId, doc);
      await deps.temporal.startNotify(workflowId, {
        url: email.callbackUrl,
        notification: engagementNotification(workflowId, email, doc),
        maxAttempts: deps.callbackMaxAttempts ?? DEFAULT_CALLBACK_MAX_ATTEMPTS,
      });
    } catch (err) {
      deps.log(`could not start the ${doc.event} callback of ${emailId}; it will not be sent`, err);
    }
  });
}

/** `<emailId>:<event>:<hash of the event's dedupe key>`: a click's key holds its URL, a hash has a fixed length. */
export function engagementNotificationId(emailId: string, doc: EventDoc): string {
  return `${emailId}:${doc.event}:${createHash('sha256').update(doc._id).digest('hex').slice(0, 16)}`;
}

function engagementNotification(id: string, email: EmailDoc, doc: EventDoc): Notification {
  const url = typeof doc.raw.url === 'string' ? doc.raw.url : undefined;
  return {
    id,
    type: 'email.engagement',
    emailId: email._id,
    to: email.to.email,
    status: email.status,
    outcome: email.outcome,
    event: {
      event: doc.event,
      at: new Date(doc.timestamp * 1000).toISOString(),
      ...(url !== undefined && { url }),
      ...(doc.raw.sg_machine_open === true && { machineOpen: true }),
    },
    campaignId: email.campaignId,
    metadata: email.metadata,
  };
}
