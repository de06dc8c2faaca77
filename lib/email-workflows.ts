import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { normalizeAddress } from '../db/suppressions';
import type { EmailDoc } from '../db/types';
import { searchAttributes } from '../workflows/search-attributes';
import type { EmailWorkflowInput } from '../workflows/signals';

export interface EmailStartOptions {
  taskQueue: string;
  /** Also index the recipient's address in Temporal (RECIPIENT_IN_TEMPORAL); its domain always is. */
  recipientInTemporal: boolean;
  /** Attempts for an outcome callback (CALLBACK_MAX_ATTEMPTS). */
  callbackMaxAttempts: number;
}

/**
 * Starts an email's workflow (the workflow id is the email id), with the search attributes ops look it
 * up by. A second start of the same email is a no-op, so the API and a campaign can both retry safely.
 */
export async function startEmailWorkflow(
  client: Client,
  options: EmailStartOptions,
  email: EmailDoc,
): Promise<void> {
  try {
    await client.workflow.start('emailWorkflow', {
      taskQueue: options.taskQueue,
      workflowId: email._id,
      args: [workflowInputOf(email, options.callbackMaxAttempts)],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: searchAttributesOf(email, options.recipientInTemporal),
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

export function workflowInputOf(email: EmailDoc, callbackMaxAttempts: number): EmailWorkflowInput {
  return {
    emailId: email._id,
    to: normalizeAddress(email.to.email),
    deliveryTimeoutMs: email.deliveryTimeoutMs,
    ...(email.asmGroupId !== null && { asmGroupId: email.asmGroupId }),
    ...(email.sendAt && { sendAt: email.sendAt.toISOString() }),
    ...(email.callbackUrl && {
      callback: {
        url: email.callbackUrl,
        maxAttempts: callbackMaxAttempts,
        to: email.to.email,
        campaignId: email.campaignId,
        metadata: email.metadata,
      },
    }),
  };
}

function searchAttributesOf(email: EmailDoc, withRecipient: boolean): SearchAttributePair[] {
  const address = normalizeAddress(email.to.email);
  const pairs: SearchAttributePair[] = [
    { key: searchAttributes.emailId, value: email._id },
    { key: searchAttributes.status, value: email.sendAt ? 'scheduled' : 'queued' },
    { key: searchAttributes.recipientDomain, value: address.slice(address.lastIndexOf('@') + 1) },
  ];
  if (email.campaignId) pairs.push({ key: searchAttributes.campaignId, value: email.campaignId });
  if (withRecipient) pairs.push({ key: searchAttributes.recipient, value: address });
  return pairs;
}
