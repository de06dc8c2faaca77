import type { Env } from '../lib/env';
import { ConfigError, optional, port, positiveInt, required, url } from '../lib/env';
import type { SandboxOptions } from './app';
import { parseSigningKey } from './signing';

export interface SandboxConfig extends Omit<SandboxOptions, 'log'> {
  host: string;
  /** 0 picks a free port; startSandbox reports the one it got. */
  port: number;
}

export function loadSandboxConfig(env: Env): SandboxConfig {
  const apiKey = required(env, 'SANDBOX_API_KEY');
  const signingKey = required(env, 'SANDBOX_SIGNING_KEY');
  try {
    parseSigningKey(signingKey);
  } catch (err) {
    throw new ConfigError(
      `SANDBOX_SIGNING_KEY ${(err as Error).message} (make one with: npx tsx sandbox/keygen.ts)`,
    );
  }
  return {
    host: optional(env, 'SANDBOX_HOST', '127.0.0.1'),
    port: port(env, 'PORT', 3025),
    apiKey,
    signingKey,
    webhookUrl: env.SANDBOX_WEBHOOK_URL?.trim() ? url(env, 'SANDBOX_WEBHOOK_URL') : undefined,
    eventDelayMs: positiveInt(env, 'SANDBOX_EVENT_DELAY_MS', 1000),
    batchIntervalMs: positiveInt(env, 'SANDBOX_BATCH_INTERVAL_MS', 1000),
    maxBatchSize: positiveInt(env, 'SANDBOX_BATCH_MAX_EVENTS', 500),
    webhookRetryMs: positiveInt(env, 'SANDBOX_WEBHOOK_RETRY_MS', 1000),
    webhookMaxAttempts: positiveInt(env, 'SANDBOX_WEBHOOK_MAX_ATTEMPTS', 8),
    // Unset: mail/send takes every request, as fast as they come.
    rateLimit: env.SANDBOX_RATE_LIMIT?.trim() ? positiveInt(env, 'SANDBOX_RATE_LIMIT', 1) : undefined,
  };
}
