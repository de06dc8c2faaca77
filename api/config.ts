import type { KeyObject } from 'node:crypto';
import {
  DEFAULT_CALLBACK_MAX_ATTEMPTS,
  type MongoConfig,
  type TemporalConfig,
  mongoConfig,
  temporalConfig,
} from '../lib/config';
import {
  ConfigError,
  type Env,
  bool,
  durationMs,
  fraction,
  list,
  port,
  positiveInt,
  required,
} from '../lib/env';
import { type CampaignTuning, DEFAULT_TUNING } from '../workflows/campaign-signals';
import type { SuppressionPolicy } from '../lib/suppression-policy';
import { parseAddress } from './address';
import type { Address } from '../db/types';
import { parsePublicKey } from './webhook-signature';

export interface ApiConfig {
  port: number;
  host: string;
  apiKeys: string[];
  defaultFrom: Address;
  temporal: TemporalConfig;
  mongo: MongoConfig;
  /** null only when verification was switched off explicitly. */
  webhookPublicKey: KeyObject | null;
  webhookBodyLimitBytes: number;
  /** How old a signature's timestamp may be. SendGrid retries a failed post for up to 24 hours. */
  webhookMaxAgeMs: number;
  /** How many times an outcome callback is tried before Mailroom gives up on it. */
  callbackMaxAttempts: number;
  /** When blocked (soft) bounces suppress an address, and for how long. */
  suppression: SuppressionPolicy;
  /** How campaigns pace themselves and when their circuit breaker trips. */
  campaigns: CampaignTuning;
}

export function loadApiConfig(env: Env = process.env): ApiConfig {
  const apiKeys = list(env, 'API_KEYS');
  if (apiKeys.length === 0) throw new ConfigError('API_KEYS is required (comma-separated bearer keys)');
  const defaultFrom = parseAddress(required(env, 'DEFAULT_FROM'));
  if (!defaultFrom)
    throw new ConfigError('DEFAULT_FROM must be an address, like "Mailroom <no-reply@example.com>"');
  return {
    port: port(env, 'PORT', 3000),
    host: env.HOST?.trim() || '0.0.0.0',
    apiKeys,
    defaultFrom,
    temporal: temporalConfig(env),
    mongo: mongoConfig(env),
    webhookPublicKey: webhookKey(env),
    // SendGrid's batches reach 768 KB; express's default 100 kB would refuse them.
    webhookBodyLimitBytes: positiveInt(env, 'WEBHOOK_BODY_LIMIT_BYTES', 4 * 1024 * 1024),
    webhookMaxAgeMs: durationMs(env, 'WEBHOOK_MAX_AGE', '25h'),
    callbackMaxAttempts: positiveInt(env, 'CALLBACK_MAX_ATTEMPTS', DEFAULT_CALLBACK_MAX_ATTEMPTS),
    suppression: {
      softBounceLimit: positiveInt(env, 'SUPPRESSION_SOFT_BOUNCE_LIMIT', 3),
      softBounceWindowMs: durationMs(env, 'SUPPRESSION_SOFT_BOUNCE_WINDOW', '7d'),
      softBounceExpiryMs: durationMs(env, 'SUPPRESSION_SOFT_BOUNCE_EXPIRY', '30d'),
    },
    campaigns: campaignTuning(env),
  };
}

function campaignTuning(env: Env): CampaignTuning {
  const d = DEFAULT_TUNING;
  return {
    batchSize: positiveInt(env, 'CAMPAIGN_BATCH_SIZE', d.batchSize),
    window: positiveInt(env, 'CAMPAIGN_WINDOW', d.window),
    tickMs: d.tickMs,
    turnsPerRun: positiveInt(env, 'CAMPAIGN_TURNS_PER_RUN', d.turnsPerRun),
    breaker: {
      minJudged: positiveInt(env, 'BREAKER_MIN_JUDGED', d.breaker.minJudged),
      maxHardBounceRate: fraction(env, 'BREAKER_MAX_HARD_BOUNCE_RATE', d.breaker.maxHardBounceRate),
      maxSpamReportRate: fraction(env, 'BREAKER_MAX_SPAM_REPORT_RATE', d.breaker.maxSpamReportRate),
    },
  };
}

function webhookKey(env: Env): KeyObject | null {
  if (!bool(env, 'SENDGRID_WEBHOOK_VERIFY', true)) return null;
  const raw = required(env, 'SENDGRID_WEBHOOK_PUBLIC_KEY');
  try {
    return parsePublicKey(raw);
  } catch {
    throw new ConfigError(
      'SENDGRID_WEBHOOK_PUBLIC_KEY must be the base64 DER P-256 public key SendGrid shows',
    );
  }
}
