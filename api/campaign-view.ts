import type { Counts } from '../db/counters';
import type { CampaignDoc } from '../db/types';

/** A campaign as the API shows it: its settings, where sending stands, and its live counters. */
export function campaignView(campaign: CampaignDoc, counts: Counts) {
  return {
    id: campaign._id,
    name: campaign.name,
    state: campaign.state,
    pauseReason: campaign.pauseReason,
    categories: campaign.categories,
    sendAt: campaign.sendAt?.toISOString() ?? null,
    ratePerSecond: campaign.ratePerSecond,
    createdAt: campaign.createdAt.toISOString(),
    updatedAt: campaign.updatedAt.toISOString(),
    total: campaign.total,
    started: campaign.started,
    progress: counts,
  };
}
