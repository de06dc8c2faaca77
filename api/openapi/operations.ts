/** The API's routes, as the docs describe them: one entry per route (see Operation). */
import { z } from 'zod';
import {
  RECIPIENT_EMAILS,
  SUPPRESSIONS_PAGE,
  listSuppressionsQuery,
  putSuppressionBody,
  recipientQuery,
  sendEmailBody,
  suppressionTarget,
} from '../schemas';
import type { Operation } from './operation';
import * as shapes from './shapes';

const groupIdNote = "an ASM group's entry instead of the global one";
const limitNote = ({ max }: { max: number }) => `1 to ${max}`;

export const OPERATIONS: Operation[] = [
  {
    id: 'sendEmail',
    method: 'post',
    path: '/v1/emails',
    tag: 'Emails',
    summary: 'Send an email',
    description:
      'Records the email and starts its workflow. Give `subject` with `text` and/or `html`, or `templateId` ' +
      '(with optional `templateData`), not both; `notifyEngagement` needs `callbackUrl`.',
    auth: 'apiKey',
    headers: z.object({ 'Idempotency-Key': z.string().max(255).optional() }),
    body: sendEmailBody,
    notes: {
      'Idempotency-Key': 'the same key and body give the same id and one send; a different body is a 409',
      to: 'an address, or {email, name}',
      from: 'default: DEFAULT_FROM',
      deliveryTimeout: '"30s", "15m", "96h", "2d"; at most 30 days, default 96h',
      callbackUrl: 'gets a signed POST with the final outcome (see the README, Outcome callbacks)',
    },
    responses: {
      202: {
        description: 'accepted: queued for sending',
        body: shapes.emailAccepted,
        headers: { Location: 'the email: /v1/emails/{id}' },
      },
      409: 'the Idempotency-Key was used with a different body',
      503: 'Temporal cannot be reached: nothing was sent',
    },
  },
  {
    id: 'getEmail',
    method: 'get',
    path: '/v1/emails/{id}',
    tag: 'Emails',
    summary: 'An email: status, outcome, provider exchange, engagement and events',
    auth: 'apiKey',
    responses: { 200: { description: 'the email', body: shapes.email }, 404: 'no email with that id' },
  },
  {
    id: 'listSuppressions',
    method: 'get',
    path: '/v1/suppressions',
    tag: 'Suppressions',
    summary: 'Active suppression entries, a page at a time',
    auth: 'apiKey',
    params: listSuppressionsQuery,
    notes: {
      reason: 'only entries with exactly this reason',
      limit: limitNote(SUPPRESSIONS_PAGE),
      cursor: "the previous page's nextCursor",
    },
    responses: { 200: { description: 'a page of entries', body: shapes.suppressionPage } },
  },
  {
    id: 'getSuppression',
    method: 'get',
    path: '/v1/suppressions/{email}',
    tag: 'Suppressions',
    summary: "An address's suppression entry",
    auth: 'apiKey',
    params: suppressionTarget,
    notes: { groupId: groupIdNote },
    responses: {
      200: { description: 'the entry', body: shapes.suppression },
      404: 'no active entry for the address',
    },
  },
  {
    id: 'putSuppression',
    method: 'put',
    path: '/v1/suppressions/{email}',
    tag: 'Suppressions',
    summary: 'Add or replace a suppression entry by hand',
    auth: 'apiKey',
    params: suppressionTarget.pick({ email: true }),
    body: putSuppressionBody,
    notes: { expiresAt: 'in the future; null or absent: until removed', groupId: groupIdNote },
    responses: {
      200: { description: 'replaced an entry', body: shapes.suppression },
      201: { description: 'added an entry', body: shapes.suppression },
    },
  },
  {
    id: 'deleteSuppression',
    method: 'delete',
    path: '/v1/suppressions/{email}',
    tag: 'Suppressions',
    summary: 'Remove a suppression entry',
    auth: 'apiKey',
    params: suppressionTarget,
    notes: { groupId: groupIdNote },
    responses: { 204: { description: 'removed' }, 404: 'no entry for the address' },
  },
  {
    id: 'getRecipient',
    method: 'get',
    path: '/v1/recipients/{email}',
    tag: 'Recipients',
    summary: 'What happened to mail for one address: its suppression entries and latest emails',
    auth: 'apiKey',
    params: recipientQuery,
    notes: { limit: `${limitNote(RECIPIENT_EMAILS)}; emails newest first` },
    responses: { 200: { description: 'an address never mailed has nothing in it', body: shapes.recipient } },
  },
  {
    id: 'sendgridWebhook',
    method: 'post',
    path: '/v1/webhooks/sendgrid',
    tag: 'Webhooks',
    summary: "SendGrid's Event Webhook",
    description:
      'Signed by SendGrid (ECDSA P-256 over the timestamp and the raw body). Events are stored, ' +
      'deduplicated, before the 200.',
    auth: 'sendgrid',
    body: shapes.webhookBatch,
    responses: {
      200: { description: 'stored', body: shapes.webhookResult },
      400: 'malformed: details name each `[i].field`',
      401: 'signature missing, not matching the body, or its timestamp outside the accepted window',
      413: 'the body is over WEBHOOK_BODY_LIMIT_BYTES',
    },
  },
  {
    id: 'health',
    method: 'get',
    path: '/healthz',
    tag: 'Service',
    summary: 'The process is up',
    auth: 'public',
    responses: { 200: { description: 'up', body: shapes.health } },
  },
  {
    id: 'readiness',
    method: 'get',
    path: '/readyz',
    tag: 'Service',
    summary: 'MongoDB and Temporal are reachable',
    auth: 'public',
    responses: {
      200: { description: 'ready', body: shapes.readiness },
      503: { description: 'not ready: the checks say which is unreachable', body: shapes.readiness },
    },
  },
  {
    id: 'metrics',
    method: 'get',
    path: '/metrics',
    tag: 'Service',
    summary: 'Prometheus metrics',
    description:
      'Request latency by route, webhook events by type, signals to workflows and the relay backlog, ' +
      "in Prometheus's text format (README, Metrics).",
    auth: 'public',
    responses: { 200: { description: 'the metrics', contentType: 'text/plain' } },
  },
  {
    id: 'openApiDocument',
    method: 'get',
    path: '/openapi.json',
    tag: 'Service',
    summary: 'This API as an OpenAPI 3.1 document',
    auth: 'public',
    responses: { 200: { description: 'the document', body: shapes.openApiDocument } },
  },
  {
    id: 'docsPage',
    method: 'get',
    path: '/docs',
    tag: 'Service',
    summary: 'This API as a readable page',
    auth: 'public',
    responses: { 200: { description: 'the page', contentType: 'text/html' } },
  },
];
