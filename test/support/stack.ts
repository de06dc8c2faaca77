/**
 * The real servers integration tests run against. `npm test` (test/run.ts) starts one Temporal dev
 * server and one MongoDB-compatible server and passes their addresses in TEST_TEMPORAL_ADDRESS and
 * TEST_MONGODB_URI; a test file run on its own starts its own. Each test system gets its own task
 * queue and database, so files and tests never see each other's emails.
 */
import { randomUUID } from 'node:crypto';
import './runtime';
import { startMongo } from '../../dev/mongo';
import { type RunningSystem, type SystemOptions, startSystem } from '../../dev/system';
import { startTemporal } from '../../dev/temporal';
import { connectStores, type Stores } from '../../db/connect';
import { generateSigningKeyPair, parseSigningKey, signatureHeaders } from '../../sandbox/signing';
import { waitFor } from './wait';

export interface Infrastructure {
  temporalAddress: string;
  mongoUri: string;
  stop(): Promise<void>;
}

let infrastructure: Promise<Infrastructure> | undefined;
let users = 0;

/** The servers of `npm test`, or this file's own; the last system to close stops the file's own. */
async function acquireInfrastructure(): Promise<Infrastructure> {
  users++;
  infrastructure ??= (async () => {
    const temporalAddress = process.env.TEST_TEMPORAL_ADDRESS;
    const mongoUri = process.env.TEST_MONGODB_URI;
    if (temporalAddress && mongoUri) return { temporalAddress, mongoUri, stop: async () => {} };
    const [temporal, mongo] = await Promise.all([startTemporal(), startMongo()]);
    return {
      temporalAddress: temporal.address,
      mongoUri: mongo.uri,
      stop: async () => {
        await temporal.stop();
        await mongo.stop();
      },
    };
  })();
  return infrastructure;
}

async function releaseInfrastructure(): Promise<void> {
  if (--users > 0 || !infrastructure) return;
  const infra = await infrastructure;
  infrastructure = undefined;
  await infra.stop();
}

export const API_KEY = 'test-api-key';

export interface TestSystem extends RunningSystem {
  stores: Stores;
  signingKey: string;
  /** Calls the API with the test key (or the headers given), returning status, headers and JSON body. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  /**
   * POSTs a webhook batch (events, or raw bytes) signed as SendGrid signs it, with the sandbox's key.
   * Once it is answered 200, waits for the relay to apply every batch stored until then (suppression,
   * counters, signals), unless `applied: false` (Temporal is down, say).
   */
  postWebhook(
    batch: unknown[] | Buffer,
    opts?: { signedAt?: number; applied?: boolean },
  ): Promise<ApiResponse>;
  /** Waits for the relay to apply every webhook batch stored until now. */
  relayed(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever the API answered
  body: any;
}

/**
 * `temporalAddress` replaces the shared Temporal, for a test that stops and restarts its own; `env`
 * adds settings to the API's or the worker's environment.
 */
export async function startTestSystem(
  name: string,
  opts: { temporalAddress?: string; env?: SystemOptions['env'] } = {},
): Promise<TestSystem> {
  const infra = await acquireInfrastructure();
  const suffix = randomUUID().slice(0, 8);
  const { privateKey } = generateSigningKeyPair();
  const system = await startSystem({
    temporalAddress: opts.temporalAddress ?? infra.temporalAddress,
    taskQueue: `${name}-${suffix}`,
    mongoUri: infra.mongoUri,
    mongoDb: `test_${name.replace(/\W/g, '_')}_${suffix}`,
    apiPort: 0,
    sandboxPort: 0,
    apiKey: API_KEY,
    signingKey: privateKey,
    sandboxEventDelayMs: 20,
    sandboxBatchIntervalMs: 50,
    ...(opts.env && { env: opts.env }),
    // MAILROOM_TEST_LOGS=1 shows what the API and the sandbox log, for a failing test.
    ...(process.env.MAILROOM_TEST_LOGS ? {} : { log: () => undefined, sandboxLog: () => undefined }),
  });
  const stores = await connectStores(infra.mongoUri, system.env.api.MONGODB_DB);
  const relayed = async () => {
    const now = new Date(Date.now() + 1);
    await waitFor(async () => (await stores.batches.pending(now, 1)).length === 0, {
      timeoutMs: 30_000,
      message: 'the relay to apply the webhook batches stored so far',
    });
  };
  const call: TestSystem['call'] = async (
    method,
    path,
    body,
    headers = { authorization: `Bearer ${API_KEY}` },
  ) => {
    const res = await fetch(`${system.api.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body:
        body === undefined || typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };
  return {
    ...system,
    stores,
    signingKey: privateKey,
    call,
    async postWebhook(batch, opts = {}) {
      const body = Buffer.isBuffer(batch) ? batch : Buffer.from(JSON.stringify(batch));
      const signed = signatureHeaders(parseSigningKey(privateKey), body, opts.signedAt);
      const res = await call('POST', '/v1/webhooks/sendgrid', body, {
        'content-type': 'application/json',
        ...signed,
      });
      if (res.status === 200 && opts.applied !== false) await relayed();
      return res;
    },
    relayed,
    async close() {
      await stores.close();
      await system.close();
      await releaseInfrastructure();
    },
  };
}
