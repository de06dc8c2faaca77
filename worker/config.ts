import { ConfigError, type Env, optional, port, positiveInt, required } from '../lib/env';
import {
  type MongoConfig,
  type TemporalConfig,
  mongoConfig,
  sendgridApiUrl,
  temporalConfig,
} from '../lib/config';
import type { CallbackOptions } from '../activities/callbacks';
import { DEFAULT_CALLBACK_MAX_ATTEMPTS } from '../lib/config';

export interface WorkerConfig {
  temporal: TemporalConfig;
  mongo: MongoConfig;
  sendgrid: { apiKey: string; apiUrl: string };
  callbacks: CallbackOptions & { maxAttempts: number };
  /** Sends per second across every worker (SEND_RATE_LIMIT); null: as fast as SendGrid takes them. */
  sendRateLimit: number | null;
  /** Where GET /metrics listens; port 0 picks a free one. */
  metrics: { host: string; port: number };
}

/** OpenTelemetry's Prometheus exporter port, the usual one for a Node process's metrics. */
export const DEFAULT_WORKER_METRICS_PORT = 9464;

/** The callback activity's Temporal timeout (workflows/notify.ts) leaves room above this. */
const MAX_CALLBACK_TIMEOUT_MS = 60_000;

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  return {
    temporal: temporalConfig(env),
    mongo: mongoConfig(env),
    sendgrid: { apiKey: required(env, 'SENDGRID_API_KEY'), apiUrl: sendgridApiUrl(env) },
    callbacks: {
      secret: env.CALLBACK_SECRET?.trim() || null,
      timeoutMs: callbackTimeoutMs(env),
      maxAttempts: positiveInt(env, 'CALLBACK_MAX_ATTEMPTS', DEFAULT_CALLBACK_MAX_ATTEMPTS),
    },
    sendRateLimit: sendRateLimit(env),
    metrics: {
      host: optional(env, 'WORKER_METRICS_HOST', '0.0.0.0'),
      port: port(env, 'WORKER_METRICS_PORT', DEFAULT_WORKER_METRICS_PORT),
    },
  };
}

function sendRateLimit(env: Env): number | null {
  const raw = env.SEND_RATE_LIMIT?.trim();
  if (!raw) return null;
  const rate = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !(rate > 0))
    throw new ConfigError(`SEND_RATE_LIMIT must be a number of sends per second above 0, got "${raw}"`);
  return rate;
}

function callbackTimeoutMs(env: Env): number {
  const ms = positiveInt(env, 'CALLBACK_TIMEOUT_MS', 10_000);
  if (ms > MAX_CALLBACK_TIMEOUT_MS)
    throw new ConfigError(`CALLBACK_TIMEOUT_MS must be at most ${MAX_CALLBACK_TIMEOUT_MS}, got "${ms}"`);
  return ms;
}
