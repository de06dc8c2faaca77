import type { Stores } from '../db/connect';
import { normalizeAddress } from '../db/suppressions';
import type { Address, CampaignDoc } from '../db/types';
import { newId } from '../lib/ids';
import type { CampaignTuning } from '../workflows/campaign-signals';
import { type ErrorDetail, badRequest, unavailable } from './errors';
import {
  type CampaignRecipient,
  type CreateCampaignBody,
  DEFAULT_DELIVERY_TIMEOUT,
  campaignRecipient,
  duration,
  toDetails,
} from './schemas';
import type { TemporalGateway } from './temporal';

export interface CampaignDeps {
  stores: Stores;
  temporal: TemporalGateway;
  defaultFrom: Address;
  /** Pacing overrides (tests use small batches); the workflow's defaults otherwise. */
  tuning?: Partial<CampaignTuning>;
  log: (message: string, err: unknown) => void;
}

export interface InvalidRecipient extends ErrorDetail {
  index: number;
}

export interface AcceptedCampaign {
  id: string;
  total: number;
  /** Positions that repeat an earlier recipient's address: sent once, to the first. */
  duplicates: number;
  invalid: InvalidRecipient[];
  invalidCount: number;
}

/** The response lists this many bad recipients at most; invalidCount has them all. */
const INVALID_LISTED = 1000;
const DEFAULT_TIMEOUT_MS = duration.parse(DEFAULT_DELIVERY_TIMEOUT);
/** Recipients per stored run: a campaign batch (500 by default) reads one or two. */
const RECIPIENT_CHUNK = 1000;

/**
 * Checks every recipient (bad ones are reported by index and left out), stores the campaign and its
 * distinct recipients, then starts the campaign's workflow, which writes and starts each email when
 * it reaches it. Writing 100,000 email records here took 38 s on FerretDB; the recipients in runs of
 * RECIPIENT_CHUNK take under a second.
 */
export async function acceptCampaign(
  deps: CampaignDeps,
  body: CreateCampaignBody,
): Promise<AcceptedCampaign> {
  const { accepted, duplicates, invalid } = checkRecipients(body.recipients);
  if (accepted.length === 0) {
    throw badRequest(
      'no recipient can be sent to',
      invalid.slice(0, INVALID_LISTED).map(({ index, field, message }) => ({
        field: field ? `recipients.${index}.${field}` : `recipients.${index}`,
        message,
      })),
    );
  }

  const now = new Date();
  const campaign = toCampaignDoc(newId('cmp', now.getTime()), body, accepted.length, deps.defaultFrom, now);
  // The recipients first: a campaign record is only ever seen with all of them behind it.
  await deps.stores.recipients.insert(campaign._id, accepted, RECIPIENT_CHUNK);
  await deps.stores.campaigns.insert(campaign);

  try {
    await deps.temporal.startCampaign({
      campaignId: campaign._id,
      total: campaign.total,
      ...(campaign.sendAt && { sendAt: campaign.sendAt.toISOString() }),
      ...(campaign.ratePerSecond && { ratePerSecond: campaign.ratePerSecond }),
      ...(deps.tuning && { tuning: deps.tuning }),
    });
  } catch (err) {
    deps.log(`could not start the workflow of campaign ${campaign._id}`, err);
    await deps.stores.campaigns.setProgress(campaign._id, {
      state: 'canceled',
      started: 0,
      pauseReason: 'Mailroom could not start the campaign; nothing was sent',
    });
    throw unavailable('the workflow service is unavailable; the campaign was not sent, try again');
  }
  return {
    id: campaign._id,
    total: campaign.total,
    duplicates,
    invalid: invalid.slice(0, INVALID_LISTED),
    invalidCount: invalid.length,
  };
}

function checkRecipients(items: unknown[]) {
  const accepted: CampaignRecipient[] = [];
  const invalid: InvalidRecipient[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  items.forEach((item, index) => {
    const parsed = campaignRecipient.safeParse(item, { reportInput: true });
    if (!parsed.success) {
      for (const { field, message } of toDetails(parsed.error)) {
        invalid.push({ index, field: field === '(body)' ? '' : field, message });
      }
      return;
    }
    const address = normalizeAddress(parsed.data.to.email);
    if (seen.has(address)) {
      duplicates++;
      return;
    }
    seen.add(address);
    accepted.push(parsed.data);
  });
  return { accepted, duplicates, invalid };
}

function toCampaignDoc(
  id: string,
  body: CreateCampaignBody,
  total: number,
  defaultFrom: Address,
  now: Date,
): CampaignDoc {
  return {
    _id: id,
    name: body.name,
    from: body.from ?? defaultFrom,
    subject: body.subject ?? null,
    content: {
      ...(body.text !== undefined && { text: body.text }),
      ...(body.html !== undefined && { html: body.html }),
      ...(body.templateId !== undefined && { templateId: body.templateId }),
    },
    categories: body.categories ?? [],
    asmGroupId: body.asmGroupId ?? null,
    sendAt: body.sendAt ?? null,
    ratePerSecond: body.ratePerSecond ?? null,
    deliveryTimeoutMs: body.deliveryTimeout ?? DEFAULT_TIMEOUT_MS,
    total,
    started: 0,
    state: body.sendAt ? 'scheduled' : 'running',
    pauseReason: null,
    recipientChunk: RECIPIENT_CHUNK,
    createdAt: now,
    updatedAt: now,
  };
}
