import type { Collection } from 'mongodb';
import type { IdempotencyDoc } from './types';
import { isDuplicateKey } from './errors';

export class IdempotencyStore {
  constructor(private readonly keys: Collection<IdempotencyDoc>) {}

  /**
   * Claims a key for a new email. If the key was claimed before, returns the earlier claim instead,
   * so two racing requests agree on one email.
   */
  async claim(doc: IdempotencyDoc): Promise<IdempotencyDoc> {
    try {
      await this.keys.insertOne(doc);
      return doc;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const existing = await this.keys.findOne({ _id: doc._id });
      if (!existing) throw err;
      return existing;
    }
  }
}
