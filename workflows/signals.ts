import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { EmailStatus, Outcome } from './status';

/**
 * One SendGrid Event Webhook event, reduced to what decides an email's delivery.
 * `key` identifies the event across SendGrid's retries (which may change sg_event_id).
 */
export interface DeliveryEvent {
  key: string;
  event: string;
  /** Unix seconds, as SendGrid sends it. */
  timestamp: number;
  type?: string;
  reason?: string;
  status?: string;
  response?: string;
  attempt?: string;
  url?: string;
  bounceClassification?: string;
}

export interface EmailWorkflowInput {
  emailId: string;
  /** Normalised recipient address, for the suppression check; the message itself stays in MongoDB. */
  to: string;
  deliveryTimeoutMs: number;
  /** The email's ASM group, so a group unsubscribe stops it too. */
  asmGroupId?: number;
  /** Present when the email has a callbackUrl: where and how its outcome is POSTed. */
  callback?: CallbackTarget;
  /** ISO time to hand it to SendGrid; a durable timer waits until then. */
  sendAt?: string;
}

/**
 * An outcome callback's target, and the email facts its notification repeats (the record itself stays
 * in MongoDB; these are small: metadata is at most 10 short pairs).
 */
export interface CallbackTarget {
  url: string;
  maxAttempts: number;
  to: string;
  campaignId: string | null;
  metadata: Record<string, string>;
}

export interface EmailState {
  status: EmailStatus;
  outcome: Outcome | null;
  eventsSeen: number;
}

export const deliveryEventSignal = defineSignal<[DeliveryEvent]>('deliveryEvent');
export const stateQuery = defineQuery<EmailState>('state');

/** Stop an email not yet handed to SendGrid (a campaign's cancel); no answer needed. */
export const cancelSignal = defineSignal<[{ reason: string }]>('cancel');
/**
 * Stop an email not yet handed to SendGrid, and say whether it stopped: false when the send was already
 * under way and completed. Rejected outright once the email is with SendGrid.
 */
export const cancelUpdate = defineUpdate<boolean, [{ reason: string }]>('cancelUnsent');
