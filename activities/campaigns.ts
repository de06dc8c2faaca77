import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { CampaignStore } from '../db/campaigns';
import { type CounterStore, type Counts, scopes } from '../db/counters';
import type { EmailStore } from '../db/emails';
import type { CampaignState } from '../db/types';
import { type EmailStartOptions, startEmailWorkflow } from '../lib/email-workflows';
import { forEachLimit } from '../lib/pool';
import { cancelSignal } from '../workflows/signals';
import type { Outcome } from '../workflows/status';

/** How many email workflows one activity starts at once: enough to keep the server busy, not swamped. */
const START_CONCURRENCY = 32;

export interface CampaignDeps {
  emails: EmailStore;
  campaigns: CampaignStore;
  counters: CounterStore;
  temporal: { client: Client; start: EmailStartOptions };
}

export function createCampaignActivities(deps: CampaignDeps) {
  return {
    /** Starts the email workflows of positions [fromSeq, fromSeq + count); returns how many there were. */
    async startCampaignEmails(campaignId: string, fromSeq: number, count: number): Promise<number> {
      const emails = await deps.emails.campaignSlice(campaignId, fromSeq, count);
      await forEachLimit(emails, START_CONCURRENCY, (email) =>
        startEmailWorkflow(deps.temporal.client, deps.temporal.start, email),
      );
      return emails.length;
    },

    async campaignProgress(campaignId: string): Promise<Counts> {
      return deps.counters.totals(scopes.campaign(campaignId));
    },

    async recordCampaign(
      campaignId: string,
      progress: { state: CampaignState; started: number; pauseReason: string | null },
    ): Promise<void> {
      await deps.campaigns.setProgress(campaignId, progress);
    },

    /**
     * Ends the emails never started (positions from `fromSeq`) as canceled, and tells those started but
     * not yet handed to SendGrid to stop. Emails already sent are left to be tracked.
     */
    async cancelCampaignEmails(
      campaignId: string,
      fromSeq: number,
      reason: string,
    ): Promise<{ neverStarted: number; stopped: number }> {
      const outcome: Outcome = {
        result: 'canceled',
        reason: `Canceled before it was sent: ${reason}`,
        detail: { campaignId },
        at: new Date().toISOString(),
      };
      const ids = await deps.emails.cancelUnstarted(campaignId, fromSeq, outcome);
      const facts = ids.map((id) => ({ key: `${id}:final:canceled`, metric: 'canceled', delta: 1 }) as const);
      const campaign = await deps.campaigns.get(campaignId);
      const scopeList = [
        scopes.all,
        scopes.campaign(campaignId),
        ...(campaign?.categories ?? []).map(scopes.category),
      ];
      for (let i = 0; i < facts.length; i += 5000) {
        await deps.counters.record(facts.slice(i, i + 5000), scopeList);
      }

      const waiting = await deps.emails.campaignIds(campaignId, 'queued', fromSeq);
      let stopped = 0;
      await forEachLimit(waiting, START_CONCURRENCY, async (id) => {
        try {
          await deps.temporal.client.workflow.getHandle(id).signal(cancelSignal, { reason });
          stopped++;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      });
      return { neverStarted: ids.length, stopped };
    },
  };
}
