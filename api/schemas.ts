/**
 * Request schemas: the one place that says what the API accepts.
 * Validation errors name every bad field (`details[].field`), never just the first.
 */
import { z } from 'zod';
import { normalizeAddress } from '../db/suppressions';
import { parseDuration } from '../lib/env';
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
  })
  .superRefine((body, ctx) => {
    const hasBody = body.text !== undefined || body.html !== undefined;
    if (body.templateId && hasBody) {
      ctx.addIssue({
        code: 'custom',
        path: ['templateId'],
        message: 'give templateId or text/html, not both',
      });
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

/** Parses or throws the contract's 400, one detail per bad field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('the body must be a JSON object');
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw badRequest('the request has invalid fields', toDetails(result.error));
}

function toDetails(error: z.ZodError): ErrorDetail[] {
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

export const SUPPRESSIONS_PAGE = { default: 50, max: 500 };
export const RECIPIENT_EMAILS = { default: 20, max: 100 };

export const listSuppressionsQuery = z.object({
  reason: z.string({ error: 'must be a reason, as entries show it' }).min(1).max(500).optional(),
  limit: queryInt(SUPPRESSIONS_PAGE.max).default(SUPPRESSIONS_PAGE.default),
  cursor: z
    .string({ error: 'must be the nextCursor of a previous page' })
    .regex(/^[A-Za-z0-9_-]{1,2000}$/, { error: 'must be the nextCursor of a previous page' })
    .transform((cursor) => Buffer.from(cursor, 'base64url').toString('utf8'))
    .optional(),
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
