import type { Collection } from 'mongodb';
import type { WebhookBatchDoc } from './types';

export class WebhookBatchStore {
  constructor(private readonly batches: Collection<WebhookBatchDoc>) {}

  async ensureIndexes(): Promise<void> {
    await this.batches.createIndex({ pending: 1, receivedAt: 1 });
  }

  async open(batch: WebhookBatchDoc): Promise<void> {
    await this.batches.insertOne(batch);
  }

  /** Applied: the record goes, so the relay's scans stay as short as its backlog. */
  async done(batchId: string): Promise<void> {
    await this.batches.deleteOne({ _id: batchId });
  }

  /** Batches not yet applied, oldest first, received before `before`, other than `except`. */
  pending(before: Date, limit: number, except: ReadonlySet<string> = new Set()): Promise<WebhookBatchDoc[]> {
    return this.batches
      .find({ pending: true, receivedAt: { $lt: before }, _id: { $nin: [...except] } })
      .sort({ receivedAt: 1 })
      .limit(limit)
      .toArray();
  }

  /** How many batches are pending, and when the oldest of them arrived: the relay's backlog. */
  async backlog(): Promise<{ pending: number; oldestReceivedAt: Date | null }> {
    const [pending, oldest] = await Promise.all([
      this.batches.countDocuments({ pending: true }),
      this.batches.findOne({ pending: true }, { sort: { receivedAt: 1 }, projection: { receivedAt: 1 } }),
    ]);
    return { pending, oldestReceivedAt: oldest?.receivedAt ?? null };
  }
}
