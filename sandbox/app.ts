import express, { type ErrorRequestHandler, type Express } from 'express';
import { errorBody } from './error-body';
import { deliveriesOf, type WebhookEvent } from './events';
import { mailSendHandler, type ReceivedRequest } from './mail-send';
import { RateLimiter } from './rate-limit';
import { RequestFaults } from './request-faults';
import { timelineOf } from './scenarios';
import { parseSigningKey, publicKeyFor } from './signing';
import { Timeline } from './timeline';
import { WebhookPoster } from './webhook-poster';

export interface SandboxOptions {
  /** The one API key mail/send accepts. */
  apiKey: string;
  /** base64 PKCS#8 DER P-256 private key the webhook posts are signed with. */
  signingKey: string;
  webhookUrl?: string;
  /** Gap between a recipient's consecutive events (and between the 202 and its first event). */
  eventDelayMs: number;
  batchIntervalMs: number;
  maxBatchSize: number;
  webhookRetryMs: number;
  webhookMaxAttempts: number;
  /** mail/send requests taken per second; above it, 429 with X-RateLimit-Reset. Absent: no cap. */
  rateLimit?: number;
  log?: (line: string) => void;
}

export interface Sandbox {
  app: Express;
  poster: WebhookPoster;
  publicKey: string;
  close(): Promise<void>;
}

// SendGrid takes messages up to 30 MB; leave room for JSON and base64 overhead being counted differently.
const BODY_LIMIT = '32mb';
// The lists below are for looking at, not an archive: keep a long run's memory bounded.
const KEEP = 10_000;

export function createSandbox(options: SandboxOptions): Sandbox {
  const signingKey = parseSigningKey(options.signingKey);
  const publicKey = publicKeyFor(options.signingKey);
  const poster = new WebhookPoster({
    url: options.webhookUrl,
    signingKey,
    batchIntervalMs: options.batchIntervalMs,
    maxBatchSize: options.maxBatchSize,
    retryMs: options.webhookRetryMs,
    maxAttempts: options.webhookMaxAttempts,
    log: options.log,
  });
  const requests: ReceivedRequest[] = [];
  const events: WebhookEvent[] = [];
  const timeline = new Timeline(options.eventDelayMs, (event) => {
    keep(events, event);
    poster.enqueue(event);
  });

  const app = express();
  app.disable('x-powered-by');
  app.post(
    '/v3/mail/send',
    express.raw({ type: () => true, limit: BODY_LIMIT }),
    mailSendHandler({
      apiKey: options.apiKey,
      faults: new RequestFaults(),
      rateLimiter: options.rateLimit ? new RateLimiter(options.rateLimit) : undefined,
      record: (request) => keep(requests, request),
      accepted: (mail, messageId) => {
        for (const delivery of deliveriesOf(mail, messageId))
          timeline.play(delivery, timelineOf(delivery.email));
      },
    }),
  );
  app.all('/v3/mail/send', (_req, res) => {
    res.status(405).json(errorBody([{ message: 'POST method allowed only', field: null }]));
  });
  app.use('/v3', (_req, res) => {
    res.status(404).json(errorBody([{ message: 'resource not found', field: null }]));
  });

  app.get('/sandbox/messages', (req, res) => {
    const to = typeof req.query.to === 'string' ? req.query.to.toLowerCase() : undefined;
    res.json(to ? requests.filter((r) => addressesIn(r.body).includes(to)) : requests);
  });
  app.get('/sandbox/events', (req, res) => {
    const email = typeof req.query.email === 'string' ? req.query.email.toLowerCase() : undefined;
    res.json(email ? events.filter((e) => e.email.toLowerCase() === email) : events);
  });
  app.get('/sandbox/webhook', (_req, res) => {
    res.json({ url: options.webhookUrl ?? null, ...poster.stats() });
  });
  app.get('/sandbox/public-key', (_req, res) => {
    res.json({ publicKey });
  });
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(errorHandler);

  return {
    app,
    poster,
    publicKey,
    close: async () => {
      timeline.stop();
      await poster.close();
    },
  };
}

const errorHandler: ErrorRequestHandler = (err: { status?: number; type?: string }, _req, res, _next) => {
  if (err.type === 'entity.too.large') {
    res
      .status(413)
      .json(
        errorBody([
          { message: 'The JSON payload you have included in your request is too large.', field: null },
        ]),
      );
    return;
  }
  res.status(err.status ?? 500).json(errorBody([{ message: 'internal server error', field: null }]));
};

function keep<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > KEEP) list.shift();
}

/** Every to/cc/bcc address in a request body as received, lowercased; tolerant of invalid bodies. */
function addressesIn(body: unknown): string[] {
  const personalizations = (body as { personalizations?: unknown } | null)?.personalizations;
  if (!Array.isArray(personalizations)) return [];
  return personalizations.flatMap((p: Record<string, unknown> | null) =>
    ['to', 'cc', 'bcc'].flatMap((kind) => {
      const list = p?.[kind];
      if (!Array.isArray(list)) return [];
      return list.flatMap((a: { email?: unknown } | null) =>
        typeof a?.email === 'string' ? [a.email.toLowerCase()] : [],
      );
    }),
  );
}
