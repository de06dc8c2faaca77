import { Context } from '@temporalio/activity';
import type { MailDataRequired, MailService } from '@sendgrid/mail';
import { classes } from '@sendgrid/helpers';
import type { CampaignStore } from '../db/campaigns';
import { type CounterStore, scopesOf } from '../db/counters';
import type { EmailStore } from '../db/emails';
import type { CampaignDoc, EmailDoc, ProviderExchange } from '../db/types';
import { EMAIL_ID_ARG } from '../lib/custom-args';
import {
  emailNotFound,
  providerRejected,
  providerThrottled,
  providerUnavailable,
  sendWindowTooShort,
} from './errors';
import { SENDGRID_TIMEOUT_MS } from './sendgrid';

type ProviderResponse = NonNullable<ProviderExchange['response']>;

/** Statuses of an email no attempt has handed to SendGrid yet. */
const NOT_YET_SENT = new Set(['scheduled', 'queued', 'sending']);
/** Allowance for the time between the server starting an attempt and this code seeing it. */
const START_SKEW_MS = 5_000;

interface SendingDeps {
  emails: EmailStore;
  campaigns: CampaignStore;
  counters: CounterStore;
  sendgrid: MailService;
}

export function createSendingActivities(deps: SendingDeps) {
  const campaignContent = contentCache(deps.campaigns);
  return {
    /**
     * Hands the email to SendGrid and records the exchange. SendGrid has no idempotency key, so a retry
     * after a lost response can send twice; the activity keeps that window to one HTTP call.
     */
    async sendEmail(emailId: string): Promise<{ messageId: string | null }> {
      const startedAt = Date.now();
      const { attempt, startToCloseTimeoutMs } = Context.current().info;
      const stored = await deps.emails.get(emailId);
      if (!stored) throw emailNotFound(emailId);
      const sent = () =>
        deps.counters.record([{ key: `${emailId}:sent`, metric: 'sent', delta: 1 }], scopesOf(stored));
      // An earlier attempt sent it and recorded so, then ran out of time: report that send, not another.
      if (!NOT_YET_SENT.has(stored.status)) {
        await sent();
        return { messageId: stored.provider.messageId };
      }
      const email = stored.campaignSeq === undefined ? stored : await campaignContent(stored);
      const data = toMailData(email);
      const request = classes.Mail.create(data).toJSON() as unknown as Record<string, unknown>;
      if (attempt === 1) await deps.emails.setStatus(emailId, 'sending');

      // Temporal retries an attempt that outlives its timeout while that attempt may still be running;
      // the request must therefore end (its own timeout) before the attempt does, or it may go twice.
      const left = startToCloseTimeoutMs - (Date.now() - startedAt) - START_SKEW_MS;
      if (left < SENDGRID_TIMEOUT_MS) throw sendWindowTooShort(left, SENDGRID_TIMEOUT_MS);

      let response: ProviderResponse;
      try {
        const [res] = await deps.sendgrid.send(data);
        response = { statusCode: res.statusCode, headers: plainHeaders(res.headers), body: res.body || null };
      } catch (err) {
        const failure = describeFailure(err);
        await deps.emails.recordAttempt(emailId, { request, response: failure.response }, 'sending');
        throw failure.error;
      }
      const messageId = response.headers['x-message-id'] ?? null;
      await deps.emails.recordAttempt(
        emailId,
        { request, response, messageId: messageId ?? undefined },
        'sent',
      );
      await sent();
      return { messageId };
    },
  };
}

/**
 * A campaign's emails keep only their own recipient and template data; the content is the campaign's,
 * stored once. Campaign content never changes, so the process keeps the few it is sending.
 */
function contentCache(campaigns: CampaignStore) {
  const cache = new Map<string, Promise<CampaignDoc | null>>();
  return async (email: EmailDoc): Promise<EmailDoc> => {
    const id = email.campaignId ?? '';
    let campaign = cache.get(id);
    if (!campaign) {
      if (cache.size >= 100) cache.delete(cache.keys().next().value as string);
      campaign = campaigns.get(id);
      cache.set(id, campaign);
    }
    const found = await campaign;
    if (!found) {
      cache.delete(id);
      throw emailNotFound(`${email._id} (its campaign ${id} is missing)`);
    }
    return {
      ...email,
      subject: found.subject,
      content: { ...found.content, templateData: email.content.templateData },
    };
  };
}

function toMailData(email: EmailDoc): MailDataRequired {
  const { content } = email;
  const base = {
    to: email.to,
    from: email.from,
    customArgs: { [EMAIL_ID_ARG]: email._id },
    ...(email.subject ? { subject: email.subject } : {}),
    ...(email.categories.length ? { categories: email.categories } : {}),
    ...(email.asmGroupId !== null ? { asm: { groupId: email.asmGroupId } } : {}),
  };
  if (content.templateId) {
    return { ...base, templateId: content.templateId, dynamicTemplateData: content.templateData ?? {} };
  }
  // SendGrid wants text/plain before text/html; @sendgrid/mail orders them when given as text and html.
  return {
    ...base,
    ...(content.text ? { text: content.text } : {}),
    ...(content.html ? { html: content.html } : {}),
  } as MailDataRequired;
}

interface ResponseErrorLike {
  code?: number;
  message?: string;
  response?: { headers?: Record<string, unknown>; body?: unknown };
}

function describeFailure(err: unknown) {
  const e = err as ResponseErrorLike;
  const statusCode = typeof e.code === 'number' && e.response ? e.code : null;
  if (statusCode === null) {
    const message = `SendGrid could not be reached: ${e.message ?? String(err)}`;
    return { response: null, error: providerUnavailable(message, { statusCode: null, body: null }) };
  }
  const headers = plainHeaders(e.response?.headers ?? {});
  const body = e.response?.body ?? null;
  const response: ProviderResponse = { statusCode, headers, body };
  const facts = { statusCode, body };
  const message = `${statusCode}: ${firstErrorMessage(body) ?? e.message ?? 'no message'}`;
  if (statusCode === 429) {
    const resetAt = Number(headers['x-ratelimit-reset']) * 1000;
    const retryInMs = Number.isFinite(resetAt) ? resetAt - Date.now() : 1000;
    return { response, error: providerThrottled(`SendGrid is rate limiting (${message})`, facts, retryInMs) };
  }
  if (statusCode >= 500)
    return { response, error: providerUnavailable(`SendGrid failed (${message})`, facts) };
  return { response, error: providerRejected(message, facts) };
}

function firstErrorMessage(body: unknown): string | undefined {
  const errors = (body as { errors?: { message?: unknown }[] } | null)?.errors;
  const message = Array.isArray(errors) ? errors[0]?.message : undefined;
  return typeof message === 'string' ? message : undefined;
}

function plainHeaders(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && value !== null) out[name.toLowerCase()] = String(value);
  }
  return out;
}
