import { ApplicationFailure } from '@temporalio/activity';

/**
 * Failures the send activity raises. Their `type` is what the workflow's retry policy matches:
 * a rejected request is final, an unavailable or throttling provider is retried.
 */
export interface ProviderFacts {
  statusCode: number | null;
  body: unknown;
}

export function providerRejected(message: string, facts: ProviderFacts): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'ProviderRejectedError',
    message,
    details: [facts],
    nonRetryable: true,
  });
}

export function providerUnavailable(message: string, facts: ProviderFacts): ApplicationFailure {
  return ApplicationFailure.create({ type: 'ProviderUnavailableError', message, details: [facts] });
}

/** SendGrid's 429: retry no sooner than its X-RateLimit-Reset says. */
export function providerThrottled(
  message: string,
  facts: ProviderFacts,
  retryInMs: number,
): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'ProviderThrottledError',
    message,
    details: [facts],
    nextRetryDelay: Math.max(retryInMs, 1000),
  });
}

/** Retried: the attempt spent its time before the send (a slow database, say) and did not send. */
export function sendWindowTooShort(leftMs: number, neededMs: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'SendWindowTooShortError',
    message:
      `not sent: ${Math.max(leftMs, 0)} ms left of this attempt, and a request may take ${neededMs} ms; ` +
      'sending now could outlive the attempt and be sent twice',
  });
}

export function emailNotFound(emailId: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'EmailNotFoundError',
    message: `email ${emailId} is not in the database`,
    nonRetryable: true,
  });
}
