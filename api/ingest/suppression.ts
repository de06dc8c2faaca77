import type { Stores } from '../../db/connect';
import { normalizeAddress } from '../../db/suppressions';
import type { EventDoc } from '../../db/types';
import {
  type SuppressionPolicy,
  decide,
  softBounceSuppression,
  softBounceWindowStart,
} from '../../lib/suppression-policy';

/**
 * Puts the event's address on the suppression list, or takes it off one group's list, as the policy says
 * (lib/suppression-policy.ts). Soft bounces are counted from the stored events, this one included.
 */
export async function applySuppressionPolicy(
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
