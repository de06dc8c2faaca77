import { loadOrExit } from '../lib/env';
import { loadApiConfig } from './config';
import { startApi } from './server';

/** Production entry point: `npm run start:api`. */
async function main(): Promise<void> {
  const config = loadOrExit(() => loadApiConfig());
  const api = await startApi(config);
  console.log(`Mailroom API listening on ${api.url}`);
  const stop = () => {
    api.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('shutdown failed:', err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error('api failed:', err);
  process.exit(1);
});
