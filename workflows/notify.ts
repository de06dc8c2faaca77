import { ParentClosePolicy, log, proxyActivities, startChild } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CallbackTarget } from './signals';
import type { EmailStatus, Outcome } from './status';

/** What a callback receiver gets, `sentAt` aside (the activity stamps each attempt). */
export interface Notification {
  /** The same on every retry of one notification: receivers deduplicate on it. */
  id: string;
  type: 'email.outcome' | 'email.engagement';
  emailId: string;
  to: string;
  status: EmailStatus;
  outcome: Outcome | null;
  /** The open or click, for `email.engagement`; `machineOpen` marks an open made by a mail client's proxy. */
  event: { event: string; at: string; url?: string; machineOpen?: true } | null;
  campaignId: string | null;
  metadata: Record<string, string>;
}

export interface NotifyInput {
  url: string;
  notification: Notification;
  maxAttempts: number;
}

/** Error types `postCallback` throws for answers that retrying cannot change (a 4xx, a redirect). */
export const NON_RETRYABLE_CALLBACK_ERRORS = ['CallbackRejectedError'];

/** POSTs one notification, retried with backoff until the receiver takes it or the attempts run out. */
export async function notifyWorkflow(input: NotifyInput): Promise<void> {
  const { postCallback } = proxyActivities<Activities>({
    // Above the worker's HTTP timeout (CALLBACK_TIMEOUT_MS, at most 60 s).
    startToCloseTimeout: '90 seconds',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '10 minutes',
      maximumAttempts: input.maxAttempts,
      nonRetryableErrorTypes: NON_RETRYABLE_CALLBACK_ERRORS,
    },
  });
  await postCallback(input.url, input.notification);
}

/**
 * Starts the outcome's notification as an abandoned child: the email's workflow returns as soon as the
 * child has started, and the child outlives it. A start that fails is logged; it never fails the email.
 */
export async function startOutcomeCallback(
  emailId: string,
  callback: CallbackTarget,
  outcome: Outcome,
): Promise<void> {
  const workflowId = `${emailId}:outcome`;
  const notification: Notification = {
    id: workflowId,
    type: 'email.outcome',
    emailId,
    to: callback.to,
    status: outcome.result,
    outcome,
    event: null,
    campaignId: callback.campaignId,
    metadata: callback.metadata,
  };
  try {
    await startChild(notifyWorkflow, {
      workflowId,
      args: [{ url: callback.url, notification, maxAttempts: callback.maxAttempts }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  } catch (err) {
    log.warn('could not start the outcome callback', { emailId, error: String(err) });
  }
}
