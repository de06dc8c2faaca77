import { type NativeConnection, Worker } from '@temporalio/worker';
import { sendTaskQueueOf } from '../../workflows/task-queues';

/**
 * Runs `worker` until `fn` is done, with a worker for its send queue beside it: the email workflow
 * sends on `<queue>-send`, and without a poller there its emails would wait forever.
 */
export async function runWithSendWorker<T>(
  connection: NativeConnection,
  worker: Worker,
  sendEmail: (emailId: string) => Promise<{ messageId: string | null }>,
  fn: () => Promise<T>,
): Promise<T> {
  const sendWorker = await Worker.create({
    connection,
    taskQueue: sendTaskQueueOf(worker.options.taskQueue),
    activities: { sendEmail },
  });
  const sending = sendWorker.run();
  try {
    return await worker.runUntil(fn);
  } finally {
    sendWorker.shutdown();
    await sending;
  }
}
