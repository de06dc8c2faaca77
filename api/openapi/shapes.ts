/**
 * What the docs describe that no validating schema covers: the bodies the API answers with, and the
 * webhook batch (checked by hand in webhook-events.ts, since its signature needs the raw bytes).
 * Request bodies and parameters come from api/schemas.ts, never from here.
 *
 * `satisfies Record<keyof ReturnType<typeof view>, …>` ties a shape's fields to the function that
 * builds the answer: a field added there and not here (or the other way round) fails the type check.
 */
import { z } from 'zod';
import { COUNTER_METRICS } from '../../db/counters';
import { CAMPAIGN_STATES } from '../../db/types';
import { EMAIL_STATUSES, FINAL_STATUSES } from '../../workflows/status';
import type { campaignView } from '../campaign-view';
import type { emailView } from '../email-view';
import type { StoredBatch } from '../ingest';
import type { suppressionView } from '../routes/suppressions';

const isoTime = z.string().meta({ format: 'date-time' });
const nullable = <T extends z.ZodType>(schema: T) => schema.nullable();

/** The contract's error body (api/errors.ts). */
export const errorBody = z.object({
  error: z.object({
    code: z.string().meta({
      description:
        'invalid_request, unauthorized, not_found, conflict, payload_too_large, unavailable, internal',
    }),
    message: z.string(),
    details: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'one entry per bad field, when there are any' }),
  }),
});

const address = z.object({ email: z.string(), name: z.string().optional() });

const outcome = z.object({
  result: z.enum(FINAL_STATUSES),
  reason: z.string().meta({ description: 'a plain sentence, e.g. "The mailbox does not exist (550 5.1.1)"' }),
  detail: z.record(z.string(), z.unknown()),
  at: isoTime,
});

const counter = { count: z.number().int(), first: nullable(isoTime), last: nullable(isoTime) };

const emailFields = {
  id: z.string(),
  to: address,
  from: address,
  subject: nullable(z.string()),
  campaignId: nullable(z.string()),
  categories: z.array(z.string()),
  metadata: z.record(z.string(), z.string()),
  asmGroupId: nullable(z.number().int()),
  callbackUrl: nullable(z.string()),
  notifyEngagement: z.boolean(),
  status: z.enum(EMAIL_STATUSES),
  outcome: nullable(outcome),
  provider: z.object({
    messageId: nullable(z.string()),
    request: nullable(z.record(z.string(), z.unknown())),
    response: nullable(
      z.object({
        statusCode: z.number().int(),
        headers: z.record(z.string(), z.string()),
        body: z.unknown(),
      }),
    ),
    attempts: z.number().int(),
  }),
  engagement: z.object({
    opens: z.object(counter),
    machineOpens: z.object(counter),
    clicks: z.object({ ...counter, urls: z.array(z.object({ url: z.string(), count: z.number().int() })) }),
  }),
  events: z.array(
    z.object({
      event: z.string(),
      at: isoTime,
      sgEventId: z.string(),
      receivedAt: isoTime,
      data: z.record(z.string(), z.unknown()).meta({ description: 'the event as SendGrid posted it' }),
    }),
  ),
  createdAt: isoTime,
  updatedAt: isoTime,
} satisfies Record<keyof ReturnType<typeof emailView>, z.ZodType>;

export const email = z.object(emailFields);

export const emailAccepted = z.object({ id: z.string(), status: z.enum(['queued', 'scheduled']) });

const suppressionFields = {
  email: z.string(),
  reason: z.string(),
  groupId: nullable(z.number().int()).meta({ description: 'null: a global entry' }),
  emailId: nullable(z.string()),
  event: nullable(z.string()),
  createdAt: isoTime,
  expiresAt: nullable(isoTime).meta({ description: 'null: until removed' }),
} satisfies Record<keyof ReturnType<typeof suppressionView>, z.ZodType>;

export const suppression = z.object(suppressionFields);

export const suppressionPage = z.object({
  items: z.array(suppression),
  nextCursor: nullable(z.string()).meta({ description: 'null on the last page' }),
});

export const recipient = z.object({
  email: z.string(),
  suppression: z.object({ global: nullable(suppression), groups: z.array(suppression) }),
  emails: z.array(
    z.object({
      id: z.string(),
      subject: nullable(z.string()),
      status: z.enum(EMAIL_STATUSES),
      outcome: nullable(outcome),
      createdAt: isoTime,
    }),
  ),
});

export const webhookBatch = z
  .array(
    z.looseObject({
      event: z.string().min(1),
      email: z.string(),
      timestamp: z.number().meta({ description: 'unix seconds' }),
    }),
  )
  .meta({
    description:
      'SendGrid Event Webhook events. Other fields (sg_event_id, sg_message_id, reason, url, custom args) are kept.',
  });

export const webhookResult = z.object({
  stored: z.number().int(),
  duplicates: z.number().int(),
} satisfies Record<keyof Pick<StoredBatch, 'stored' | 'duplicates'>, z.ZodType>);

/** A campaign's live counters (db/counters.ts), each a count of emails. */
export const counts = z.object(
  Object.fromEntries(COUNTER_METRICS.map((metric) => [metric, z.number().int()])) as Record<
    (typeof COUNTER_METRICS)[number],
    z.ZodNumber
  >,
);

const campaignFields = {
  id: z.string(),
  name: z.string(),
  state: z.enum(CAMPAIGN_STATES),
  pauseReason: nullable(z.string()).meta({ description: 'why it paused; null when it did not' }),
  categories: z.array(z.string()),
  sendAt: nullable(isoTime),
  ratePerSecond: nullable(z.number()),
  createdAt: isoTime,
  updatedAt: isoTime,
  total: z.number().int().meta({ description: 'recipients accepted' }),
  started: z.number().int().meta({ description: 'email workflows started so far' }),
  progress: counts,
} satisfies Record<keyof ReturnType<typeof campaignView>, z.ZodType>;

export const campaign = z.object(campaignFields);

export const campaignList = z.object({ campaigns: z.array(campaign) });

export const campaignAccepted = z.object({
  id: z.string(),
  total: z.number().int().meta({ description: 'distinct, valid recipients: one email each' }),
  duplicates: z.number().int().meta({ description: 'recipients that repeat an earlier address' }),
  invalid: z
    .array(z.object({ index: z.number().int(), field: z.string(), message: z.string() }))
    .meta({ description: 'recipients left out, by position (the first 1,000)' }),
  invalidCount: z.number().int(),
});

export const campaignControlled = z.object({
  id: z.string(),
  action: z.enum(['pause', 'resume', 'cancel']),
  state: z.enum(CAMPAIGN_STATES).meta({ description: 'the state when asked; GET shows where it went' }),
});

export const emailPage = z.object({
  emails: z.array(
    z.object({
      id: z.string(),
      to: z.string(),
      campaignId: nullable(z.string()),
      status: z.enum(EMAIL_STATUSES),
      outcome: nullable(outcome),
      createdAt: isoTime,
      updatedAt: isoTime,
    }),
  ),
  nextCursor: nullable(z.string()),
});

export const emailCanceled = z.object({ id: z.string(), status: z.literal('canceled') });

const rates = z
  .object({
    delivery: nullable(z.number()),
    bounce: nullable(z.number()),
    open: nullable(z.number()),
    click: nullable(z.number()),
    spam: nullable(z.number()),
  })
  .meta({ description: 'delivery and bounce over sent; open, click and spam over delivered; null over 0' });

export const campaignReport = z.object({
  campaignId: z.string(),
  name: z.string(),
  state: z.enum(CAMPAIGN_STATES),
  total: z.number().int(),
  asOf: isoTime,
  counts,
  rates,
});

export const summaryReport = z.object({
  from: isoTime,
  to: isoTime,
  interval: z.enum(['hour', 'day']),
  category: nullable(z.string()),
  points: z.array(z.object({ start: isoTime, counts, rates })),
});

export const health = z.object({ status: z.literal('ok') });

const check = z.enum(['ok', 'unreachable']);
export const readiness = z.object({
  status: z.enum(['ready', 'not ready']),
  checks: z.object({ mongodb: check, temporal: check }),
});

/** The document itself, loosely: it is what `GET /openapi.json` answers. */
export const openApiDocument = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({}),
  paths: z.looseObject({}),
});
