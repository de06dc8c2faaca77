import type { Collection } from 'mongodb';
import type { EmailStatus, Outcome } from '../workflows/status';
import { FINAL_STATUSES } from '../workflows/status';
import type { EmailDoc, ProviderExchange } from './types';

export class EmailStore {
  constructor(private readonly emails: Collection<EmailDoc>) {}

  async ensureIndexes(): Promise<void> {
    await this.emails.createIndex({ 'to.email': 1, createdAt: -1 });
    await this.emails.createIndex({ campaignId: 1, createdAt: -1 });
    await this.emails.createIndex({ toNormalized: 1, createdAt: -1 });
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

  /** An outcome decided after the workflow ended replaces only the statuses it may supersede. */
  async setLateOutcome(id: string, outcome: Outcome, replaces: EmailStatus[]): Promise<boolean> {
    const result = await this.emails.updateOne(
      { _id: id, status: { $in: replaces } },
      { $set: { status: outcome.result, outcome, updatedAt: new Date() } },
    );
    return result.modifiedCount === 1;
  }
}
