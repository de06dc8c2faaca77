import { WorkflowNotFoundError } from '@temporalio/client';
import { outcomeFacts, scopesOf } from '../../db/counters';
import type { EmailScope } from '../../db/emails';
import type { EventDoc } from '../../db/types';
import { forEachLimit } from '../../lib/pool';
import { effectOf, supersededBy } from '../../workflows/delivery';
import { isFinal } from '../../workflows/status';
import { toDeliveryEvent } from '../webhook-events';
import { CONCURRENCY, type IngestDeps } from './deps';

/**
 * Signals each email's workflow with its events, in order per email. An email whose workflow has ended
 * (its record is final, or there is no record) gets the event applied to its record directly (a late
 * delivery after "unconfirmed", say).
 * Returns how many events are still waiting because Temporal could not be reached.
 */
export async function signalWorkflows(
  deps: IngestDeps,
  docs: EventDoc[],
  emails: Map<string, EmailScope>,
): Promise<number> {
  const byEmail = new Map<string, EventDoc[]>();
  for (const doc of docs) {
    if (doc.emailId) byEmail.set(doc.emailId, [...(byEmail.get(doc.emailId) ?? []), doc]);
  }
  // Most events (opens, clicks) come after the outcome: the workflow has ended, and a signal would
  // only come back as WorkflowNotFoundError. An email's record is final before its workflow ends, and
  // an email with no record has no workflow.
  const ended = (emailId: string) => {
    const email = emails.get(emailId);
    return !email || isFinal(email.status);
  };
  let waiting = 0;
  await forEachLimit([...byEmail], CONCURRENCY, async ([emailId, events]) => {
    for (const [i, doc] of events.entries()) {
      try {
        await deliver(deps, emailId, doc, ended(emailId));
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
async function deliver(deps: IngestDeps, emailId: string, doc: EventDoc, ended: boolean): Promise<void> {
  const effect = effectOf(toDeliveryEvent(doc));
  // An event that changes nothing in the workflow (processed, say) is stored and shown, not signaled:
  // a signal costs the workflow a task on the Temporal server.
  if (effect.kind === 'none') return;
  if (ended) deps.metrics?.signal('late');
  else ended = await signal(deps, emailId, doc);
  if (effect.kind !== 'final') return;
  const replaces = supersededBy(effect.outcome.result).filter((status) => ended || isFinal(status));
  const before = await deps.stores.emails.setLateOutcome(emailId, effect.outcome, replaces);
  if (!before) return;
  // The counters move with the record: the earlier outcome is taken back, the new one counted.
  const facts = [
    ...(before.outcome ? outcomeFacts(emailId, before.outcome, -1) : []),
    ...outcomeFacts(emailId, effect.outcome, 1),
  ];
  await deps.stores.counters.record(facts, scopesOf(before));
}

/** Signals the event to the email's workflow; true if there is none (it has ended). */
async function signal(deps: IngestDeps, emailId: string, doc: EventDoc): Promise<boolean> {
  try {
    await deps.temporal.signalEmail(emailId, toDeliveryEvent(doc));
    deps.metrics?.signal('ok');
    return false;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) {
      deps.metrics?.signal('failed');
      throw err;
    }
    deps.metrics?.signal('late');
    return true;
  }
}
