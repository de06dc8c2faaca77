/**
 * `npm start`: the whole system on embedded defaults, in one command. A Temporal dev server with its
 * Web UI and a MongoDB-compatible server keep their data in .data/, so a restart keeps history;
 * the API, the worker and the SendGrid sandbox run in this process. Ctrl-C stops everything.
 * TEMPORAL_ADDRESS or MONGODB_URI, if set, are used instead of starting those servers.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger } from '@temporalio/worker';
import { port } from '../lib/env';
import { generateSigningKeyPair } from '../sandbox/signing';
import { DEFAULT_WORKER_METRICS_PORT } from '../worker/config';
import { installRuntime } from '../worker/runtime';
import { startMongo } from './mongo';
import { startSystem } from './system';
import { startTemporal, useExistingTemporal } from './temporal';
import { DATA_DIR } from './tools';

/** The development API key; production keys come from API_KEYS. */
export const DEV_API_KEY = 'mailroom-dev-key';

async function main(): Promise<void> {
  const env = process.env;
  const ports = {
    api: port(env, 'PORT', 3000),
    sandbox: port(env, 'SANDBOX_PORT', 3025),
    temporal: port(env, 'TEMPORAL_PORT', 7233),
    temporalUi: port(env, 'TEMPORAL_UI_PORT', 8233),
    mongo: port(env, 'MONGO_PORT', 27017),
    workerMetrics: port(env, 'WORKER_METRICS_PORT', DEFAULT_WORKER_METRICS_PORT),
  };
  mkdirSync(DATA_DIR, { recursive: true });
  installRuntime({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });

  const stops: (() => Promise<void>)[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) process.exit(code); // a second Ctrl-C does not wait
    stopping = true;
    console.log('\nStopping Mailroom…');
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error(err));
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const temporal = env.TEMPORAL_ADDRESS
      ? await useExistingTemporal(env.TEMPORAL_ADDRESS, env.TEMPORAL_NAMESPACE)
      : await startTemporal({
          port: ports.temporal,
          uiPort: ports.temporalUi,
          dbFile: path.join(DATA_DIR, 'temporal', 'temporal.db'),
        });
    stops.push(() => temporal.stop());
    const mongo = await startMongo({ dataDir: path.join(DATA_DIR, 'mongo'), port: ports.mongo });
    stops.push(() => mongo.stop());

    const system = await startSystem({
      temporalAddress: temporal.address,
      taskQueue: env.TEMPORAL_TASK_QUEUE ?? 'mailroom',
      mongoUri: mongo.uri,
      mongoDb: env.MONGODB_DB ?? 'mailroom',
      apiPort: ports.api,
      sandboxPort: ports.sandbox,
      workerMetricsPort: ports.workerMetrics,
      apiKey: DEV_API_KEY,
      signingKey: devSigningKey(),
    });
    stops.push(() => system.close());
    printBanner(system.api.url, temporal.uiUrl, system.sandbox.url, mongo.kind, system.worker.metricsUrl);
  } catch (err) {
    console.error(`Mailroom could not start: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll(1);
  }
}

/** Kept in .data/ so the sandbox signs with the same key across restarts. */
function devSigningKey(): string {
  const file = path.join(DATA_DIR, 'dev-signing-key.json');
  if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { privateKey: string }).privateKey;
  const pair = generateSigningKeyPair();
  writeFileSync(file, JSON.stringify(pair, null, 2), { mode: 0o600 });
  return pair.privateKey;
}

function printBanner(
  apiUrl: string,
  uiUrl: string | undefined,
  sandboxUrl: string,
  mongoKind: string,
  workerMetricsUrl: string,
): void {
  const apiBase = apiUrl.replace('127.0.0.1', 'localhost');
  console.log(`
Mailroom is running. Ctrl-C stops everything.

  API          ${apiBase}   (API key: ${DEV_API_KEY})
  Temporal UI  ${uiUrl?.replace('127.0.0.1', 'localhost') ?? '(external Temporal: see its own UI)'}
  Sandbox      ${sandboxUrl}   (stands in for SendGrid; posts signed webhooks to the API)
  MongoDB      ${mongoKind}, data in .data/
  Metrics      ${apiBase}/metrics (API), ${workerMetricsUrl.replace('127.0.0.1', 'localhost')} (worker)

Send an email:
  curl -s -X POST ${apiBase}/v1/emails \\
    -H 'Authorization: Bearer ${DEV_API_KEY}' -H 'Content-Type: application/json' \\
    -d '{"to":"someone@example.com","subject":"Hello","text":"Hi there"}'

Then see what became of it (use the id it returned):
  curl -s ${apiBase}/v1/emails/<id> -H 'Authorization: Bearer ${DEV_API_KEY}'
`);
}

void main();
