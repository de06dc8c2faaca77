import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { CampaignRecipientStore } from '../db/campaign-recipients';
import type { CampaignStore } from '../db/campaigns';
import { type CounterStore, type Counts, scopes } from '../db/counters';
import type { EmailStore } from '../db/emails';
import type { CampaignDoc, CampaignState, EmailDoc } from '../db/types';
import { campaignEmailDoc } from '../lib/campaign-emails';
import { type EmailStartOptions, startEmailWorkflow } from '../lib/email-workflows';
import { forEachLimit } from '../lib/pool';
import { cancelSignal } from '../workflows/signals';
import type { Outcome } from '../workflows/status';

/** How many email workflows one activity starts at once: enough to keep the server busy, not swamped. */
const START_CONCURRENCY = 32;

export interface CampaignDeps {
  emails: EmailStore;
  campaigns: CampaignStore;
  recipients: CampaignRecipientStore;
  counters: CounterStore;
  temporal: { client: Client; start: EmailStartOptions };
}

export function createCampaignActivities(deps: CampaignDeps) {
  const campaignOf = async (campaignId: string): Promise<CampaignDoc> => {
    const campaign = await deps.campaigns.get(campaignId);
    if (!campaign) throw new Error(`campaign ${campaignId} is not in the database`);
    return campaign;
  };

  /**
   * Writes the campaign's emails at positions [fromSeq, fromSeq + count) from its stored recipients
   * (with `outcome`, as ended), keeping any written before, and returns them. Campaigns accepted before
   * recipients were stored apart had every email written at accept: those are read.
   */
  const writeEmails = async (
    campaign: CampaignDoc,
    fromSeq: number,
    count: number,
    outcome: Outcome | null = null,
  ): Promise<EmailDoc[]> => {
    if (!campaign.recipientChunk) return deps.emails.campaignSlice(campaign._id, fromSeq, count);
    const now = new Date();
    const entries = await deps.recipients.slice(campaign._id, fromSeq, count, campaign.recipientChunk);
    const docs = entries.map(({ seq, recipient }) =>
      campaignEmailDoc(campaign, recipient, seq, now, outcome),
    );
    await deps.emails.insertMissing(docs);
    return docs;
  };

  return {
    /** Writes and starts the email workflows of positions [fromSeq, fromSeq + count); returns how many. */
    async startCampaignEmails(campaignId: string, fromSeq: number, count: number): Promise<number> {
      const emails = await writeEmails(await campaignOf(campaignId), fromSeq, count);
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
      const campaign = await campaignOf(campaignId);
      const outcome: Outcome = {
        result: 'canceled',
        reason: `Canceled before it was sent: ${reason}`,
        detail: { campaignId },
        at: new Date().toISOString(),
      };
      const ids = campaign.recipientChunk
        ? (await writeEmails(campaign, fromSeq, campaign.total - fromSeq, outcome)).map((e) => e._id)
        : await deps.emails.cancelUnstarted(campaignId, fromSeq, outcome);
      const facts = ids.map((id) => ({ key: `${id}:final:canceled`, metric: 'canceled', delta: 1 }) as const);
      const scopeList = [
        scopes.all,
        scopes.campaign(campaignId),
        ...campaign.categories.map(scopes.category),
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
