/** The lifecycle of one email, shared by the workflow, the store and the API. Pure: safe inside workflows. */
export const FINAL_STATUSES = [
  'delivered',
  'bounced',
  'dropped',
  'suppressed',
  'rejected',
  'failed',
  'unconfirmed',
  'canceled',
] as const;

export type FinalStatus = (typeof FINAL_STATUSES)[number];

export const EMAIL_STATUSES = [
  'scheduled',
  'queued',
  'sending',
  'sent',
  'deferred',
  ...FINAL_STATUSES,
] as const;

export type EmailStatus = (typeof EMAIL_STATUSES)[number];

export function isFinal(status: EmailStatus): status is FinalStatus {
  return (FINAL_STATUSES as readonly EmailStatus[]).includes(status);
}

/** The final word on an email: a sentence for people, and the raw facts behind it. */
export interface Outcome {
  result: FinalStatus;
  reason: string;
  detail: Record<string, unknown>;
  /** ISO time the outcome was reached (the event's time when an event decided it). */
  at: string;
}
