import { createHash } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Stores } from '../db/connect';
import type { EmailDoc, EventDoc } from '../db/types';
import { normalizeAddress } from '../db/suppressions';
import {
  DEFAULT_SUPPRESSION_POLICY,
  type SuppressionPolicy,
  decide,
  softBounceSuppression,
  softBounceWindowStart,
} from '../lib/suppression-policy';
import { effectOf, supersededBy } from '../workflows/delivery';
import { isFinal } from '../workflows/status';
import { newId } from '../lib/ids';
import { forEachLimit } from '../lib/pool';
import type { Notification } from '../workflows/notify';
import { DEFAULT_CALLBACK_MAX_ATTEMPTS } from './config';
import type { TemporalGateway } from './temporal';
import { type RawEvent, toDeliveryEvent, toEventDoc } from './webhook-events';

const SIGNAL_CONCURRENCY = 16;

export interface IngestDeps {
  stores: Stores;
  temporal: TemporalGateway;
  log: (message: string, err?: unknown) => void;
  /** The soft-bounce rules; the defaults when not given. */
  suppression?: SuppressionPolicy;
  /** Attempts per engagement callback (CALLBACK_MAX_ATTEMPTS); the default when not given. */
  callbackMaxAttempts?: number;
}

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
  const policy = deps.suppression ?? DEFAULT_SUPPRESSION_POLICY;
  for (const doc of fresh) await applySuppressionPolicy(deps.stores, policy, doc);
  if ((await signalWorkflows(deps, fresh)) === 0) await deps.stores.batches.done(batchId);
  await notifyEngagement(deps, fresh);
  return { stored: fresh.length, duplicates: docs.length - fresh.length };
}

/**
 * Puts the event's address on the suppression list, or takes it off one group's list, as the policy says
 * (lib/suppression-policy.ts). Soft bounces are counted from the stored events, this one included.
 */
async function applySuppressionPolicy(
  stores: Stores,
  policy: SuppressionPolicy,
  doc: EventDoc,
): Promise<void> {
  const decision = decide({
    event: doc.event,
    type: doc.raw.type,
    reason: doc.raw.reason,
    asm_group_id: doc.raw.asm_group_id,
  });
  const email = String(doc.raw.email);
  const recipient = normalizeAddress(email);
  const at = new Date(doc.timestamp * 1000);
  const cause = { email, emailId: doc.emailId, event: doc._id, createdAt: at };
  switch (decision.kind) {
    case 'none':
      return;
    case 'suppress':
      await stores.suppressions.add({ ...cause, reason: decision.reason, expiresAt: null });
      return;
    case 'soft-bounce': {
      const since = softBounceWindowStart(policy, doc.receivedAt);
      const count = await stores.events.countForRecipient(recipient, 'bounce', since, { type: 'blocked' });
      const suppression = softBounceSuppression(count, policy, doc.receivedAt);
      if (suppression) await stores.suppressions.add({ ...cause, ...suppression });
      return;
    }
    case 'group-unsubscribe': {
      // A resubscribe to the group made later (and already here, out of order) wins.
      const resubscribed = await stores.events.countForRecipient(
        recipient,
        'group_resubscribe',
        doc.timestamp,
        {
          asm_group_id: { $in: [decision.groupId, String(decision.groupId)] },
        },
      );
      if (resubscribed === 0) {
        await stores.suppressions.add({
          ...cause,
          groupId: decision.groupId,
          reason: decision.reason,
          expiresAt: null,
        });
      }
      return;
    }
    case 'group-resubscribe':
      await stores.suppressions.lift(email, decision.groupId, at);
      return;
  }
}

/**
 * Signals each email's workflow with its events, in order per email. An email whose workflow has ended
 * gets the event applied to its record directly (a late delivery after "unconfirmed", say).
 * Returns how many events are still waiting because Temporal could not be reached.
 */
export async function signalWorkflows(deps: IngestDeps, docs: EventDoc[]): Promise<number> {
  const byEmail = new Map<string, EventDoc[]>();
  for (const doc of docs) {
    if (doc.emailId) byEmail.set(doc.emailId, [...(byEmail.get(doc.emailId) ?? []), doc]);
  }
  let waiting = 0;
  await forEachLimit([...byEmail], SIGNAL_CONCURRENCY, async ([emailId, events]) => {
    for (const [i, doc] of events.entries()) {
      try {
        await deliver(deps, emailId, doc);
      } catch (err) {
        deps.log(`could not signal the workflow of ${emailId}; the relay will retry`, err);
        waiting += events.length - i;
        return;
      }
    }
  });
  return waiting;
}

/**
 * Signals the event; a final event that contradicts a final outcome already on record (a delivery after
 * "unconfirmed", a bounce after "delivered") is also applied to the record here. That covers a workflow
 * that has ended (the signal finds none) and one ending at this very moment (the signal lands in its last
 * task, too late to be read). The record is only changed from a final status, which the workflow has
 * already written and will not write again.
 */
async function deliver(deps: IngestDeps, emailId: string, doc: EventDoc): Promise<void> {
  let ended = false;
  try {
    await deps.temporal.signalEmail(emailId, toDeliveryEvent(doc));
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    ended = true;
  }
  const effect = effectOf(toDeliveryEvent(doc));
  if (effect.kind !== 'final') return;
  const replaces = supersededBy(effect.outcome.result).filter((status) => ended || isFinal(status));
  await deps.stores.emails.setLateOutcome(emailId, effect.outcome, replaces);
}

const ENGAGEMENT_EVENTS = new Set(['open', 'click']);

/**
 * Starts a callback for each new open or click of an email that asked for them (`notifyEngagement`).
 * The workflow id comes from the event's dedupe key, so an event SendGrid repeats never notifies twice.
 * Best-effort: if Temporal cannot be reached the failure is logged and the event, stored, is not notified.
 */
async function notifyEngagement(deps: IngestDeps, fresh: EventDoc[]): Promise<void> {
  const events = fresh.filter((doc) => doc.emailId && ENGAGEMENT_EVENTS.has(doc.event));
  const emails = new Map<string, Promise<EmailDoc | null>>();
  await forEachLimit(events, SIGNAL_CONCURRENCY, async (doc) => {
    const emailId = doc.emailId as string;
    try {
      if (!emails.has(emailId)) emails.set(emailId, deps.stores.emails.get(emailId));
      const email = await emails.get(emailId);
      if (!email?.notifyEngagement || !email.callbackUrl) return;
      const workflowId = engagementNotificationId(emailId, doc);
      await deps.temporal.startNotify(workflowId, {
        url: email.callbackUrl,
        notification: engagementNotification(workflowId, email, doc),
        maxAttempts: deps.callbackMaxAttempts ?? DEFAULT_CALLBACK_MAX_ATTEMPTS,
      });
    } catch (err) {
      deps.log(`could not start the ${doc.event} callback of ${emailId}; it will not be sent`, err);
    }
  });
}

/** `<emailId>:<event>:<hash of the event's dedupe key>`: a click's key holds its URL, a hash has a fixed length. */
export function engagementNotificationId(emailId: string, doc: EventDoc): string {
  return `${emailId}:${doc.event}:${createHash('sha256').update(doc._id).digest('hex').slice(0, 16)}`;
}

function engagementNotification(id: string, email: EmailDoc, doc: EventDoc): Notification {
  const url = typeof doc.raw.url === 'string' ? doc.raw.url : undefined;
  return {
    id,
    type: 'email.engagement',
    emailId: email._id,
    to: email.to.email,
    status: email.status,
    outcome: email.outcome,
    event: {
      event: doc.event,
      at: new Date(doc.timestamp * 1000).toISOString(),
      ...(url !== undefined && { url }),
      ...(doc.raw.sg_machine_open === true && { machineOpen: true }),
    },
    campaignId: email.campaignId,
    metadata: email.metadata,
  };
}
