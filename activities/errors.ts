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

export function emailNotFound(emailId: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'EmailNotFoundError',
    message: `email ${emailId} is not in the database`,
    nonRetryable: true,
  });
}
