import { type CounterMetric, type Fact, scopesOf } from '../../db/counters';
import type { EmailScope } from '../../db/emails';
import type { EventDoc } from '../../db/types';
import type { IngestDeps } from './deps';

/** Engagement a report counts once per email: unique opens, unique clicks, complaints, unsubscribes. */
const ENGAGEMENT: Partial<Record<string, CounterMetric>> = {
  open: 'opened',
  click: 'clicked',
  spamreport: 'spamReports',
  unsubscribe: 'unsubscribes',
  group_unsubscribe: 'unsubscribes',
};

/** Counts newly stored engagement events; an email's second open is a duplicate fact and counts nothing. */
export async function countEngagement(
  deps: IngestDeps,
  fresh: EventDoc[],
  emails: Map<string, EmailScope>,
): Promise<void> {
  const counted = fresh.filter((doc) => doc.emailId && ENGAGEMENT[doc.event]);
  if (counted.length === 0) return;
  const entries = counted.flatMap((doc) => {
    const email = emails.get(doc.emailId as string);
    const metric = ENGAGEMENT[doc.event] as CounterMetric;
    if (!email) return [];
    const fact: Fact = { key: `${doc.emailId}:${metric}`, metric, delta: 1 };
    return [{ facts: [fact], scopes: scopesOf(email) }];
  });
  await deps.stores.counters.recordAll(entries);
}
