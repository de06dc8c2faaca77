import { normalizeAddress } from '../db/suppressions';
import type { CampaignDoc, CampaignRecipientEntry, EmailDoc } from '../db/types';
import type { Outcome } from '../workflows/status';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A campaign email's id follows from its campaign and position, so writing it again (a retried
 * activity) finds the one already written: `em_` + the campaign id's time and random parts + 4
 * characters of position, sorting by campaign, then position.
 */
export function campaignEmailId(campaignId: string, seq: number): string {
  let position = '';
  for (let n = seq, i = 0; i < 4; i++, n = Math.floor(n / 32)) position = ALPHABET[n % 32] + position;
  return `em_${campaignId.slice(campaignId.indexOf('_') + 1)}${position}`;
}

/**
 * Only what differs per recipient; the sending activity takes the content from the campaign.
 * Without an outcome the email waits its turn (`queued`); with one it ends there (a cancel).
 */
export function campaignEmailDoc(
  campaign: CampaignDoc,
  recipient: CampaignRecipientEntry,
  seq: number,
  now: Date,
  outcome: Outcome | null = null,
): EmailDoc {
  return {
    _id: campaignEmailId(campaign._id, seq),
    to: { ...recipient.to, email: recipient.to.email.trim() },
    toNormalized: normalizeAddress(recipient.to.email),
    from: campaign.from,
    subject: null,
    content: recipient.templateData ? { templateData: recipient.templateData } : {},
    campaignId: campaign._id,
    campaignSeq: seq,
    categories: campaign.categories,
    metadata: recipient.metadata ?? {},
    asmGroupId: campaign.asmGroupId,
    callbackUrl: null,
    notifyEngagement: false,
    deliveryTimeoutMs: campaign.deliveryTimeoutMs,
    status: outcome ? outcome.result : 'queued',
    outcome,
    provider: { messageId: null, request: null, response: null, attempts: 0 },
    createdAt: now,
    updatedAt: now,
  };
}
