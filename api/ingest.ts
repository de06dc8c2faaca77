import { WorkflowNotFoundError } from '@temporalio/client';
import type { Stores } from '../db/connect';
import type { EventDoc } from '../db/types';
import { suppressionReason } from '../lib/suppression-policy';
import { effectOf, supersededBy } from '../workflows/delivery';
import { deliveryEventSignal } from '../workflows/signals';
import { forEachLimit } from '../lib/pool';
import type { TemporalGateway } from './temporal';
import { type RawEvent, toDeliveryEvent, toEventDoc } from './webhook-events';

const SIGNAL_CONCURRENCY = 16;

export interface IngestDeps {
  stores: Stores;
  temporal: TemporalGateway;
  log: (message: string, err?: unknown) => void;
}

/**
 * Stores a webhook batch (duplicates skipped), applies the suppression policy to each new event,
 * then tells the workflows. Events whose workflow could not be told stay
 * marked unsignaled for the relay; they are stored, which is what SendGrid's 200 promises.
 */
export async function ingestBatch(
  deps: IngestDeps,
  raws: RawEvent[],
): Promise<{ stored: number; duplicates: number }> {
  const receivedAt = new Date();
  const docs = raws.map((raw, i) => toEventDoc(raw, receivedAt, i));
  const fresh = await deps.stores.events.insertNew(docs);
  for (const doc of fresh) await applySuppressionPolicy(deps.stores, doc);
  await signalWorkflows(deps, await deps.stores.events.unsignaled(docs.map((doc) => doc._id)));
  return { stored: fresh.length, duplicates: docs.length - fresh.length };
}

async function applySuppressionPolicy(stores: Stores, doc: EventDoc): Promise<void> {
  const reason = suppressionReason({ event: doc.event, type: doc.raw.type, reason: doc.raw.reason });
  if (reason) {
    await stores.suppressions.add({
      email: String(doc.raw.email),
      reason,
      emailId: doc.emailId,
      event: doc._id,
      createdAt: new Date(doc.timestamp * 1000),
      expiresAt: null,
    });
  }
}

/**
 * Signals each email's workflow with its events, in order per email. An email whose workflow has ended
 * gets the event applied to its record directly (a late delivery after "unconfirmed", say).
 * Returns how many events are still waiting because Temporal could not be reached.
 */
export async function signalWorkflows(deps: IngestDeps, docs: EventDoc[]): Promise<number> {
  const byEmail = new Map<string, EventDoc[]>();
  const done: string[] = [];
  for (const doc of docs) {
    if (!doc.emailId) done.push(doc._id);
    else byEmail.set(doc.emailId, [...(byEmail.get(doc.emailId) ?? []), doc]);
  }
  let waiting = 0;
  await forEachLimit([...byEmail], SIGNAL_CONCURRENCY, async ([emailId, events]) => {
    for (const [i, doc] of events.entries()) {
      try {
        await deliver(deps, emailId, doc);
        done.push(doc._id);
      } catch (err) {
        deps.log(`could not signal the workflow of ${emailId}; the relay will retry`, err);
        waiting += events.length - i;
        return;
      }
    }
  });
  await deps.stores.events.markSignaled(done);
  return waiting;
}

async function deliver(deps: IngestDeps, emailId: string, doc: EventDoc): Promise<void> {
  try {
    await deps.temporal.client.workflow.getHandle(emailId).signal(deliveryEventSignal, toDeliveryEvent(doc));
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    const effect = effectOf(toDeliveryEvent(doc));
    if (effect.kind === 'final') {
      await deps.stores.emails.setLateOutcome(emailId, effect.outcome, supersededBy(effect.outcome.result));
    }
  }
}
