import type { EmailStore } from '../db/emails';
import type { EmailStatus, Outcome } from '../workflows/status';

export function createRecordingActivities(deps: { emails: EmailStore }) {
  return {
    async recordStatus(emailId: string, status: EmailStatus): Promise<void> {
      await deps.emails.setStatus(emailId, status);
    },
    async recordOutcome(emailId: string, outcome: Outcome): Promise<void> {
      await deps.emails.setOutcome(emailId, outcome);
    },
  };
}
