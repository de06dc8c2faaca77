import express, { Router } from 'express';
import type { KeyObject } from 'node:crypto';
import { unauthorized } from '../errors';
import { type IngestDeps, ingestBatch } from '../ingest';
import { parseBatch } from '../webhook-events';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../webhook-signature';

export interface WebhookDeps extends IngestDeps {
  publicKey: KeyObject | null;
  bodyLimitBytes: number;
}

export function webhooksRouter(deps: WebhookDeps): Router {
  const router = Router();
  // The signature covers the bytes as received, so this route parses its own raw body.
  router.post(
    '/sendgrid',
    express.raw({ type: () => true, limit: deps.bodyLimitBytes }),
    async (req, res) => {
      const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (deps.publicKey) {
        const signature = req.get(SIGNATURE_HEADER);
        const timestamp = req.get(TIMESTAMP_HEADER);
        if (!signature || !timestamp)
          throw unauthorized(`missing ${SIGNATURE_HEADER} or ${TIMESTAMP_HEADER} header`);
        if (!verifySignature(deps.publicKey, rawBody, signature, timestamp)) {
          throw unauthorized('the webhook signature does not match the body');
        }
      }
      const result = await ingestBatch(deps, parseBatch(rawBody));
      res.status(200).json(result);
    },
  );
  return router;
}
