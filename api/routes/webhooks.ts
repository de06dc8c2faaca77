import express, { Router, type Request } from 'express';
import type { KeyObject } from 'node:crypto';
import { unauthorized } from '../errors';
import { type IngestDeps, storeBatch } from '../ingest';
import type { Relay } from '../relay';
import { parseBatch } from '../webhook-events';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../webhook-signature';

export interface WebhookDeps extends IngestDeps {
  publicKey: KeyObject | null;
  bodyLimitBytes: number;
  maxAgeMs: number;
  relay: Pick<Relay, 'submit'>;
}

/** Clocks differ; a signature a few minutes "from the future" is still SendGrid's. */
const FUTURE_SKEW_MS = 5 * 60_000;

export function webhooksRouter(deps: WebhookDeps): Router {
  const router = Router();
  // The signature covers the bytes as received, so this route parses its own raw body.
  const rawBody = express.raw({ type: () => true, limit: deps.bodyLimitBytes });
  router.post('/sendgrid', rawBody, async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (deps.publicKey) checkSignature(deps.publicKey, deps.maxAgeMs, req, body);
    const { batch, fresh, stored, duplicates } = await storeBatch(deps, parseBatch(body));
    deps.relay.submit(batch, fresh);
    res.status(200).json({ stored, duplicates });
  });
  return router;
}

function checkSignature(key: KeyObject, maxAgeMs: number, req: Request, body: Buffer): void {
  const signature = req.get(SIGNATURE_HEADER);
  const timestamp = req.get(TIMESTAMP_HEADER);
  if (!signature || !timestamp)
    throw unauthorized(`missing ${SIGNATURE_HEADER} or ${TIMESTAMP_HEADER} header`);
  if (!verifySignature(key, body, signature, timestamp)) {
    throw unauthorized('the webhook signature does not match the body');
  }
  // A replayed batch is harmless (events are deduplicated); this bounds how long a captured one works.
  const age = Date.now() - Number(timestamp) * 1000;
  if (!Number.isFinite(age) || age > maxAgeMs || age < -FUTURE_SKEW_MS) {
    throw unauthorized('the webhook signature timestamp is outside the accepted window');
  }
}
