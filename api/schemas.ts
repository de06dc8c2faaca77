/**
 * Request schemas: the one place that says what the API accepts.
 * Validation errors name every bad field (`details[].field`), never just the first.
 */
import { z } from 'zod';
import { normalizeAddress } from '../db/suppressions';
import { parseDuration } from '../lib/env';
import { EMAIL_STATUSES } from '../workflows/status';
import { badRequest, type ErrorDetail } from './errors';

const MAX_TIMEOUT_MS = 30 * 24 * 3_600_000;

export const DEFAULT_DELIVERY_TIMEOUT = '96h';

export const address = z.strictObject({
  // Addresses are compared trimmed: "  a@b.com " is a@b.com, not a bad request.
  email: z
    .string({ error: 'must be an email address' })
    .trim()
    .pipe(z.email({ error: 'must be an email address' })),
  name: z.string().max(256).optional(),
});

/** "30s", "15m", "96h", "2d" → milliseconds. */
export const duration = z
  .string()
  .regex(/^\d+[smhd]$/, { error: 'must be a duration like "30s", "15m" or "96h"' })
  .transform((text) => parseDuration(text) ?? 0)
  .refine((ms) => ms > 0 && ms <= MAX_TIMEOUT_MS, { error: 'must be more than 0 and at most 30 days' });

/** An email's or a campaign's content: subject with text and/or html, or a template, not both. */
function checkContent(
  body: { subject?: string; text?: string; html?: string; templateId?: string },
  ctx: z.RefinementCtx,
): void {
  const hasBody = body.text !== undefined || body.html !== undefined;
  if (body.templateId && hasBody) {
    ctx.addIssue({ code: 'custom', path: ['templateId'], message: 'give templateId or text/html, not both' });
  }
  if (!body.templateId && !hasBody) {
    ctx.addIssue({ code: 'custom', path: ['text'], message: 'text or html (or templateId) is required' });
  }
  if (!body.templateId && !body.subject) {
    ctx.addIssue({
      code: 'custom',
      path: ['subject'],
      message: 'subject is required unless templateId is given',
    });
  }
}

/** When to hand it to SendGrid: at most 30 days ahead; a time already past means at once. */
export const sendAt = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time, like "2027-01-31T09:00:00Z"' })
  .transform((text) => new Date(text))
  .refine((date) => date.getTime() <= Date.now() + MAX_TIMEOUT_MS, {
    error: 'must be at most 30 days ahead',
  });

export const sendEmailBody = z
  .strictObject({
    to: z.preprocess((v) => (typeof v === 'string' ? { email: v } : v), address),
    from: address.optional(),
    subject: z.string().min(1).max(998).optional(),
    text: z.string().min(1).optional(),
    html: z.string().min(1).optional(),
    templateId: z.string().min(1).max(200).optional(),
    templateData: z.record(z.string(), z.unknown()).optional(),
    categories: z.array(z.string().min(1).max(255)).max(10, { error: 'at most 10 categories' }).optional(),
    campaignId: z.string().min(1).max(200).optional(),
    metadata: z
      .record(z.string().max(100), z.string().max(1000))
      .refine((m) => Object.keys(m).length <= 10, { error: 'at most 10 metadata pairs' })
      .optional(),
    deliveryTimeout: duration.optional(),
    asmGroupId: z.number().int().positive().optional(),
    callbackUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .max(2000)
      .optional(),
    notifyEngagement: z.boolean().optional(),
    sendAt: sendAt.optional(),
  })
  .superRefine((body, ctx) => {
    checkContent(body, ctx);
    if (body.notifyEngagement && !body.callbackUrl) {
      ctx.addIssue({
        code: 'custom',
        path: ['notifyEngagement'],
        message: 'notifyEngagement needs callbackUrl',
      });
    }
    if (body.templateData && !body.templateId) {
      ctx.addIssue({ code: 'custom', path: ['templateData'], message: 'templateData needs templateId' });
    }
  });

export type SendEmailBody = z.infer<typeof sendEmailBody>;

/* Campaigns. */

export const MAX_CAMPAIGN_RECIPIENTS = 100_000;

const metadata = z
  .record(z.string().max(100), z.string().max(1000))
  .refine((m) => Object.keys(m).length <= 10, { error: 'at most 10 metadata pairs' });

/** One recipient of a campaign; checked one by one, so a bad one is reported and the rest go. */
export const campaignRecipient = z.preprocess(
  // A bare address is a recipient with nothing else to say.
  (v) => (typeof v === 'string' ? { to: v } : v),
  z.strictObject(
    {
      to: z.preprocess((v) => (typeof v === 'string' ? { email: v } : v), address),
      templateData: z.record(z.string(), z.unknown()).optional(),
      metadata: metadata.optional(),
    },
    { error: 'must be an address or an object with "to"' },
  ),
);

export const createCampaignBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    from: address.optional(),
    subject: z.string().min(1).max(998).optional(),
    text: z.string().min(1).optional(),
    html: z.string().min(1).optional(),
    templateId: z.string().min(1).max(200).optional(),
    categories: z.array(z.string().min(1).max(255)).max(10, { error: 'at most 10 categories' }).optional(),
    asmGroupId: z.number().int().positive().optional(),
    sendAt: sendAt.optional(),
    ratePerSecond: z.number().positive().max(10_000).optional(),
    deliveryTimeout: duration.optional(),
    // Items are checked one by one (campaignRecipient), so one bad recipient does not refuse the rest.
    recipients: z
      .array(z.unknown())
      .min(1, { error: 'at least one recipient' })
      .max(MAX_CAMPAIGN_RECIPIENTS, { error: `at most ${MAX_CAMPAIGN_RECIPIENTS} recipients` }),
  })
  .superRefine((body, ctx) => {
    checkContent(body, ctx);
  });

export type CreateCampaignBody = z.infer<typeof createCampaignBody>;
export type CampaignRecipient = z.infer<typeof campaignRecipient>;

export const controlCampaignBody = z.strictObject({
  reason: z.string().trim().min(1).max(500).optional(),
});

export const EMAILS_PAGE = { default: 50, max: 500 };

/** Parses or throws the contract's 400, one detail per bad field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('the body must be a JSON object');
  }
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return result.data;
  throw badRequest('the request has invalid fields', toDetails(result.error));
}

/** Issues must carry their input (`reportInput`): a missing field and a wrong one read differently. */
export function toDetails(error: z.ZodError): ErrorDetail[] {
  return error.issues.flatMap((issue): ErrorDetail[] => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: path ? `${path}.${key}` : key,
        message: 'is not a known field',
      }));
    }
    if (issue.code === 'invalid_type' && issue.input === undefined) {
      return [{ field: path, message: 'is required' }];
    }
    return [{ field: path || '(body)', message: issue.message }];
  });
}

/* Suppressions and recipients. Path and query values arrive as strings. */

/** An address in a path: compared trimmed and case-insensitively, so normalized before it is checked. */
const addressParam = z
  .string()
  .transform(normalizeAddress)
  .pipe(z.email({ error: 'must be an email address' }));

/** A whole number in a query string, at least 1 and at most `max`. */
function queryInt(max = Number.MAX_SAFE_INTEGER) {
  const range =
    max === Number.MAX_SAFE_INTEGER ? 'a positive whole number' : `a whole number from 1 to ${max}`;
  return z
    .string({ error: `must be ${range}` })
    .regex(/^\d{1,16}$/, { error: `must be ${range}` })
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, { error: `must be ${range}` });
}

/** Paging cursors are opaque to callers: base64url of the last `_id` of a page. */
export const encodeCursor = (id: string) => Buffer.from(id, 'utf8').toString('base64url');

const pageCursor = z
  .string({ error: 'must be the nextCursor of a previous page' })
  .regex(/^[A-Za-z0-9_-]{1,2000}$/, { error: 'must be the nextCursor of a previous page' })
  .transform((cursor) => Buffer.from(cursor, 'base64url').toString('utf8'));

export const SUPPRESSIONS_PAGE = { default: 50, max: 500 };
export const RECIPIENT_EMAILS = { default: 20, max: 100 };

export const listSuppressionsQuery = z.object({
  reason: z.string({ error: 'must be a reason, as entries show it' }).min(1).max(500).optional(),
  limit: queryInt(SUPPRESSIONS_PAGE.max).default(SUPPRESSIONS_PAGE.default),
  cursor: pageCursor.optional(),
});

/** `/v1/suppressions/:email`, with `?groupId=` for an ASM group's entry instead of the global one. */
export const suppressionTarget = z.object({
  email: addressParam,
  groupId: queryInt().optional(),
});

export const putSuppressionBody = z.strictObject({
  reason: z.string().trim().min(1, { error: 'must not be empty' }).max(500),
  expiresAt: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time, like "2027-01-31T00:00:00Z"' })
    .transform((text) => new Date(text))
    .refine((date) => date.getTime() > Date.now(), { error: 'must be in the future' })
    .nullable()
    .optional(),
  groupId: z.number({ error: 'must be an ASM group id (a positive integer)' }).int().positive().optional(),
});

export const recipientQuery = z.object({
  email: addressParam,
  limit: queryInt(RECIPIENT_EMAILS.max).default(RECIPIENT_EMAILS.default),
});

/** `GET /v1/emails`: one page of emails, oldest first, by campaign and status. */
export const listEmailsQuery = z.object({
  campaignId: z.string().min(1).max(200).optional(),
  status: z.enum(EMAIL_STATUSES, { error: `must be one of ${EMAIL_STATUSES.join(', ')}` }).optional(),
  limit: queryInt(EMAILS_PAGE.max).default(EMAILS_PAGE.default),
  cursor: pageCursor.optional(),
});

export const CAMPAIGNS_PAGE = { default: 20, max: 100 };

/** `GET /v1/campaigns`: the latest campaigns, newest first. */
export const listCampaignsQuery = z.object({
  limit: queryInt(CAMPAIGNS_PAGE.max).default(CAMPAIGNS_PAGE.default),
});

/* Reports. */

const isoTime = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time, like "2027-01-31T09:00:00Z"' })
  .transform((text) => new Date(text));

export const campaignReportQuery = z.object({
  asOf: isoTime.optional(),
});

export const summaryReportQuery = z
  .object({
    from: isoTime.optional(),
    to: isoTime.optional(),
    interval: z.enum(['hour', 'day'], { error: 'must be hour or day' }).default('day'),
    category: z.string().min(1).max(255).optional(),
  })
  .superRefine((q, ctx) => {
    if (q.from && q.to && q.from >= q.to) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
    }
  });
