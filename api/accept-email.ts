import { createHash } from 'node:crypto';
import type { Stores } from '../db/connect';
import type { Address, EmailDoc } from '../db/types';
import { isDuplicateKey } from '../db/errors';
import { normalizeAddress } from '../db/suppressions';
import { newId } from '../lib/ids';
import { conflict, unavailable } from './errors';
import { DEFAULT_DELIVERY_TIMEOUT, duration, type SendEmailBody } from './schemas';
import type { TemporalGateway } from './temporal';

export interface AcceptDeps {
  stores: Stores;
  temporal: TemporalGateway;
  defaultFrom: Address;
  log: (message: string, err: unknown) => void;
}

export interface AcceptRequest {
  body: SendEmailBody;
  /** The JSON as the caller sent it: the same key with a different body is a conflict. */
  rawBody: unknown;
  idempotencyKey?: string;
  keyScope: string;
}

const DEFAULT_TIMEOUT_MS = duration.parse(DEFAULT_DELIVERY_TIMEOUT);

/**
 * Records the email, then starts its workflow. With an Idempotency-Key, a repeat returns the first
 * email's id and completes whatever the first attempt left undone (record or workflow), never a second send.
 */
export async function acceptEmail(deps: AcceptDeps, req: AcceptRequest): Promise<string> {
  let id = newId('em');
  if (req.idempotencyKey) {
    const bodyHash = hashJson(req.rawBody);
    const claim = await deps.stores.idempotency.claim({
      _id: `${req.keyScope}:${req.idempotencyKey}`,
      bodyHash,
      emailId: id,
      createdAt: new Date(),
    });
    if (claim.bodyHash !== bodyHash) {
      throw conflict('this Idempotency-Key was used before with a different body');
    }
    id = claim.emailId;
  }

  const doc = toEmailDoc(id, req.body, deps.defaultFrom);
  try {
    await deps.stores.emails.insert(doc);
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }

  try {
    await deps.temporal.startEmail(doc);
  } catch (err) {
    deps.log(`could not start the workflow of ${id}`, err);
    // Without an idempotency key the caller cannot resume this email, so the record says what happened.
    if (!req.idempotencyKey) {
      await deps.stores.emails.setOutcome(id, {
        result: 'failed',
        reason: 'Mailroom could not start processing the email; it was not sent',
        detail: { error: String(err) },
        at: new Date().toISOString(),
      });
    }
    throw unavailable('the workflow service is unavailable; the email was not sent, try again');
  }
  return id;
}

function toEmailDoc(id: string, body: SendEmailBody, defaultFrom: Address): EmailDoc {
  const now = new Date();
  return {
    _id: id,
    to: { ...body.to, email: body.to.email.trim() },
    toNormalized: normalizeAddress(body.to.email),
    from: body.from ?? defaultFrom,
    subject: body.subject ?? null,
    content: {
      ...(body.text !== undefined && { text: body.text }),
      ...(body.html !== undefined && { html: body.html }),
      ...(body.templateId !== undefined && {
        templateId: body.templateId,
        templateData: body.templateData ?? {},
      }),
    },
    campaignId: body.campaignId ?? null,
    categories: body.categories ?? [],
    metadata: body.metadata ?? {},
    asmGroupId: body.asmGroupId ?? null,
    callbackUrl: body.callbackUrl ?? null,
    notifyEngagement: body.notifyEngagement ?? false,
    deliveryTimeoutMs: body.deliveryTimeout ?? DEFAULT_TIMEOUT_MS,
    sendAt: body.sendAt ?? null,
    status: body.sendAt ? 'scheduled' : 'queued',
    outcome: null,
    provider: { messageId: null, request: null, response: null, attempts: 0 },
    createdAt: now,
    updatedAt: now,
  };
}

/** Key order does not change a body's meaning, so it does not change its hash. */
function hashJson(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
