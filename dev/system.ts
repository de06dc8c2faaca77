/**
 * Mailroom's own processes (API, worker, SendGrid sandbox) started in one Node process against a
 * given Temporal and MongoDB: what `npm start` runs, and what the integration tests run.
 * Each part is configured through the same environment variables as in production, so this
 * exercises the production config path too.
 */
import { loadApiConfig } from '../api/config';
import { type RunningApi, startApi } from '../api/server';
import { connectStores } from '../db/connect';
import { type Log, logger } from '../lib/log';
import { loadSandboxConfig } from '../sandbox/config';
import { type RunningSandbox, startSandbox } from '../sandbox/server';
import { publicKeyFor } from '../sandbox/signing';
import { loadWorkerConfig } from '../worker/config';
import { type RunningWorker, startWorker } from '../worker/worker';

export interface SystemOptions {
  temporalAddress: string;
  namespace?: string;
  taskQueue: string;
  mongoUri: string;
  mongoDb: string;
  /** 0 picks a free port. */
  apiPort: number;
  sandboxPort: number;
  /** Where the worker serves /metrics; 0 (the default) picks a free port. */
  workerMetricsPort?: number;
  apiKey: string;
  /** base64 PKCS#8 P-256 key the sandbox signs with; the API gets its public half. */
  signingKey: string;
  sandboxEventDelayMs?: number;
  sandboxBatchIntervalMs?: number;
  /** The worker's CALLBACK_SECRET; DEV_CALLBACK_SECRET when not given. */
  callbackSecret?: string;
  host?: string;
  /** More settings for each part, as environment variables (e.g. SEND_RATE_LIMIT for the worker). */
  env?: { api?: Record<string, string>; worker?: Record<string, string> };
  log?: Log;
  sandboxLog?: (line: string) => void;
}

export interface RunningSystem {
  api: RunningApi;
  sandbox: RunningSandbox;
  worker: RunningWorker;
  env: { api: Record<string, string>; worker: Record<string, string>; sandbox: Record<string, string> };
  close(): Promise<void>;
}

/** The key the sandbox accepts; "SG." because @sendgrid/client warns about keys without it. */
export const SANDBOX_SENDGRID_KEY = 'SG.sandbox-key';

/** What `npm start` signs outcome callbacks with (README, "Outcome callbacks"). */
export const DEV_CALLBACK_SECRET = 'mailroom-dev-callback-secret';

export async function startSystem(opts: SystemOptions): Promise<RunningSystem> {
  const host = opts.host ?? '127.0.0.1';
  const common = {
    TEMPORAL_ADDRESS: opts.temporalAddress,
    TEMPORAL_NAMESPACE: opts.namespace ?? 'default',
    TEMPORAL_TASK_QUEUE: opts.taskQueue,
    MONGODB_URI: opts.mongoUri,
    MONGODB_DB: opts.mongoDb,
  };
  const apiEnv = {
    ...common,
    PORT: String(opts.apiPort),
    HOST: host,
    API_KEYS: opts.apiKey,
    DEFAULT_FROM: 'Mailroom <no-reply@mailroom.test>',
    SENDGRID_WEBHOOK_PUBLIC_KEY: publicKeyFor(opts.signingKey),
    ...opts.env?.api,
  };
  const api = await startApi(loadApiConfig(apiEnv), opts.log ?? logger('api'));
  const closers: (() => Promise<void>)[] = [() => api.close()];
  const close = async () => {
    for (const closer of [...closers].reverse()) await closer();
  };

  try {
    const sandboxEnv = {
      PORT: String(opts.sandboxPort),
      SANDBOX_HOST: host,
      SANDBOX_API_KEY: SANDBOX_SENDGRID_KEY,
      SANDBOX_SIGNING_KEY: opts.signingKey,
      SANDBOX_WEBHOOK_URL: `${api.url}/v1/webhooks/sendgrid`,
      SANDBOX_EVENT_DELAY_MS: String(opts.sandboxEventDelayMs ?? 1000),
      SANDBOX_BATCH_INTERVAL_MS: String(opts.sandboxBatchIntervalMs ?? 1000),
    };
    const sandbox = await startSandbox(loadSandboxConfig(sandboxEnv), opts.sandboxLog);
    closers.push(() => sandbox.close());

    const workerEnv = {
      ...common,
      SENDGRID_API_KEY: SANDBOX_SENDGRID_KEY,
      SENDGRID_API_URL: sandbox.url,
      CALLBACK_SECRET: opts.callbackSecret ?? DEV_CALLBACK_SECRET,
      WORKER_METRICS_HOST: host,
      WORKER_METRICS_PORT: String(opts.workerMetricsPort ?? 0),
      ...opts.env?.worker,
    };
    const workerConfig = loadWorkerConfig(workerEnv);
    const stores = await connectStores(workerConfig.mongo.uri, workerConfig.mongo.dbName);
    closers.push(() => stores.close());
    const worker = await startWorker(workerConfig, stores);
    closers.push(() => worker.shutdown());

    return { api, sandbox, worker, env: { api: apiEnv, worker: workerEnv, sandbox: sandboxEnv }, close };
  } catch (err) {
    await close();
    throw err;
  }
}
