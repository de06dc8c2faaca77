import type { Collection } from 'mongodb';
import type { CampaignDoc, CampaignState } from './types';

export class CampaignStore {
  constructor(private readonly campaigns: Collection<CampaignDoc>) {}

  async ensureIndexes(): Promise<void> {
    await this.campaigns.createIndex({ createdAt: -1 });
  }

  async insert(doc: CampaignDoc): Promise<void> {
    await this.campaigns.insertOne(doc);
  }

  get(id: string): Promise<CampaignDoc | null> {
    return this.campaigns.findOne({ _id: id });
  }

  /** Newest first, for the dashboard. */
  recent(limit: number): Promise<CampaignDoc[]> {
    return this.campaigns.find({}).sort({ createdAt: -1 }).limit(limit).toArray();
  }

  async setProgress(
    id: string,
    progress: { state: CampaignState; started: number; pauseReason: string | null },
  ): Promise<void> {
    await this.campaigns.updateOne({ _id: id }, { $set: { ...progress, updatedAt: new Date() } });
  }
}
