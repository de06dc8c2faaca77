import type { Collection, Filter } from 'mongodb';
import type { SuppressionDoc } from './types';

/** Addresses compare trimmed and case-insensitively. */
export function normalizeAddress(email: string): string {
  return email.trim().toLowerCase();
}

/** A global entry is keyed by the address, a group entry by `<address>#group:<id>`. */
export function suppressionKey(email: string, groupId: number | null = null): string {
  const address = normalizeAddress(email);
  return groupId === null ? address : `${address}#group:${groupId}`;
}

export type NewSuppression = Omit<SuppressionDoc, '_id' | 'email' | 'groupId'> & {
  email: string;
  groupId?: number | null;
};

/** Only entries that have not expired suppress, are listed or are shown. */
const active = (now: Date): Filter<SuppressionDoc> => ({
  $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }],
});

const isActive = (entry: SuppressionDoc, now: Date) => !entry.expiresAt || entry.expiresAt > now;

/** FerretDB drops null fields written by an upsert's `$setOnInsert`; reads put them back. */
function complete(entry: SuppressionDoc): SuppressionDoc {
  return {
    ...entry,
    groupId: entry.groupId ?? null,
    emailId: entry.emailId ?? null,
    event: entry.event ?? null,
    expiresAt: entry.expiresAt ?? null,
  };
}

export class SuppressionStore {
  constructor(private readonly suppressions: Collection<SuppressionDoc>) {}

  /** The active global entry for an address, if any; an expired entry no longer suppresses. */
  get(email: string, now = new Date()): Promise<SuppressionDoc | null> {
    return this.getEntry(email, null, now);
  }

  /** The active entry for an address, globally (groupId null) or for one ASM group. */
  async getEntry(email: string, groupId: number | null, now = new Date()): Promise<SuppressionDoc | null> {
    const entry = await this.suppressions.findOne({ _id: suppressionKey(email, groupId) });
    return entry && isActive(entry, now) ? complete(entry) : null;
  }

  /** What stops an email to this address: the global entry, else its group's entry (if it has a group). */
  async forSend(email: string, groupId: number | null, now = new Date()): Promise<SuppressionDoc | null> {
    const keys = [suppressionKey(email), ...(groupId === null ? [] : [suppressionKey(email, groupId)])];
    const found = await this.suppressions.find({ _id: { $in: keys } }).toArray();
    const entries = found.filter((entry) => isActive(entry, now)).map(complete);
    return entries.find((entry) => entry._id === keys[0]) ?? entries[0] ?? null;
  }

  /**
   * Every active entry of one address, global first then groups by id. The keys of one address sort
   * together: `#` sorts below every character a domain can end in, and nothing sorts between it and `$`.
   */
  async forAddress(email: string, now = new Date()): Promise<SuppressionDoc[]> {
    const address = normalizeAddress(email);
    const entries = await this.suppressions
      .find({ _id: { $gte: address, $lt: `${address}$` }, email: address })
      .toArray();
    return entries
      .filter((entry) => isActive(entry, now))
      .map(complete)
      .sort((a, b) => (a.groupId ?? 0) - (b.groupId ?? 0));
  }

  /** Active entries in `_id` order after `cursor`, optionally with one reason; one page of `limit`. */
  async page(
    opts: { reason?: string; after?: string; limit: number },
    now = new Date(),
  ): Promise<SuppressionDoc[]> {
    const filter: Filter<SuppressionDoc> = { ...active(now) };
    if (opts.reason !== undefined) filter.reason = opts.reason;
    if (opts.after !== undefined) filter._id = { $gt: opts.after };
    const entries = await this.suppressions.find(filter).sort({ _id: 1 }).limit(opts.limit).toArray();
    return entries.map(complete);
  }

  /**
   * A cause from an event. The first cause stays on record (a later bounce of an address already suppressed
   * changes nothing), except that it replaces an entry that has expired, and a cause without expiry
   * replaces one that would expire: a hard bounce after three blocked ones suppresses for good.
   */
  async add(entry: NewSuppression, now = new Date()): Promise<void> {
    const doc = this.toDoc(entry);
    const replaceable: Filter<SuppressionDoc> =
      doc.expiresAt === null ? { expiresAt: { $ne: null } } : { expiresAt: { $lte: now } };
    const { _id, ...fields } = doc;
    await this.suppressions.updateOne({ _id, ...replaceable }, { $set: fields });
    await this.suppressions.updateOne({ _id: doc._id }, { $setOnInsert: doc }, { upsert: true });
  }

  /** An entry set by hand replaces whatever was there. Returns whether there was no active entry before. */
  async put(entry: NewSuppression, now = new Date()): Promise<{ entry: SuppressionDoc; created: boolean }> {
    const doc = this.toDoc(entry);
    const before = await this.suppressions.findOneAndReplace({ _id: doc._id }, doc, {
      upsert: true,
      returnDocument: 'before',
    });
    return { entry: doc, created: !before || !isActive(before, now) };
  }

  /** Removes an entry; returns the entry if it was active (an expired one is removed all the same). */
  async remove(email: string, groupId: number | null, now = new Date()): Promise<SuppressionDoc | null> {
    const removed = await this.suppressions.findOneAndDelete({ _id: suppressionKey(email, groupId) });
    return removed && isActive(removed, now) ? complete(removed) : null;
  }

  /**
   * A group resubscribe lifts the group's entry, unless the entry came after it: SendGrid does not
   * keep order, and an unsubscribe made after the resubscribe must stand.
   */
  async lift(email: string, groupId: number, at: Date): Promise<void> {
    await this.suppressions.deleteOne({ _id: suppressionKey(email, groupId), createdAt: { $lte: at } });
  }

  private toDoc(entry: NewSuppression): SuppressionDoc {
    const groupId = entry.groupId ?? null;
    return {
      ...entry,
      _id: suppressionKey(entry.email, groupId),
      email: normalizeAddress(entry.email),
      groupId,
    };
  }
}
