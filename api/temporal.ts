import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { EmailDoc } from '../db/types';
import type { TemporalConfig } from '../lib/config';
import { startEmailWorkflow } from '../lib/email-workflows';
import {
  type CampaignWorkflowInput,
  cancelCampaignSignal,
  pauseCampaignSignal,
  resumeCampaignSignal,
} from '../workflows/campaign-signals';
import type { NotifyInput } from '../workflows/notify';
import { searchAttributes } from '../workflows/search-attributes';
import { type DeliveryEvent, cancelUpdate, deliveryEventSignal } from '../workflows/signals';

const SIGNAL_DEADLINE_MS = 3000;

export interface TemporalGateway {
  client: Client;
  /** Starts the email's workflow; a second start of the same email is a no-op. */
  startEmail(email: EmailDoc): Promise<void>;
  /** Stops an email not yet with SendGrid: true if it stopped, false if its send got there first. */
  cancelEmail(emailId: string, reason: string): Promise<boolean>;
  startCampaign(input: CampaignWorkflowInput): Promise<void>;
  controlCampaign(campaignId: string, action: CampaignAction, reason?: string): Promise<void>;
  /** Signals an email's workflow; gives up after a few seconds so a Temporal outage cannot stall a webhook. */
  signalEmail(emailId: string, event: DeliveryEvent): Promise<void>;
  /** Starts a callback notification; an id started before is a no-op, so one event notifies once. */
  startNotify(workflowId: string, input: NotifyInput): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Lazy: the API starts (and stores webhooks) even while Temporal is down; /readyz tells. */
export type CampaignAction = 'pause' | 'resume' | 'cancel';

export function connectTemporal(config: TemporalConfig, callbackMaxAttempts: number): TemporalGateway {
  const connection = Connection.lazy({ address: config.address });
  const client = new Client({ connection, namespace: config.namespace });
  return {
    client,
    startEmail: (email) =>
      startEmailWorkflow(
        client,
        { taskQueue: config.taskQueue, recipientInTemporal: config.recipientInTemporal, callbackMaxAttempts },
        email,
      ),
    cancelEmail: (emailId, reason) =>
      client.workflow.getHandle(emailId).executeUpdate(cancelUpdate, { args: [{ reason }] }),
    async startCampaign(input) {
      try {
        await client.workflow.start('campaignWorkflow', {
          taskQueue: config.taskQueue,
          workflowId: input.campaignId,
          args: [input],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: searchAttributes.campaignId, value: input.campaignId },
            { key: searchAttributes.status, value: input.sendAt ? 'scheduled' : 'running' },
          ],
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    },
    async controlCampaign(campaignId, action, reason) {
      const handle = client.workflow.getHandle(campaignId);
      if (action === 'pause') await handle.signal(pauseCampaignSignal, { reason });
      else if (action === 'resume') await handle.signal(resumeCampaignSignal);
      else await handle.signal(cancelCampaignSignal, { reason });
    },
    async signalEmail(emailId, event) {
      await connection.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
        client.workflow.getHandle(emailId).signal(deliveryEventSignal, event),
      );
    },
    async startNotify(workflowId, input) {
      try {
        await connection.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
          client.workflow.start('notifyWorkflow', {
            taskQueue: config.taskQueue,
            workflowId,
            args: [input],
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
          }),
        );
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    },
    async ping() {
      await connection.withDeadline(Date.now() + 2000, () => connection.workflowService.getSystemInfo({}));
    },
    close: () => connection.close(),
  };
}
