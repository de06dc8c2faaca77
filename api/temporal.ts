import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { TemporalConfig } from '../lib/config';
import type { EmailWorkflowInput } from '../workflows/signals';

export interface TemporalGateway {
  client: Client;
  /** Starts the email's workflow; a second start of the same email is a no-op. */
  startEmail(input: EmailWorkflowInput): Promise<void>;
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
    async ping() {
      await connection.withDeadline(Date.now() + 2000, () => connection.workflowService.getSystemInfo({}));
    },
    close: () => connection.close(),
  };
}
