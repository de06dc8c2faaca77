import { type CounterStore, outcomeFacts, scopesOf } from '../db/counters';
import type { EmailStore } from '../db/emails';
import type { EmailStatus, Outcome } from '../workflows/status';

export function createRecordingActivities(deps: { emails: EmailStore; counters: CounterStore }) {
  const scopesOfEmail = async (emailId: string) => {
    const email = await deps.emails.get(emailId);
    return email ? scopesOf(email) : [];
  };
  return {
    async recordStatus(emailId: string, status: EmailStatus): Promise<void> {
      await deps.emails.setStatus(emailId, status);
      if (status === 'deferred') {
        const fact = { key: `${emailId}:deferred`, metric: 'deferred', delta: 1 } as const;
        await deps.counters.record([fact], await scopesOfEmail(emailId));
      }
    },
    async recordOutcome(emailId: string, outcome: Outcome): Promise<void> {
      await deps.emails.setOutcome(emailId, outcome);
      await deps.counters.record(outcomeFacts(emailId, outcome, 1), await scopesOfEmail(emailId));
    },
  };
}
