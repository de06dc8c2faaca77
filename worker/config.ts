import { ConfigError, type Env, positiveInt, required } from '../lib/env';
import {
  type MongoConfig,
  type TemporalConfig,
  mongoConfig,
  sendgridApiUrl,
  temporalConfig,
} from '../lib/config';
import type { CallbackOptions } from '../activities/callbacks';

export interface WorkerConfig {
  temporal: TemporalConfig;
  mongo: MongoConfig;
  sendgrid: { apiKey: string; apiUrl: string };
  callbacks: CallbackOptions;
}

/** The callback activity's Temporal timeout (workflows/notify.ts) leaves room above this. */
const MAX_CALLBACK_TIMEOUT_MS = 60_000;

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  return {
    temporal: temporalConfig(env),
    mongo: mongoConfig(env),
    sendgrid: { apiKey: required(env, 'SENDGRID_API_KEY'), apiUrl: sendgridApiUrl(env) },
    callbacks: { secret: env.CALLBACK_SECRET?.trim() || null, timeoutMs: callbackTimeoutMs(env) },
  };
}

function callbackTimeoutMs(env: Env): number {
  const ms = positiveInt(env, 'CALLBACK_TIMEOUT_MS', 10_000);
  if (ms > MAX_CALLBACK_TIMEOUT_MS)
    throw new ConfigError(`CALLBACK_TIMEOUT_MS must be at most ${MAX_CALLBACK_TIMEOUT_MS}, got "${ms}"`);
  return ms;
}
