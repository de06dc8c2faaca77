import type { EventDoc } from '../../db/types';
import { newId } from '../../lib/ids';
import { DEFAULT_SUPPRESSION_POLICY } from '../../lib/suppression-policy';
import { type RawEvent, toEventDoc } from '../webhook-events';
import type { IngestDeps } from './deps';
import { countEngagement } from './counters';
import { notifyEngagement } from './engagement-callbacks';
import { signalWorkflows } from './signal-workflows';
import { applySuppressionPolicy } from './suppression';

export type { IngestDeps } from './deps';
export { signalWorkflows } from './signal-workflows';
export { engagementNotificationId } from './engagement-callbacks';

/**
 * Stores a webhook batch (duplicates skipped), applies the suppression policy to each new event,
 * then tells the workflows. The batch record is written first and stays pending until every new event
 * has reached its workflow; if Temporal cannot be reached, the relay finishes it. The events are
 * stored either way, which is what SendGrid's 200 promises. A duplicate belongs to the batch that
 * first stored it, whose record already covers it.
 */
export async function ingestBatch(
  deps: IngestDeps,
  raws: RawEvent[],
): Promise<{ stored: number; duplicates: number }> {
  const receivedAt = new Date();
  const batchId = newId('wb');
  await deps.stores.batches.open({ _id: batchId, receivedAt, events: raws.length, pending: true });
  const docs = raws.map((raw, i) => toEventDoc(raw, receivedAt, i, batchId));
  const fresh = await deps.stores.events.insertNew(docs);
  countEvents(deps, docs, fresh);
  const policy = deps.suppression ?? DEFAULT_SUPPRESSION_POLICY;
  for (const doc of fresh) await applySuppressionPolicy(deps.stores, policy, doc);
  await countEngagement(deps, fresh);
  if ((await signalWorkflows(deps, fresh)) === 0) await deps.stores.batches.done(batchId);
  await notifyEngagement(deps, fresh);
  return { stored: fresh.length, duplicates: docs.length - fresh.length };
}

function countEvents(deps: IngestDeps, docs: EventDoc[], fresh: EventDoc[]): void {
  if (!deps.metrics) return;
  const stored = new Set(fresh);
  for (const doc of docs) deps.metrics.webhookEvent(doc.event, !stored.has(doc));
}
