import express, { type Express } from 'express';
import type { Stores } from '../db/connect';
import type { ApiConfig } from './config';
import { requireApiKey } from './auth';
import { dashboardRouter } from './dashboard/router';
import { errorHandler, notFoundRoute } from './errors';
import { type ApiMetrics, createApiMetrics } from './metrics';
import { openApiRouter } from './openapi/router';
import { campaignsRouter } from './routes/campaigns';
import { emailsRouter } from './routes/emails';
import { healthRouter } from './routes/health';
import { recipientsRouter } from './routes/recipients';
import { reportsRouter } from './routes/reports';
import { suppressionsRouter } from './routes/suppressions';
import { webhooksRouter } from './routes/webhooks';
import type { Relay } from './relay';
import type { TemporalGateway } from './temporal';

export interface AppDeps {
  config: ApiConfig;
  stores: Stores;
  temporal: TemporalGateway;
  log: (message: string, err?: unknown) => void;
  /** Shared with the relay by the server; the app makes its own when not given. */
  metrics?: ApiMetrics;
  /** Applies stored webhook batches after SendGrid has been answered. */
  relay: Pick<Relay, 'submit'>;
}

const CAMPAIGN_BODY_LIMIT = '64mb';

/** The HTTP app alone, without a listening socket, so tests can mount it however they like. */
export function createApp(deps: AppDeps): Express {
  const { config, stores, temporal, log, relay } = deps;
  const app = express();
  app.disable('x-powered-by');
  const metrics = deps.metrics ?? createApiMetrics(stores.batches, log);
  app.use(metrics.httpMiddleware);
  app.use(healthRouter({ stores, temporal }));
  app.use(openApiRouter());
  // Public files only: the page asks for an API key and the /v1 routes below check it.
  app.use(dashboardRouter());
  app.get('/metrics', metrics.scrapeHandler);
  // The webhook is authenticated by SendGrid's signature, not by an API key.
  app.use(
    '/v1/webhooks',
    webhooksRouter({
      stores,
      temporal,
      log,
      metrics,
      relay,
      publicKey: config.webhookPublicKey,
      bodyLimitBytes: config.webhookBodyLimitBytes,
      maxAgeMs: config.webhookMaxAgeMs,
    }),
  );
  const { defaultFrom } = config;
  // A 100,000-recipient campaign is tens of megabytes of JSON; every other body stays small.
  app.use(
    '/v1/campaigns',
    requireApiKey(config.apiKeys),
    express.json({ limit: CAMPAIGN_BODY_LIMIT }),
    campaignsRouter({ stores, temporal, defaultFrom, tuning: config.campaigns, log }),
  );
  app.use('/v1', requireApiKey(config.apiKeys), express.json({ limit: '1mb' }));
  app.use('/v1/emails', emailsRouter({ stores, temporal, defaultFrom, log }));
  app.use('/v1/suppressions', suppressionsRouter({ stores }));
  app.use('/v1/recipients', recipientsRouter({ stores }));
  app.use('/v1/reports', reportsRouter({ stores }));
  app.use(notFoundRoute);
  app.use(errorHandler(log));
  return app;
}
