import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectStores } from '../db/connect';
import { type Log, logger } from '../lib/log';
import { createApp } from './app';
import type { ApiConfig } from './config';
import { createApiMetrics } from './metrics';
import { startRelay } from './relay';
import { connectTemporal } from './temporal';

export interface RunningApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Connects to MongoDB and Temporal, starts the relay, and listens. */
export async function startApi(config: ApiConfig, log: Log = logger('api')): Promise<RunningApi> {
  if (!config.webhookPublicKey)
    log('WARNING: webhook signature verification is OFF (SENDGRID_WEBHOOK_VERIFY=false)');
  const stores = await connectStores(config.mongo.uri, config.mongo.dbName);
  const temporal = connectTemporal(config.temporal, config.callbackMaxAttempts);
  const metrics = createApiMetrics(stores.batches, log);
  const relay = startRelay(
    {
      stores,
      temporal,
      log,
      metrics,
      suppression: config.suppression,
      callbackMaxAttempts: config.callbackMaxAttempts,
    },
    // Long enough that another API's relay is still working through its own backlog.
    { intervalMs: 2000, graceMs: 30_000 },
  );
  const app = createApp({ config, stores, temporal, log, metrics, relay });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  return {
    url: `http://${host}:${port}`,
    port,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await relay.stop();
      await temporal.close();
      await stores.close();
    },
  };
}
