/**
 * Sends run on a task queue of their own next to the main one, so Temporal can hold every worker's
 * sends to one rate (a task queue's activity rate limit is enforced by the server, across workers).
 */
export function sendTaskQueueOf(taskQueue: string): string {
  return `${taskQueue}-send`;
}
