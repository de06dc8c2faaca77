import type { EventDoc, WebhookBatchDoc } from '../../db/types';
import { newId } from '../../lib/ids';
import { DEFAULT_SUPPRESSION_POLICY } from '../../lib/suppression-policy';
import { type RawEvent, toEventDoc } from '../webhook-events';
import type { IngestDeps } from './deps';
import { countEngagement } from './counters';
import { notifyEngagement } from './engagement-callbacks';
import { signalWorkflows } from './signal-workflows';
import { applySuppressionPolicy } from './suppression';

export type { IngestDeps } from './deps';
export { engagementNotificationId } from './engagement-callbacks';

export interface StoredBatch {
  batch: WebhookBatchDoc;
  /** The events this batch stored first; repeats of earlier events belong to the batches that stored them. */
  fresh: EventDoc[];
  stored: number;
  duplicates: number;
}

/**
 * Stores a webhook batch, which is all SendGrid's 200 promises: the batch record (the outbox entry,
 * pending until it has been applied) and its events, duplicates skipped. Applying them is the relay's
 * work (`applyBatch`), so SendGrid is answered in two writes, however slow Temporal is.
 */
export async function storeBatch(deps: IngestDeps, raws: RawEvent[]): Promise<StoredBatch> {
  const receivedAt = new Date();
  const batchId = newId('wb');
  const docs = raws.map((raw, i) => toEventDoc(raw, receivedAt, i, batchId));
  const batch: WebhookBatchDoc = {
    _id: batchId,
    receivedAt,
    events: raws.length,
    eventIds: docs.map((doc) => doc._id),
    pending: true,
  };
  // The record first: events stored without one would never be applied.
  await deps.stores.batches.open(batch);
  const fresh = await deps.stores.events.insertNew(docs);
  countEvents(deps, docs, fresh);
  return { batch, fresh, stored: fresh.length, duplicates: docs.length - fresh.length };
}

/**
 * Applies a stored batch's new events: the suppression policy, the counters, a signal to each email's
 * workflow, engagement callbacks. Every step may run again (the relay retries a batch whole) without
 * doing anything twice. Returns how many events are still waiting because Temporal could not be reached.
 */
export async function applyBatch(deps: IngestDeps, fresh: EventDoc[]): Promise<number> {
  const policy = deps.suppression ?? DEFAULT_SUPPRESSION_POLICY;
  for (const doc of fresh) await applySuppressionPolicy(deps.stores, policy, doc);
  const emailIds = [...new Set(fresh.flatMap((doc) => (doc.emailId ? [doc.emailId] : [])))];
  const emails = await deps.stores.emails.scopes(emailIds);
  await countEngagement(deps, fresh, emails);
  const waiting = await signalWorkflows(deps, fresh, emails);
  await notifyEngagement(deps, fresh);
  return waiting;
}

function countEvents(deps: IngestDeps, docs: EventDoc[], fresh: EventDoc[]): void {
  if (!deps.metrics) return;
  const stored = new Set(fresh);
  for (const doc of docs) deps.metrics.webhookEvent(doc.event, !stored.has(doc));
}
