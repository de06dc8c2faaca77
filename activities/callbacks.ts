import { ApplicationFailure } from '@temporalio/activity';
import { signatureHeaders } from '../lib/callback-signing';
import type { Notification } from '../workflows/notify';

export interface CallbackOptions {
  /** HMAC key the receiver verifies with; null when CALLBACK_SECRET is unset, and then nothing is sent. */
  secret: string | null;
  timeoutMs: number;
}

export function createCallbackActivities(options: CallbackOptions) {
  return {
    /**
     * POSTs one signed notification. 2xx is success; a 4xx (other than 408 and 429) or a redirect is
     * final (CallbackRejectedError); anything else, including no answer, is retried by the workflow.
     */
    async postCallback(url: string, notification: Notification): Promise<void> {
      if (!options.secret) {
        throw ApplicationFailure.create({
          type: 'CallbackNotConfiguredError',
          message: 'CALLBACK_SECRET is not set on the worker, so callbacks cannot be signed',
        });
      }
      const body = JSON.stringify({ ...notification, sentAt: new Date().toISOString() });
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Mailroom-Callbacks/1',
            ...signatureHeaders(options.secret, body),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (err) {
        throw ApplicationFailure.create({
          type: 'CallbackUnreachableError',
          message: `the callback URL could not be reached: ${describe(err)}`,
        });
      }
      await res.body?.cancel();
      if (res.ok) return;
      const answer = `the callback URL answered ${res.status}`;
      if (res.status >= 300 && res.status < 400) {
        throw rejected(`${answer}; redirects are not followed`, res.status);
      }
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        throw rejected(answer, res.status);
      }
      throw ApplicationFailure.create({
        type: 'CallbackFailedError',
        message: answer,
        details: [{ statusCode: res.status }],
      });
    },
  };
}

function rejected(message: string, statusCode: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'CallbackRejectedError',
    message,
    details: [{ statusCode }],
    nonRetryable: true,
  });
}

/** fetch hides the reason (refused, timed out, DNS) in `cause`. */
function describe(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err instanceof Error ? err.message : String(err)}${cause}`;
}
