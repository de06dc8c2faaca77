import type { Collection } from 'mongodb';
import type { EmailStatus, Outcome } from '../workflows/status';
import { FINAL_STATUSES } from '../workflows/status';
import { ignoreDuplicates } from './errors';
import type { EmailDoc, ProviderExchange } from './types';

export type EmailSummary = Pick<
  EmailDoc,
  '_id' | 'to' | 'subject' | 'status' | 'outcome' | 'campaignId' | 'createdAt' | 'updatedAt'
>;

const SUMMARY_FIELDS = {
  to: 1,
  subject: 1,
  status: 1,
  outcome: 1,
  campaignId: 1,
  createdAt: 1,
  updatedAt: 1,
};

/** What a webhook batch needs of an email: whether it has ended, and what its counters are kept under. */
export type EmailScope = Pick<EmailDoc, '_id' | 'status' | 'campaignId' | 'categories'>;

export class EmailStore {
  constructor(private readonly emails: Collection<EmailDoc>) {}

  async ensureIndexes(): Promise<void> {
    await this.emails.createIndex({ 'to.email': 1, createdAt: -1 });
    await this.emails.createIndex({ campaignId: 1, createdAt: -1 });
    await this.emails.createIndex({ toNormalized: 1, createdAt: -1 });
    await this.emails.createIndex({ campaignId: 1, campaignSeq: 1 });
    await this.emails.createIndex({ campaignId: 1, status: 1, _id: 1 });
  }

  /**
   * Writes the emails not written yet (a retried activity's repeat is a duplicate key, skipped), in
   * chunks: one huge insertMany holds the server's write lock for seconds.
   */
  async insertMissing(docs: EmailDoc[], chunk = 5000): Promise<void> {
    for (let i = 0; i < docs.length; i += chunk) {
      await ignoreDuplicates(this.emails.insertMany(docs.slice(i, i + chunk), { ordered: false }));
    }
  }

  /** The campaign's emails at positions [fromSeq, fromSeq + count), in order. */
  campaignSlice(campaignId: string, fromSeq: number, count: number): Promise<EmailDoc[]> {
    return this.emails
      .find({ campaignId, campaignSeq: { $gte: fromSeq, $lt: fromSeq + count } })
      .sort({ campaignSeq: 1 })
      .project<EmailDoc>({ content: 0, provider: 0 })
      .toArray();
  }

  /** Ids of a campaign's emails in a status, optionally below a position (those already started). */
  async campaignIds(campaignId: string, status: EmailStatus, beforeSeq?: number): Promise<string[]> {
    const filter = {
      campaignId,
      status,
      ...(beforeSeq !== undefined && { campaignSeq: { $lt: beforeSeq } }),
    };
    const docs = await this.emails.find(filter).project<{ _id: string }>({ _id: 1 }).toArray();
    return docs.map((d) => d._id);
  }

  /** Ends a campaign's emails that were never started (positions from `fromSeq` on); returns their ids. */
  async cancelUnstarted(campaignId: string, fromSeq: number, outcome: Outcome): Promise<string[]> {
    const filter = { campaignId, campaignSeq: { $gte: fromSeq }, status: 'queued' as const };
    const ids = (await this.emails.find(filter).project<{ _id: string }>({ _id: 1 }).toArray()).map(
      (d) => d._id,
    );
    await this.emails.updateMany(filter, {
      $set: { status: outcome.result, outcome, updatedAt: new Date() },
    });
    return ids;
  }

  /** One page of emails, oldest first, optionally of one campaign and status; content left out. */
  page(filter: { campaignId?: string; status?: EmailStatus }, limit: number, after?: string) {
    return this.emails
      .find({
        ...(filter.campaignId !== undefined && { campaignId: filter.campaignId }),
        ...(filter.status !== undefined && { status: filter.status }),
        ...(after !== undefined && { _id: { $gt: after } }),
      })
      .sort({ _id: 1 })
      .limit(limit)
      .project<EmailSummary>(SUMMARY_FIELDS)
      .toArray();
  }

  async insert(doc: EmailDoc): Promise<void> {
    await this.emails.insertOne(doc);
  }

  get(id: string): Promise<EmailDoc | null> {
    return this.emails.findOne({ _id: id });
  }

  /** The latest emails to an address (normalized), newest first, without their content. */
  recentTo(
    toNormalized: string,
    limit: number,
  ): Promise<Pick<EmailDoc, '_id' | 'subject' | 'status' | 'outcome' | 'createdAt'>[]> {
    return this.emails
      .find({ toNormalized })
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit)
      .project<Pick<EmailDoc, '_id' | 'subject' | 'status' | 'outcome' | 'createdAt'>>({
        subject: 1,
        status: 1,
        outcome: 1,
        createdAt: 1,
      })
      .toArray();
  }

  /** Every hand-over attempt to SendGrid, successful or not, with the latest exchange. */
  async recordAttempt(
    id: string,
    exchange: Omit<ProviderExchange, 'attempts' | 'messageId'> & { messageId?: string },
    status: 'sending' | 'sent',
  ): Promise<void> {
    const set: Record<string, unknown> = {
      'provider.request': exchange.request,
      'provider.response': exchange.response,
      updatedAt: new Date(),
    };
    if (exchange.messageId) set['provider.messageId'] = exchange.messageId;
    await this.emails.updateOne(
      { _id: id, status: { $nin: [...FINAL_STATUSES] } },
      { $set: { ...set, status }, $inc: { 'provider.attempts': 1 } },
    );
  }

  async setStatus(id: string, status: EmailStatus): Promise<void> {
    await this.emails.updateOne(
      { _id: id, status: { $nin: [...FINAL_STATUSES] } },
      { $set: { status, updatedAt: new Date() } },
    );
  }

  async setOutcome(id: string, outcome: Outcome): Promise<void> {
    await this.emails.updateOne(
      { _id: id },
      { $set: { status: outcome.result, outcome, updatedAt: new Date() } },
    );
  }

  /**
   * An outcome decided after the workflow ended replaces only the statuses it may supersede.
   * Returns the record as it was, or null when nothing was replaced. Read first, then a conditional
   * write: most events find nothing to replace, and a read does not queue behind FerretDB's writers
   * (its findAndModify also refuses a projection).
   */
  async setLateOutcome(id: string, outcome: Outcome, replaces: EmailStatus[]): Promise<EmailDoc | null> {
    const current = await this.emails.findOne(
      { _id: id, status: { $in: replaces } },
      { projection: { content: 0, provider: 0 } },
    );
    if (!current) return null;
    const result = await this.emails.updateOne(
      { _id: id, status: current.status, updatedAt: current.updatedAt },
      { $set: { status: outcome.result, outcome, updatedAt: new Date() } },
    );
    return result.modifiedCount === 1 ? current : null;
  }

  /**
   * What a webhook batch needs of its emails, read once: the status (a final one means the workflow
   * has ended) and what the counters are kept under (campaign, categories).
   */
  async scopes(ids: string[]): Promise<Map<string, EmailScope>> {
    if (ids.length === 0) return new Map();
    const docs = await this.emails
      .find({ _id: { $in: ids } })
      .project<EmailScope>({ status: 1, campaignId: 1, categories: 1 })
      .toArray();
    return new Map(docs.map((d) => [d._id, d]));
  }
}
