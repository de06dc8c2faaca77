import type { Collection } from 'mongodb';
import type { SuppressionDoc } from './types';

/** Addresses compare trimmed and case-insensitively. */
export function normalizeAddress(email: string): string {
  return email.trim().toLowerCase();
}

export class SuppressionStore {
  constructor(private readonly suppressions: Collection<SuppressionDoc>) {}

  /** The active entry for an address, if any; an expired entry no longer suppresses. */
  async get(email: string, now = new Date()): Promise<SuppressionDoc | null> {
    const entry = await this.suppressions.findOne({ _id: normalizeAddress(email) });
    if (!entry || (entry.expiresAt && entry.expiresAt <= now)) return null;
    return entry;
  }

  /** The first cause stays on record: a later bounce of an address already suppressed changes nothing. */
  async add(entry: Omit<SuppressionDoc, '_id' | 'email'> & { email: string }): Promise<void> {
    const email = normalizeAddress(entry.email);
    // An expired entry is replaced by the new cause rather than kept.
    await this.suppressions.updateOne(
      { _id: email, expiresAt: { $lte: entry.createdAt } },
      { $set: { ...entry, email } },
    );
    await this.suppressions.updateOne(
      { _id: email },
      { $setOnInsert: { ...entry, email } },
      { upsert: true },
    );
  }
}
