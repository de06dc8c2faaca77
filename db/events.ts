import { MongoBulkWriteError, type Collection, type Filter } from 'mongodb';
import type { EventDoc, WebhookBatchDoc } from './types';
import { DUPLICATE_KEY } from './errors';

export class EventStore {
  constructor(private readonly events: Collection<EventDoc>) {}

  async ensureIndexes(): Promise<void> {
    await this.events.createIndex({ sgEventId: 1 }, { unique: true });
    await this.events.createIndex({ emailId: 1, timestamp: 1, receivedAt: 1, seq: 1 });
    await this.events.createIndex({ recipient: 1, event: 1, timestamp: 1 });
  }

  /**
   * Stores a batch; events seen before (by dedupe key or sg_event_id) are skipped.
   * Returns the events that were new.
   */
  async insertNew(docs: EventDoc[]): Promise<EventDoc[]> {
    if (docs.length === 0) return [];
    try {
      await this.events.insertMany(docs, { ordered: false });
      return docs;
    } catch (err) {
      if (!(err instanceof MongoBulkWriteError)) throw err;
      const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
      const other = errors.find((e) => e.code !== DUPLICATE_KEY);
      if (other) throw err;
      const duplicates = new Set(errors.map((e) => e.index));
      return docs.filter((_, index) => !duplicates.has(index));
    }
  }

  /** The events one webhook request stored first, in the order they were posted. */
  ofBatch(batch: WebhookBatchDoc): Promise<EventDoc[]> {
    const filter: Filter<EventDoc> = batch.eventIds
      ? { _id: { $in: batch.eventIds }, batchId: batch._id }
      : { batchId: batch._id };
    return this.events.find(filter).sort({ seq: 1 }).toArray();
  }

  /**
   * How many events of one kind an address has had since `since` (unix seconds, inclusive); `raw`
   * narrows by fields of the event as SendGrid sent it, e.g. `{ type: 'blocked' }`.
   */
  countForRecipient(
    recipient: string,
    event: string,
    since: number,
    raw: Record<string, unknown> = {},
  ): Promise<number> {
    const filter: Filter<EventDoc> = { recipient, event, timestamp: { $gte: since } };
    for (const [name, value] of Object.entries(raw)) Object.assign(filter, { [`raw.${name}`]: value });
    return this.events.countDocuments(filter);
  }

  forEmail(emailId: string): Promise<EventDoc[]> {
    return this.events.find({ emailId }).sort({ timestamp: 1, receivedAt: 1, seq: 1 }).toArray();
  }
}
