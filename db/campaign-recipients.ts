import type { Collection } from 'mongodb';
import type { CampaignRecipientEntry, CampaignRecipientsDoc } from './types';

/** A campaign's accepted recipients, stored in runs (`CampaignRecipientsDoc`) at accept. */
export class CampaignRecipientStore {
  constructor(private readonly runs: Collection<CampaignRecipientsDoc>) {}

  /** Stores `recipients` (position = index) in runs of `chunk`, a few runs per write. */
  async insert(campaignId: string, recipients: CampaignRecipientEntry[], chunk: number): Promise<void> {
    const docs: CampaignRecipientsDoc[] = [];
    for (let first = 0; first < recipients.length; first += chunk) {
      docs.push({
        _id: runId(campaignId, first / chunk),
        campaignId,
        first,
        recipients: JSON.stringify(recipients.slice(first, first + chunk)),
      });
    }
    for (let i = 0; i < docs.length; i += 10) await this.runs.insertMany(docs.slice(i, i + 10));
  }

  /** The recipients at positions [fromSeq, fromSeq + count), with their positions. */
  async slice(
    campaignId: string,
    fromSeq: number,
    count: number,
    chunk: number,
  ): Promise<{ seq: number; recipient: CampaignRecipientEntry }[]> {
    if (count <= 0) return [];
    const ids: string[] = [];
    for (let n = Math.floor(fromSeq / chunk); n <= Math.floor((fromSeq + count - 1) / chunk); n++) {
      ids.push(runId(campaignId, n));
    }
    const runs = await this.runs.find({ _id: { $in: ids } }).toArray();
    if (runs.length !== ids.length) {
      throw new Error(`campaign ${campaignId}: ${ids.length - runs.length} recipient runs are missing`);
    }
    return runs
      .sort((a, b) => a.first - b.first)
      .flatMap((run) =>
        (JSON.parse(run.recipients) as CampaignRecipientEntry[]).map((recipient, i) => ({
          seq: run.first + i,
          recipient,
        })),
      )
      .filter(({ seq }) => seq >= fromSeq && seq < fromSeq + count);
  }
}

function runId(campaignId: string, n: number): string {
  return `${campaignId}:${n}`;
}
