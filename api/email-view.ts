import type { EmailDoc, EventDoc } from '../db/types';
import { engagementOf } from './engagement';

/** The API's representation of an email: the contract's fields, dates as ISO strings. */
export function emailView(email: EmailDoc, events: EventDoc[]) {
  return {
    id: email._id,
    to: email.to,
    from: email.from,
    subject: email.subject,
    campaignId: email.campaignId,
    categories: email.categories,
    metadata: email.metadata,
    asmGroupId: email.asmGroupId ?? null,
    callbackUrl: email.callbackUrl ?? null,
    notifyEngagement: email.notifyEngagement ?? false,
    status: email.status,
    outcome: email.outcome,
    provider: email.provider,
    engagement: engagementOf(events),
    events: events.map(eventView),
    createdAt: email.createdAt.toISOString(),
    updatedAt: email.updatedAt.toISOString(),
  };
}

function eventView(event: EventDoc) {
  return {
    event: event.event,
    at: new Date(event.timestamp * 1000).toISOString(),
    sgEventId: event.sgEventId,
    receivedAt: event.receivedAt.toISOString(),
    data: event.raw,
  };
}
