import type { EmailStatus, Outcome } from '../workflows/status';

export interface Address {
  email: string;
  name?: string;
}

export interface EmailContent {
  text?: string;
  html?: string;
  templateId?: string;
  templateData?: Record<string, unknown>;
}

/** What went to SendGrid and what came back; the API key is never stored. */
export interface ProviderExchange {
  messageId: string | null;
  request: Record<string, unknown> | null;
  response: { statusCode: number; headers: Record<string, string>; body: unknown } | null;
  attempts: number;
}

export interface EmailDoc {
  _id: string;
  to: Address;
  /** `to.email` trimmed and lower-cased, for finding a recipient's mail. Absent on records written before it. */
  toNormalized?: string;
  from: Address;
  subject: string | null;
  content: EmailContent;
  campaignId: string | null;
  /** Position in its campaign; present only on a campaign's emails, whose content is the campaign's. */
  campaignSeq?: number;
  /** When it is to be handed to SendGrid; null: at once. */
  sendAt?: Date | null;
  categories: string[];
  metadata: Record<string, string>;
  /** SendGrid unsubscribe (ASM) group: a group unsubscribe suppresses only mail of that group. */
  asmGroupId: number | null;
  /** Where the final outcome (and, with notifyEngagement, each open and click) is POSTed. */
  callbackUrl: string | null;
  notifyEngagement: boolean;
  deliveryTimeoutMs: number;
  status: EmailStatus;
  outcome: Outcome | null;
  provider: ProviderExchange;
  createdAt: Date;
  updatedAt: Date;
}

/** A stored webhook event. `_id` is the dedupe key that survives SendGrid changing sg_event_id on retries. */
export interface EventDoc {
  _id: string;
  sgEventId: string;
  emailId: string | null;
  /** The event's `email`, trimmed and lower-cased: counts an address's events (soft bounces). */
  recipient?: string;
  event: string;
  timestamp: number;
  /** Position in its batch: with receivedAt, keeps events of the same second in the order posted. */
  seq: number;
  raw: Record<string, unknown>;
  receivedAt: Date;
  /** The webhook request that stored it (see WebhookBatchDoc). */
  batchId: string;
}

/**
 * One webhook request: the outbox record. It is written with the events and removed once the relay has
 * applied them all (suppression, counters, signals, callbacks). One write per request, not per event.
 */
export interface WebhookBatchDoc {
  _id: string;
  receivedAt: Date;
  events: number;
  /** Every event's `_id`, read back by `_id` (which FerretDB's SQLite finds by index, unlike `batchId`). */
  eventIds?: string[];
  pending: boolean;
}

/** `_id` is the address for a global entry, `<address>#group:<id>` for one ASM group's entry. */
export interface SuppressionDoc {
  _id: string;
  email: string;
  /** null (or absent, on entries written before groups): every email; otherwise that ASM group only. */
  groupId?: number | null;
  reason: string;
  emailId: string | null;
  event: string | null;
  createdAt: Date;
  expiresAt: Date | null;
}

export interface IdempotencyDoc {
  _id: string;
  bodyHash: string;
  emailId: string;
  createdAt: Date;
}

export const CAMPAIGN_STATES = ['scheduled', 'running', 'paused', 'canceled', 'completed'] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

/**
 * A blast: the content every recipient gets, and where its sending stands. Recipients are emails with
 * `campaignId` and `campaignSeq`. After the API inserts it, only the campaign's workflow writes it.
 */
export interface CampaignDoc {
  _id: string;
  name: string;
  from: Address;
  subject: string | null;
  content: Omit<EmailContent, 'templateData'>;
  categories: string[];
  asmGroupId: number | null;
  sendAt: Date | null;
  ratePerSecond: number | null;
  deliveryTimeoutMs: number;
  /** Recipients accepted (after duplicates and invalid ones were left out). */
  total: number;
  /** Email workflows started so far. */
  started: number;
  state: CampaignState;
  /** Why it paused itself (the circuit breaker) or was paused; null when running. */
  pauseReason: string | null;
  /**
   * Recipients per `campaign_recipients` record. Set: each email is written when the campaign reaches
   * it. Absent (campaigns accepted before): every email was written at accept.
   */
  recipientChunk?: number;
  createdAt: Date;
  updatedAt: Date;
}

/** One accepted recipient of a campaign, as the request gave it (checked). */
export interface CampaignRecipientEntry {
  to: Address;
  templateData?: Record<string, unknown>;
  metadata?: Record<string, string>;
}

/**
 * A run of a campaign's recipients, from position `first`. They are kept as one JSON string because
 * FerretDB's SQLite encodes a document field by field: 100,000 recipients as objects took 7.6 s to
 * store, as 100 strings 0.7 s. Nothing queries inside them; the campaign reads them back by `_id`.
 */
export interface CampaignRecipientsDoc {
  /** `<campaignId>:<chunk number>` */
  _id: string;
  campaignId: string;
  first: number;
  recipients: string;
}
