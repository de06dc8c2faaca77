import type { Request, RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WebhookBatchStore } from '../db/batches';

/** The `route` label of a request answered before any route matched it (a 404, a 401 from the key check). */
export const UNMATCHED_ROUTE = 'unmatched';

/** SendGrid's event types; anything else is counted as "other", so a label never takes arbitrary values. */
const EVENT_TYPES = new Set([
  'processed',
  'dropped',
  'delivered',
  'deferred',
  'bounce',
  'open',
  'click',
  'spamreport',
  'unsubscribe',
  'group_unsubscribe',
  'group_resubscribe',
]);

/** What became of one signal to an email's workflow: it arrived, the workflow had ended, or Temporal failed. */
export type SignalResult = 'ok' | 'late' | 'failed';

/** How long a scrape waits for MongoDB before reporting the backlog as unknown (NaN). */
const BACKLOG_TIMEOUT_MS = 2000;

/**
 * The API's metrics, in a registry of their own: the dev system and the tests run an API and a worker
 * (or several) in one process, and each must be able to register the same names.
 */
export function createApiMetrics(batches: WebhookBatchStore, log: (message: string, err?: unknown) => void) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status code, and how long they took',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  const webhookEvents = new Counter({
    name: 'mailroom_webhook_events_total',
    help: 'SendGrid webhook events stored, by event type (duplicates not included)',
    labelNames: ['event'] as const,
    registers: [registry],
  });
  const webhookDuplicates = new Counter({
    name: 'mailroom_webhook_duplicate_events_total',
    help: 'SendGrid webhook events skipped as duplicates of one already stored, by event type',
    labelNames: ['event'] as const,
    registers: [registry],
  });
  const signals = new Counter({
    name: 'mailroom_workflow_signals_total',
    help: 'Webhook events applied by the relay: ok (signaled), late (the workflow had ended: applied to the record) or failed (retried)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  for (const result of ['ok', 'late', 'failed'] satisfies SignalResult[]) signals.inc({ result }, 0);

  // Read from MongoDB at each scrape, so every API process reports the same, shared backlog.
  let backlog: Promise<{ pending: number; oldestAgeSeconds: number }> | undefined;
  const readBacklog = () =>
    (backlog ??= withTimeout(batches.backlog(), BACKLOG_TIMEOUT_MS)
      .then(({ pending, oldestReceivedAt }) => ({
        pending,
        oldestAgeSeconds: oldestReceivedAt
          ? Math.max(0, (Date.now() - oldestReceivedAt.getTime()) / 1000)
          : 0,
      }))
      .catch((err: unknown) => {
        log('metrics: could not count the pending webhook batches', err);
        return { pending: NaN, oldestAgeSeconds: NaN };
      })
      .finally(() => {
        backlog = undefined;
      }));
  new Gauge({
    name: 'mailroom_webhook_batches_pending',
    help: 'Webhook batches stored and not yet applied by the relay (its backlog)',
    registers: [registry],
    async collect() {
      this.set((await readBacklog()).pending);
    },
  });
  new Gauge({
    name: 'mailroom_webhook_batches_oldest_pending_seconds',
    help: 'Age of the oldest pending webhook batch; 0 when none is pending',
    registers: [registry],
    async collect() {
      this.set((await readBacklog()).oldestAgeSeconds);
    },
  });

  return {
    registry,

    /** Times every request; the route label is the matched template (`/v1/emails/:id`), never the raw path. */
    httpMiddleware: ((req, res, next) => {
      const stop = httpDuration.startTimer();
      const route = recordRouteTemplate(req);
      res.once('finish', () => {
        stop({ method: req.method, route: route() ?? UNMATCHED_ROUTE, status_code: String(res.statusCode) });
      });
      next();
    }) satisfies RequestHandler,

    /** GET /metrics in Prometheus's text format. */
    scrapeHandler: (async (_req, res) => {
      const text = await registry.metrics();
      res.type(registry.contentType).send(text);
    }) satisfies RequestHandler,

    webhookEvent(event: string, duplicate: boolean): void {
      const label = { event: EVENT_TYPES.has(event) ? event : 'other' };
      (duplicate ? webhookDuplicates : webhookEvents).inc(label);
    },

    signal(result: SignalResult): void {
      signals.inc({ result });
    },
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/**
 * The route template a request matched, read when the router matches it: by the time the response is
 * finished, a route that threw has handed its error back out of its router, and `req.baseUrl` no longer
 * holds the mount path (`/v1/emails`) that the template needs.
 */
function recordRouteTemplate(req: Request): () => string | undefined {
  let template: string | undefined;
  let route: unknown = req.route;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: unknown) {
      route = value;
      const path = (value as { path?: unknown } | undefined)?.path;
      if (typeof path === 'string') template = `${req.baseUrl}${path}`.replace(/(.)\/$/, '$1');
    },
  });
  return () => template;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
