import { loadOrExit } from '../lib/env';
import { connectStores } from '../db/connect';
import { loadWorkerConfig } from './config';
import { installRuntime } from './runtime';
import { startWorker } from './worker';

/** Production entry point: `npm run start:worker`. The SDK stops the worker gracefully on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = loadOrExit(() => loadWorkerConfig());
  installRuntime();
  const stores = await connectStores(config.mongo.uri, config.mongo.dbName);
  const running = await startWorker(config, stores);
  console.log(`worker polling task queue "${config.temporal.taskQueue}" on ${config.temporal.address}`);
  console.log(`worker metrics on ${running.metricsUrl}`);
  try {
    await running.done;
  } finally {
    await stores.close();
  }
}

main().catch((err: unknown) => {
  console.error('worker failed:', err);
  process.exit(1);
});
