import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { TemporalConfig } from '../lib/config';
import type { NotifyInput } from '../workflows/notify';
import { type DeliveryEvent, type EmailWorkflowInput, deliveryEventSignal } from '../workflows/signals';

const SIGNAL_DEADLINE_MS = 3000;

export interface TemporalGateway {
  client: Client;
  /** Starts the email's workflow; a second start of the same email is a no-op. */
  startEmail(input: EmailWorkflowInput): Promise<void>;
  /** Signals an email's workflow; gives up after a few seconds so a Temporal outage cannot stall a webhook. */
  signalEmail(emailId: string, event: DeliveryEvent): Promise<void>;
  /** Starts a callback notification; an id started before is a no-op, so one event notifies once. */
  startNotify(workflowId: string, input: NotifyInput): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Lazy: the API starts (and stores webhooks) even while Temporal is down; /readyz tells. */
export function connectTemporal(config: TemporalConfig): TemporalGateway {
  const connection = Connection.lazy({ address: config.address });
  const client = new Client({ connection, namespace: config.namespace });
  return {
    client,
    async startEmail(input) {
      try {
        await client.workflow.start('emailWorkflow', {
          taskQueue: config.taskQueue,
          workflowId: input.emailId,
          args: [input],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
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
